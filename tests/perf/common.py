"""What every benchmark does first and measures the same way."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def throwaway_django() -> Path:
    """Django on a fresh SQLite database in a temporary directory (never the developer's)."""
    var = Path(tempfile.mkdtemp(prefix="shouwang-bench-"))
    os.environ["SHOUWANG_VAR_DIR"] = str(var)
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "shouwang.settings"
    import django

    django.setup()
    return var


def best_of(label: str, fn: Callable[[], Any], runs: int = 3, width: int = 52) -> tuple[float, Any]:
    """The fastest of a few runs (these machines are noisy), printed with its label."""
    best, result = float("inf"), None
    for _ in range(runs):
        begin = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - begin)
    print(f"  {label:<{width}} {best:7.2f} s", flush=True)
    return best, result
