"""Telling people: once per person and thing, text messages put in the outbox with the write
and sent by the worker, a failing gateway never undoes the write nor loses the text, counseling
never leaves the system by text."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.test import override_settings

from shouwang.counseling import services as counseling
from shouwang.notices.models import Notification, OutboxMessage, OutboxStatus
from shouwang.notices.services import deliver_due, notify
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

    def test_a_text_waits_in_the_outbox_and_the_worker_sends_it_once(self):
        admin = self.world.users["school_admin"]
        with self.captureOnCommitCallbacks(execute=True):
            assert notify([admin, admin], text="甲校有事", key="k-1") == 1
        assert SENT == []  # the request never waits on the gateway: the worker sends
        assert deliver_due().sent == 1
        assert SENT == [("13800138000", "甲校有事")]
        assert notify([admin], text="甲校有事", key="k-1") == 0  # told already
        assert deliver_due().sent == 0
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
        [waiting] = OutboxMessage.objects.all()
        assert waiting.text == "守望有一条新消息给您，请登录查看。"
        deliver_due()
        assert SENT == [("13800138000", "守望有一条新消息给您，请登录查看。")]

    @override_settings(SHOUWANG_SMS_SENDER="tests.notices.test_notify.BrokenGateway")
    def test_a_broken_gateway_does_not_lose_the_emergency_report_nor_its_text(self):
        child = make_child(school_class=self.world.orgs["class_a1"], name="甲二")
        with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
            response = self.client_as("teacher").post(
                f"/safety/report/?child={child.pk}",
                {
                    "kind": "injury",
                    "occurred_at": "2026-11-24T10:00",
                    "place": "操场",
                    "description": "摔倒",
                },
            )
            with self.assertLogs("shouwang.notices.services", "WARNING"):
                assert deliver_due().retrying == 1
        assert response.status_code == 302
        incident = Incident.objects.get(child=child)
        assert Notification.objects.filter(key=f"incident-{incident.pk}-reported").exists()
        [waiting] = OutboxMessage.objects.all()
        assert (waiting.status, waiting.address, waiting.urgent) == (
            OutboxStatus.PENDING,
            "13800138000",
            True,
        )
        assert "ConnectionError" in waiting.last_error
