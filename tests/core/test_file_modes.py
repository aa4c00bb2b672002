"""What Shouwang writes under var/ is readable by the account that runs it and nobody else:
files 600, directories 700, whichever part of it wrote them, and files an older install left
open are closed at the next start."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

# Writes one of everything a running Shouwang writes, then lists var/ while the database is
# still open (so its -wal and -shm are there to be looked at).
WRITE_EVERYTHING = """
import json, os, stat
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import connection
from shouwang.accounts.ratelimit import hit
from shouwang.notices.services import FileSender

FileSender().send("13800000000", "家访提醒")
send_mail("提醒", "家访", "a@shouwang.invalid", ["b@shouwang.invalid"])
default_storage.save("letters/2026/scan.jpg", ContentFile(b"scan"))
hit("address", "10.0.0.1", "10/minute")
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE IF NOT EXISTS probe (x)")
    cursor.execute("INSERT INTO probe VALUES (1)")
modes = {}
for here, dirs, files in os.walk(settings.VAR_DIR):
    for name in [".", *dirs, *files]:
        path = os.path.join(here, name)
        modes[os.path.relpath(path, settings.VAR_DIR)] = stat.S_IMODE(os.lstat(path).st_mode)
print(json.dumps(modes))
"""


def shouwang(var: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env |= {"SHOUWANG_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "shouwang.settings"}
    return subprocess.run(
        [sys.executable, "-m", "shouwang.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


def modes_under(root: Path) -> dict[str, int]:
    return {
        str(path.relative_to(root)): stat.S_IMODE(path.lstat().st_mode)
        for path in [root, *root.rglob("*")]
    }


def not_private(modes: dict[str, int]) -> dict[str, str]:
    return {path: oct(mode) for path, mode in modes.items() if mode & 0o077}


def test_a_fresh_install_writes_nothing_others_can_read(tmp_path):
    var = tmp_path / "var"
    shouwang(var, "migrate", "--noinput", "-v0")
    while_open = json.loads(shouwang(var, "shell", "-v0", "-c", WRITE_EVERYTHING).stdout)
    # Each kind of file was written where it is expected, so none escapes the check.
    for expected in (
        "shouwang.sqlite3",
        "shouwang.sqlite3-wal",
        "shouwang.sqlite3-shm",
        "secret_key",
        "outbox.log",
        "media/letters/2026/scan.jpg",
        "cache/ratelimit",
        "static",
    ):
        assert expected in while_open, expected
    assert any(path.startswith("mail/") for path in while_open)
    assert not_private(while_open) == {}
    after = modes_under(var)
    assert not_private(after) == {}
    assert after["shouwang.sqlite3"] == 0o600
    assert after["media/letters/2026/scan.jpg"] == 0o600
    assert after["media/letters"] == 0o700


def test_files_an_older_install_left_readable_are_made_private_at_the_next_start(tmp_path):
    var = tmp_path / "var"
    (var / "media" / "uploads").mkdir(parents=True)
    old = [var / "shouwang.sqlite3", var / "outbox.log", var / "media" / "uploads" / "a.xlsx"]
    for path in old:
        path.write_bytes(b"")
        path.chmod(0o644)
    for folder in (var, var / "media", var / "media" / "uploads"):
        folder.chmod(0o755)
    shouwang(var, "check")
    assert not_private(modes_under(var)) == {}
    assert (var / "outbox.log").stat().st_mode & 0o777 == 0o600
    assert (var / "media").stat().st_mode & 0o777 == 0o700


def test_a_symbolic_link_in_var_is_not_followed(tmp_path):
    """Tightening changes what var/ holds, not what a link in it points at elsewhere."""
    var = tmp_path / "var"
    var.mkdir()
    elsewhere = tmp_path / "shared.txt"
    elsewhere.write_text("x")
    elsewhere.chmod(0o644)
    (var / "link").symlink_to(elsewhere)
    shouwang(var, "check")
    assert elsewhere.stat().st_mode & 0o777 == 0o644


def test_the_wsgi_module_starts_with_the_private_umask(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env |= {
        "SHOUWANG_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "shouwang.settings",
    }
    code = "import os, shouwang.wsgi; print(oct(os.umask(0)))"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "0o77", result.stderr
