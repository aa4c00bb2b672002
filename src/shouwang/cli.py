"""The ``shouwang`` console script.

Every subcommand is a Django management command (``shouwang demo``, ``shouwang org add``,
``shouwang migrate``…), so the script only points Django at our settings and hands over.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

# What Shouwang writes (the database with its -wal and -shm, var/secret_key, var/outbox.log,
# uploads, mail, logs) is about children: readable by the account that runs it and nobody else.
PRIVATE_UMASK = 0o077


def keep_private() -> None:
    """Files and directories made from here on are 600 and 700; the ones var/ already holds
    (made before this rule, or copied in) are brought to the same. Called where a process
    starts: this script (every command, the server and the worker) and the WSGI module."""
    os.umask(PRIVATE_UMASK)
    try:
        from django.conf import settings

        var_dir = Path(settings.VAR_DIR)
    except Exception:  # a bad setting: Django's own start below reports it
        return
    tighten(var_dir)


def tighten(root: Path) -> None:
    """Takes group and other permissions off everything under root that this user owns
    (symbolic links are left alone, and so is what they point to)."""
    if not root.is_dir() or root.is_symlink():
        return
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    for here, dirs, files in os.walk(root):
        for name in [".", *dirs, *files]:
            path = os.path.join(here, name)
            try:
                info = os.lstat(path)
                if stat.S_ISLNK(info.st_mode) or (uid is not None and info.st_uid != uid):
                    continue
                if info.st_mode & 0o077:
                    os.chmod(path, stat.S_IMODE(info.st_mode) & ~0o077)
            except OSError:
                continue  # removed meanwhile, or not ours to change


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.settings")
    keep_private()
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if args and not args[0].startswith("-"):
        # interfaces.md names commands with dashes (import-ledger); Django's modules use _.
        args[0] = args[0].replace("-", "_")
    execute_from_command_line(["shouwang", *args])


if __name__ == "__main__":
    main()
