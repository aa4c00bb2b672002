"""The work done over a period (interfaces.md, the statistics JSON's flow figures): 人次 of care,
亲情电话 calls,
emergencies and their chains, help given, activities and training, commendations — counted from
the records of each area through its own selectors, never typed in; and the caregivers of the
day (pairings by mode, caregivers by kind) beside the day's figures.

Whose work a unit counts: what was done for the children of the unit (their school or, in no
school, the village they are registered at; a village: the children who live in it; a class or
grade: its children), whatever their status now (a child who left this month was cared for this
month); help and activities by the unit that gave or held them (their rows carry it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from shouwang.activities import selectors as activities
from shouwang.assistance import selectors as assistance
from shouwang.care import selectors as care
from shouwang.care.models import CaregiverKind, PairingMode, RecordKind
from shouwang.children.models import Child
from shouwang.crosschecks.models import ListKind
from shouwang.family import selectors as family
from shouwang.homes import selectors as homes
from shouwang.orgs.models import Org, OrgKind, Term
from shouwang.orgs.selectors import calendar_region_for
from shouwang.safety import selectors as safety


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    name: str = ""  # the term's name, when the period is one

    def as_json(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


class BadPeriod(ValueError):
    """A period the user asked for that cannot be (its message says why, in words)."""


def period_of(org: Org, on: date, start: date | None = None, end: date | None = None) -> Period:
    """[start, end] as asked; both left out: the term ``on`` falls in (in a holiday, the term
    before it), or, without a term calendar, the calendar year up to ``on``."""
    if start is not None or end is not None:
        if start is None or end is None:
            raise BadPeriod(_("Give both ends of the period (from and to), or neither."))
        if start > end:
            raise BadPeriod(_("The period starts after it ends."))
        return Period(start, end)
    region = calendar_region_for(org)
    term = (
        Term.objects.filter(region=region, start__lte=on).order_by("-start").first()
        if region is not None
        else None
    )
    if term is None:
        return Period(date(on.year, 1, 1), on)
    return Period(term.start, term.end, term.name)


def children_of(org: Org, *, as_place: bool = False) -> QuerySet[Child]:
    """The children whose work ``org`` counts, whatever their status now (module docstring);
    ``as_place``: a village's children in no school only (its share of a sum over units)."""
    if org.kind == OrgKind.SCHOOL_CLASS:
        return Child.objects.filter(school_class=org)
    if org.kind == OrgKind.GRADE:
        return Child.objects.filter(school_class__path__startswith=org.path)
    if org.kind == OrgKind.VILLAGE and not as_place:
        return Child.objects.filter(home_village=org)
    return Child.objects.filter(school__path__startswith=org.path)


def flow_figures(
    *,
    org: Org,
    period: Period,
    within: QuerySet[Child] | None = None,
    with_money: bool = True,
    as_place: bool = False,
) -> dict[str, Any]:
    """The period's figures of ``org``: every key of interfaces.md, zeros present. ``within``:
    the reader's scope, where it is not the whole unit; ``with_money``: whether the reader may
    see help given (those who may not get no key of it, not even a zero)."""
    live = live_flow_figures(org=org, period=period, within=within, as_place=as_place)
    return live | kept_flow_figures(
        org=org, period=period, within=within, as_place=as_place, with_money=with_money
    )


def _children_counted(
    org: Org, within: QuerySet[Child] | None, *, as_place: bool
) -> QuerySet[Child, Any]:
    unit = children_of(org, as_place=as_place)
    if within is not None:
        unit = unit.filter(pk__in=within.values("pk"))
    return unit.values("pk")


def live_flow_figures(
    *,
    org: Org,
    period: Period,
    within: QuerySet[Child] | None,
    as_place: bool,
    care_person_times: dict[str, int] | None = None,
) -> dict[str, Any]:
    """The keys that move without any change of the data the others read: care records (a
    caregiver writes one a minute; ``care_person_times`` if the caller has them) and the steps
    of an emergency chain (late by the clock)."""
    children = _children_counted(org, within, as_place=as_place)
    start, end = period.start, period.end
    if care_person_times is None:
        care_person_times = care.person_times(children, start, end)
    return {
        "period": period.as_json(),
        "care_person_times": care_person_times,
        "emergencies": safety.emergency_figures(children, start, end),
    }


def kept_flow_figures(
    *,
    org: Org,
    period: Period,
    within: QuerySet[Child] | None,
    as_place: bool,
    with_money: bool,
) -> dict[str, Any]:
    """The keys only a change on the audit log moves (stats.selectors keeps them under it)."""
    children = _children_counted(org, within, as_place=as_place)
    start, end = period.start, period.end
    out = {
        "family_calls": family.calls_in(children, start, end),
        # Held, given and commended by the units under ``org`` (their rows carry the unit).
        **activities.period_figures(org=org, start=start, end=end),
        **homes.period_figures(org=org, start=start, end=end),
    }
    if with_money:
        out |= assistance.period_figures(org=org, start=start, end=end)
    return out


def caregiver_figures(*, counted: QuerySet[Child], on: date) -> dict[str, Any]:
    """Pairings by mode (children) and caregivers by kind (people) of the counted children."""
    children = counted.order_by().values("pk")
    return {
        "pairings_by_mode": care.pairings_by_mode(children, on),
        "caregivers_by_kind": care.caregivers_by_kind(children, on),
    }


Rows = list[tuple[str, Any]]
DIFFICULTY_LABELS = dict(ListKind.choices)


def work_rows(data: dict[str, Any]) -> list[tuple[str, Rows]]:
    """The flow figures as the dashboard shows them: (heading, [(label, number)]) per group, only
    the groups ``data`` holds (no money for those who may not see it)."""
    care_kinds = dict(RecordKind.choices)
    groups: list[tuple[str, Rows]] = [
        (
            _("Care (person-times)"),
            [(str(care_kinds[k]), n) for k, n in data["care_person_times"].items()]
            + [(_("Family-contact calls"), data["family_calls"])],
        ),
        (
            _("Pairings"),
            [(str(dict(PairingMode.choices)[k]), n) for k, n in data["pairings_by_mode"].items()]
            + [
                (_("Caregivers: %(kind)s") % {"kind": dict(CaregiverKind.choices)[k]}, n)
                for k, n in data["caregivers_by_kind"].items()
            ],
        ),
        (
            _("Difficulties (children counted)"),
            [(str(DIFFICULTY_LABELS[k]), n) for k, n in data["difficulty_flags"].items()],
        ),
        (
            _("Emergencies"),
            [
                (_("Reported"), data["emergencies"]["reported"]),
                (_("Steps of the chain late"), data["emergencies"]["steps_late"]),
            ],
        ),
        (
            _("Activities and training"),
            [
                (_("Activities held"), data["activities"]["count"]),
                (_("Person-times at activities"), data["activities"]["person_times"]),
                (_("Children reached"), data["activities"]["children_reached"]),
                (_("Children in an interest group"), data["interest_groups"]["children"]),
                (_("Guardians trained"), data["guardians_trained"]),
                (_("Children commended"), data["commendations"]["children"]),
                (_("Adults commended"), data["commendations"]["adults"]),
            ],
        ),
        (
            _("Children's homes"),
            [
                (_("Homes and holiday stations"), data["homes"]["count"]),
                (_("Children served"), data["homes"]["children_served"]),
                (_("Children in holiday care"), data["homes"]["holiday_care"]),
            ],
        ),
    ]
    if "assistance" in data:
        given = data["assistance"]
        groups.append(
            (
                _("Assistance"),
                [
                    (_("Payments"), given["payments"]),
                    (_("Children helped"), given["children_helped"]),
                    (_("Amount (yuan)"), given["amount_total"]),
                ]
                + [
                    (code, f"{row['amount']} / {row['children']}")
                    for code, row in given["by_programme"].items()
                ],
            )
        )
    return groups
