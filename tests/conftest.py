"""What every test shares."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from shouwang.audit import reads
from tests import hangs

# Tests that need one database: `make test-sqlite` and `make test-postgres` each run theirs.
ENGINE_MARKERS = {"postgresql": "postgresql", "sqlite": "sqlite"}


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test for one database, run on the other, fails (never skips): it would test nothing."""
    from django.db import connection

    for marker, vendor in ENGINE_MARKERS.items():
        if item.get_closest_marker(marker) and connection.vendor != vendor:
            pytest.fail(
                f"{item.nodeid} needs {vendor}, this run is on {connection.vendor}: "
                f"`make test-{'postgres' if vendor == 'postgresql' else 'sqlite'}` runs it",
                pytrace=False,
            )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """A test that hangs says what it waits for while it waits (tests/hangs.py)."""
    watch = hangs.Watch(item.nodeid)
    try:
        yield
    finally:
        watch.cancel()


@pytest.fixture(autouse=True)
def _nothing_kept_across_tests() -> Iterator[None]:
    """The read log and the cache live in the process; a test's database rolls back (and may
    hand out the same ids again), so neither its waiting reads nor its kept counts may reach
    the next test."""
    reads.discard()
    cache.clear()
    yield
    reads.discard()
    cache.clear()
