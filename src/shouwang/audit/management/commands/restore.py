"""``shouwang restore FILE [--force]``: the whole database replaced by a backup's (core.backup).

Refused, with nothing touched, when the file is not a backup, is damaged, was made of the other
engine or of a newer schema, or when this database already holds data and ``--force`` is not
given. After the restore: migrations the backup predates are applied, the audit chain is
verified and must end where the backup's manifest says it did, and the restore is recorded on
the log (from which file and manifest, and the end of the chain it replaced), linked onto the
restored chain.

An encrypted backup is opened with the key in ``SHOUWANG_BACKUP_KEY`` or ``--key-file PATH``;
without one, or with a wrong one, nothing is touched (exit 1).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

from shouwang.audit import chain
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction, AuditEntry
from shouwang.core import backup, backupcrypt
from shouwang.core.commands import BadInputCommand

from .backup import operator


def data_tables() -> list[str]:
    """A database with none of these rows holds no one's data (a fresh `migrate` writes only
    reference tables): the audit log, the users, the organisations."""
    models: list[Any] = [AuditEntry, get_user_model(), apps.get_model("orgs", "Org")]
    return [model._meta.db_table for model in models]


def chain_end() -> dict[str, Any] | None:
    """The live audit log's size and last digest, or None when it has no table."""
    if AuditEntry._meta.db_table not in connection.introspection.table_names():
        return None
    last = AuditEntry.objects.order_by("-pk").values_list("digest", flat=True).first()
    return {"entries": AuditEntry.objects.count(), "last_digest": last or ""}


class Command(BadInputCommand):
    # Works on a database in any state, as an emergency needs: no system checks first.
    requires_system_checks: list[str] = []
    help = "Replace the whole database with a backup's (a database with data only with --force)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="a file written by `shouwang backup`")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that holds data"
        )
        parser.add_argument(
            "--key-file",
            help=f"a file (mode 600) with an encrypted backup's key (else {backupcrypt.KEY_ENV})",
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            secret, encrypted = None, backup.is_encrypted(path)
            if options["key_file"] is not None or encrypted:
                secret = backupcrypt.passphrase(options["key_file"])
            manifest = backup.read_manifest(path, secret=secret)
            backup.check_restorable(manifest)
            held = backup.tables_with_rows(data_tables())
            if held and not options["force"]:
                raise CommandError(
                    _(
                        "This database already holds data (%(tables)s): a restore would replace "
                        "all of it. Back it up first, then restore with --force."
                    )
                    % {"tables": ", ".join(held)},
                    returncode=1,
                )
            replaced = chain_end() if held else None
            restored = backup.restore(path, secret=secret)
        except backupcrypt.CryptError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        except backup.BackupError as exc:
            raise CommandError(str(exc), returncode=1) from exc

        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stderr.write(_("The backup predates this version: applying its migrations."))
            call_command("migrate", interactive=False, verbosity=0, skip_checks=True)

        verdict = chain.verify()
        end = chain_end() or {}
        expected = manifest.get("audit", {}).get("last_digest")
        problems = []
        if not verdict.intact:
            problems.append(
                _("Audit log broken at entry %(id)s: %(reason)s.")
                % {"id": verdict.broken_at, "reason": _(verdict.reason)}
            )
        elif expected is not None and end.get("last_digest") != expected:
            problems.append(_("The restored audit log does not end where the backup's did."))

        audit.record(
            actor=None,
            actor_name=operator(),
            action=AuditAction.IMPORT,
            object_repr=_("Database restored from a backup"),
            changes={
                "backup": str(path.resolve()),
                "engine": manifest["engine"],
                "created_at": manifest["created_at"],
                "app_version": manifest.get("app_version", ""),
                "sha256": manifest["payload"]["sha256"],
                "rows": manifest["rows"],
                "audit_entries": end.get("entries", 0),
                "replaced": replaced,
                "chain_intact": not problems,
                "encrypted": encrypted,
            },
        )
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "file": str(path),
                        "engine": manifest["engine"],
                        "created_at": manifest["created_at"],
                        "tables": len(restored.tables),
                        "rows": sum(restored.tables.values()),
                        "audit_intact": not problems,
                    }
                )
            )
        else:
            self.stdout.write(
                _(
                    "Restored from %(file)s (made %(created)s): %(tables)s tables, %(rows)s rows; "
                    "audit log intact: %(n)s entries checked."
                )
                % {
                    "file": path,
                    "created": manifest["created_at"],
                    "tables": len(restored.tables),
                    "rows": sum(restored.tables.values()),
                    "n": verdict.checked,
                }
                if not problems
                else _("Restored from %(file)s.") % {"file": path}
            )
        if problems:
            raise CommandError(" ".join(problems), returncode=1)
