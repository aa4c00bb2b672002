"""The ``shouwang`` console script.

Every subcommand is a Django management command (``shouwang demo``, ``shouwang org add``,
``shouwang migrate``…), so the script only points Django at our settings and hands over.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if args and not args[0].startswith("-"):
        # interfaces.md names commands with dashes (import-ledger); Django's modules use _.
        args[0] = args[0].replace("-", "_")
    execute_from_command_line(["shouwang", *args])


if __name__ == "__main__":
    main()
