"""The demo's reporting round (shouwang.demo.rounds): open over the demo county, a few units in,
one returned, and the first school (demo-school's) still to submit."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings

from shouwang.demo.rounds import SUBMITTING
from shouwang.demo.services import build_demo_county
from shouwang.oversight import selectors
from shouwang.oversight.models import Round

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 24)


@pytest.fixture(autouse=True)
def _today_and_a_media_folder():
    media = tempfile.mkdtemp()
    moment = datetime.combine(TODAY, time(12), tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=False), override_settings(MEDIA_ROOT=media):
        yield
    shutil.rmtree(media, ignore_errors=True)


def test_demo_round_has_units_in_one_returned_and_the_first_school_to_do():
    build_demo_county(seed=7, children=24, today=TODAY)  # calls add_demo_round
    round_ = Round.objects.get()
    data = selectors.report_whole(round_).as_json()
    statuses = [u["status"] for u in data["units"]]
    assert statuses.count("submitted") == SUBMITTING - 1
    assert statuses.count("returned") == 1
    assert data["late"] == []
    first_school = next(u for u in data["units"] if u["org"] == "9900000001")
    assert first_school["status"] == "missing"
    assert data["figures"]["units"] == SUBMITTING - 1
