"""Assessment benchmark (issue 22): a county's term scored, printed against the duty engine alone.

    [BENCH_SQL=1] python -m tests.perf.bench_assessment [--children 20000] [--schools 200]

Builds the duty benchmark's county (tests/perf/bench_care.py: children imported from a generated
ledger, caregivers, pairings, a term of care records, 三个一 in force) with ``--schools`` schools
instead of its fifty, applies seed 001's assessment scheme and times computing the term's scores
of every caregiver, class and school (``assessment.services.compute``: every measure, the
scores, their traces and the rows written) against the baseline of every obligation's status
(``care.selectors.obligations_for``, which the assessment runs once inside). It prints the
seconds, the ratio and the queries of one computation. No timing is asserted.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from datetime import timedelta

import time_machine

from tests.perf.common import (
    analyze,
    best_of,
    describe_database,
    machine_load,
    ratio,
    throwaway_django,
)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--schools", type=int, default=200)
    args = parser.parse_args()
    var = throwaway_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shouwang.assessment import services
    from shouwang.assessment.models import Score
    from shouwang.care import selectors
    from shouwang.children.models import Child
    from tests.perf import bench_care, bench_ledger

    start = time.perf_counter()
    made = bench_ledger._make_county_and_ledger
    bench_ledger._make_county_and_ledger = functools.partial(made, schools=args.schools)
    # Built before the term (the children entered the register before it began, so they owe
    # the whole term), computed on the duty benchmark's day.
    with time_machine.travel(bench_care.TERM_START - timedelta(days=7), tick=True):
        world = bench_care._make_world(var, args.children)
        bench_care._grow(world)  # a tenth
        bench_care._grow(world)  # the rest
    bench_ledger._make_county_and_ledger = made
    clock = time_machine.travel(bench_care.ON, tick=True)
    clock.start()
    county = world["county"]
    services.apply_preset(org=county, code="seed001", by=None)
    term = services.term_named(county, "2026年秋季学期")
    assert term is not None
    print(f"county built in {time.perf_counter() - start:.0f} s: {bench_care._sizes()}", flush=True)
    analyze()
    print(f"database: {describe_database()}; {machine_load()}", flush=True)

    on = bench_care.ON
    base, obligations = best_of(
        "every obligation's status (load + engine, baseline)",
        lambda: selectors.obligations_for(Child.objects.filter(county=county), on),
        runs=2,
    )
    ours, run = best_of(
        f"the term's scores of the county ({args.schools} schools)",
        lambda: services.compute(org=county, term=term, by=None, on=on),
        runs=2,
    )
    with CaptureQueriesContext(connection) as captured:
        services.compute(org=county, term=term, by=None, on=on)
    if os.environ.get("BENCH_SQL"):
        for q in captured.captured_queries:
            print("   ", q["sql"][:150])
    scores = Score.objects.filter(run=run)
    print(
        f"  {len(obligations)} obligations; "
        f"{scores.filter(subject='school').count()} schools, "
        f"{scores.filter(subject='class').count()} classes, "
        f"{scores.filter(subject='caregiver').count()} caregivers scored; "
        f"{len(captured)} queries"
    )
    print(f"assessment: {ours.wall:.2f} s (CPU {ours.cpu:.2f} s)")
    ratio("assessment / engine", ours, base, "≤ 2, goal under 10 s", width=24)
    print(f"({connection.vendor}; {machine_load()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
