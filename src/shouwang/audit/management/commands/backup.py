"""``shouwang backup --out FILE``: the whole database in one file, mode 600 (core.backup).

The backup is recorded on the audit log once the file is complete (so a failed backup leaves no
entry); the manifest names the audit log's last digest as it was in the snapshot, which a
restore checks.

``--encrypt`` seals the file with the key in ``SHOUWANG_BACKUP_KEY`` (``--key-file PATH``, a file
readable by its owner only, gives it instead and implies ``--encrypt``): core.backupcrypt.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction, AuditEntry
from shouwang.core import backup, backupcrypt
from shouwang.core.commands import BadInputCommand


def describe_audit(cursor: Any, counts: dict[str, int]) -> dict[str, Any]:
    """The audit log as the snapshot holds it: its size and the digest its chain ends on."""
    table = AuditEntry._meta.db_table
    if table not in counts:
        return {}
    cursor.execute(f'SELECT digest FROM "{table}" ORDER BY id DESC LIMIT 1')  # noqa: S608
    row = cursor.fetchone()
    return {"audit": {"entries": counts[table], "last_digest": row[0] if row else ""}}


def operator() -> str:
    """Who ran the command, as the system knows them (the command line has no Shouwang user)."""
    try:
        return getpass.getuser()[:150]
    except (KeyError, OSError):
        return ""


class Command(BadInputCommand):
    # Works on a database in any state, as an emergency needs: no system checks first.
    requires_system_checks: list[str] = []
    help = "Back up the whole database to one file (created mode 600)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", required=True, help="the backup file to write")
        parser.add_argument(
            "--encrypt",
            action="store_true",
            help=f"encrypt the file with the key in {backupcrypt.KEY_ENV} (or --key-file)",
        )
        parser.add_argument(
            "--key-file",
            help="a file (mode 600) holding the key to encrypt with; implies --encrypt",
        )
        parser.add_argument("--json", action="store_true", help="print the manifest as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        encrypt = options["encrypt"] or options["key_file"] is not None
        try:
            secret = None
            if encrypt:
                secret = backupcrypt.passphrase(options["key_file"], to_encrypt=True)
                if secret is None:
                    raise CommandError(
                        _(
                            "--encrypt needs a key: set %(env)s or give --key-file "
                            "(nothing was written)."
                        )
                        % {"env": backupcrypt.KEY_ENV},
                        returncode=1,
                    )
            manifest = backup.backup(out, describe=describe_audit, secret=secret)
        except backupcrypt.CryptError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        except backup.BackupError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        audit.record(
            actor=None,
            actor_name=operator(),
            action=AuditAction.EXPORT,
            object_repr=_("Database backup"),
            changes={
                "backup": str(out.resolve()),
                "engine": manifest["engine"],
                "created_at": manifest["created_at"],
                "rows": manifest["rows"],
                "sha256": manifest["payload"]["sha256"],
                "bytes": out.stat().st_size,
                "encrypted": encrypt,
            },
        )
        if options["json"]:
            self.stdout.write(json.dumps(manifest | {"encrypted": encrypt}, ensure_ascii=False))
        else:
            said = (
                _(
                    "Encrypted backup written to %(file)s: %(tables)s tables, %(rows)s rows, "
                    "%(bytes)s bytes."
                )
                if encrypt
                else _(
                    "Backup written to %(file)s: %(tables)s tables, %(rows)s rows, %(bytes)s bytes."
                )
            )
            self.stdout.write(
                said
                % {
                    "file": out,
                    "tables": len(manifest["tables"]),
                    "rows": manifest["rows"],
                    "bytes": out.stat().st_size,
                }
            )
