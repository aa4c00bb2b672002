"""Children's homes: a home of school A with a shift of a1's class teacher on the matrices' day
(2026-11-24), so the teacher on duty takes the day's attendance and checks in; the school's
keepers and the region's officers change the home; volunteers and counselors never see it."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import time_machine

from shouwang.homes import services
from tests.web.writes import Write

DAY = date(2026, 11, 24)
# Those who change homes under school A (Area.HOMES, CHANGE: region officers, school admins).
CHANGES_HOME_A = frozenset(
    {"county_officer", "township_officer", "federation_officer", "school_admin"}
)
# …and those who see it: the system's administrators and the school's class teacher.
SEES_HOME_A = CHANGES_HOME_A | {"sysadmin", "teacher"}
VIEWS_HOMES = frozenset(
    {
        "sysadmin",
        "county_officer",
        "township_officer",
        "federation_officer",
        "school_admin",
        "teacher",
        "teacher_b",
        "village_director",
    }
)

URLS = [
    ("homes:index", None, VIEWS_HOMES),
    ("homes:detail", "home:a", SEES_HOME_A),
    ("homes:add", "school_a", CHANGES_HOME_A),
    ("homes:add", "village_a1", CHANGES_HOME_A - {"school_admin"} | {"village_director"}),
    ("homes:edit", "home:a", CHANGES_HOME_A),
    ("homes:add_shift", "home:a", CHANGES_HOME_A),
    ("homes:cancel_shift", "shift:teacher", CHANGES_HOME_A),
    # The teacher is on duty on the day: they take its attendance.
    ("homes:attendance", "home:a", CHANGES_HOME_A | {"teacher"}),
    ("homes:check_in", "shift:teacher", frozenset({"teacher"})),
]

GET_ONLY = {"homes:index", "homes:detail"}


def _edit(t: Any, persona: str) -> dict[str, Any]:
    home = t.care["home:a"]
    return {
        "name": "东镇中心小学留守儿童之家",
        "kind": "children_home",
        "place": "教学楼一楼东侧",
        "facilities": "图书角",
        "opening_hours": "周一至周五 16:00–18:00（已改）",
        "version": services.home_version(home),
    }


def _attendance(t: Any, persona: str) -> dict[str, Any]:
    return {"on": DAY.isoformat(), "children": [t.children["a1"].pk], "holiday": []}


def _shift(t: Any, persona: str) -> dict[str, Any]:
    return {
        "person": t.world.users["teacher"].pk,
        "on": "2026-11-25",
        "starts_at": "16:00",
        "ends_at": "18:00",
    }


HOME_BODY = {"name": "新驿站", "kind": "holiday_station", "place": "村委会二楼"}


def writes() -> list[Write]:
    return [
        Write("homes:add", "school_a", CHANGES_HOME_A, HOME_BODY),
        Write(
            "homes:add",
            "village_a1",
            CHANGES_HOME_A - {"school_admin"} | {"village_director"},
            HOME_BODY,
        ),
        Write("homes:edit", "home:a", CHANGES_HOME_A, _edit),
        Write("homes:add_shift", "home:a", CHANGES_HOME_A, _shift),
        Write("homes:cancel_shift", "shift:teacher", CHANGES_HOME_A, {"reason": "调课"}),
        Write("homes:attendance", "home:a", CHANGES_HOME_A | {"teacher"}, _attendance),
        Write("homes:check_in", "shift:teacher", frozenset({"teacher"})),
    ]


def plant(world: Any) -> dict[str, Any]:
    users, orgs = world.world.users, world.world.orgs
    home = services.add_home(
        parent=orgs["school_a"],
        name="东镇中心小学留守儿童之家",
        kind="children_home",
        place="教学楼一楼东侧",
        facilities="图书角",
        opening_hours="周一至周五 16:00–18:00",
        by=users["school_admin"],
    )
    with time_machine.travel(DAY, tick=False):  # the roster takes today and days to come
        shift = services.add_shift(
            home=home,
            person=users["teacher"],
            on=DAY,
            starts_at=time(16),
            ends_at=time(18),
            by=users["school_admin"],
        )
    return {"home:a": home, "shift:teacher": shift}
