"""Settings come from the environment, and a value that cannot be understood stops the start."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.utils import ConnectionHandler
from hypothesis import given
from hypothesis import strategies as st

from shouwang import settings
from shouwang.settings import _FALSE, _TRUE, env_bool, env_int


def start_with(env: dict[str, str], tmp_path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    return subprocess.run(
        [sys.executable, "-m", "shouwang.cli", "check"],
        env={**clean, "SHOUWANG_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"SHOUWANG_IDLE_TIMEOUT_SECONDS": "half an hour"}, "SHOUWANG_IDLE_TIMEOUT_SECONDS"),
        ({"DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
    ],
)
def test_a_bad_value_fails_loudly_at_start(tmp_path, env, named):
    result = start_with(env, tmp_path)
    assert result.returncode != 0
    assert named in result.stderr


def test_secret_key_is_generated_once_into_var_and_kept_private(tmp_path):
    assert start_with({}, tmp_path).returncode == 0
    key_file = tmp_path / "secret_key"
    first = key_file.read_text()
    assert len(first) >= 50
    assert key_file.stat().st_mode & 0o077 == 0
    assert start_with({}, tmp_path).returncode == 0
    assert key_file.read_text() == first


@given(st.text(st.characters(blacklist_characters="\x00", codec="utf-8"), max_size=12))
def test_env_bool_accepts_only_known_words(value):
    os.environ["SHOUWANG_PROBE"] = value
    try:
        word = value.strip().lower()
        if word in _TRUE | _FALSE:
            assert env_bool("SHOUWANG_PROBE", default=False) is (word in _TRUE)
        else:
            with pytest.raises(ImproperlyConfigured):
                env_bool("SHOUWANG_PROBE", default=False)
    finally:
        del os.environ["SHOUWANG_PROBE"]


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_env_int_reads_integers(number):
    os.environ["SHOUWANG_PROBE"] = str(number)
    try:
        assert env_int("SHOUWANG_PROBE", 0) == number
    finally:
        del os.environ["SHOUWANG_PROBE"]


@pytest.mark.parametrize("spelling", ["default", "absolute", "relative"])
def test_sqlite_holds_concurrent_writers_however_database_url_names_it(
    monkeypatch, tmp_path, django_db_blocker, spelling
):
    """WAL, a busy timeout and immediate write transactions for the default file and for a
    sqlite:// DATABASE_URL alike (a URL used to get none: tests/core/test_concurrent_writes.py)."""
    monkeypatch.setattr(settings, "VAR_DIR", tmp_path)
    monkeypatch.chdir(tmp_path)
    url = {"absolute": f"sqlite:///{tmp_path}/county.sqlite3", "relative": "sqlite:///county.db"}
    if spelling in url:
        monkeypatch.setenv("DATABASE_URL", url[spelling])
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    # A connection of its own, as a server's worker process would open it.
    connection = ConnectionHandler({"default": settings._database()})["default"]
    try:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            pragmas = {
                name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("journal_mode", "synchronous", "busy_timeout")
            }
        assert pragmas == {"journal_mode": "wal", "synchronous": 1, "busy_timeout": 20_000}
        # transaction.atomic() begins with BEGIN IMMEDIATE: the write lock first, not last.
        assert connection.transaction_mode == "IMMEDIATE"
    finally:
        connection.close()


def test_postgres_gets_no_sqlite_options_and_no_jit(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/shouwang")
    config = settings._database()
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["OPTIONS"] == {"options": "-c jit=off"}


def test_postgres_keeps_the_options_its_url_gives(monkeypatch):
    monkeypatch.setenv(
        "DATABASE_URL", "postgres://u:p@db:5432/shouwang?options=-c%20work_mem%3D64MB"
    )
    assert settings._database()["OPTIONS"] == {"options": "-c jit=off -c work_mem=64MB"}
