"""The ledger's 花名册 (roster by grade) and a region's ledger layout (issue 22). A roster is
downloaded by whoever may export the unit's ledger (a school, a grade, a class; a county has
none); a layout is a region's setting, saved by its officers."""

from __future__ import annotations

from typing import Any

from shouwang.ledger import layouts
from shouwang.ledger.columns import COLUMNS
from tests.web.writes import AUDIT, Write

SEES_SCHOOL_A = frozenset(
    {
        "sysadmin",
        "county_officer",
        "township_officer",
        "federation_officer",
        "school_admin",
        "counselor",
    }
)
OFFICERS_A = frozenset({"sysadmin", "county_officer", "federation_officer"})

URLS = [
    ("ledger:roster", "school_a", SEES_SCHOOL_A),
    ("ledger:roster", "class_a1", SEES_SCHOOL_A | {"teacher"}),
    ("ledger:roster", "school_c", frozenset({"sysadmin"})),
    ("ledger:roster", "county_a", frozenset()),  # a roster is a school's
    ("ledger:layout", "county_a", OFFICERS_A),
    ("ledger:layout", "township_a1", OFFICERS_A | {"township_officer"}),
    ("ledger:layout", "school_a", frozenset()),  # a layout is a region's
]

GET_ONLY: set[str] = set()


def _layout(t: Any, persona: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "甲县农村留守儿童信息台账",
        "unit_and_date": "on",
        "version": layouts.layout_version(t.world.orgs["county_a"]),
    }
    for i, column in enumerate(COLUMNS):
        data |= {f"use_{i}": "on", f"order_{i}": str(i + 1), f"header_{i}": column.header}
    return data


def writes() -> list[Write]:
    return [
        # The file itself, masked: on the audit log, nothing else written.
        Write("ledger:roster", "school_a", SEES_SCHOOL_A, status=200, effect=AUDIT),
        Write("ledger:layout", "county_a", OFFICERS_A, _layout),
    ]


def plant(world: Any) -> dict[str, Any]:
    return {}
