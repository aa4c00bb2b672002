"""Telling people: once per person and thing, text messages only after the write commits, a
failing gateway never undoes the write, counseling never leaves the system by text."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.test import override_settings

from shouwang.counseling import services as counseling
from shouwang.notices.models import Notification
from shouwang.notices.services import notify
from shouwang.safety.models import Incident
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

SENT: list[tuple[str, str]] = []
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


class RecordingSender:
    def send(self, phone: str, text: str) -> None:
        SENT.append((phone, text))


class BrokenGateway:
    def send(self, phone: str, text: str) -> None:
        raise ConnectionError("the county's SMS gateway is down")


@override_settings(SHOUWANG_SMS_SENDER="tests.notices.test_notify.RecordingSender")
class NotifyTests(PersonaTestCase):
    def setUp(self) -> None:
        super().setUp()
        SENT.clear()
        for persona in ("school_admin", "counselor"):
            user = self.world.users[persona]
            user.phone = "13800138000" if persona == "school_admin" else "13900139000"
            user.save()

    def test_a_text_goes_out_only_once_the_write_commits(self):
        admin = self.world.users["school_admin"]
        with self.captureOnCommitCallbacks() as pending:
            assert notify([admin, admin], text="甲校有事", key="k-1") == 1
            assert SENT == []  # nothing leaves before the caller's transaction is kept
        assert len(pending) == 1
        pending[0]()
        assert SENT == [("13800138000", "甲校有事")]
        with self.captureOnCommitCallbacks(execute=True):
            assert notify([admin], text="甲校有事", key="k-1") == 0  # told already
        assert len(SENT) == 1

    def test_counseling_mentions_say_only_that_something_waits(self):
        child = make_child(school_class=self.world.orgs["class_a1"], name="甲一")
        with self.captureOnCommitCallbacks(execute=True):
            counseling.add_session(
                child=child,
                kind="session",
                on=NOW.date(),
                topic="想念妈妈",
                notes="请 @school_admin 周二一起谈",
                by=self.world.users["counselor"],
            )
        [note] = Notification.objects.filter(user=self.world.users["school_admin"])
        assert "甲一" in note.text  # inside Shouwang, where every look is audited
        [(phone, text)] = SENT
        assert phone == "13800138000" and "甲一" not in text and "守望" in text

    @override_settings(SHOUWANG_SMS_SENDER="tests.notices.test_notify.BrokenGateway")
    def test_a_broken_gateway_does_not_lose_the_emergency_report(self):
        child = make_child(school_class=self.world.orgs["class_a1"], name="甲二")
        with (
            self.assertLogs("shouwang.notices.services", "ERROR"),
            time_machine.travel(NOW + timedelta(minutes=5), tick=False),
            self.captureOnCommitCallbacks(execute=True),
        ):
            response = self.client_as("teacher").post(
                f"/safety/report/?child={child.pk}",
                {
                    "kind": "injury",
                    "occurred_at": "2026-11-24T10:00",
                    "place": "操场",
                    "description": "摔倒",
                },
            )
        assert response.status_code == 302
        incident = Incident.objects.get(child=child)
        assert Notification.objects.filter(key=f"incident-{incident.pk}-reported").exists()
