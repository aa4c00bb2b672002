"""The unit's 台账 in the county's layout: one row per child in the register, the columns of
interfaces.md in their order, or those the nearest region's saved layout keeps, in its order
under its headers (ledger.layouts)."""

from __future__ import annotations

import getpass
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.children.models import IN_REGISTER, Child, Parent
from shouwang.children.selectors import in_register_order
from shouwang.core.sheets.writer import Watermark, write_xlsx
from shouwang.orgs.models import Org, OrgKind

from .columns import COLUMNS
from .layouts import SheetLayout, layout_for

if TYPE_CHECKING:
    from shouwang.accounts.models import User

HEADERS = [c.header for c in COLUMNS]
MASKED = {"身份证号": "id", "父亲电话": "phone", "母亲电话": "phone", "监护人电话": "phone"}
YES_NO = {True: "是", False: "否"}


CHILD_VALUES = (
    "pk",
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "school__name",
    "school_class__name",
    "school_class__path",
    "boarding",
    "address",
    "health",
    "personality",
    "hobbies",
    "note",
    "home_village__name",
)
PARENT_VALUES = ("child_id", "relation", "name", "phone", "status", "work_place", "away_since")
GUARDIAN_VALUES = ("child_id", "name", "relation", "age", "phone", "health")


def _rows(children: Any, grades: dict[str, str], id_visible: Q | None) -> Iterator[list[Any]]:
    """Plain values, three queries for the whole ledger: a county's 50,000 rows are written
    without building a model object per child, parent and guardian. Where ``id_visible`` is
    given, an ID number outside it is left out whole (masking is all or nothing: no digit of it
    for a reader who may not unmask it)."""
    from shouwang.children.models import Gender, Guardian, GuardianRelation
    from shouwang.children.types import ParentStatus

    gender = {k: str(v) for k, v in Gender.choices}
    status = {k: str(v) for k, v in ParentStatus.choices}
    relation = {k: str(v) for k, v in GuardianRelation.choices}
    ids = children.values("pk")
    parents: dict[tuple[int, str], tuple[Any, ...]] = {
        (row[0], row[1]): row
        for row in Parent.objects.filter(child__in=ids).values_list(*PARENT_VALUES)
    }
    guardians = {
        row[0]: row for row in Guardian.objects.filter(child__in=ids).values_list(*GUARDIAN_VALUES)
    }
    no_parent: tuple[Any, ...] = (None, None, "", "", "", "", None)
    no_guardian: tuple[Any, ...] = (None, "", "", None, "", "")
    visible: Any = Value(True)
    if id_visible is not None:
        shown_pks = Child.objects.filter(id_visible).values("pk")
        visible = ExpressionWrapper(Q(pk__in=shown_pks), output_field=BooleanField())
    rows = children.annotate(id_visible=visible).values_list(*CHILD_VALUES, "id_visible")
    for *c, shown in rows.iterator(chunk_size=5000):
        if not shown:
            c[CHILD_VALUES.index("id_number")] = ""
        (
            pk,
            name,
            sex,
            ethnicity,
            birth,
            number,
            school,
            klass,
            class_path,
            boarding,
            address,
            health,
            personality,
            hobbies,
            note,
            village,
        ) = c
        f = parents.get((pk, "father"), no_parent)
        m = parents.get((pk, "mother"), no_parent)
        g = guardians.get(pk, no_guardian)
        yield [
            name,
            gender.get(sex, sex),
            ethnicity,
            birth,
            number,
            school,
            grades.get(class_path[: -Org.steplen], "") if class_path else "",
            klass or "",
            YES_NO[boarding],
            address,
            f[2],
            f[3],
            status.get(f[4], ""),
            f[5],
            f[6],
            m[2],
            m[3],
            status.get(m[4], ""),
            m[5],
            m[6],
            g[1],
            relation.get(g[2], ""),
            g[3],
            g[4],
            g[5],
            health,
            personality,
            hobbies,
            note,
            village or "",
        ]


def new_serial() -> str:
    """A watermark's serial: the day and eight random hex digits (台账 TZ…), unique enough to
    name one file among a county's exports, and kept unique by the jobs' table."""
    return f"TZ{timezone.localdate():%Y%m%d}-{secrets.token_hex(4).upper()}"


def operator() -> str:
    """Who a command-line export is for: the server account that ran it."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        name = str(os.getuid())
    return _("%(name)s (command line)") % {"name": name}


def who_is(user: User) -> str:
    return f"{user.display_name}（{user.get_username()}）"


def ledger_children(*, org: Org, by: User | None, unmasked: bool) -> tuple[QuerySet[Child], bool]:
    """The register's children of ``org`` that ``by`` exports, and whether unmasked."""
    # Unmasked, the ledger holds only children whose ID numbers the user may see (a counselor
    # who also teaches a class exports that class in full, not the school).
    reveal = (Area.ID_NUMBER, Action.REVEAL)
    unmasked_for_user = unmasked and by is not None and scope_of(by).may(*reveal)
    base: QuerySet[Child]
    if by is None:
        base = Child.objects.all()
    elif unmasked_for_user:
        base = Child.objects.restrict(by, Action.REVEAL, Area.ID_NUMBER)
    else:
        base = Child.objects.restrict(by)
    # A grade's or a class's ledger: the children of its classes (their school lies above it).
    inside = (
        Q(school_class__path__startswith=org.path)
        if org.kind in (OrgKind.GRADE, OrgKind.SCHOOL_CLASS)
        else Q(school__path__startswith=org.path)
    )
    children = base.filter(inside, status__in=IN_REGISTER)
    return children, unmasked and (by is None or unmasked_for_user)


def export_ledger(
    *,
    org: Org,
    out: str | Path | IO[bytes],
    by: User | None,
    unmasked: bool,
    watermark: Watermark | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the ledger of ``org``; masked unless asked and allowed (CLI: county IT staff).
    Every ledger carries a watermark (who, when, serial: ``by``'s, or the operator's on the
    command line, unless the export job gives its own); ``progress`` hears the rows written."""
    children, full = ledger_children(org=org, by=by, unmasked=unmasked)
    children = in_register_order(children)
    id_visible = None if by is None else scope_of(by).q(Area.ID_NUMBER, Action.REVEAL)
    grades = dict(
        Org.objects.filter(path__startswith=org.path, kind=OrgKind.GRADE).values_list(
            "path", "name"
        )
    )
    title = f"{org.name}留守儿童台账（{timezone.localdate():%Y-%m-%d}）"
    if watermark is None:
        watermark = Watermark(
            who=who_is(by) if by is not None else operator(), at=timezone.now(), serial=new_serial()
        )
    layout = layout_for(org)
    rows: Iterable[list[Any]] = _laid_out(_rows(children, grades, id_visible), layout)
    if progress is not None:
        rows = _counted(rows, progress)
    return write_xlsx(
        out,
        sheets=[("台账", layout.headers, rows)],
        by=by,
        what=title,
        org_path=org.path,
        # Masked by what a column holds, under whatever header the layout gives it.
        masked=None if full else layout.masked,
        title_rows=layout.title_rows(org=org, standard_title=title, on=timezone.localdate()),
        watermark=watermark,
    )


KEY_INDEX = {c.key: i for i, c in enumerate(COLUMNS)}


def _laid_out(rows: Iterable[list[Any]], layout: SheetLayout) -> Iterator[list[Any]]:
    """Each row's cells in the layout's columns and order (the standard layout: as they are)."""
    picks = [KEY_INDEX[key] for key in layout.keys]
    if picks == list(range(len(COLUMNS))):
        yield from rows
        return
    for row in rows:
        yield [row[i] for i in picks]


PROGRESS_ROWS = 1000  # rows between two reports of how far a build got


def _counted(rows: Iterable[list[Any]], progress: Callable[[int], None]) -> Iterator[list[Any]]:
    for n, row in enumerate(rows, start=1):
        yield row
        if n % PROGRESS_ROWS == 0:
            progress(n)
