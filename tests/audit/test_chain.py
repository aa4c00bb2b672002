"""The audit log is a hash chain: a change made by hand, around every guard, is found (issue 18)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import TestCase

from shouwang.audit import chain, reads, triggers
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction, AuditEntry

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TABLE = AuditEntry._meta.db_table
CHANGE = f"UPDATE {TABLE} SET object_repr = %s WHERE id = %s"  # noqa: S608  (fixed table name)


class ByHand:
    """Someone with the database in hand: SQL straight to it, the triggers dropped first."""

    def __init__(self) -> None:
        self.connection = connection

    def execute(self, sql: str, params: list[object] | None = None) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params or [])

    def __enter__(self) -> ByHand:
        triggers.remove(None, self)
        return self

    def __exit__(self, *exc: object) -> None:
        triggers.install(None, self)


def write_some(n: int = 3) -> list[AuditEntry]:
    for i in range(n):
        audit.record(
            actor=None,
            action=AuditAction.CREATE,
            object_repr=f"档案 {i}",
            changes={"on": date(2026, 11, i + 1), "name": ["甲", "乙"]},
        )
    return list(AuditEntry.objects.order_by("pk"))


@time_machine.travel(NOW, tick=False)
class ChainTests(TestCase):
    def test_every_way_of_writing_the_log_keeps_one_intact_chain(self):
        write_some()
        entries = write_some(0)
        audit.record_many(
            [{"action": AuditAction.IMPORT, "obj": entries[0], "changes": {"rows": 2}}] * 2,
            actor=None,
        )
        audit.record_read(actor=None, action=AuditAction.VIEW, object_repr="a child's page")
        reads.flush()
        verdict = chain.verify()
        assert verdict.intact, verdict
        assert verdict.checked == AuditEntry.objects.count() == 6
        links = list(AuditEntry.objects.order_by("pk").values_list("previous", "digest"))
        assert links[0][0] == ""
        assert all(prev == before[1] for before, (prev, _) in pairwise(links))

    def test_a_changed_entry_is_named_by_verify(self):
        entries = write_some()
        with ByHand() as db:
            db.execute(CHANGE, ["改过", entries[1].pk])
        verdict = chain.verify()
        assert (verdict.broken_at, verdict.reason) == (entries[1].pk, "its content was changed")
        with pytest.raises(CommandError) as failed:
            call_command("audit", "verify")
        assert failed.value.returncode == 1
        assert f"第 {entries[1].pk} 条" in str(failed.value)

    def test_an_entry_removed_from_the_middle_or_the_head_breaks_the_chain(self):
        entries = write_some(4)
        with ByHand() as db:
            db.execute(f"DELETE FROM {TABLE} WHERE id = %s", [entries[2].pk])  # noqa: S608
        assert chain.verify().broken_at == entries[3].pk
        with ByHand() as db:
            db.execute(f"DELETE FROM {TABLE} WHERE id = %s", [entries[0].pk])  # noqa: S608
        verdict = chain.verify()
        assert (verdict.broken_at, verdict.reason) == (
            entries[1].pk,
            "the entries before it are missing",
        )

    def test_verify_says_intact_as_json_with_exit_zero(self):
        write_some()
        call_command("audit", "verify", "--json", stdout=(out := _Out()))
        assert out.text.strip() == '{"intact": true, "checked": 3, "broken_at": null, "reason": ""}'


class _Out:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


class RetentionTests(TestCase):
    def test_entries_younger_than_six_months_cannot_be_purged(self):
        with time_machine.travel(NOW, tick=False):
            write_some()
            with pytest.raises(ValidationError):
                audit.purge(before=date(2026, 7, 1))
            with pytest.raises(CommandError) as failed:
                call_command("audit", "purge", "--before", "2026-07-01")
            assert failed.value.returncode == 1
        assert AuditEntry.objects.count() == 3

    def test_the_database_refuses_to_delete_a_young_entry_even_by_hand(self):
        with time_machine.travel(NOW, tick=False):
            entry = write_some(1)[0]
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [entry.pk])  # noqa: S608
        assert AuditEntry.objects.filter(pk=entry.pk).exists()

    def test_a_purge_of_old_entries_leaves_a_chain_that_still_verifies(self):
        with time_machine.travel(NOW - timedelta(days=300), tick=False):
            old = write_some(3)
        with time_machine.travel(NOW, tick=False):
            young = write_some(2)[-2:]
            removed = audit.purge(before=date(2026, 3, 1))
        assert removed == 3
        assert not AuditEntry.objects.filter(pk__in=[e.pk for e in old]).exists()
        purge = AuditEntry.objects.get(action=AuditAction.PURGE)
        assert purge.changes["last_digest"] == old[-1].digest
        verdict = chain.verify()
        assert verdict.intact, verdict
        assert verdict.checked == len(young) + 1
