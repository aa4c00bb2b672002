"""Whole-database backup and restore (issue 18; ``shouwang backup`` / ``shouwang restore``).

A backup is a tar file, mode 600, of two members: ``manifest.json`` first (what the file is:
engine, when it was made, by which version, the migrations applied, every table's row count, the
payload's SHA-256), then the payload:

- SQLite: the database as SQLite's online backup API copies it (``sqlite3.Connection.backup``):
  one consistent snapshot that includes the pages committed to the WAL and does not stop the
  writers (a reader does not block a writer under WAL), gzipped. ``tar xOf FILE manifest.json``
  shows what a file holds.
- PostgreSQL: ``pg_dump --format=custom`` of a snapshot exported from a repeatable-read
  transaction, the same snapshot the row counts are read from.

A restore replaces the whole database, schema and all, in ONE transaction; it never deletes rows
(the audit log's triggers refuse that, rightly), so the audit log comes back as it was:

- SQLite: the backup API the other way, from the extracted file into the live database. It
  writes through SQLite's own pager, in one write transaction (a crash leaves the old database),
  and the WAL and shared-memory files stay consistent for every process that has the database
  open. Renaming a file over a database that a server has open would corrupt it instead.
- PostgreSQL: ``DROP SCHEMA public CASCADE; CREATE SCHEMA public;`` then ``pg_restore``'s script,
  all through ``psql --single-transaction``: a failure leaves the old database as it was.

Encrypted (``secret`` given: :mod:`shouwang.core.backupcrypt`): the same tar, sealed in
authenticated chunks as it is written, never whole in memory nor in clear on the disk. A restore
opens it as it reads, and checks that the whole file is intact (every chunk, the last one
included) before it touches the database.

Nothing here knows the other apps: callers pass what the manifest should say besides
(``describe``) and which tables hold data (:func:`tables_with_rows`).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from shouwang.core import backupcrypt

FORMAT = "shouwang-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PAYLOADS = {"sqlite": "database.sqlite3.gz", "postgresql": "database.pgdump"}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
CHUNK = 1 << 20
# PostgreSQL waits this long for another session's lock before a restore gives up.
LOCK_TIMEOUT = "60s"

# (a DB-API cursor on the snapshot, its row counts by table) -> what the manifest says besides
Describe = Callable[[Any, dict[str, int]], dict[str, Any]]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


@dataclass(frozen=True)
class Restored:
    manifest: dict[str, Any]
    tables: dict[str, int]  # row counts after the restore (equal to the manifest's)


# --------------------------------------------------------------------------------------------
# Backup


def backup(
    out: Path, *, describe: Describe | None = None, secret: bytes | None = None
) -> dict[str, Any]:
    """Write the whole database to ``out`` (replaced atomically, mode 600), encrypted with
    ``secret`` when one is given; return the manifest."""
    with _failures_said(_("The backup failed: %(error)s")):
        return _backup(Path(out), describe, secret)


def _backup(out: Path, describe: Describe | None, secret: bytes | None) -> dict[str, Any]:
    if not out.parent.is_dir():
        raise BackupError(_("The folder %(dir)s does not exist.") % {"dir": out.parent})
    vendor = _vendor()
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".shouwang-backup-") as tmp:
        payload = Path(tmp) / PAYLOADS[vendor]
        if vendor == "sqlite":
            facts = _sqlite_snapshot(payload, describe)
        else:
            facts = _pg_snapshot(payload, describe)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "engine": vendor,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "app_version": _app_version(),
            **facts,
            "payload": {
                "name": payload.name,
                "bytes": payload.stat().st_size,
                "sha256": _sha256_of(payload),
            },
        }
        partial = Path(tmp) / "backup.tar"  # mkstemp-like: the directory is 700, the file 600
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw:
            sealer = None
            if secret is not None:
                # Readable without the key: what tells backups apart, nothing about anyone.
                clear = {k: manifest[k] for k in ("engine", "created_at", "app_version")}
                sealer = backupcrypt.Sealer(raw, secret, clear)
            with tarfile.open(fileobj=sealer or raw, mode="w") as tar:
                text = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode = len(text), 0o600
                info.mtime = int(datetime.now(UTC).timestamp())
                tar.addfile(info, io.BytesIO(text))
                info = tar.gettarinfo(str(payload), arcname=payload.name)
                info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
                with payload.open("rb") as fh:
                    tar.addfile(info, fh)
            if sealer is not None:
                sealer.finish()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, out)
    return manifest


def _sqlite_snapshot(payload: Path, describe: Describe | None) -> dict[str, Any]:
    connection.ensure_connection()
    copy = payload.with_suffix("")  # database.sqlite3
    target = sqlite3.connect(copy)
    with closing(target):
        # One step (pages=-1): a single read transaction on the live database, so the copy is
        # one moment's state, WAL included; writers carry on meanwhile.
        connection.connection.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        facts = _facts(target.cursor(), _sqlite_tables(target), describe)
        facts["server_version"] = sqlite3.sqlite_version
    with copy.open("rb") as src, gzip.open(payload, "wb", compresslevel=6) as dst:
        shutil.copyfileobj(src, dst, CHUNK)
    copy.unlink()
    return facts


def _pg_snapshot(payload: Path, describe: Describe | None) -> dict[str, Any]:
    import psycopg

    pg_dump = pg_program("pg_dump")
    with closing(psycopg.connect(**_pg_params())) as conn:  # type: ignore[arg-type]
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()  # type: ignore[misc]
            # pg_dump reads the snapshot this transaction holds open: the counts below and the
            # dump see the same moment, whatever is written meanwhile.
            _run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={payload}"],
                env=_pg_env(),
            )
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
            tables = [row[0] for row in cursor.fetchall()]
            facts = _facts(cursor, tables, describe)
            facts["server_version"] = server_version
        conn.rollback()
    return facts


def _facts(cursor: Any, tables: list[str], describe: Describe | None) -> dict[str, Any]:
    counts = _counts(cursor, tables)
    applied: list[str] = []
    if "django_migrations" in counts:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        applied = [f"{app}.{name}" for app, name in cursor.fetchall()]
    return {
        "migrations": applied,
        "tables": counts,
        "rows": sum(counts.values()),
        **(describe(cursor, counts) if describe is not None else {}),
    }


def _counts(cursor: Any, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 (names from the catalogue)
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _sqlite_tables(db: sqlite3.Connection) -> list[str]:
    rows = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    )
    return [name for (name,) in rows]


# --------------------------------------------------------------------------------------------
# Reading a backup


def is_encrypted(path: Path) -> bool:
    return backupcrypt.is_encrypted(Path(path))


def read_manifest(path: Path, *, secret: bytes | None = None) -> dict[str, Any]:
    """The manifest of a backup file, or BackupError saying what the file is not (an encrypted
    one is opened with ``secret``)."""
    with _open(path, secret) as (tar, _opener):
        return _manifest(tar)


@contextmanager
def _open(
    path: Path, secret: bytes | None
) -> Iterator[tuple[tarfile.TarFile, backupcrypt.Opener | None]]:
    path = Path(path)
    if not path.is_file():
        raise BackupError(_("%(file)s does not exist.") % {"file": path})
    unreadable = _("%(file)s is not a Shouwang backup or is damaged (%(error)s).")
    if backupcrypt.is_encrypted(path):
        if secret is None:
            raise BackupError(
                _("This backup is encrypted: give its key in %(env)s or with --key-file.")
                % {"env": backupcrypt.KEY_ENV}
            )
        with path.open("rb") as raw:
            try:
                opener = backupcrypt.Opener(raw, secret)
                plain = io.BufferedReader(opener, CHUNK)
                tar = tarfile.open(fileobj=plain, mode="r|")  # noqa: SIM115 (closed below)
            except backupcrypt.CryptError as exc:
                raise BackupError(str(exc)) from exc
            except (tarfile.TarError, EOFError) as exc:
                raise BackupError(unreadable % {"file": path.name, "error": exc}) from exc
            with tar:
                try:
                    yield tar, opener
                except backupcrypt.CryptError as exc:
                    raise BackupError(str(exc)) from exc
                except (tarfile.TarError, EOFError) as exc:
                    raise BackupError(unreadable % {"file": path.name, "error": exc}) from exc
        return
    try:
        tar = tarfile.open(path, mode="r:")  # noqa: SIM115 (closed below)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(unreadable % {"file": path.name, "error": exc}) from exc
    with tar:
        try:
            yield tar, None
        except (tarfile.TarError, EOFError) as exc:  # a header cut short or garbled
            raise BackupError(unreadable % {"file": path.name, "error": exc}) from exc


def _manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    first = tar.next()
    if first is None or first.name != MANIFEST:
        raise BackupError(_("This file is not a Shouwang backup (it has no manifest)."))
    try:
        manifest = json.load(tar.extractfile(first))  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise BackupError(_("The backup's manifest cannot be read: the file is damaged.")) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(_("This file is not a Shouwang backup (it has no manifest)."))
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise BackupError(
            _("This backup was made by a newer version of Shouwang (%(version)s): upgrade first.")
            % {"version": manifest.get("app_version", "?")}
        )
    return manifest


def check_restorable(manifest: dict[str, Any]) -> None:
    """Refuse a backup of the other engine or of a schema newer than this code knows."""
    vendor = _vendor()
    engine = manifest.get("engine")
    if engine != vendor:
        raise BackupError(
            _(
                "This is a %(theirs)s backup and this database is %(ours)s: a backup restores "
                "only into the engine it was made from."
            )
            % {"theirs": ENGINE_NAMES.get(str(engine), str(engine)), "ours": ENGINE_NAMES[vendor]}
        )
    known = {f"{app}.{name}" for app, name in MigrationLoader(None).disk_migrations}
    newer = sorted(set(manifest.get("migrations", [])) - known)
    if newer:
        raise BackupError(
            _(
                "This backup's database schema is newer than this version of Shouwang "
                "(%(version)s) knows (%(migrations)s): install the version that made it "
                "(%(theirs)s) or a later one first."
            )
            % {
                "version": _app_version(),
                "migrations": ", ".join(newer[:3]) + (" …" if len(newer) > 3 else ""),
                "theirs": manifest.get("app_version", "?"),
            }
        )


# --------------------------------------------------------------------------------------------
# Restore


def tables_with_rows(tables: list[str]) -> list[str]:
    """Which of these tables exist in the live database and hold at least one row."""
    existing = set(connection.introspection.table_names())
    found = []
    with connection.cursor() as cursor:
        for table in tables:
            if table in existing:
                name = connection.ops.quote_name(table)
                cursor.execute(f"SELECT 1 FROM {name} LIMIT 1")  # noqa: S608
                if cursor.fetchone() is not None:
                    found.append(table)
    return found


def restore(path: Path, *, secret: bytes | None = None) -> Restored:
    """Replace the whole live database with the backup's (the caller has checked that it may):
    the payload's checksum (and an encrypted file's every chunk) is checked before anything is
    touched, and the row counts after."""
    with _failures_said(_("The restore failed: %(error)s")):
        return _restore(Path(path), secret)


def _restore(path: Path, secret: bytes | None) -> Restored:
    vendor = _vendor()
    with _open(path, secret) as (tar, opener):
        manifest = _manifest(tar)
        check_restorable(manifest)
        member = tar.next()
        expected = manifest.get("payload", {})
        if member is None or member.name != expected.get("name") or member.name != PAYLOADS[vendor]:
            raise BackupError(_("The backup is damaged: its database is missing."))
        with tempfile.TemporaryDirectory(dir=_work_dir(), prefix=".shouwang-restore-") as tmp:
            extracted = Path(tmp) / member.name.removesuffix(".gz")
            _extract(tar, member, extracted, expected, gunzip=vendor == "sqlite")
            if opener is not None:
                opener.finish()  # the rest of the file, down to its last chunk, is intact
            if vendor == "sqlite":
                _sqlite_restore(extracted)
            else:
                _pg_restore(extracted)
    connection.close()
    with connection.cursor() as cursor:
        tables = [
            t for t in connection.introspection.table_names(cursor) if t in manifest["tables"]
        ]
        counts = _counts(cursor, sorted(tables))
    if counts != manifest["tables"]:
        differ = sorted(
            t
            for t in set(counts) | set(manifest["tables"])
            if counts.get(t) != manifest["tables"].get(t)
        )
        raise BackupError(
            _("After the restore these tables do not hold the rows the backup says: %(tables)s.")
            % {"tables": ", ".join(differ[:5])}
        )
    return Restored(manifest=manifest, tables=counts)


class _Hashing(io.RawIOBase):
    """Reads through a file while hashing every byte read."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.hash, self.size = raw, hashlib.sha256(), 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        self.hash.update(data)
        self.size += len(data)
        buffer[: len(data)] = data
        return len(data)


def _extract(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    target: Path,
    expected: dict[str, Any],
    *,
    gunzip: bool,
) -> None:
    damaged = _("The backup is damaged: its database does not match the checksum it was made with.")
    source = tar.extractfile(member)
    if source is None:
        raise BackupError(damaged)
    hashing = _Hashing(source)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            reader: IO[bytes] = gzip.GzipFile(fileobj=hashing) if gunzip else hashing  # type: ignore[assignment]
            shutil.copyfileobj(reader, out, CHUNK)
            while hashing.read(CHUNK):  # whatever the decompressor left unread
                pass
    except (OSError, EOFError, zlib.error, tarfile.TarError) as exc:
        raise BackupError(damaged) from exc
    if hashing.size != expected.get("bytes") or hashing.hash.hexdigest() != expected.get("sha256"):
        raise BackupError(damaged)


def _sqlite_restore(extracted: Path) -> None:
    source = sqlite3.connect(extracted)
    with closing(source):
        if source.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(_("The backup is damaged: its SQLite database fails its check."))
        connection.close()
        connection.ensure_connection()
        live = connection.connection
        # One step: the live database is replaced in one write transaction, through its WAL.
        source.backup(live)
    if not _in_memory():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _pg_restore(extracted: Path) -> None:
    pg_restore, psql = pg_program("pg_restore"), pg_program("psql")
    connection.close()  # no session of ours holds a lock on the schema
    env = _pg_env()
    prelude = (
        f"SET lock_timeout = '{LOCK_TIMEOUT}';\n"
        "DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n"
    ).encode()
    with tempfile.TemporaryFile() as err1, tempfile.TemporaryFile() as err2:
        script = subprocess.Popen(  # noqa: S603 (a program path we found, no shell)
            [pg_restore, "--no-owner", "--no-privileges", "--file=-", str(extracted)],
            stdout=subprocess.PIPE,
            stderr=err1,
            env=env,
        )
        runner = subprocess.Popen(  # noqa: S603
            [psql, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=err2,
            env=env,
        )
        assert script.stdout is not None and runner.stdin is not None
        try:
            runner.stdin.write(prelude)
            shutil.copyfileobj(script.stdout, runner.stdin, CHUNK)
        except BrokenPipeError:
            pass
        finally:
            runner.stdin.close()
            script.stdout.close()
        failed = [
            (name, err)
            for name, proc, err in (("pg_restore", script, err1), ("psql", runner, err2))
            if proc.wait() != 0
        ]
        if failed:
            name, err = failed[-1]
            err.seek(0)
            raise BackupError(
                _(
                    "The restore failed and the database was left as it was: "
                    "%(program)s said: %(error)s"
                )
                % {"program": name, "error": err.read().decode(errors="replace").strip()[-800:]}
            )


# --------------------------------------------------------------------------------------------
# PostgreSQL's programs and connection


def pg_program(name: str) -> str:
    """A PostgreSQL client program: from SHOUWANG_PG_BINDIR, else the newest
    /usr/lib/postgresql/*/bin (Debian's packages, as scripts/pg_test_cluster.sh finds them; the
    newest dumps every older server), else the PATH."""
    candidates: list[Path] = []
    if bindir := os.environ.get("SHOUWANG_PG_BINDIR"):
        candidates.append(Path(bindir) / name)
    else:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
        candidates += [d / name for d in found]
        if on_path := shutil.which(name):
            candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise BackupError(
        _(
            "%(program)s was not found: install PostgreSQL's client programs (Debian's "
            "postgresql package, `make system-deps`) or set SHOUWANG_PG_BINDIR to their folder."
        )
        % {"program": name}
    )


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path.parent.name)) or (0,)


_PG_ENV = {
    "NAME": "PGDATABASE",
    "USER": "PGUSER",
    "PASSWORD": "PGPASSWORD",
    "HOST": "PGHOST",
    "PORT": "PGPORT",
}
_PG_OPTION_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


def _pg_env() -> dict[str, str]:
    """The connection as libpq's variables: the password never appears on a command line."""
    settings = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for key, var in _PG_ENV.items():
        if settings.get(key):
            env[var] = str(settings[key])
    for key, var in _PG_OPTION_ENV.items():
        if settings.get("OPTIONS", {}).get(key):
            env[var] = str(settings["OPTIONS"][key])
    return env


def _pg_params() -> dict[str, str]:
    """The same connection for psycopg."""
    settings = connection.settings_dict
    keys = {
        "NAME": "dbname",
        "USER": "user",
        "PASSWORD": "password",
        "HOST": "host",
        "PORT": "port",
    }
    params = {param: str(settings[key]) for key, param in keys.items() if settings.get(key)}
    options = settings.get("OPTIONS", {})
    params |= {key: str(options[key]) for key in _PG_OPTION_ENV if options.get(key)}
    return params


def _run(command: list[str], *, env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(
            _("%(program)s failed: %(error)s")
            % {
                "program": Path(command[0]).name,
                "error": done.stderr.decode(errors="replace").strip()[-800:],
            }
        )


# --------------------------------------------------------------------------------------------


@contextmanager
def _failures_said(message: str) -> Iterator[None]:
    """A full disk, a refused connection, a locked database: one line for the operator."""
    import psycopg

    try:
        yield
    except (OSError, sqlite3.Error, DatabaseError, psycopg.Error) as exc:
        raise BackupError(message % {"error": str(exc).strip() or type(exc).__name__}) from exc


def _vendor() -> str:
    if connection.vendor not in PAYLOADS:
        raise BackupError(_("Backups are made of SQLite and PostgreSQL databases only."))
    return connection.vendor


def _in_memory() -> bool:
    return connection.vendor == "sqlite" and bool(connection.is_in_memory_db())  # type: ignore[attr-defined]


def _work_dir() -> Path | None:
    """Where a restore unpacks: beside the SQLite file (the same disk must hold it anyway)."""
    if connection.vendor == "sqlite" and not _in_memory():
        return Path(connection.settings_dict["NAME"]).resolve().parent
    return None


def _app_version() -> str:
    try:
        return metadata.version("shouwang")
    except metadata.PackageNotFoundError:
        return "unknown"


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()
