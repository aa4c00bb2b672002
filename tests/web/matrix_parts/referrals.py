"""Referrals (转介): school A referred a1 to the county's women's federation (waiting), and a
second case the federation accepted. Either end sees them (the system's administrators too);
the receiving side (the county's officers, the federation's) accepts and closes; either end
adds a note; the units a1 belongs to refer it (school A's, its home village's)."""

from __future__ import annotations

from typing import Any

from shouwang.referrals import services
from tests.web.writes import Write

# Area.REFERRALS VIEW over school A or the federation (a county unit).
SEES_REFERRAL_A1 = frozenset(
    {
        "sysadmin",
        "county_officer",
        "township_officer",
        "federation_officer",
        "school_admin",
        "counselor",
    }
)
VIEWS_REFERRALS = SEES_REFERRAL_A1 | {"village_director"}
# CHANGE over the receiving federation: the region's (county's) officers.
ANSWERS_FEDERATION_A = frozenset({"county_officer", "federation_officer"})
# CHANGE over either end.
NOTES_REFERRAL_A1 = ANSWERS_FEDERATION_A | {"township_officer", "school_admin"}
# ADD over a1's school or its home village.
REFERS_A1 = frozenset(
    {"county_officer", "township_officer", "federation_officer", "school_admin", "village_director"}
)
SETS_REGION = frozenset({"sysadmin", "county_officer", "federation_officer", "township_officer"})

URLS = [
    ("referrals:index", None, VIEWS_REFERRALS),
    ("referrals:days", None, SETS_REGION),
    ("referrals:refer", "child:a1", REFERS_A1),
    ("referrals:detail", "referral:a1", SEES_REFERRAL_A1),
    ("referrals:accept", "referral:a1", ANSWERS_FEDERATION_A),
    ("referrals:note", "referral:a1", NOTES_REFERRAL_A1),
    ("referrals:close", "referral:a1_accepted", ANSWERS_FEDERATION_A),
]

GET_ONLY = {"referrals:index", "referrals:detail"}


def _refer(t: Any, persona: str) -> dict[str, Any]:
    return {
        "receiver_kind": "federation",
        "to_unit": t.org("federation_a").pk,
        "reason_kind": "out_of_school",
        "case_text": "连续两周未到校",
    }


def _accept(t: Any, persona: str) -> dict[str, Any]:
    return {"version": services.referral_version(t.care["referral:a1"])}


def _close(t: Any, persona: str) -> dict[str, Any]:
    return {
        "outcome": "已协调返校",
        "version": services.referral_version(t.care["referral:a1_accepted"]),
    }


def writes() -> list[Write]:
    return [
        Write("referrals:days", None, SETS_REGION, {"days": 3}),
        Write("referrals:refer", "child:a1", REFERS_A1, _refer),
        Write("referrals:accept", "referral:a1", ANSWERS_FEDERATION_A, _accept),
        Write("referrals:note", "referral:a1", NOTES_REFERRAL_A1, {"text": "已电话联系家长"}),
        Write("referrals:close", "referral:a1_accepted", ANSWERS_FEDERATION_A, _close),
    ]


def plant(world: Any) -> dict[str, Any]:
    users, orgs = world.world.users, world.world.orgs
    a1 = world.children["a1"]

    def refer(case_text: str) -> Any:
        return services.refer(
            child=a1,
            from_unit=orgs["school_a"],
            to_unit=orgs["federation_a"],
            receiver_kind="federation",
            reason_kind="guardian_fails",
            case_text=case_text,
            by=users["school_admin"],
        )

    waiting = refer("监护人长期外出，无人照看")
    accepted = refer("家中困难")
    services.accept(
        referral=accepted,
        by=users["federation_officer"],
        version=services.referral_version(accepted),
    )
    return {"referral:a1": waiting, "referral:a1_accepted": accepted}
