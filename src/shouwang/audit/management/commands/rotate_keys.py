"""``shouwang rotate-keys``: every encrypted column re-encrypted under the first field key
(core.fieldcrypt), in batches, with progress, on the audit log once.

The keys are ``SHOUWANG_FIELD_KEYS`` (newest first) or, in the embedded set-up, var/field_keys:

- var/field_keys: ``--new-key`` puts a fresh key first in the file and stops: the server and
  the worker read the keys when they start, so they restart next; then ``shouwang rotate-keys``
  re-encrypts, and ``--drop-old`` removes the older keys from the file (after which backups
  made under them need them kept aside). With everything stopped, ``--new-key --drop-old`` does
  all at once.
- SHOUWANG_FIELD_KEYS: put a new key first (``--print-new-key`` makes one) where every process
  reads its environment, restart them, run ``shouwang rotate-keys``, then remove the old key.

The look-up hashes (``SHOUWANG_LOOKUP_KEY``) do not depend on the field keys and are left as they
are: rotating the field keys changes no hash, so search and duplicate detection go on meanwhile.
Nothing is rotated on the audit log: since the encryption it holds these values masked
(audit.masking); entries written before then keep what they held.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from django.apps import apps
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from shouwang.audit import services as audit
from shouwang.audit.management.commands.backup import operator
from shouwang.audit.models import AuditAction
from shouwang.core import fieldcrypt
from shouwang.core.commands import BadInputCommand


def write_keys(path: Path, keys: list[str]) -> None:
    """Replace the key file at once (never half written), mode 600."""
    new = path.with_name(f".{path.name}.new")
    fd = os.open(new, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("".join(f"{key}\n" for key in keys))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(new, path)


def use_keys(keys: list[str]) -> None:
    settings.SHOUWANG_FIELD_KEYS = keys
    fieldcrypt.forget_keys()


class Command(BadInputCommand):
    help = "Re-encrypt every encrypted column under the first field key."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--new-key",
            action="store_true",
            help="put a new key first in var/field_keys before re-encrypting",
        )
        parser.add_argument(
            "--drop-old",
            action="store_true",
            help="afterwards remove the older keys from var/field_keys",
        )
        parser.add_argument(
            "--print-new-key",
            action="store_true",
            help="print a new key (for SHOUWANG_FIELD_KEYS) and change nothing",
        )
        parser.add_argument("--batch", type=int, default=2000, help="rows per transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["print_new_key"]:
            self.stdout.write(Fernet.generate_key().decode())
            return
        path: Path | None = settings.SHOUWANG_FIELD_KEYS_FILE
        keys = list(settings.SHOUWANG_FIELD_KEYS)
        if path is None and (options["new_key"] or options["drop_old"]):
            raise CommandError(
                _(
                    "The keys come from SHOUWANG_FIELD_KEYS: put the new key first there "
                    "(shouwang rotate-keys --print-new-key makes one), restart the server and "
                    "the worker, run shouwang rotate-keys, then remove the old key."
                ),
                returncode=1,
            )
        if options["new_key"]:
            assert path is not None
            keys = [Fernet.generate_key().decode(), *keys]
            write_keys(path, keys)
            use_keys(keys)
            self.stdout.write(_("A new key was put first in %(file)s.") % {"file": path})
            if not options["drop_old"]:
                # A server or worker still running knows only the older keys: values written
                # under the new one now would be unreadable to them until they restart.
                self.stdout.write(
                    _(
                        "Restart the server and the worker, then run shouwang rotate-keys "
                        "(and later shouwang rotate-keys --drop-old)."
                    )
                )
                return
        try:
            counts = self.reencrypt(max(1, options["batch"]))
        except fieldcrypt.FieldKeyError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        dropped = 0
        if options["drop_old"] and len(keys) > 1:
            assert path is not None
            dropped = len(keys) - 1
            write_keys(path, keys[:1])
            use_keys(keys[:1])
        total = sum(counts.values())
        audit.record(
            actor=None,
            actor_name=operator(),
            action=AuditAction.UPDATE,
            object_repr=_("Field encryption keys rotated"),
            changes={
                "values": total,
                "columns": sorted(counts),
                "new_key": bool(options["new_key"]),
                "keys": len(keys) - dropped,
                "dropped": dropped,
            },
        )
        self.stdout.write(
            _("%(values)s values in %(columns)s columns are now under the first key.")
            % {"values": total, "columns": len(counts)}
        )
        if path is None and len(keys) > 1:
            self.stdout.write(_("The other keys can now be removed from SHOUWANG_FIELD_KEYS."))
        elif len(keys) - dropped > 1:
            self.stdout.write(
                _(
                    "The older keys are still in %(file)s: once the server and the worker have "
                    "restarted, shouwang rotate-keys --drop-old removes them."
                )
                % {"file": path}
            )

    def reencrypt(self, batch: int) -> dict[str, int]:
        """Every non-blank value of every encrypted column, as a token of the first key."""
        counts: dict[str, int] = {}
        quote = connection.ops.quote_name
        for model in apps.get_models():
            fields = fieldcrypt.encrypted_fields(model)
            if not fields:
                continue
            table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
            columns = [f.column for f in fields]
            total = model._base_manager.count()
            select = (
                f"SELECT {pk}, {', '.join(map(quote, columns))} FROM {table} "  # noqa: S608
                f"WHERE {pk} > %s ORDER BY {pk} LIMIT {batch}"
            )
            # Only where the row still holds what was read: an edit the server commits
            # meanwhile (written under its own first key) is kept, not overwritten.
            update = (
                f"UPDATE {table} SET {', '.join(f'{quote(c)} = %s' for c in columns)} "  # noqa: S608
                f"WHERE {pk} = %s AND {' AND '.join(f'{quote(c)} = %s' for c in columns)}"
            )
            last, done = 0, 0
            values = dict.fromkeys(columns, 0)
            while True:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(select, [last])
                    rows = cursor.fetchall()
                    if not rows:
                        break
                    params = []
                    for key, *old in rows:
                        new = [fieldcrypt.reencrypt(v) if v else v for v in old]
                        for column, value in zip(columns, old, strict=True):
                            values[column] += bool(value)
                        params.append([*new, key, *old])
                        last = key
                    cursor.executemany(update, params)
                done += len(rows)
                self.stdout.write(f"  {model._meta.label}: {done}/{total}")
            counts |= {f"{model._meta.db_table}.{c}": n for c, n in values.items()}
        return counts
