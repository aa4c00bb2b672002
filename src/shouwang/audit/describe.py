"""Histories in words: an entry's changes as (label, old, new) a reader understands.

The log keeps keys and raw values (``father.status: [None, "deceased"]``, ``school: 21``); every
page that shows a history (the child's 变更记录, the audit page, assessment reasons, the ledger
preview) passes them through :func:`describe_many`, so a reader sees "父亲状态：外出务工 → 去世"
and "学校：青石镇中心小学 → 胡湾小学" (issue 19). A key is a field of the entry's model (its
verbose name, its choices, the name of the row a key points at), a part of it (``father.status``:
the father's row, then its field), or one of the words below that the services write beside the
fields. Keys pointing at rows are looked up once per model for all the entries shown, never once
per entry.

Masking is not decided here: the caller passes changes already masked (audit.masking).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.dates import WEEKDAYS
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Parts of an archive written with a prefix (``father.status``): the part's model and its name.
PARTS: dict[str, tuple[str, Promise]] = {
    "father": ("children.parent", gettext_lazy("Father")),
    "mother": ("children.parent", gettext_lazy("Mother")),
    "guardian": ("children.guardian", gettext_lazy("Guardian")),
}

# Words the services write beside a model's own fields (a leading "_" marks them as notes).
WORDS: dict[str, Promise] = {
    "note": gettext_lazy("Note"),
    "reason": gettext_lazy("Reason"),
    "reasons": gettext_lazy("Reasons"),
    "on": gettext_lazy("Date"),
    "at": gettext_lazy("Time"),
    "ratings": gettext_lazy("Ratings of the five dimensions"),
    "sum": gettext_lazy("Sum of the ratings"),
    "forced_by": gettext_lazy("Rated serious in"),
    "rule": gettext_lazy("Heart level rule"),
    "rows": gettext_lazy("Number of rows"),
    "masked": gettext_lazy("Masked columns"),
    "role": gettext_lazy("Role"),
    "org": gettext_lazy("Unit"),
    "child": gettext_lazy("Child"),
    "children": gettext_lazy("Children"),
    "transferred_to": gettext_lazy("Transferred to"),
    "handed_over_to": gettext_lazy("Handed over to"),
    "handover_to": gettext_lazy("Handed over to"),
    "late": gettext_lazy("Late"),
    "step": gettext_lazy("Step of the emergency chain"),
    "how": gettext_lazy("How"),
    "told": gettext_lazy("Told"),
    "outcome": gettext_lazy("Outcome"),
    "closed": gettext_lazy("Closed"),
    "where": gettext_lazy("Where"),
    "what": gettext_lazy("What"),
    "file": gettext_lazy("File"),
    "added": gettext_lazy("Added"),
    "removed": gettext_lazy("Removed"),
    "kept": gettext_lazy("Kept"),
    "merged": gettext_lazy("Merged into"),
    "before": gettext_lazy("Before"),
    "created": gettext_lazy("Created"),
    "version": gettext_lazy("Version"),
    "last_digest": gettext_lazy("Last removed entry"),
    "difficulties": gettext_lazy("Difficulties"),
    "two_factor": gettext_lazy("Two-step verification"),
    "second_factor": gettext_lazy("Second step"),
    "recovery_codes": gettext_lazy("Recovery codes"),
    "password": gettext_lazy("Password"),
    "api_token_revoked": gettext_lazy("API token revoked"),
    "sessions": gettext_lazy("Sessions ended"),
    "id_search": gettext_lazy("Search by ID number"),
    "found": gettext_lazy("Found"),
    "header": gettext_lazy("Column heading"),
    "column": gettext_lazy("Column"),
    "field": gettext_lazy("Field"),
    "engine": gettext_lazy("Database"),
    "backup": gettext_lazy("Backup"),
    "chain": gettext_lazy("Emergency chain"),
    "preset": gettext_lazy("Preset"),
    "rules": gettext_lazy("Rules"),
    "plans": gettext_lazy("Plans"),
    "letters": gettext_lazy("Letters"),
    "slots": gettext_lazy("Opening hours"),
    "weekday": gettext_lazy("Weekday"),
    "start": gettext_lazy("Start"),
    "end": gettext_lazy("End"),
    "area": gettext_lazy("Area"),
    "need": gettext_lazy("Need"),
    "measure": gettext_lazy("Measure"),
    "grade": gettext_lazy("Grade"),
    "class": gettext_lazy("Class"),
    "male": gettext_lazy("Boys"),
    "female": gettext_lazy("Girls"),
    "consent": gettext_lazy("Consent"),
    "scopes": gettext_lazy("Consented to"),
    "user": gettext_lazy("User"),
    "cutoff": gettext_lazy("Cut-off date"),
    "guardian_relation": gettext_lazy("Guardian's relation to the child"),
    "caregiver": gettext_lazy("Caregiver"),
    "parent": gettext_lazy("Parent"),
    "replied": gettext_lazy("Replied"),
    "signed": gettext_lazy("Signed"),
    "scanned": gettext_lazy("Scanned"),
    "heart_level": gettext_lazy("Heart level"),
    "risk_grade": gettext_lazy("Risk grade"),
    "guardian_class": gettext_lazy("Guardian class"),
    "guardian_assessment": gettext_lazy("Guardian assessment"),
    "edit_form": gettext_lazy("every number, on the edit form"),
}

# Words whose values are themselves keys of the entry's model (a reveal names the field shown).
KEYS_AS_VALUES = frozenset({"field"})

# Words whose values name a row: the model and the field the value is (a key, a code).
POINTS_AT: dict[str, tuple[str, str]] = {
    "org": ("orgs.org", "code"),
    "child": ("children.child", "pk"),
    "rule": ("children.heartlevelrule", "code"),
    "school": ("orgs.org", "pk"),
    "school_class": ("orgs.org", "pk"),
    "home_village": ("orgs.org", "pk"),
}

# Words whose values are choices of a model's field (the key of the words, then the field).
CHOICES_OF: dict[str, tuple[str, str]] = {
    "role": ("accounts.roleassignment", "role"),
    "difficulties": ("children.difficultyflag", "kind"),
    "guardian_relation": ("children.guardian", "relation"),
    "parent": ("children.parent", "relation"),  # a family call names the parent by relation
    "how": ("safety.incidentstep", "how"),
    "area": ("care.careplanitem", "area"),
}

# Words whose values are codes an app names in a table of its own (no model field holds them):
# the table's dotted path, read when first needed (the log sits below those apps).
NAMED_IN: dict[str, str] = {
    "step": "shouwang.safety.chains.AUDIENCES",
    "preset": "shouwang.care.presets.POLICIES",
    "scopes": "shouwang.children.models.ConsentScope",
    "risk_grade": "shouwang.children.models.RiskGrade",
    "guardian_class": "shouwang.children.models.GuardianClass",
    "guardian_assessment": "shouwang.children.models.GuardianAssessment",
}

# Values that are lists in themselves, not [before, after].
LISTS = frozenset({"masked", "rules", "scopes", "children", "slots", "forced_by", "letters"})

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


@dataclass(frozen=True)
class Line:
    """One change in words: "label：old → new", or "label：new" when there is no before."""

    label: str
    old: str | None
    new: str

    def __str__(self) -> str:
        if self.old is None:
            return f"{self.label}：{self.new}"
        return f"{self.label}：{self.old} → {self.new}"


@dataclass(frozen=True)
class _Key:
    label: str
    field: Any  # the model field (or reverse relation) the key names, if any
    points_at: tuple[str, str] | None  # (model label, lookup field) when the value names a row
    choices: tuple[tuple[str, str], ...]  # value → label, when the value is a choice
    is_list: bool
    names_keys: bool = False  # the value is a key of the model (KEYS_AS_VALUES)


# Where an entry came from (AuditEntry.via).
VIA: dict[str, Promise] = {
    "web": gettext_lazy("web page"),
    "api": gettext_lazy("API"),
    "cli": gettext_lazy("command line"),
    "worker": gettext_lazy("background worker"),
}


# Kinds of object whose model has no name of its own in the reader's language.
MODEL_NAMES: dict[str, Promise] = {
    "core.heartbeat": gettext_lazy("heartbeat"),
    "children.regionprofile": gettext_lazy("region's definition profile"),
    "children.duplicatecase": gettext_lazy("duplicate archive"),
    "children.classhandover": gettext_lazy("class handover"),
    "children.retentionrun": gettext_lazy("retention run"),
    "children.anonymisation": gettext_lazy("anonymisation"),
    "care.careplanitem": gettext_lazy("care plan measure"),
    "care.careplanreview": gettext_lazy("care plan review"),
    "stats.unitdayfigures": gettext_lazy("daily figures of a unit"),
    "safety.chainsetting": gettext_lazy("emergency chain setting"),
    "safety.incidentstep": gettext_lazy("step of the emergency chain"),
    "family.contactroom": gettext_lazy("contact room"),
    "family.booking": gettext_lazy("contact room booking"),
    "family.familycall": gettext_lazy("family call"),
    "family.silencesetting": gettext_lazy("days without family contact setting"),
    "counseling.counselingsession": gettext_lazy("counseling session"),
    "counseling.mailboxopening": gettext_lazy("mailbox opening"),
    "counseling.mailboxletter": gettext_lazy("mailbox letter"),
    "counseling.individualplan": gettext_lazy("individual counseling plan"),
    "counseling.planreview": gettext_lazy("counseling plan review"),
    "health.bmireference": gettext_lazy("BMI reference"),
    "health.checkup": gettext_lazy("health check-up"),
}


def via_label(via: str) -> str:
    return str(VIA.get(via, via))


def model_label(object_type: str) -> str:
    """The name of a kind of object in the reader's language ("children.child" → 儿童)."""
    if object_type in MODEL_NAMES:
        return str(MODEL_NAMES[object_type])
    model = _model(object_type)
    return str(model._meta.verbose_name) if model is not None else ""


def label_of(key: str, *, model: str = "") -> str:
    """What a key names, in words ("father.status" → 父亲状态): a ledger column's field."""
    return _key(model, key).label


def describe(changes: Mapping[str, Any] | None, *, model: str = "") -> list[Line]:
    """One entry's changes in words (see :func:`describe_many` for many at a time)."""
    return describe_many([(model, changes or {})])[0]


def describe_many(entries: Iterable[tuple[str, Mapping[str, Any] | None]]) -> list[list[Line]]:
    """Each entry (its model's label, its changes) in words; the rows keys point at are read
    once per model for all of them. A value that had none before shows alone ("父亲姓名：鲁明"),
    and a part created empty not at all."""
    listed = [(m or "", dict(c or {})) for m, c in entries]
    wanted: dict[tuple[str, str], set[Any]] = defaultdict(set)
    for model, changes in listed:
        _collect(model, changes, wanted)
    names = _names(wanted)
    return [
        [
            line
            for key, value in sorted(changes.items(), key=lambda kv: _order(model, kv[0]))
            if (line := _line(model, key, value, names)) is not None
        ]
        for model, changes in listed
    ]


@lru_cache(maxsize=1024)
def _order(model_label: str, key: str) -> tuple[int, int, str]:
    """Lines in the order of the form: the model's own fields as declared, then its parts
    (father, mother, guardian) field by field, then the notes. (PostgreSQL keeps a change's
    keys in an order of its own.)"""
    name = key.lstrip("_")
    prefix, dot, rest = name.partition(".")
    if key.startswith("_"):
        return (len(PARTS) + 1, 0, name)
    if dot and prefix in PARTS:
        return (1 + list(PARTS).index(prefix), _field_index(PARTS[prefix][0], rest), name)
    return (0, _field_index(model_label, name), name)


def _field_index(model_label: str, name: str) -> int:
    model = _model(model_label)
    names = [f.name for f in model._meta.get_fields()] if model is not None else []
    return names.index(name) if name in names else len(names)


# ---- reading keys --------------------------------------------------------------------------


def _model(label: str) -> type[models.Model] | None:
    if not label or "." not in label:
        return None
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


@lru_cache(maxsize=1024)
def _key(model_label: str, key: str) -> _Key:
    name = key.lstrip("_")
    model: Any = _model(model_label)
    whose = ""
    prefix, dot, rest = name.partition(".")
    if dot and prefix in PARTS:
        part_model, part_name = PARTS[prefix]
        model, name, whose = _model(part_model), rest, str(part_name)
    elif dot and model is not None:
        try:
            related = model._meta.get_field(prefix)
            model, name, whose = related.related_model, rest, _field_name(related)
        except FieldDoesNotExist:
            pass
    field: Any = None
    if model is not None:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
    if field is not None and not (name in WORDS and not _named(field)):
        label = _field_name(field)
    elif name in WORDS:
        label = str(WORDS[name])
    else:
        label = _any_field_name(name)
    points_at = POINTS_AT.get(name) if field is None or name in POINTS_AT else None
    if points_at is None and field is not None and field.concrete and field.is_relation:
        points_at = (field.related_model._meta.label_lower, "pk")  # a foreign key: the row's name
    if name in CHOICES_OF or name in NAMED_IN:
        points_at = None
    choices: tuple[tuple[str, str], ...] = ()
    if field is not None and getattr(field, "flatchoices", None):
        choices = tuple((str(k), str(v)) for k, v in field.flatchoices)
    elif field is not None and getattr(field, "base_field", None) is not None:
        choices = tuple((str(k), str(v)) for k, v in field.base_field.flatchoices or ())
    if not choices and name in NAMED_IN:
        choices = _named_codes(NAMED_IN[name])
    elif not choices and name in CHOICES_OF:
        choices = _choices_of(*CHOICES_OF[name])
    is_list = (
        name in LISTS
        or (field is not None and field.one_to_many)
        or bool(field is not None and getattr(field, "base_field", None) is not None)
    )
    return _Key(f"{whose}{label}", field, points_at, choices, is_list, name in KEYS_AS_VALUES)


def _named(field: Any) -> bool:
    """Whether the field was given a name of its own (not Django's default from its name)."""
    if field.auto_created and not field.concrete:
        return False
    return str(field.verbose_name) != field.name.replace("_", " ")


def _named_codes(path: str) -> tuple[tuple[str, str], ...]:
    """``{code: label}``, or a list of ``{"code": …, "name": …}``, at a dotted path."""
    try:
        table = import_string(path)
    except ImportError:
        return ()
    if hasattr(table, "choices"):  # a model's TextChoices
        return tuple((str(k), str(v)) for k, v in table.choices)
    if isinstance(table, Mapping):
        return tuple((str(k), str(v)) for k, v in table.items())
    return tuple((str(row["code"]), str(row["name"])) for row in table)


def _field_name(field: Any) -> str:
    if field.auto_created and not field.concrete:  # a reverse relation: the related rows' name
        return str(field.related_model._meta.verbose_name)
    return str(field.verbose_name)


@lru_cache(maxsize=256)
def _any_field_name(name: str) -> str:
    """A key no model of the entry has: the verbose name of a field so named elsewhere, else
    the key itself (a new key: add it to WORDS)."""
    for model in apps.get_models():
        try:
            field: Any = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if field.concrete and _named(field):
            return str(field.verbose_name)
    return name


def _choices_of(model_label: str, field_name: str) -> tuple[tuple[str, str], ...]:
    model = _model(model_label)
    if model is None:
        return ()
    try:
        field: Any = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        return ()
    base = getattr(field, "base_field", field)
    return tuple((str(k), str(v)) for k, v in (base.flatchoices or ()))


# ---- rows the keys point at ------------------------------------------------------------------


def _pair(key: _Key, value: Any) -> tuple[Any, Any] | None:
    """``[before, after]`` as the log writes a change (audit.services.field_changes): two
    plain values, or two lists; a key whose value is a list in itself is a pair of lists only."""
    if not (isinstance(value, list) and len(value) == 2):
        return None
    if all(isinstance(v, list) for v in value):
        return value[0], value[1]
    if not key.is_list and all(v is None or isinstance(v, bool | int | float | str) for v in value):
        return value[0], value[1]
    return None


def _collect(
    model: str, changes: Mapping[str, Any], wanted: dict[tuple[str, str], set[Any]]
) -> None:
    for raw_key, value in changes.items():
        key = _key(model, raw_key)
        if isinstance(value, Mapping):
            _collect(model, value, wanted)
            continue
        if key.points_at is None:
            continue
        pair = _pair(key, value)
        values = pair if pair is not None else (value if isinstance(value, list) else [value])
        for v in values:
            if v not in (None, "") and isinstance(v, int | str) and not isinstance(v, bool):
                wanted[key.points_at].add(v)


def _names(wanted: Mapping[tuple[str, str], set[Any]]) -> dict[tuple[str, str], dict[str, str]]:
    """One query per model (its rows by key and by code alike): value → the row's name."""
    by_model: dict[str, dict[str, list[Any]]] = defaultdict(dict)
    for (label, lookup), values in wanted.items():
        model = _model(label)
        if model is None:
            continue
        field = model._meta.pk.name if lookup == "pk" else lookup
        keys = _valid(model._meta.get_field(field), values)
        if keys:
            by_model[label][lookup] = keys
    out: dict[tuple[str, str], dict[str, str]] = {}
    for label, lookups in by_model.items():
        model = _model(label)
        assert model is not None
        fields = {lookup: model._meta.pk.name if lookup == "pk" else lookup for lookup in lookups}
        where = Q()
        for lookup, keys in lookups.items():
            where |= Q(**{f"{fields[lookup]}__in": keys})
        rows = list(model._default_manager.filter(where))
        # A model may name its rows better in a batch (orgs.Org: a class with its school).
        labels_for = getattr(model, "labels_for", None)
        shown = labels_for(rows) if callable(labels_for) else {row.pk: str(row) for row in rows}
        for lookup, field in fields.items():
            out[label, lookup] = {str(getattr(row, field)): shown[row.pk] for row in rows}
    return out


def _valid(field: Any, values: Iterable[Any]) -> list[Any]:
    """The values that can be keys of the field (a key written as text, or no key at all)."""
    out = []
    for value in values:
        try:
            out.append(field.to_python(value))
        except ValidationError:
            continue
    return out


# ---- values in words ---------------------------------------------------------------------------


def _line(
    model: str, raw_key: str, value: Any, names: Mapping[tuple[str, str], dict[str, str]]
) -> Line | None:
    key = _key(model, raw_key)
    pair = _pair(key, value)
    if pair is not None:
        old, new = pair
        if old is None:
            if new is None or new == "":
                return None  # a part created with this left empty
            return Line(key.label, None, _value(key, new, names, model))
        return Line(key.label, _value(key, old, names, model), _value(key, new, names, model))
    if value is None or value == "" or value == "None":
        return None  # nothing to say (a field left empty when the row was made)
    return Line(key.label, None, _value(key, value, names, model))


def _value(
    key: _Key, value: Any, names: Mapping[tuple[str, str], dict[str, str]], model: str
) -> str:
    if value is None or value == "" or value == [] or value == {} or value == "None":
        return _("empty")  # "None": a row kept as text (the ledger preview's str(value))
    if isinstance(key.field, models.BooleanField) and value in ("True", "False"):
        value = value == "True"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Mapping):
        return "，".join(str(line) for line in _mapping(value, names, model))
    if isinstance(value, list | tuple):
        return "、".join(_value(key, v, names, model) for v in value)
    if key.points_at is not None and not isinstance(value, float):
        found = names.get(key.points_at, {}).get(str(value))
        if found is not None:
            return found
    if key.choices:
        for choice, label in key.choices:
            if choice == str(value):
                return label
    if isinstance(value, datetime | date):
        return _when(value)
    if key.names_keys and isinstance(value, str):
        return _key(model, value).label
    if isinstance(value, str):
        if ISO_DATETIME.match(value) and (moment := _parse_moment(value)) is not None:
            return _when(moment)
        if ISO_DATE.match(value) and (day := parse_date(value)) is not None:
            return _when(day)
    return str(value)


def _mapping(
    value: Mapping[str, Any], names: Mapping[tuple[str, str], dict[str, str]], model: str
) -> list[Line]:
    out = []
    for k, v in value.items():
        if k == "weekday" and v in WEEKDAYS:  # 0 = Monday (family.ContactRoom.slots)
            out.append(Line(str(WORDS["weekday"]), None, str(WEEKDAYS[v])))
            continue
        if (line := _line(model, str(k), v, names)) is not None:
            out.append(line)
    return out


def _parse_moment(value: str) -> datetime | None:
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _when(value: date | datetime) -> str:
    """A day or a moment in the reader's words and time zone (Asia/Shanghai)."""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, "DATETIME_FORMAT")
    return formats.date_format(value, "DATE_FORMAT")
