"""A county's own 台账 layout (本县台账格式): the ledger's columns it keeps, in its order, under
its own header words, with its title rows; used by every ledger export of its units
(ledgers.export_ledger) and known to the importer (services.mapping_for), so a file exported
in the county's layout reads back with no change.

Reads take the org; the one write (``save_layout``) is audited and refuses a stale form.
Masking is not the layout's: the writer masks a column by what it holds (the ID number, the
phones), whatever the layout calls it; a layout can only leave columns out.

Glossary: 台账格式 ledger layout · 表头 header · 填报单位 reporting unit · 填报日期 date filled in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.core.concurrency import check_version, version_token
from shouwang.core.sheets.writer import FORMULA_STARTS
from shouwang.orgs.models import REGION_KINDS, Org

from .columns import BY_KEY, COLUMNS, LEDGER, normalise_header
from .models import LedgerLayout

if TYPE_CHECKING:
    from shouwang.accounts.models import User

# What a ledger must keep to be read back into the right child and class.
KEPT_ALWAYS = ("name", "gender", "id_number", "school", "grade", "school_class")
# The columns the writer masks (unless the user may see them in full), by what they hold.
MASKED_KEYS = {
    "id_number": "id",
    "father.phone": "phone",
    "mother.phone": "phone",
    "guardian.phone": "phone",
}
HEADER_MAX = 30
TITLE_ROWS_MAX = 2  # the title and the 填报单位 / 填报日期 row: the header stays near the top


@dataclass(frozen=True)
class SheetLayout:
    """The columns (key, header) a ledger is written with, and its title rows."""

    columns: tuple[tuple[str, str], ...]
    title: str = ""  # "" : the standard title, "<unit>留守儿童台账（<date>）"
    unit_and_date: bool = False
    region: Org | None = None  # whose layout it is; None: the standard one
    version: int = 0

    @property
    def keys(self) -> list[str]:
        return [key for key, _header in self.columns]

    @property
    def headers(self) -> list[str]:
        return [header for _key, header in self.columns]

    @property
    def masked(self) -> dict[str, str]:
        """Header → "id" / "phone", for the writer: the layout's own header of each masked
        column, so renaming a column never unmasks it."""
        return {header: MASKED_KEYS[key] for key, header in self.columns if key in MASKED_KEYS}

    def title_rows(self, *, org: Org, standard_title: str, on: Any) -> list[str]:
        rows = [self.title or standard_title]
        if self.unit_and_date:
            rows.append(
                _("Reporting unit: %(unit)s    Date: %(date)s")
                % {"unit": org.name, "date": f"{on:%Y-%m-%d}"}
            )
        return rows


STANDARD = SheetLayout(columns=tuple((c.key, c.header) for c in COLUMNS))


def _chain(org: Org) -> list[str]:
    """The paths of ``org`` and the units above it, nearest first."""
    step = Org.steplen
    return [org.path[:n] for n in range(len(org.path), 0, -step)]


def _current_by_region(paths: list[str]) -> dict[str, LedgerLayout]:
    """The latest version of each of these regions' layouts, by the region's path."""
    found: dict[str, LedgerLayout] = {}
    rows = (
        LedgerLayout.objects.filter(region__path__in=paths)
        .select_related("region")
        .order_by("region__path", "-version")
    )
    for row in rows:
        found.setdefault(row.region.path, row)
    return found


def _of(row: LedgerLayout) -> SheetLayout:
    return SheetLayout(
        columns=tuple((str(k), str(h)) for k, h in row.columns),
        title=row.title,
        unit_and_date=row.unit_and_date,
        region=row.region,
        version=row.version,
    )


def layout_for(org: Org) -> SheetLayout:
    """The layout ``org``'s ledger is written in: the nearest region's (``org`` itself, then the
    units above it) that has one, else the standard layout of interfaces.md. One query."""
    paths = _chain(org)
    current = _current_by_region(paths)
    for path in paths:
        row = current.get(path)
        if row is not None and row.columns:
            return _of(row)
    return STANDARD


def headers_known_for(org: Org) -> dict[str, str]:
    """The header words of the layouts of ``org`` and the regions above it (normalised →
    column key), farthest first so the nearest wins: what the importer adds to the words the
    unit taught, so a ledger exported in the county's layout is read back as it was written."""
    current = _current_by_region(_chain(org))
    known: dict[str, str] = {}
    for path in sorted(current, key=len):
        for key, header in current[path].columns:
            if key in BY_KEY:
                known[normalise_header(header)] = key
    return known


def current_layout(region: Org) -> LedgerLayout | None:
    return LedgerLayout.objects.filter(region=region).order_by("-version").first()


def layout_version(region: Org) -> str:
    """The token a layout form carries: the version it was opened at."""
    row = current_layout(region)
    return version_token({"version": row.version if row else 0})


def check_columns(columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The columns cleaned, or ValidationError: known keys, each once; the columns a ledger
    needs to be read back kept; headers non-empty, short, unique, not a formula, and not
    another column's standard header or alias (the importer would read them as that)."""
    errors: list[str] = []
    cleaned: list[tuple[str, str]] = []
    seen_keys: set[str] = set()
    seen_headers: dict[str, str] = {}
    for key, header in columns:
        header = " ".join(str(header).split())
        if key not in BY_KEY or key in seen_keys:
            errors.append(_("Unknown or repeated column: %(key)s.") % {"key": key})
            continue
        seen_keys.add(key)
        label = BY_KEY[key].header
        normal = normalise_header(header)
        if not header or not normal:
            errors.append(_("The column %(column)s needs a header.") % {"column": label})
            continue
        if len(header) > HEADER_MAX or header.startswith(FORMULA_STARTS):
            errors.append(
                _("The header of %(column)s must be at most %(n)s characters, not a formula.")
                % {"column": label, "n": HEADER_MAX}
            )
            continue
        other = LEDGER.column_for(header)
        if other is not None and other != key:
            errors.append(
                _("%(header)s is the standard header of %(other)s: choose another for %(column)s.")
                % {"header": header, "other": BY_KEY[other].header, "column": label}
            )
            continue
        if normal in seen_headers:
            errors.append(
                _("%(column)s and %(other)s have the same header.")
                % {"column": label, "other": seen_headers[normal]}
            )
            continue
        seen_headers[normal] = label
        cleaned.append((key, header))
    missing = [BY_KEY[k].header for k in KEPT_ALWAYS if k not in seen_keys]
    if missing:
        errors.append(
            _("A ledger keeps these columns, to be read back: %(columns)s.")
            % {"columns": "、".join(missing)}
        )
    if errors:
        raise ValidationError(errors)
    return cleaned


def save_layout(
    *,
    region: Org,
    by: User | None,
    columns: list[tuple[str, str]],
    title: str = "",
    unit_and_date: bool = True,
    version: str | None,
    standard: bool = False,
) -> LedgerLayout:
    """Save a new version of ``region``'s layout (``standard``: a version with no columns, the
    region back on the standard layout). Refused when the form was opened at an older version."""
    if region.kind not in REGION_KINDS:
        raise ValidationError(_("Only a region has a ledger layout."))
    cleaned = [] if standard else check_columns(columns)
    title = " ".join(title.split())
    if title.startswith(FORMULA_STARTS):
        raise ValidationError({"title": _("A title cannot start like a formula.")})
    with transaction.atomic():
        # The region's row locked: two officers saving at once make two versions one by one.
        Org.objects.select_for_update().filter(pk=region.pk).first()
        latest = current_layout(region)
        check_version(
            version, {"version": latest.version if latest else 0}, label=lambda _k: _("version")
        )
        row = LedgerLayout(
            region=region,
            version=(latest.version + 1) if latest else 1,
            columns=[list(pair) for pair in cleaned],
            title="" if standard else title,
            unit_and_date=unit_and_date and not standard,
            by=by,
        )
        row.full_clean()
        row.save()
        audit.record(
            actor=by,
            action=AuditAction.CREATE,
            obj=row,
            org_path=region.path,
            changes={
                "version": row.version,
                "columns": row.columns,
                "title": row.title,
                "unit_and_date": row.unit_and_date,
            },
        )
    return row
