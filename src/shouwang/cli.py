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

    execute_from_command_line(["shouwang", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
