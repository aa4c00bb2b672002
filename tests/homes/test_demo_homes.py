"""The demo's home and holiday station (shouwang.demo.homes), planted in a small demo county:
the demo teacher has today's shift due and one of last week's overdue in 我的任务."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from shouwang.accounts.models import User
from shouwang.care.engine import DUE, OVERDUE
from shouwang.care.other_duties import duties_of
from shouwang.demo.services import build_demo_county
from shouwang.homes.models import Home
from shouwang.homes.selectors import period_figures

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 24)  # a Tuesday


def test_the_demo_plants_a_home_a_station_a_roster_and_attendance():
    at_noon = datetime.combine(TODAY, time(12), tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(at_noon, tick=False):
        # (build_demo_county calls shouwang.demo.homes.add_demo_homes)
        county = build_demo_county(seed=7, children=24, today=TODAY).county
        teacher = User.objects.get(username="demo-teacher")
        statuses = [d.status for d in duties_of(teacher, TODAY)]
    assert Home.objects.count() == 2
    assert DUE in statuses and OVERDUE in statuses
    figures = period_figures(org=county, start=date(2026, 11, 17), end=TODAY)["homes"]
    assert figures["count"] == 2
    assert figures["children_served"] > 0
