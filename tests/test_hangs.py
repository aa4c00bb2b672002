"""A test that hangs is reported while it hangs: its stacks and, on PostgreSQL, who holds the
lock it waits for (tests/hangs.py)."""

from __future__ import annotations

import tempfile
import threading
import time

import pytest
from django.db import connection

from tests import hangs


def read_report(after: float, wait: float) -> str:
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        watch = hangs.Watch("tests/x.py::test_that_hangs", after=after, out=out)
        time.sleep(wait)
        watch.cancel()
        time.sleep(0.05)
        out.seek(0)
        return out.read()


def test_a_test_running_past_its_time_has_its_stacks_printed():
    text = read_report(after=0.1, wait=0.5)
    assert "tests/x.py::test_that_hangs is still running after 0 s" in text
    assert "read_report" in text  # the main thread's stack, where it waits


def test_a_test_done_in_time_prints_nothing():
    assert read_report(after=5, wait=0.1) == ""


@pytest.mark.postgresql
@pytest.mark.django_db
def test_on_postgresql_the_report_names_the_session_holding_the_lock():
    holder = hangs.connect(autocommit=False)
    waiter = threading.Thread(target=_read_content_types, daemon=True)
    try:
        holder.execute("LOCK TABLE django_content_type IN ACCESS EXCLUSIVE MODE")
        held_by = holder.info.backend_pid
        waiter.start()
        time.sleep(0.5)
        with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
            hangs.database(out)
            out.seek(0)
            text = out.read()
    finally:
        holder.rollback()
        holder.close()
        if waiter.is_alive():
            waiter.join(10)
    assert "LOCK TABLE django_content_type" in text
    waiting = text.split("locks waited for", 1)[1]
    assert "django_content_type" in waiting and str(held_by) in waiting


def _read_content_types() -> None:
    from django.contrib.contenttypes.models import ContentType

    try:
        list(ContentType.objects.all())
    finally:
        connection.close()
