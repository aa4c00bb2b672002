"""Locust's --csv statistics as a Markdown table: p50 / p95 / p99 / errors per page.

python tests/load/report.py var/load/locust   # reads locust_stats.csv and _failures.csv
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from county import PAGES


def _rank(name: str) -> int:
    """The pages of the mix first, in their order; anything else (logins) after them."""
    return PAGES.index(name) if name in PAGES else len(PAGES)


def _ms(value: str) -> str:
    try:
        return f"{float(value):,.0f}"
    except ValueError:
        return value or "–"


def rows(prefix: str | Path) -> list[dict[str, str]]:
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def table(prefix: str | Path) -> str:
    """The table of a run whose CSV files start with ``prefix``."""
    stats = rows(prefix)
    pages = sorted((r for r in stats if r["Name"] != "Aggregated"), key=lambda r: _rank(r["Name"]))
    total = [r for r in stats if r["Name"] == "Aggregated"]
    lines = [
        "| page | requests | p50 ms | p95 ms | p99 ms | max ms | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in [*pages, *total]:
        count, failed = int(r["Request Count"]), int(r["Failure Count"])
        share = f" ({failed / count:.1%})" if count and failed else ""
        name = "**all**" if r["Name"] == "Aggregated" else r["Name"].replace("|", "\\|")
        lines.append(
            f"| {name} | {count:,} | {_ms(r['50%'])} | {_ms(r['95%'])} | {_ms(r['99%'])} "
            f"| {_ms(r['Max Response Time'])} | {failed}{share} |"
        )
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        with failures.open(newline="", encoding="utf-8") as f:
            errors = list(csv.DictReader(f))
        if errors:
            lines += ["", "Errors:", ""]
            lines += [
                f"- {e['Name']}: {e['Error']} × {e['Occurrences']}"
                for e in sorted(errors, key=lambda e: -int(e["Occurrences"]))
            ]
    return "\n".join(lines) + "\n"


def succeeded(prefix: str | Path, name: str) -> int:
    """How many requests of that name locust saw succeed."""
    for r in rows(prefix):
        if r["Name"] == name:
            return int(r["Request Count"]) - int(r["Failure Count"])
    return 0


if __name__ == "__main__":
    sys.stdout.write(table(sys.argv[1] if len(sys.argv) > 1 else "var/load/locust"))
