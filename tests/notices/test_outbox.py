"""The outbox: a text or e-mail is written with the notice that causes it and sent by the
worker — at least once whatever dies when, once per person, thing and channel whoever runs it,
retried with longer waits while the gateway fails, and at last given up where a sysadmin sees."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import TransactionTestCase, override_settings
from django_q.models import Schedule

from shouwang.accounts.models import User
from shouwang.notices import services
from shouwang.notices.models import Channel, Notification, OutboxMessage, OutboxStatus
from shouwang.notices.services import CLAIM, MAX_ATTEMPTS, deliver_due, notify
from shouwang.notices.tasks import send_outbox
from tests.personas import PersonaTestCase

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SENT: list[tuple[str, str]] = []


class RecordingSender:
    def send(self, phone: str, text: str) -> None:
        SENT.append((phone, text))


class BrokenGateway:
    def send(self, phone: str, text: str) -> None:
        raise ConnectionError("the county's SMS gateway is down")


class WorkerKilled(BaseException):
    """What the worker's process meets when it is stopped (a timeout, a deploy, the OOM killer):
    nothing below it runs, not even an ``except Exception``."""


class DyingSender:
    """The process stops while the text is with the gateway."""

    def send(self, phone: str, text: str) -> None:
        raise WorkerKilled


class SecondWorkerMidway:
    """While this worker sends, a second one runs the outbox at the same moment."""

    def send(self, phone: str, text: str) -> None:
        if not SENT:
            with override_settings(SHOUWANG_SMS_SENDER=f"{__name__}.RecordingSender"):
                deliver_due()
        SENT.append((phone, text))


def sms(path: str) -> override_settings:
    return override_settings(SHOUWANG_SMS_SENDER=f"{__name__}.{path}")


@time_machine.travel(NOW, tick=False)
@sms("RecordingSender")
class OutboxTests(PersonaTestCase):
    def setUp(self) -> None:
        super().setUp()
        SENT.clear()
        self.admin = self.world.users["school_admin"]
        self.admin.phone, self.admin.email = "13800138000", "admin@example.org"
        self.admin.save()
        self.teacher.phone = "13900139000"
        self.teacher.save()

    def tell(self, key: str = "incident-1-reported", urgent: bool = True) -> int:
        return notify(
            [self.admin, self.teacher],
            text="甲校突发事件",
            url="/safety/1/",
            key=key,
            urgent=urgent,
        )

    def test_one_row_per_person_thing_and_channel(self):
        assert self.tell() == 2
        assert self.tell() == 0  # the same thing again: nobody is told twice
        rows = OutboxMessage.objects.values_list(
            "notification__user__username", "channel", "address"
        )
        assert sorted(rows) == [
            ("school_admin", "email", "admin@example.org"),
            ("school_admin", "sms", "13800138000"),
            ("teacher", "sms", "13900139000"),
        ]
        note = Notification.objects.get(user=self.admin)
        with self.assertRaises(IntegrityError), transaction.atomic():
            OutboxMessage.objects.create(
                notification=note, channel=Channel.SMS, address="13800138000", text="又一条"
            )

    def test_a_notice_whose_transaction_rolls_back_sends_nothing(self):
        with self.assertRaises(RuntimeError), transaction.atomic():
            self.tell()
            raise RuntimeError("the write that caused it failed")
        assert not Notification.objects.exists() and not OutboxMessage.objects.exists()
        assert deliver_due().sent == 0
        assert SENT == [] and mail.outbox == []

    def test_the_worker_sends_texts_and_e_mails_once_however_often_it_runs(self):
        self.tell()
        assert deliver_due().sent == 3
        assert deliver_due().sent == 0
        assert send_outbox() == 0  # the schedule's task: nothing left
        assert sorted(SENT) == [("13800138000", "甲校突发事件"), ("13900139000", "甲校突发事件")]
        [email] = mail.outbox
        assert email.to == ["admin@example.org"] and email.body.endswith("/safety/1/")
        assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}

    @sms("SecondWorkerMidway")
    def test_a_second_worker_running_while_the_first_sends_sends_nothing_twice(self):
        self.tell()
        deliver_due()
        assert sorted(SENT) == [("13800138000", "甲校突发事件"), ("13900139000", "甲校突发事件")]
        assert len(mail.outbox) == 1

    def test_a_worker_that_dies_while_sending_sends_on_the_run_after_its_claim_ran_out(self):
        self.tell()
        with sms("DyingSender"), self.assertRaises(WorkerKilled):
            deliver_due()
        assert SENT == []
        # The next minute's run: the claimed text is still held by the dead worker; the rest go.
        with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
            assert deliver_due().sent == 2
        assert len(SENT) == 1
        with time_machine.travel(NOW + CLAIM + timedelta(seconds=1), tick=False):
            assert deliver_due().sent == 1  # the claim ran out: sent now
            assert deliver_due().sent == 0
        assert sorted(SENT) == [("13800138000", "甲校突发事件"), ("13900139000", "甲校突发事件")]
        assert len(mail.outbox) == 1

    def test_a_sender_that_raises_loses_nothing_and_the_next_try_sends_it_once(self):
        self.tell()
        with sms("BrokenGateway"), self.assertLogs("shouwang.notices.services", "WARNING"):
            done = deliver_due()
        assert (done.sent, done.retrying) == (1, 2)  # the e-mail left; both texts wait
        with time_machine.travel(NOW + timedelta(seconds=59), tick=False):
            assert deliver_due().sent == 0  # not before its wait is over
        with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
            assert deliver_due().sent == 2
            assert deliver_due().sent == 0
        assert sorted(SENT) == [("13800138000", "甲校突发事件"), ("13900139000", "甲校突发事件")]

    @sms("BrokenGateway")
    def test_a_failing_gateway_is_tried_with_longer_waits_then_given_up_where_a_sysadmin_sees(
        self,
    ):
        self.teacher.phone = ""
        self.teacher.save()
        self.admin.email = ""
        self.admin.save()
        self.tell()
        [message] = OutboxMessage.objects.all()
        waits = []
        with self.assertLogs("shouwang.notices.services", "WARNING") as logs:
            for _try in range(MAX_ATTEMPTS):
                at = message.next_try_at
                with time_machine.travel(at, tick=False):
                    deliver_due()
                    assert deliver_due().retrying == 0  # a run right after does not hammer it
                message.refresh_from_db()
                if message.status == OutboxStatus.PENDING:
                    waits.append(message.next_try_at - at)
        minutes = [int(w.total_seconds() // 60) for w in waits]
        assert minutes == [1, 2, 4, 8, 16, 32, 60]
        assert (message.status, message.attempts) == (OutboxStatus.FAILED, MAX_ATTEMPTS)
        assert "ConnectionError" in message.last_error
        assert logs.records[-1].levelname == "ERROR"
        [told] = Notification.objects.filter(key=f"outbox-{message.pk}-failed")
        assert told.user == self.world.users["sysadmin"] and "school_admin" in told.text
        out = StringIO()
        call_command("outbox", stdout=out)
        assert f"{message.pk}\t" in out.getvalue() and "ConnectionError" in out.getvalue()
        # The gateway is mended: the sysadmin sends them again by hand.
        with sms("RecordingSender"):
            call_command("outbox", "--retry-failed", "--send", stdout=StringIO())
        assert SENT == [("13800138000", "甲校突发事件")]
        message.refresh_from_db()
        assert message.status == OutboxStatus.SENT

    def test_a_text_the_worker_died_on_every_time_is_given_up_not_tried_for_ever(self):
        self.teacher.phone = ""
        self.teacher.save()
        self.tell()
        OutboxMessage.objects.filter(channel=Channel.SMS).update(
            attempts=MAX_ATTEMPTS, claimed_until=NOW - timedelta(seconds=1)
        )
        with self.assertLogs("shouwang.notices.services", "ERROR"):
            done = deliver_due()
        assert (done.sent, done.failed) == (1, 1)  # the e-mail leaves; the text is given up
        assert SENT == []
        sms_row = OutboxMessage.objects.get(channel=Channel.SMS)
        assert sms_row.status == OutboxStatus.FAILED and "stopped" in sms_row.last_error

    def test_emergencies_leave_before_the_weekly_reminders(self):
        notify([self.teacher], text="本周有3项逾期", key="care-overdue-2026-W48")
        self.tell(key="incident-2-reported")
        deliver_due()
        assert [text for _phone, text in SENT] == ["甲校突发事件", "甲校突发事件", "本周有3项逾期"]

    def test_the_worker_sends_the_outbox_every_minute(self):
        schedule = Schedule.objects.get(func="shouwang.notices.tasks.send_outbox")
        assert (schedule.schedule_type, schedule.minutes) == (Schedule.MINUTES, 1)


ENTERED, GATE = threading.Event(), threading.Event()


class GatedSender:
    """The first text waits at the gateway until the test lets it through."""

    def send(self, phone: str, text: str) -> None:
        if not ENTERED.is_set():
            ENTERED.set()
            assert GATE.wait(10), "the test never let the first text through"
        SENT.append((phone, text))


@sms("GatedSender")
class TwoWorkersAtOnceTests(TransactionTestCase):
    """Two worker processes, each with its own database connection, at the same moment."""

    # Only the outbox's tables are emptied afterwards (the audit table refuses it, rightly); the
    # people made here are removed by the test itself.
    available_apps = ["shouwang.notices"]

    def test_two_workers_at_the_same_moment_send_each_text_once(self):
        SENT.clear()
        ENTERED.clear()
        GATE.clear()
        people = [User.objects.create(username=f"p{n}", phone=f"1370013700{n}") for n in range(3)]
        self.addCleanup(self.remove, people)
        notify(people, text="甲校突发事件", key="incident-9-reported", urgent=True)
        results: dict[str, services.Delivery] = {}

        def worker(name: str) -> None:
            from django.db import connection

            try:
                results[name] = deliver_due()
            finally:
                connection.close()

        first = threading.Thread(target=worker, args=("first",))
        first.start()
        assert ENTERED.wait(10)  # the first worker holds one text at the gateway
        second = threading.Thread(target=worker, args=("second",))
        second.start()
        second.join(10)
        GATE.set()
        first.join(10)
        assert results["second"].sent == 2  # the two the first had not claimed
        assert results["first"].sent == 1
        assert sorted(SENT) == [(p.phone, "甲校突发事件") for p in people]
        assert OutboxMessage.objects.filter(status=OutboxStatus.SENT).count() == 3

    def remove(self, people: list[User]) -> None:
        OutboxMessage.objects.filter(notification__user__in=people).delete()
        Notification.objects.filter(user__in=people).delete()
        User.objects.filter(pk__in=[p.pk for p in people]).delete()
