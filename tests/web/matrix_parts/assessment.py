"""Assessment (考核): county A takes seed 001's scheme and computes the autumn term (open) and the
spring term (closed, not yet frozen) on the matrices' day. Scores are seen by the region's officers
and the school's leaders over their units, and by a caregiver for their own; the rules, computing
and freezing are the county officers'."""

from __future__ import annotations

from datetime import date
from typing import Any

import time_machine

from shouwang.assessment import services
from shouwang.assessment.models import Point, Scheme, Score, Subject
from shouwang.orgs import services as org_services
from tests.web.writes import Write
from tests.world import PERSONAS

DAY = date(2026, 11, 24)
EVERYONE = frozenset(PERSONAS)
# The federation's officers are the county's region officers too.
CHANGES_COUNTY_A = frozenset({"county_officer", "federation_officer"})
SEES_COUNTY_A = CHANGES_COUNTY_A | {"sysadmin"}
SEES_SCHOOL_A = SEES_COUNTY_A | {"township_officer", "school_admin"}

URLS = [
    ("assessment:index", None, EVERYONE),
    ("assessment:ranking", "county_a", SEES_COUNTY_A),
    ("assessment:ranking", "school_a", SEES_SCHOOL_A),
    ("assessment:ranking", "school_b", SEES_COUNTY_A),
    ("assessment:rules", "county_a", SEES_COUNTY_A),
    ("assessment:score", "assessment_score:school_a", SEES_SCHOOL_A),
    ("assessment:preset", "county_a", CHANGES_COUNTY_A),
    ("assessment:bands", "county_a", CHANGES_COUNTY_A),
    ("assessment:add_point", "county_a", CHANGES_COUNTY_A),
    ("assessment:compute", "county_a", CHANGES_COUNTY_A),
    ("assessment:point", "assessment_point:a", CHANGES_COUNTY_A),
    ("assessment:freeze", "assessment_run:spring", CHANGES_COUNTY_A),
]

GET_ONLY = {"assessment:index", "assessment:ranking", "assessment:rules", "assessment:score"}


def _point(t: Any, persona: str) -> dict[str, Any]:
    point = t.care["assessment_point:a"]
    return {
        "label": point.label,
        "weight": 25,
        "pass_at": str(point.pass_at),
        "full_at": str(point.full_at),
        "veto": "on" if point.veto else "",
        "is_active": "on",
        "version": services.point_version(point),
    }


def _bands(t: Any, persona: str) -> dict[str, Any]:
    scheme = Scheme.objects.get(org=t.world.orgs["county_a"])
    return {
        "pass_score": 55,
        "good_score": 75,
        "excellent_score": 88,
        "version": services.bands_version(scheme),
    }


def _freeze(t: Any, persona: str) -> dict[str, Any]:
    return {"version": services.run_version(t.care["assessment_run:spring"])}


def _compute(t: Any, persona: str) -> dict[str, Any]:
    term = services.current_term(t.world.orgs["county_a"])
    return {"term": term.pk}


def writes() -> list[Write]:
    return [
        Write("assessment:preset", "county_a", CHANGES_COUNTY_A, {"preset": "seed002"}),
        Write("assessment:compute", "county_a", CHANGES_COUNTY_A, _compute),
        Write("assessment:point", "assessment_point:a", CHANGES_COUNTY_A, _point),
        Write("assessment:bands", "county_a", CHANGES_COUNTY_A, _bands),
        Write(
            "assessment:add_point",
            "county_a",
            CHANGES_COUNTY_A,
            {
                "subject": "school",
                "measure": "activities_held",
                "label": "关爱活动（本县）",
                "weight": 5,
                "pass_at": "1",
                "full_at": "6",
            },
        ),
        Write("assessment:freeze", "assessment_run:spring", CHANGES_COUNTY_A, _freeze),
    ]


def plant(world: Any) -> dict[str, Any]:
    users, orgs = world.world.users, world.world.orgs
    county = orgs["county_a"]
    with time_machine.travel(DAY, tick=False):
        spring = org_services.add_term(
            region=county,
            name="2026年春季学期",
            start=date(2026, 2, 24),
            midterm=date(2026, 4, 20),
            end=date(2026, 7, 10),
            by=None,
        )
        services.apply_preset(org=county, code="seed001", by=users["county_officer"])
        autumn = services.compute(
            org=county, term=services.current_term(county), by=users["county_officer"]
        )
        closed = services.compute(org=county, term=spring, by=users["county_officer"])
    return {
        "assessment_point:a": Point.objects.filter(scheme__org=county, is_active=True)
        .order_by("pk")
        .first(),
        "assessment_run:spring": closed,
        "assessment_score:school_a": Score.objects.get(
            run=autumn, subject=Subject.SCHOOL, org=orgs["school_a"]
        ),
    }
