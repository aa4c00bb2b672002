"""Database triggers that make the audit table append-only, whatever code asks.

Nothing changes an entry. Nothing deletes one younger than six months (the Cybersecurity Law,
art. 21, keeps logs at least that long); older ones only ``shouwang audit purge`` removes.

SQLite drops a table's triggers when a migration rebuilds the table (any AlterField does), so
every migration that touches ``AuditEntry`` must end with ``install()`` again; the test
``test_the_database_refuses_raw_updates_and_deletes`` fails if one forgets.
"""

from __future__ import annotations

from typing import Any

TABLE = "accounts_auditentry"
KEPT_MONTHS = 6

_SQL = {
    "sqlite": [
        f"DROP TRIGGER IF EXISTS {TABLE}_no_update;",
        f"DROP TRIGGER IF EXISTS {TABLE}_no_delete;",
        f"""CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE}
            BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;""",
        # Django keeps times as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC: they compare as text.
        f"""CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE}
            WHEN OLD.at > datetime('now', '-{KEPT_MONTHS} months')
            BEGIN SELECT RAISE(ABORT, 'audit entries are kept six months'); END;""",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION shouwang_audit_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'audit entries are append-only'; END; $$ LANGUAGE plpgsql;""",
        f"""CREATE OR REPLACE FUNCTION shouwang_audit_kept() RETURNS trigger AS $$
            BEGIN
              IF OLD.at > now() - interval '{KEPT_MONTHS} months' THEN
                RAISE EXCEPTION 'audit entries are kept six months';
              END IF;
              RETURN OLD;
            END; $$ LANGUAGE plpgsql;""",
        f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};",
        f"DROP TRIGGER IF EXISTS {TABLE}_kept ON {TABLE};",
        f"""CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR TRUNCATE ON {TABLE}
            FOR EACH STATEMENT EXECUTE FUNCTION shouwang_audit_append_only();""",
        f"""CREATE TRIGGER {TABLE}_kept BEFORE DELETE ON {TABLE}
            FOR EACH ROW EXECUTE FUNCTION shouwang_audit_kept();""",
    ],
}
_REVERSE = {
    "sqlite": [
        f"DROP TRIGGER IF EXISTS {TABLE}_no_update;",
        f"DROP TRIGGER IF EXISTS {TABLE}_no_delete;",
    ],
    "postgresql": [
        f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};",
        f"DROP TRIGGER IF EXISTS {TABLE}_kept ON {TABLE};",
        "DROP FUNCTION IF EXISTS shouwang_audit_append_only();",
        "DROP FUNCTION IF EXISTS shouwang_audit_kept();",
    ],
}


def install(apps: Any, schema_editor: Any) -> None:
    for sql in _SQL.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def remove(apps: Any, schema_editor: Any) -> None:
    for sql in _REVERSE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)
