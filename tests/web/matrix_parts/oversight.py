"""Reporting rounds: a round of county A (opened on the matrices' day, 2026-11-24) in which
village A1 has submitted and school A has not. Rounds are seen by the region's officers, the
reporting units' leaders and the system's administrators; a unit's leaders (and the officers
above) submit; the level above (township A1's officers, the county's) returns."""

from __future__ import annotations

from datetime import date
from typing import Any

import time_machine

from shouwang.oversight import services
from tests.web.writes import Write
from tests.world import PERSONAS

DAY = date(2026, 11, 24)
EVERYONE = frozenset(PERSONAS)
OFFICERS_A = frozenset({"county_officer", "federation_officer"})
OFFICERS_A1 = OFFICERS_A | {"township_officer"}
VIEWS_ROUNDS = OFFICERS_A1 | {"sysadmin", "school_admin", "village_director"}
SUBMITS_SCHOOL_A = OFFICERS_A1 | {"school_admin"}
SEES_VILLAGE_A1 = OFFICERS_A1 | {"sysadmin", "village_director"}

URLS = [
    ("oversight:index", None, VIEWS_ROUNDS),
    ("oversight:open", "county_a", OFFICERS_A),
    ("oversight:open", "township_a1", OFFICERS_A1),
    ("oversight:detail", "round:a", VIEWS_ROUNDS),
    ("oversight:unit", "round_unit:school_a", SUBMITS_SCHOOL_A),
    ("oversight:return", "submission:village_a1", OFFICERS_A1),
    ("oversight:ledger", "submission:village_a1", SEES_VILLAGE_A1),
    # The API: a list for everyone (empty outside), the round as `round show --json` prints it,
    # what the caller may submit in it and what they may return.
    ("api:round-list", None, EVERYONE),
    ("api:round-detail", "round:a", VIEWS_ROUNDS),
    ("api:round-submit", "round:a", VIEWS_ROUNDS),
    ("api:round-return", "round:a", VIEWS_ROUNDS),
]

GET_ONLY = {
    "oversight:index",
    "oversight:detail",
    "oversight:ledger",
    "api:round-detail",
}

ROUND_BODY = {"title": "冬季排查", "due": "2026-12-10", "due_upward": "2026-12-15"}


def _submit(t: Any, persona: str) -> dict[str, Any]:
    return {"version": services.unit_version(t.care["round_unit:school_a"])}


def _return(t: Any, persona: str) -> dict[str, Any]:
    submission = t.care["submission:village_a1"]
    return {"comment": "请核对人数", "version": services.submission_version(submission)}


def _api_submit(t: Any, persona: str) -> dict[str, Any]:
    return {"org": t.world.orgs["school_a"].code}


def _api_open(t: Any, persona: str) -> dict[str, Any]:
    return {"org": t.world.orgs["county_a"].code, **ROUND_BODY}


def _api_return(t: Any, persona: str) -> dict[str, Any]:
    return {"submission": t.care["submission:village_a1"].pk, "comment": "请核对人数"}


def writes() -> list[Write]:
    return [
        Write("oversight:open", "county_a", OFFICERS_A, ROUND_BODY),
        Write("oversight:open", "township_a1", OFFICERS_A1, ROUND_BODY),
        Write("oversight:unit", "round_unit:school_a", SUBMITS_SCHOOL_A, _submit),
        Write("oversight:return", "submission:village_a1", OFFICERS_A1, _return),
        # School A is sent by code: outside the caller's units it is a 404.
        Write(
            "api:round-submit", "round:a", SUBMITS_SCHOOL_A, _api_submit, status=201, listed=True
        ),
        # County A by code (the list is everyone's): outside its officers a 404.
        Write("api:round-list", None, OFFICERS_A, _api_open, status=201, listed=True),
        # Village A1's submission by id: outside the level above it a 404.
        Write("api:round-return", "round:a", OFFICERS_A1, _api_return, status=200, listed=True),
    ]


def plant(world: Any) -> dict[str, Any]:
    users, orgs = world.world.users, world.world.orgs
    with time_machine.travel(DAY, tick=False):
        round_ = services.open_round(
            org=orgs["county_a"],
            title="2026年冬季留守儿童排查",
            due=date(2026, 12, 10),
            due_upward=date(2026, 12, 15),
            by=users["county_officer"],
        )
        village = round_.units.get(org=orgs["village_a1"])
        submission = services.submit(unit=village, by=users["village_director"])
    return {
        "round:a": round_,
        "round_unit:school_a": round_.units.get(org=orgs["school_a"]),
        "submission:village_a1": submission,
    }
