"""Counts kept while the data they were made from is unchanged (audit.versions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.test import TestCase

from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.audit.versions import cache_key, counted, data_version

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


def change(what: str = "a care record") -> None:
    audit.record(actor=None, action=AuditAction.CREATE, object_repr=what)


class CountedTests(TestCase):
    def count(self, counter: Counter, **kwargs) -> tuple[int, float | None]:
        with self.captureOnCommitCallbacks(execute=True):
            return counted(cache_key("test", "k"), counter, **kwargs)

    def test_a_count_is_made_once_while_nothing_changes(self):
        change()
        counter = Counter()
        assert self.count(counter) == (1, None)
        assert self.count(counter) == (1, None)
        assert counter.calls == 1

    def test_a_change_makes_a_quick_count_anew(self):
        counter = Counter()
        self.count(counter)
        change()
        assert self.count(counter) == (2, None)

    def test_a_look_at_the_data_changes_nothing(self):
        change()
        before = data_version()
        audit.record(actor=None, action=AuditAction.VIEW, object_repr="a child's page")
        audit.record(actor=None, action=AuditAction.EXPORT, object_repr="a ledger")
        assert data_version() == before
        change()
        assert data_version() != before

    def test_a_slow_count_is_handed_out_for_a_minute_while_changes_come_in_saying_when(self):
        counter = Counter()
        with time_machine.travel(NOW, tick=False):
            self.count(counter, slow=-1)  # every count counts as slow
        change()
        with time_machine.travel(NOW + timedelta(seconds=59), tick=False):
            assert self.count(counter, slow=-1) == (1, NOW.timestamp())
        with time_machine.travel(NOW + timedelta(seconds=61), tick=False):
            assert self.count(counter, slow=-1) == (2, None)

    def test_a_count_made_in_a_transaction_that_rolls_back_is_not_kept(self):
        counter = Counter()
        with self.captureOnCommitCallbacks(execute=False):
            counted(cache_key("test", "k"), counter)
        assert self.count(counter) == (2, None)

    def test_keys_differ_by_every_part(self):
        assert cache_key("compliance", ("county",), 1) != cache_key("compliance", ("school",), 1)
        assert cache_key("compliance", ("county",), 1) != cache_key("compliance", ("county",), 2)
