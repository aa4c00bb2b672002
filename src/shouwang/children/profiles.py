"""Which definition profile counts where, and which children it counts (domain.md §2)."""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, FilteredRelation, OuterRef, Q, QuerySet

from shouwang.orgs.models import Org

from .models import IN_REGISTER, Child, DefinitionProfile, Parent, RegionProfile, ReviewState
from .types import ParentStatus


def default_profile() -> DefinitionProfile:
    return DefinitionProfile.objects.get(is_default=True)


def profile_for(org: Org, on: date) -> DefinitionProfile:
    """The profile chosen by the nearest region at or above ``org`` that day, else the default."""
    chain = [org, *Org.objects.get_ancestors(org)]
    choice = (
        RegionProfile.objects.filter(region__in=chain, since__lte=on)
        .select_related("profile", "region")
        .order_by("-region__depth", "-since", "-created_at")
        .first()
    )
    return choice.profile if choice else default_profile()


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, d)
        except ValueError:
            continue
    return date(year, month + 1, 28)  # pragma: no cover


# The relation in_register_on() joins: each child's status row whose period holds that day.
HELD = "status_held"


def in_register_on(children: QuerySet[Child], on: date) -> QuerySet[Child]:
    """Children in the register as it stood that day: the status row whose period covers it
    (the last change by then) is 'active' (registering a child writes the first one) or
    'dropout' (a dropout stays in it). One join on columns, so a database estimates it as it
    is (issue 17), and the row is there to read (``status_held__placed_at``)."""
    holds = Q(status_changes__on__lte=on) & (
        Q(status_changes__until__isnull=True) | Q(status_changes__until__gt=on)
    )
    held = children.annotate(**{HELD: FilteredRelation("status_changes", condition=holds)})
    return held.filter(**{f"{HELD}__status__in": IN_REGISTER})


def _eligible(children: QuerySet[Child], profile: DefinitionProfile, on: date) -> QuerySet[Child]:
    """The rules every child's row answers: in the register, a type counted, under the age."""
    return in_register_on(children, on).filter(
        left_behind_type__in=profile.counted_types,
        birth_date__gt=years_before(on, profile.age_limit),
    )


def _parents_away(profile: DefinitionProfile, on: date) -> tuple[QuerySet[Parent], date]:
    """A child's parents away at work, and the day they must have left by to count."""
    away = Parent.objects.filter(child=OuterRef("pk"), status=ParentStatus.MIGRANT)
    return away, months_before(on, profile.min_months_away)


def counted_by(children: QuerySet[Child], profile: DefinitionProfile, on: date) -> QuerySet[Child]:
    """The children a profile counts on a day: type, age limit and months away, all as numbers.
    A parent away since a time nobody recorded is not known to be away long enough: the child
    is left out, and :func:`left_out_for_unknown_time_away` counts them so the figures say so."""
    counted = _eligible(children, profile, on)
    if profile.min_months_away:
        away, cutoff = _parents_away(profile, on)
        too_short_or_unknown = away.filter(Q(away_since__isnull=True) | Q(away_since__gt=cutoff))
        counted = counted.exclude(Exists(too_short_or_unknown))
    return counted


def in_figures(children: QuerySet[Child], profile: DefinitionProfile, on: date) -> QuerySet[Child]:
    """The children a profile counts on a day whose archive the figures may count: a new
    archive waiting for review (审核), or returned to its unit, is in the register but in no
    figure until it is confirmed. Every denominator (the statistics, pairing coverage, the
    assessment) starts here."""
    return counted_by(children, profile, on).filter(review_state=ReviewState.CONFIRMED)


def left_out_for_unknown_time_away(
    children: QuerySet[Child], profile: DefinitionProfile, on: date
) -> QuerySet[Child]:
    """The children a profile would count but for a parent's 外出时间 nobody recorded (a ledger
    without the column counted nobody under 方案口径: issue 15). Empty for a profile that asks
    no months away; a child whose other parent left too recently is left out for that."""
    if not profile.min_months_away:
        return children.none()
    away, cutoff = _parents_away(profile, on)
    return (
        _eligible(children, profile, on)
        .filter(Exists(away.filter(away_since__isnull=True)))
        .exclude(Exists(away.filter(away_since__gt=cutoff)))
    )


def age_limit_exceeded(birth_date: date, profile: DefinitionProfile, on: date) -> bool:
    return birth_date <= years_before(on, profile.age_limit)


def explain(profile: DefinitionProfile) -> str:
    """The profile in one sentence, where it is chosen (issue 19): which children it counts."""
    from django.utils.translation import gettext as _

    from .types import LeftBehindType

    labels = dict(LeftBehindType.choices)
    kinds = "、".join(str(labels[t]) for t in profile.counted_types if t in labels)
    sentence = _("Counts children under %(age)s whose family is: %(kinds)s") % {
        "age": profile.age_limit,
        "kinds": kinds or "—",
    }
    if profile.min_months_away:
        sentence += _("; a parent away at least %(months)s months") % {
            "months": profile.min_months_away
        }
    return sentence + _(".")
