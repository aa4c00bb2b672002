"""A write of the write matrix (tests/web/test_write_matrix.py), in a module of its own so the
matrices' parts (tests/web/matrix_parts/) name their writes without importing the test."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.test import Client

if TYPE_CHECKING:
    from .test_write_matrix import WriteMatrixTests

# What an accepted write leaves behind.
ROWS = "rows"  # rows of the data change
AUDIT = "audit"  # the audit log only (unmasking a value)
NOTHING = "nothing"  # nothing in the database: a session, a kept upload, an answer

Body = Mapping[str, Any] | Callable[["WriteMatrixTests", str], Mapping[str, Any]]


@dataclass(frozen=True)
class Write:
    name: str
    arg: str | None  # as in the GET matrix, plus the keys of WriteMatrixTests.args_for
    may: frozenset[str]  # the personas whose write takes effect
    body: Body = field(default_factory=dict)
    query: tuple[str, str] | None = None  # (parameter, key) for ?parameter=<the key's id>
    # The form field the target is chosen in, on a page open to more personas than ``may``.
    choice: str = ""
    # The target is picked from a list on a page open to more personas than ``may`` (a button
    # per case): outside the scope it is not listed, and sent anyway it is a 404.
    listed: bool = False
    effect: str = ROWS
    method: str = "post"
    status: int = 302  # a page's write redirects; the API answers 200
    # Run as the persona before the write (in the same rolled-back savepoint): what the write
    # needs that is the persona's own (their upload, their API token).
    prepare: Callable[[WriteMatrixTests, str, Client], None] | None = None
