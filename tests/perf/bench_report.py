"""County 工作总结 benchmark (issue 22): a county of 200 schools, its work summary as DOCX and PDF.

    python -m tests.perf.bench_report [--children 50000] [--schools 200]

Builds the throw-away county of bench_stats (tests/perf/bench_stats.py: 200 schools × 6 grades ×
4 classes, the children imported from a generated ledger, a year of register history, pairings
and a term of care records) on the database of DATABASE_URL (tests/perf/common.py), then times,
for the current term: the context (the statistics JSON and the problems found) as the command
line builds it and as the county officer's page does (scope, small counts), the DOCX (default
template) and the PDF, and the whole download page. Each is the best of three, cold caches
before each run. The goal is under 10 s for a document; no timing is asserted, it is printed.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from tests.perf.bench_stats import _make_county, _sizes
from tests.perf.common import best_of, describe_database, machine_load, throwaway_django


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=50_000)
    parser.add_argument("--schools", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("SHOUWANG_2FA_ROLES", "")
    var = throwaway_django()
    from django.core.cache import cache
    from django.test import Client
    from django.utils import timezone

    from shouwang.reports.context import build
    from shouwang.reports.periods import resolve_period
    from shouwang.reports.render import render_docx, render_pdf
    from shouwang.reports.selectors import template_bytes
    from shouwang.stats.models import UnitDayFigures

    today = timezone.localdate()
    start = time.perf_counter()
    county, officer = _make_county(var, args.children, args.schools, today)
    print(f"county built in {time.perf_counter() - start:.0f} s: {_sizes()}", flush=True)
    print(f"database: {describe_database()}; {machine_load()}", flush=True)
    period = resolve_period(county, today=today)
    print(f"period: {period.name} {period.start} — {period.end}")

    def cold() -> None:
        cache.clear()
        UnitDayFigures.objects.all().delete()

    def context(user: Any) -> Any:
        cold()
        return build(county, period, user=user)

    _took, report = best_of("context, command line (no user)", lambda: context(None))
    _parts(county, period, report.on)
    best_of("context, as the county officer", lambda: context(officer))
    template = template_bytes(county)
    _took, docx = best_of("DOCX from the context", lambda: render_docx(report, template))
    _took, pdf = best_of("PDF from the context", lambda: render_pdf(report))
    print(f"  DOCX {len(docx) // 1024} KB, PDF {len(pdf) // 1024} KB")

    client = Client(HTTP_HOST="localhost")
    client.force_login(officer)
    for fmt in ("docx", "pdf"):

        def page(fmt: str = fmt) -> int:
            cold()
            response = client.get("/reports/download/", {"org": county.code, "format": fmt})
            assert response.status_code == 200 and response.has_header("Content-Disposition")
            return len(b"".join(response.streaming_content))

        best_of(f"download page, {fmt.upper()} (cold: counted afresh)", page)
    print(
        f"left-behind children counted: {report.data['left_behind_total']}; "
        f"problems: {report.problems}"
    )
    print(f"({machine_load()}); goal: a county document under 10 s")
    return 0


def _parts(county: Any, period: Any, on: Any) -> None:
    """Where the context's time goes, part by part (cold caches)."""
    from django.core.cache import cache

    from shouwang.children.models import Child
    from shouwang.reports import context as c
    from shouwang.stats.flows import children_of
    from shouwang.stats.models import UnitDayFigures

    children = children_of(county)
    parts = {
        "statistics JSON (figures + flows_for)": lambda: c.stats_json(county, period, on, None),
        "duties overdue (duty engine)": lambda: c._overdue_duties(children, on),
        "long parent silences (family)": lambda: c._silences(county, children, on),
        "late rounds (oversight)": lambda: c._late_rounds(county, period, on),
        "open rectifications (inspections)": lambda: c.open_rectifications(county, period),
    }
    for label, fn in parts.items():
        cache.clear()
        UnitDayFigures.objects.all().delete()
        best_of(f"    {label}", fn, runs=1, width=48)
    print(f"    ({Child.objects.count()} children)")


if __name__ == "__main__":
    raise SystemExit(main())
