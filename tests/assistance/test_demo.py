"""The demo's assistance: seed 000's 14 × 375 元 from the county's fund, through the services."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from shouwang.assistance import selectors
from shouwang.assistance.models import Fund, Payment, Wish
from shouwang.demo.services import build_demo_county

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 24)


def test_the_demo_county_pays_seed_000s_fourteen_children_375_each():
    at = datetime.combine(TODAY, time(12), tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(at, tick=False):
        # demo.services calls demo.assistance.add_demo_assistance
        county = build_demo_county(seed=7, children=40, today=TODAY).county
    figures = selectors.period_figures(org=county, start=date(2026, 9, 1), end=TODAY)["assistance"]
    assert figures["by_programme"]["living_allowance"] == {"children": 14, "amount": "5250.00"}
    assert figures["children_helped"] >= 14
    fund = Fund.objects.get(unit=county)
    assert selectors.balance_of(fund) == Decimal("13950.00")  # 20,000 in, 5,250 paid, 800 spent
    assert Payment.objects.filter(programme__code="goods").count() == 1
    assert Wish.objects.filter(fulfilled_on__isnull=False).count() == 1
