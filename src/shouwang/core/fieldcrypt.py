"""Encryption at rest of personal data in single columns (issue 18; PIPL art. 28 and 51).

ID numbers, phones, addresses and counseling and incident texts are kept in the database as
Fernet tokens (AES-128-CBC + HMAC-SHA256, ``cryptography``'s reviewed recipe), so the database
file, its WAL, a dump or a stolen backup does not give them away without the key, which lives
outside the database (``SHOUWANG_FIELD_KEYS``, else ``var/field_keys``, mode 600).

- :class:`EncryptedCharField` and :class:`EncryptedTextField` are the model's ``CharField`` and
  ``TextField`` (forms, validation and ``max_length`` of the plain text as before) whose column
  holds the token. A blank value is stored blank, so "no phone given" stays a plain
  ``filter(phone="")``; any other look-up on the column is refused (a token differs on every
  write, so it could never match).
- :class:`LookupHashField` holds the HMAC-SHA256 of another field's value under a key of its
  own (``SHOUWANG_LOOKUP_KEY``): the same ID number always gives the same hash, so search,
  import matching and duplicate detection look up the hash, indexed. Without the key a hash says
  nothing (an ID number has too few unknown digits for a plain, unkeyed hash).
- Several field keys: the first encrypts, every one decrypts (``MultiFernet``); ``shouwang
  rotate-keys`` re-encrypts every column under the first so that the others can be dropped.
  The lookup key is not rotated with them: hashes do not depend on the field keys.

Why not a packaged field: django-fernet-encrypted-fields 0.4.0 derives its keys from
``SECRET_KEY`` (rotating the session secret would lose the data), stores a blank as NULL (our
blank columns are NOT NULL, and "no phone" must stay queryable), returns the token itself as the
value when the key is wrong (a later save would then encrypt the token), and flags
"already decrypted" on the field object shared by every thread; django-fernet-fields-v2 (last
released 2023) encrypts blanks, refuses every look-up and stores bytes. Both are thin layers over
the same ``cryptography.fernet``, which is what this module uses directly.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable, Iterable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.db.models.lookups import Exact, IsNull
from django.dispatch import receiver

# What the audit log keeps of a changed encrypted text instead of the text (audit/masking.py).
TEXT_MARKER = "***"
# Names of the encrypted fields, filled as the models load (the audit log masks these keys).
FIELD_NAMES: set[str] = set()


class FieldKeyError(ImproperlyConfigured):
    """A stored value none of the configured keys opens: said for the operator."""


@functools.cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.SHOUWANG_FIELD_KEYS])


@functools.cache
def _lookup_key() -> bytes:
    return str(settings.SHOUWANG_LOOKUP_KEY).encode()


@receiver(setting_changed)
def _forget_keys(*, setting: str, **_: Any) -> None:
    if setting in ("SHOUWANG_FIELD_KEYS", "SHOUWANG_LOOKUP_KEY"):
        forget_keys()


def forget_keys() -> None:
    """Read the keys from the settings again (after a rotation changed them)."""
    _fernet.cache_clear()
    _lookup_key.cache_clear()


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise FieldKeyError(
            "A value in the database cannot be decrypted with the keys in SHOUWANG_FIELD_KEYS "
            "(or var/field_keys): a key it was written with is missing, or the value was "
            "altered."
        ) from exc


def is_token(value: str) -> bool:
    """Whether value is a token one of the keys opens (a plain text never is)."""
    try:
        _fernet().decrypt(value.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        return False
    return True


def reencrypt(token: str) -> str:
    """The same value under the first key (``MultiFernet.rotate``)."""
    return _fernet().rotate(token.encode("ascii")).decode("ascii")


def lookup_hash(value: str | None) -> str:
    """HMAC-SHA256 (hex) of a value under the lookup key; blank for a blank value."""
    if not value:
        return ""
    return hmac.new(_lookup_key(), value.encode(), hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------------------------
# Fields


class _BlankExact(Exact):
    """``field=""`` only: a blank is stored blank; any other value has no fixed token."""

    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None):
            raise FieldError(
                f"{self.lhs.output_field.name} is encrypted: look it up through its hash "
                "(LookupHashField), not its value"
            )
        return super().get_prep_lookup()


class EncryptedMixin:
    """The column holds a Fernet token of the value (text), or the blank/NULL it was."""

    encrypted = True

    def contribute_to_class(self, cls: type[models.Model], name: str, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, **kwargs)  # type: ignore[misc]
        FIELD_NAMES.add(name)

    def get_internal_type(self) -> str:
        return "TextField"  # a token is longer than the value it holds

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)  # type: ignore[misc]
        if value is None or value == "":
            return value
        return encrypt(str(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return decrypt(value) if value else value

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return _BlankExact
        if lookup_name == "isnull":
            return IsNull
        raise FieldError(
            f"{getattr(self, 'name', '?')} is encrypted: __{lookup_name} cannot be asked of it"
        )


class EncryptedCharField(EncryptedMixin, models.CharField):  # type: ignore[misc]
    pass


class EncryptedTextField(EncryptedMixin, models.TextField):  # type: ignore[misc]
    pass


class LookupHashField(models.CharField):
    """The keyed hash of the field named ``of`` on the same row, computed whenever the row is
    saved (``save``, ``bulk_create``, ``core.bulk.insert_many``); indexed, blank when it is."""

    def __init__(self, *args: Any, of: str, **kwargs: Any) -> None:
        self.of = of
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        for key in ("max_length", "blank", "default", "editable", "db_index"):
            kwargs.pop(key, None)  # always this class's own
        return name, path, args, {**kwargs, "of": self.of}

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = lookup_hash(getattr(model_instance, self.of))
        setattr(model_instance, self.attname, value)
        return value


def encrypted_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin)]


def hash_fields(model: type[models.Model]) -> list[LookupHashField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, LookupHashField)]


# --------------------------------------------------------------------------------------------
# Migrations: the rows written before a column was encrypted


def encrypt_existing(
    table: str, columns: Iterable[str], hashes: dict[str, str] | None = None
) -> Callable[[Any, Any], None]:
    """A ``RunPython`` function: encrypts the plain values of ``columns`` of ``table`` in
    batches and fills each hash column from the value it hashes (``{hash column: column}``).
    Values already encrypted are left as they are (a re-run does nothing)."""
    return _convert(table, list(columns), hashes or {}, forward=True)


def decrypt_existing(table: str, columns: Iterable[str]) -> Callable[[Any, Any], None]:
    """The reverse: the columns' plain text back (hash columns are dropped by the schema)."""
    return _convert(table, list(columns), {}, forward=False)


BATCH = 2000


def _convert(
    table: str, columns: list[str], hashes: dict[str, str], *, forward: bool
) -> Callable[[Any, Any], None]:
    def run(apps: Any, schema_editor: Any) -> None:
        connection = schema_editor.connection
        quote = connection.ops.quote_name
        reads = columns + [c for c in hashes.values() if c not in columns]
        select = (
            f"SELECT id, {', '.join(map(quote, reads))} FROM {quote(table)} "  # noqa: S608
            f"WHERE id > %s ORDER BY id LIMIT {BATCH}"
        )
        writes = columns + list(hashes)
        update = (
            f"UPDATE {quote(table)} SET {', '.join(f'{quote(c)} = %s' for c in writes)} "  # noqa: S608
            "WHERE id = %s"
        )
        last = 0
        with connection.cursor() as cursor:
            while True:
                cursor.execute(select, [last])
                rows = cursor.fetchall()
                if not rows:
                    return
                params = []
                for pk, *values in rows:
                    plain = dict(zip(reads, values, strict=True))
                    for column in reads:
                        value = plain[column]
                        if value and is_token(value):
                            plain[column] = decrypt(value)
                    new = [
                        (encrypt(plain[c]) if forward else plain[c]) if plain[c] else plain[c]
                        for c in columns
                    ]
                    new += [lookup_hash(plain[source]) for source in hashes.values()]
                    params.append([*new, pk])
                    last = pk
                cursor.executemany(update, params)

    return run
