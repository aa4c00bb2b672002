"""Duties owed outside the duty engine's rules (a shift on a children's home roster…), shown in
我的任务 with the rules' own statuses (``engine.DONE`` / ``DUE`` / ``OVERDUE``).

Areas above care hand their duties in when their app is ready (``provide_duties``), the way
``accounts.scope.provide_paired_children`` works, so care never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class OtherDuty:
    label: str  # what is owed, as the person reads it ("候鸟驿站 值班 08:00–12:00")
    day: date  # the day it is owed on (the end of its period)
    status: str  # engine.DONE, DUE or OVERDUE
    url: str  # where it is done


DutySource = Callable[[Any, date], list[OtherDuty]]
_sources: dict[str, DutySource] = {}


def provide_duties(name: str, source: DutySource) -> None:
    """``source(user, on)``: the user's duties of that area as of ``on``."""
    _sources[name] = source


def duties_of(user: Any, on: date) -> list[OtherDuty]:
    """Every area's duties of ``user`` as of ``on``, oldest first."""
    found = [duty for source in _sources.values() for duty in source(user, on)]
    return sorted(found, key=lambda d: (d.day, d.label))
