"""The period a report covers, as asked: a term of the unit's calendar by name, a year, from/to
dates, or nothing (the current term: stats.flows.period_of)."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.orgs.models import Org, Term
from shouwang.orgs.selectors import calendar_region_for
from shouwang.stats.flows import BadPeriod, Period, period_of


def resolve_period(
    org: Org,
    *,
    term: str = "",
    year: int | None = None,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
) -> Period:
    today = today or timezone.localdate()
    asked = [bool(term), year is not None, start is not None or end is not None]
    if sum(asked) > 1:
        raise BadPeriod(_("Give one period: a term, a year, or from and to dates."))
    if term:
        region = calendar_region_for(org)
        found = Term.objects.filter(region=region, name=term).first() if region else None
        if found is None:
            known = (
                "、".join(Term.objects.filter(region=region).values_list("name", flat=True))
                if region
                else ""
            )
            raise BadPeriod(
                _("%(unit)s has no term called %(term)s (its terms: %(known)s).")
                % {"unit": org.name, "term": term, "known": known or _("none")}
            )
        return Period(found.start, found.end, found.name)
    if year is not None:
        if not 2000 <= year <= today.year + 1:
            raise BadPeriod(_("The year %(year)s is out of range.") % {"year": year})
        return Period(date(year, 1, 1), date(year, 12, 31))
    return period_of(org, today, start, end)


def terms_near(org: Org) -> list[str]:
    """The names of the terms of the unit's calendar, newest first (the page's choices)."""
    region = calendar_region_for(org)
    if region is None:
        return []
    return list(
        Term.objects.filter(region=region).order_by("-start").values_list("name", flat=True)
    )
