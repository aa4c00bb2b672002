"""Assistance and donations in the matrices: money is seen by a unit's leaders, the region's
officers and (for assistance) the village's child director; never by teachers, counselors or
volunteers. Approval is the county's (seed 002); a county's fund is the county's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from shouwang.assistance import services
from shouwang.assistance.models import FundKind, Programme

from ..writes import Write

SEES = frozenset(
    {
        "sysadmin",
        "county_officer",
        "federation_officer",
        "township_officer",
        "school_admin",
        "village_director",
    }
)
APPLIES = SEES - {"sysadmin"}
PAYS = frozenset({"county_officer", "federation_officer", "township_officer", "school_admin"})
SEES_SCHOOL_A = PAYS | {"sysadmin"}
COUNTY = frozenset({"county_officer", "federation_officer"})
SEES_COUNTY_FUND = COUNTY | {"sysadmin"}
TOWNSHIP_A1 = COUNTY | {"township_officer"}

URLS = [
    ("assistance:home", None, SEES),
    ("assistance:presets", "township_a1", TOWNSHIP_A1),
    ("assistance:add_programme", "county_a", COUNTY),
    ("assistance:apply", None, APPLIES),
    ("assistance:decide", "application:a1", COUNTY),
    ("assistance:pay", None, PAYS),
    ("assistance:batch", None, PAYS),
    ("assistance:payment", "payment:a1", SEES_SCHOOL_A),
    ("assistance:void", "payment:a1", PAYS),
    ("assistance:funds", None, SEES_SCHOOL_A),
    ("assistance:add_fund", "school_a", PAYS),
    ("assistance:fund", "fund:a", SEES_COUNTY_FUND),
    ("assistance:donate", "fund:a", COUNTY),
    ("assistance:spend", "fund:a", COUNTY),
    ("assistance:statement", "donation:a", SEES_COUNTY_FUND),
    ("assistance:wishes", None, SEES),
    ("assistance:add_wish", None, APPLIES),
    ("assistance:match_wish", "wish:a1", PAYS),
    ("assistance:fulfil_wish", "wish:a1m", PAYS),
    ("api:assistance-list", None, SEES),
    ("api:assistance-detail", "payment:a1", SEES_SCHOOL_A),
    ("api:assistance-applications", None, SEES),
]

GET_ONLY = {
    "assistance:home",
    "assistance:payment",
    "assistance:funds",
    "assistance:fund",
    "assistance:statement",
    "assistance:wishes",
    "api:assistance-detail",
}


def _pk(t: Any, key: str) -> int:
    return t.care[key].pk


def _version(key: str) -> Any:
    return lambda t, _p: {"version": services.version_of(t.care[key])}


def writes() -> list[Write]:
    return [
        Write("assistance:presets", "township_a1", TOWNSHIP_A1),
        Write(
            "assistance:add_programme",
            "county_a",
            COUNTY,
            {
                "code": "bursary",
                "name": "助学金",
                "kind": "money",
                "amount": "300",
                "period": "term",
            },
        ),
        Write(
            "assistance:apply",
            None,
            APPLIES,
            lambda t, _p: {
                "programme": _pk(t, "programme:condolence"),
                "children": [t.children["a1"].pk],
            },
        ),
        Write(
            "assistance:decide",
            "application:a1",
            COUNTY,
            lambda t, p: _version("application:a1")(t, p) | {"approve": "1"},
        ),
        Write(
            "assistance:pay",
            None,
            PAYS,
            lambda t, _p: {
                "child": t.children["a1"].pk,
                "programme": _pk(t, "programme:condolence"),
                "paid_on": "2026-11-20",
                "amount": "200",
                "signed": "on",
            },
        ),
        Write(
            "assistance:batch",
            None,
            PAYS,
            lambda t, _p: {
                "programme": _pk(t, "programme:condolence"),
                "children": [t.children["a1"].pk],
                "paid_on": "2026-11-20",
                "amount": "100",
                "signed": "on",
                "confirm": "1",
            },
        ),
        Write(
            "assistance:void",
            "payment:a1",
            PAYS,
            lambda t, p: _version("payment:a1")(t, p) | {"reason": "金额录错"},
        ),
        Write(
            "assistance:add_fund", "school_a", PAYS, {"name": "校爱心基金", "kind": "individual"}
        ),
        Write(
            "assistance:donate",
            "fund:a",
            COUNTY,
            {"donor": "青山爱心企业", "on": "2026-11-20", "amount": "5000"},
        ),
        Write(
            "assistance:spend",
            "fund:a",
            COUNTY,
            {"on": "2026-11-20", "purpose": "六一慰问", "amount": "300"},
        ),
        Write(
            "assistance:add_wish",
            None,
            APPLIES,
            lambda t, _p: {"child": t.children["a1"].pk, "wish": "一本字典"},
        ),
        Write(
            "assistance:match_wish",
            "wish:a1",
            PAYS,
            lambda t, p: _version("wish:a1")(t, p) | {"donor": "李女士"},
        ),
        Write(
            "assistance:fulfil_wish",
            "wish:a1m",
            PAYS,
            lambda t, p: _version("wish:a1m")(t, p) | {"on": "2026-11-20"},
        ),
        Write(
            "api:assistance-list",
            None,
            PAYS,
            lambda t, _p: {
                "child": t.children["a1"].pk,
                "programme": _pk(t, "programme:condolence"),
                "paid_on": "2026-11-20",
                "amount": "200.00",
                "signed": True,
            },
            listed=True,  # the list is read by the village's child director, who pays nothing
            status=201,
        ),
        Write(
            "api:assistance-applications",
            None,
            APPLIES,
            lambda t, _p: {
                "programme": _pk(t, "programme:condolence"),
                "children": [t.children["a1"].pk],
            },
            listed=True,  # read by the system's administrator, who applies for no one
            status=201,
        ),
    ]


def plant(world: Any) -> dict[str, Any]:
    orgs, users = world.world.orgs, world.world.users
    a1 = world.children["a1"]
    county_a, officer, admin = orgs["county_a"], users["county_officer"], users["school_admin"]
    services.apply_presets(region=county_a, by=None)
    programmes = {p.code: p for p in Programme.objects.filter(region=county_a)}
    fund = services.add_fund(unit=county_a, name="县关爱基金", kind=FundKind.RELIEF, by=officer)
    donation = services.add_donation(
        fund=fund, donor="青山爱心企业", on=date(2026, 9, 5), amount=Decimal(10000), by=officer
    )
    payment = services.pay(
        child=a1,
        programme=programmes["living_allowance"],
        paid_on=date(2026, 10, 8),
        signed=True,
        by=admin,
    )
    [application] = services.apply_for(
        children=[a1], programme=programmes["subsidy_primary"], by=admin
    )
    wish = services.add_wish(child=a1, wish="一双球鞋", by=admin, recorded_on=date(2026, 10, 1))
    matched = services.add_wish(child=a1, wish="一个书包", by=admin, recorded_on=date(2026, 10, 1))
    matched = services.match_wish(
        wish=matched, donor="张先生", by=admin, version=services.version_of(matched)
    )
    return {
        "programme:condolence": programmes["condolence"],
        "fund:a": fund,
        "donation:a": donation,
        "payment:a1": payment,
        "application:a1": application,
        "wish:a1": wish,
        "wish:a1m": matched,
    }
