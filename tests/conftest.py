"""What every test shares."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shouwang.audit import reads


@pytest.fixture(autouse=True)
def _no_reads_waiting_across_tests() -> Iterator[None]:
    """The read log waits in the process; a test's database rolls back, its reads must not be
    written into the next test's."""
    reads.discard()
    yield
    reads.discard()
