"""How the log is read: personal identifiers in an entry's changes shown masked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shouwang.core import fieldcrypt
from shouwang.core.validators import mask_id_number, mask_phone

# Keys whose values are personal identifiers: shown masked wherever the log is read.
MASKED_KEYS = ("id_number", "phone")


def masked_changes(changes: Mapping[str, Any], *, id_visible: bool = False) -> dict[str, Any]:
    """The log keeps what happened; reading it shows phones masked, and ID numbers masked for
    a reader who may unmask this child's (``id_visible``) and not one digit of them for anyone
    else (domain.md §1: masking is all or nothing). Unmasking is an audited act of its own, on
    the child's page."""

    def mask(key: str, value: Any) -> Any:
        if not value or not isinstance(value, str):
            return value
        if key.endswith("id_number") or key == "id_search":
            return mask_id_number(value) if id_visible else HIDDEN
        return mask_phone(value)

    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key.endswith(MASKED_KEYS) or key == "id_search":
            out[key] = (
                [mask(key, v) for v in value] if isinstance(value, list) else mask(key, value)
            )
        else:
            out[key] = value
    return out


# Texts kept in clear in their own table but never copied onto the append-only log: what a
# caregiver found on a visit (it may tell of harm; retention blanks the row, not the log).
LOGGED_AS_MARKER = frozenset({"findings"})


# What a reader without the right sees of an ID number: that there was one, no digit of it.
HIDDEN = "***"


def stored_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """What the log keeps of an entry's changes (issue 18). The log is append-only and chained,
    so a key rotation cannot re-encrypt it: ID numbers and phones are kept masked, and what was
    in an encrypted text column (an address, counseling notes, an incident's outcome) as a
    marker that it changed, never the text. Blanks stay blank (added or removed shows)."""

    def keep(key: str, value: Any) -> Any:
        if isinstance(value, list):
            return [keep(key, v) for v in value]
        if not value or not isinstance(value, str):
            return value
        if key.endswith("id_number") or key == "id_search":
            return mask_id_number(value)
        if key.endswith("phone"):
            return mask_phone(value)
        return fieldcrypt.TEXT_MARKER

    return {
        key: keep(key, value)
        if key.endswith(MASKED_KEYS)
        or key == "id_search"
        or key.rpartition(".")[2] in fieldcrypt.FIELD_NAMES
        or key.rpartition(".")[2] in LOGGED_AS_MARKER
        else value
        for key, value in changes.items()
    }
