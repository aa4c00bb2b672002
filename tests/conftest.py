"""What every test shares."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from shouwang.audit import reads


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
