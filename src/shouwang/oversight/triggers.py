"""The database's own guard on a submission's snapshot: an UPDATE that changes a frozen column
(models.FROZEN) is refused whatever code sends it; the review's columns (models.REVIEW) stay
writable.

SQLite drops a table's triggers when a migration rebuilds the table (any AlterField does), so
every migration that alters ``Submission`` must end with ``install()`` again; the test
``test_the_database_refuses_a_raw_update_of_the_snapshot`` fails if one forgets.
"""

from __future__ import annotations

from typing import Any

TABLE = "oversight_submission"
COLUMNS = (
    "unit_id",
    "version",
    "submitted_by_id",
    "submitted_at",
    '"on"',
    "figures",
    "paired",
    "children",
    "ledger",
    "ledger_sha256",
)
MESSAGE = "the snapshot of a submission is frozen"

_changed_sqlite = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in COLUMNS)
_old = ", ".join(f"OLD.{c}" for c in COLUMNS)
_new = ", ".join(f"NEW.{c}" for c in COLUMNS)

_SQL = {
    "sqlite": [
        f"DROP TRIGGER IF EXISTS {TABLE}_frozen;",
        f"""CREATE TRIGGER {TABLE}_frozen BEFORE UPDATE ON {TABLE}
            WHEN {_changed_sqlite}
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
    ],
    "postgresql": [
        f"""CREATE OR REPLACE FUNCTION shouwang_submission_frozen() RETURNS trigger AS $$
            BEGIN
              IF ROW({_new}) IS DISTINCT FROM ROW({_old}) THEN
                RAISE EXCEPTION '{MESSAGE}';
              END IF;
              RETURN NEW;
            END; $$ LANGUAGE plpgsql;""",
        f"DROP TRIGGER IF EXISTS {TABLE}_frozen ON {TABLE};",
        f"""CREATE TRIGGER {TABLE}_frozen BEFORE UPDATE ON {TABLE}
            FOR EACH ROW EXECUTE FUNCTION shouwang_submission_frozen();""",
    ],
}
_REVERSE = {
    "sqlite": [f"DROP TRIGGER IF EXISTS {TABLE}_frozen;"],
    "postgresql": [
        f"DROP TRIGGER IF EXISTS {TABLE}_frozen ON {TABLE};",
        "DROP FUNCTION IF EXISTS shouwang_submission_frozen();",
    ],
}


def install(apps: Any, schema_editor: Any) -> None:
    for sql in _SQL.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def remove(apps: Any, schema_editor: Any) -> None:
    for sql in _REVERSE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)
