"""Backup and restore (issue 18): the operator's restore drill, as the operator runs it.

Each test has a database of its own, of the engine the suite runs on (a SQLite file; on
PostgreSQL a database copied from a template on the suite's server), holding the demo county and
tests/world.py's world, built through the services. The commands run as the operator runs them:
``shouwang backup``, ``shouwang restore`` and ``shouwang audit verify`` in processes of their own.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import sqlite3
import stat
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection

from shouwang.audit.models import AuditEntry

REPO = Path(__file__).resolve().parents[2]
AUDIT = AuditEntry._meta.db_table
SQLITE = connection.vendor == "sqlite"
POSTGRES = connection.vendor == "postgresql"

BUILD = """
import django
django.setup()
from django.utils import timezone
from shouwang.demo.services import build_demo_county
from tests.world import build_world
build_demo_county(seed=7, children=20, today=timezone.localdate())
build_world()
"""

Tables = dict[str, tuple[int, str]]


@dataclass
class Site:
    """One Shouwang installation: its database and the environment its commands run in."""

    url: str
    env: dict[str, str]
    file: Path | None = None  # SQLite

    def shouwang(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "shouwang.cli", *args],
            env=self.env | env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def python(self, code: str) -> None:
        path = os.pathsep.join(filter(None, [str(REPO), self.env.get("PYTHONPATH")]))
        env = self.env | {"DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": path}
        subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, check=True, timeout=600)

    def connect(self) -> Any:
        if self.file is not None:
            return sqlite3.connect(self.file)
        import psycopg

        return psycopg.connect(self.url, autocommit=True)

    def tables(self, *, audit_up_to: int | None = None) -> Tables:
        """Every table's row count and a checksum of its rows (in a fixed order); the audit
        log's up to the given id when one is given."""
        db = self.connect()
        try:
            names = [row[0] for row in db.execute(TABLES[connection.vendor]).fetchall()]
            found = {}
            for name in names:
                sql = f'SELECT * FROM "{name}"'  # noqa: S608
                if name == AUDIT and audit_up_to is not None:
                    sql += f" WHERE id <= {int(audit_up_to)}"
                rows = sorted(repr(tuple(row)) for row in db.execute(sql).fetchall())
                found[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
            return found
        finally:
            db.close()

    def last_audit(self) -> tuple[int, str, dict[str, Any]]:
        db = self.connect()
        try:
            sql = f'SELECT id, action, changes FROM "{AUDIT}" ORDER BY id DESC LIMIT 1'  # noqa: S608
            pk, action, changes = db.execute(sql).fetchone()
            return pk, action, changes if isinstance(changes, dict) else json.loads(changes)
        finally:
            db.close()

    def destroy(self) -> None:
        """What a lost disk or a wrong command does: the SQLite file (and its WAL) gone; on
        PostgreSQL every table dropped."""
        if self.file is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.file}{suffix}").unlink(missing_ok=True)
        else:
            db = self.connect()
            db.execute("DROP SCHEMA public CASCADE")
            db.execute("CREATE SCHEMA public")
            db.close()


TABLES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
}


def _base_env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return env | {"SHOUWANG_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "shouwang.settings"}


def _pg_url(dbname: str) -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"], safe="")
    return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{dbname}"


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(_pg_url("postgres"), autocommit=True) as admin:
        admin.execute(sql)


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A migrated database with the demo county and the world in it, copied for each test."""
    var = tmp_path_factory.mktemp("origin")
    if SQLITE:
        file = var / "origin.sqlite3"
        site = Site(url=f"sqlite:///{file}", env={}, file=file)
    else:
        name = f"backup_origin_{uuid.uuid4().hex[:8]}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        site = Site(url=_pg_url(name), env={})
    site.env = _base_env(var) | {"DATABASE_URL": site.url}
    done = site.shouwang("migrate", "--noinput", "-v0")
    assert done.returncode == 0, done.stderr
    site.python(BUILD)
    yield site
    if not SQLITE:
        _pg_admin(f'DROP DATABASE IF EXISTS "{site.url.rsplit("/", 1)[1]}" WITH (FORCE)')


@pytest.fixture(scope="module")
def origin_backup(origin: Site, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup of the origin, for the tests that only see it refused."""
    backup = tmp_path_factory.mktemp("backups") / "origin.backup"
    made = origin.shouwang("backup", "--out", str(backup))
    assert made.returncode == 0, made.stderr
    return backup


@pytest.fixture
def site(origin: Site, tmp_path: Path) -> Iterator[Site]:
    var = tmp_path / "var"
    var.mkdir()
    if SQLITE:
        assert origin.file is not None
        file = var / "shouwang.sqlite3"
        with closing_sqlite(origin.file) as src, closing_sqlite(file) as dst:
            src.backup(dst)
        url = f"sqlite:///{file}"
        yield Site(url=url, env=_base_env(var) | {"DATABASE_URL": url}, file=file)
        return
    name = f"backup_site_{uuid.uuid4().hex[:8]}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{origin.url.rsplit("/", 1)[1]}"')
    url = _pg_url(name)
    yield Site(url=url, env=_base_env(var) | {"DATABASE_URL": url})
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def closing_sqlite(path: Path) -> Any:
    from contextlib import closing

    return closing(sqlite3.connect(path))


def manifest_of(file: Path) -> dict[str, Any]:
    with tarfile.open(file) as tar:
        return json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]


def rewrite_manifest(file: Path, out: Path, **changes: Any) -> None:
    """The same backup under a manifest that says something else."""
    with tarfile.open(file) as src, tarfile.open(out, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "manifest.json":
                data = json.dumps(json.loads(data) | changes).encode()
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data))


def add_an_org(site: Site, name: str) -> None:
    done = site.shouwang(
        "org", "add", "--name", name, "--kind", "volunteer_association", "--parent", "110101000000"
    )
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------------------------------------


def test_a_destroyed_database_comes_back_whole_from_its_backup_with_its_audit_chain(
    site: Site, tmp_path: Path
):
    before = site.tables()
    assert before[AUDIT][0] > 100 and before["orgs_org"][0] > 10  # a county's worth of data
    last_before = site.last_audit()[0]
    backup = tmp_path / "county.backup"

    made = site.shouwang("backup", "--out", str(backup))

    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    manifest = manifest_of(backup)
    assert manifest["engine"] == connection.vendor
    assert manifest["tables"] == {name: count for name, (count, _) in before.items()}
    assert any(name.startswith("audit.") for name in manifest["migrations"])
    pk, action, changes = site.last_audit()  # the backup is on the log, after its snapshot
    assert (pk, action, changes["backup"]) == (last_before + 1, "export", str(backup))

    site.destroy()
    restored = site.shouwang("restore", str(backup))  # nothing there: no --force needed

    assert restored.returncode == 0, restored.stderr
    after = site.tables(audit_up_to=last_before)
    assert after == before
    pk, action, changes = site.last_audit()  # the restore is on the log, linked to the chain
    assert (pk, action) == (last_before + 1, "import")
    assert changes["backup"] == str(backup) and changes["created_at"] == manifest["created_at"]
    assert changes["chain_intact"] is True
    verified = site.shouwang("audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert f"已核验 {last_before + 1} 条" in verified.stdout
    db = site.connect()  # and the log is as append-only as it was
    try:
        with pytest.raises(Exception, match="append-only"):
            db.execute(f"UPDATE \"{AUDIT}\" SET object_repr = '改过'")  # noqa: S608
    finally:
        db.close()


def test_a_backup_from_before_an_upgrade_is_restored_and_brought_up_to_date(
    site: Site, tmp_path: Path
):
    # The installation as it was one migration ago (any app whose last step is reversible).
    older = site.shouwang("migrate", "family", "0002_schedule", "-v0")
    assert older.returncode == 0, older.stderr
    backup = tmp_path / "before-the-upgrade.backup"
    assert site.shouwang("backup", "--out", str(backup)).returncode == 0
    assert "family.0003_silence_setting" not in manifest_of(backup)["migrations"]
    site.destroy()

    restored = site.shouwang("restore", str(backup))

    assert restored.returncode == 0, restored.stderr
    assert "备份早于本版本" in restored.stderr
    assert "family_silencesetting" in site.tables()
    assert site.last_audit()[1] == "import"
    assert site.shouwang("audit", "verify").returncode == 0


def test_restore_refuses_a_database_that_holds_data_unless_forced(site: Site, tmp_path: Path):
    backup = tmp_path / "county.backup"
    assert site.shouwang("backup", "--out", str(backup)).returncode == 0
    add_an_org(site, "备份之后成立的协会")
    before = site.tables()
    replaced_end = site.connect()
    try:
        sql = f'SELECT digest FROM "{AUDIT}" ORDER BY id DESC LIMIT 1'  # noqa: S608
        last_digest = replaced_end.execute(sql).fetchone()[0]
    finally:
        replaced_end.close()

    refused = site.shouwang("restore", str(backup))

    assert refused.returncode == 1
    assert "已有数据" in refused.stderr and "--force" in refused.stderr
    assert site.tables() == before  # untouched

    forced = site.shouwang("restore", str(backup), "--force")

    assert forced.returncode == 0, forced.stderr
    db = site.connect()
    try:
        gone = db.execute("SELECT count(*) FROM orgs_org WHERE name = '备份之后成立的协会'")
        assert gone.fetchone()[0] == 0
    finally:
        db.close()
    _, action, changes = site.last_audit()
    assert action == "import" and changes["replaced"]["last_digest"] == last_digest
    assert site.shouwang("audit", "verify").returncode == 0


def test_a_backup_of_the_other_engine_is_refused(site: Site, origin_backup: Path, tmp_path: Path):
    backup, other = origin_backup, tmp_path / "other.backup"
    rewrite_manifest(backup, other, engine="postgresql" if SQLITE else "sqlite")
    before = site.tables()

    refused = site.shouwang("restore", str(other), "--force")

    assert refused.returncode == 1
    theirs, ours = ("PostgreSQL", "SQLite") if SQLITE else ("SQLite", "PostgreSQL")
    assert f"这是 {theirs} 的备份" in refused.stderr and ours in refused.stderr
    assert site.tables() == before


def test_a_backup_of_a_newer_schema_is_refused(site: Site, origin_backup: Path, tmp_path: Path):
    backup, newer = origin_backup, tmp_path / "newer.backup"
    future = [*manifest_of(backup)["migrations"], "audit.9999_from_a_later_version"]
    rewrite_manifest(backup, newer, migrations=future, app_version="9.0.0")
    before = site.tables()

    refused = site.shouwang("restore", str(newer), "--force")

    assert refused.returncode == 1
    assert "比本版本" in refused.stderr and "audit.9999_from_a_later_version" in refused.stderr
    assert site.tables() == before


def test_a_damaged_or_foreign_file_is_refused_and_the_database_left_as_it_was(
    site: Site, origin_backup: Path, tmp_path: Path
):
    data = origin_backup.read_bytes()
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF  # inside the database, past the manifest
    truncated = data[: len(data) // 2]
    cases = {
        "flipped.backup": (bytes(flipped), "损坏"),
        "truncated.backup": (truncated, "损坏"),
        "ledger.xlsx": (b"PK\x03\x04 not a backup at all" * 100, "不是守望的备份"),
        "empty.backup": (b"", "不是守望的备份"),
    }
    before = site.tables()
    for name, (content, says) in cases.items():
        bad = tmp_path / name
        bad.write_bytes(content)

        refused = site.shouwang("restore", str(bad), "--force")

        assert refused.returncode == 1, name
        assert says in refused.stderr, (name, refused.stderr)
        assert "Traceback" not in refused.stderr, name
    assert site.shouwang("restore", str(tmp_path / "missing.backup")).returncode == 1
    assert site.tables() == before


def test_a_backup_to_a_folder_that_does_not_exist_fails_cleanly(site: Site, tmp_path: Path):
    failed = site.shouwang("backup", "--out", str(tmp_path / "nowhere" / "county.backup"))
    assert failed.returncode == 1
    assert "不存在" in failed.stderr and "Traceback" not in failed.stderr


@pytest.mark.sqlite  # SQLite's WAL
def test_a_sqlite_backup_holds_the_commits_still_in_the_wal_and_does_not_wait_for_a_writer(
    site: Site, tmp_path: Path
):
    assert site.file is not None
    watcher = sqlite3.connect(site.file, isolation_level=None)  # keeps the WAL from going away
    watcher.execute("PRAGMA journal_mode=WAL")
    try:
        add_an_org(site, "只在预写日志里的协会")
        assert Path(f"{site.file}-wal").stat().st_size > 0  # the commit is in the WAL
        watcher.execute("BEGIN IMMEDIATE")  # a writer in the middle of its transaction
        watcher.execute("CREATE TABLE unfinished (x)")
        backup = tmp_path / "county.backup"
        making = subprocess.Popen(
            [sys.executable, "-m", "shouwang.cli", "backup", "--out", str(backup)],
            env=site.env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        # The file is complete while the writer still holds the write lock: the snapshot did
        # not wait for it (only the backup's own audit entry, written next, waits its turn).
        deadline = time.monotonic() + 120
        while not backup.exists() and making.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert backup.exists(), making.stderr.read() if making.stderr else ""
    finally:
        watcher.execute("ROLLBACK")
        watcher.close()
    assert making.wait(timeout=120) == 0
    with tarfile.open(backup) as tar:
        payload = tar.extractfile("database.sqlite3.gz").read()  # type: ignore[union-attr]
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(gzip.decompress(payload))
    with closing_sqlite(copy) as db:
        found = db.execute("SELECT count(*) FROM orgs_org WHERE name = '只在预写日志里的协会'")
        assert found.fetchone()[0] == 1
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        assert "unfinished" not in tables
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file


@pytest.mark.postgresql  # PostgreSQL's client programs
def test_without_the_postgresql_client_programs_backup_says_what_to_install(
    site: Site, tmp_path: Path
):
    failed = site.shouwang(
        "backup", "--out", str(tmp_path / "county.backup"), SHOUWANG_PG_BINDIR=str(tmp_path)
    )
    assert failed.returncode == 1
    assert "pg_dump" in failed.stderr and "postgresql" in failed.stderr
    assert not (tmp_path / "county.backup").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".shouwang")] == []
