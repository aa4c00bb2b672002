"""Columns of a kind of sheet, and how a header cell is recognised whatever the clerk wrote:
traditional characters, full-width letters, spaces and bracketed notes do not matter.

Glossary: 表头 header · 合计 total row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import opencc

from shouwang.core.validators import to_half_width


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the header as interfaces.md names it, and as our exports write it
    aliases: tuple[str, ...] = ()
    required: bool = False


_to_simplified = opencc.OpenCC("t2s")


def normalise_header(text: object) -> str:
    """监護人 電話（必填） → 监护人电话: simplified, half-width, no spaces or bracketed notes."""
    if text is None:
        return ""
    value = _to_simplified.convert(to_half_width(str(text)))
    value = re.sub(r"\(.*?\)|\[.*?\]|【.*?】", "", value)
    value = re.sub(r"[\s:：*＊]", "", value)
    return value


@dataclass(frozen=True)
class ColumnSet:
    """The columns one kind of sheet has (the 台账, a class's 体检 sheet …), and how their headers
    are recognised: alone (身份证号码) or as a group over sub-labels (父亲 over 电话)."""

    columns: tuple[Column, ...]
    groups: dict[str, str] = field(default_factory=dict)  # group label → key prefix
    sub_headers: dict[str, str] = field(default_factory=dict)  # sub-label → key suffix

    @cached_property
    def by_key(self) -> dict[str, Column]:
        return {c.key: c for c in self.columns}

    @cached_property
    def _lookup(self) -> dict[str, str]:
        return {
            normalise_header(text): column.key
            for column in self.columns
            for text in (column.header, *column.aliases)
        }

    def column_for(self, header: object) -> str | None:
        return self._lookup.get(normalise_header(header))

    def column_for_pair(self, group: object, sub: object) -> str | None:
        """A two-row header: 父亲 over 电话 → father.phone."""
        prefix = self.groups.get(normalise_header(group))
        suffix = self.sub_headers.get(normalise_header(sub))
        if prefix and suffix:
            key = f"{prefix}.{suffix}"
            return key if key in self.by_key else None
        return None
