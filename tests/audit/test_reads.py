"""Reads of personal data are on the audit log without a write per page view (issue 17)."""

from __future__ import annotations

import time
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from unittest import mock

import time_machine
from django.db import connection
from django.test import SimpleTestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shouwang.audit import reads
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction, AuditEntry
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

VIEWED_AT = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def audit_writes(queries: list[dict[str, str]]) -> list[str]:
    return [q["sql"] for q in queries if "accounts_auditentry" in q["sql"] and "INSERT" in q["sql"]]


class ReadLogTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.in_a1 = make_child(school_class=cls.world.orgs["class_a1"], name="甲一")

    def test_a_teacher_opening_a_childs_page_writes_no_audit_row_during_the_request(self):
        client = self.client_as("teacher")
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("children:detail", args=[self.in_a1.pk]))
        assert page.status_code == 200
        assert audit_writes(queries.captured_queries) == []
        assert reads.waiting() == 1

    def test_the_read_written_later_keeps_the_moment_of_the_look(self):
        client = self.client_as("teacher")
        with time_machine.travel(VIEWED_AT, tick=False):
            client.get(reverse("children:detail", args=[self.in_a1.pk]))
        with time_machine.travel(VIEWED_AT + timedelta(seconds=5), tick=False):
            assert reads.flush() == 1
        entry = AuditEntry.objects.get(action=AuditAction.VIEW, object_id=str(self.in_a1.pk))
        assert (entry.actor, entry.at) == (self.teacher, VIEWED_AT)
        assert reads.waiting() == 0

    def test_reads_the_database_refuses_wait_for_the_next_try(self):
        self.client_as("teacher").get(reverse("children:detail", args=[self.in_a1.pk]))
        with mock.patch.object(reads, "insert_many", side_effect=RuntimeError("disk full")):
            assert reads.flush() == 0
        assert reads.waiting() == 1
        assert reads.flush() == 1
        seen = AuditEntry.objects.filter(action=AuditAction.VIEW, object_id=str(self.in_a1.pk))
        assert seen.count() == 1

    def test_a_search_by_id_number_is_written_at_once_as_it_counts_against_the_hourly_limit(self):
        client = self.client_as("school_admin")
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("children:register"), {"q": self.in_a1.id_number})
        assert len(audit_writes(queries.captured_queries)) == 1


@override_settings(SHOUWANG_AUDIT_READS_SECONDS=0.05)
class ReadLogWriterTests(SimpleTestCase):
    """The writer thread alone: what it hands the database is caught before the database."""

    def test_the_background_writer_writes_waiting_reads_within_its_interval(self):
        written: list[list[AuditEntry]] = []
        with (
            mock.patch.object(reads, "insert_many", lambda model, rows: written.append(rows)),
            mock.patch.object(reads.transaction, "atomic", nullcontext),
            mock.patch.object(reads.chain, "link"),
            mock.patch.object(reads, "connection"),
        ):
            audit.record_read(actor=None, action=AuditAction.VIEW, object_repr="a child's page")
            deadline = time.monotonic() + 10
            while not written and time.monotonic() < deadline:
                time.sleep(0.02)
        assert [[e.object_repr for e in batch] for batch in written] == [["a child's page"]]
        assert reads.waiting() == 0
