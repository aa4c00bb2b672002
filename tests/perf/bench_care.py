"""Duty engine benchmark (issue 6), printed as ratios against a hand-written GROUP BY in one run.

    [BENCH_SQL=1] python -m tests.perf.bench_care [--children 20000]

Builds a throw-away county on the database of DATABASE_URL (see tests/perf/common.py) in two
steps: first a tenth of it (children imported from a generated ledger, caregivers, pairings and
one autumn term of care records), then the rest. After each step it counts the queries of
"我的任务" for one volunteer (they must not grow with the county). On the whole county (by
default 20,000 children, 5,000 caregivers, 25,000 pairings, 500,000 records), its planner
statistics refreshed, it times the baseline — one GROUP BY child, caregiver, kind and month
over the current records, the month a date as the engine's days are (the first of the month on
both databases) — against every obligation's status for the county (the engine with its
loading) and the county officer's compliance page figures (counted afresh each time, not taken
from the cache). No timing is asserted: the ratios are printed, for the database they were
measured on.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tests.perf.common import (
    analyze,
    best_of,
    describe_database,
    machine_load,
    ratio,
    throwaway_django,
)

ON = date(2026, 11, 24)
TERM_START = date(2026, 9, 1)
# Per pairing and month: what a diligent caregiver records (about 20 records a pairing a term).
MONTHLY = ["home_visit", "parent_call", "talk", "talk", "tutoring", "guardian_contact", "letter"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=20_000)
    args = parser.parse_args()
    var = throwaway_django()
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shouwang.accounts.models import User
    from shouwang.care import selectors

    start = time.perf_counter()
    world = _make_world(var, args.children)
    print(f"county built in {time.perf_counter() - start:.0f} s", flush=True)

    queries = []
    for step in (1, 2):
        _grow(world)
        volunteer = User.objects.get(pk=world["volunteer"].pk)  # nothing cached on it
        with CaptureQueriesContext(connection) as captured:
            tasks = selectors.my_tasks(volunteer, ON)
        queries.append(len(captured))
        if os.environ.get("BENCH_SQL"):
            for q in captured.captured_queries:
                print("   ", q["sql"][:150])
        print(
            f"step {step}: {_sizes()} · 我的任务: {len(captured)} queries, "
            f"{len(tasks.overdue)} overdue, {len(tasks.due)} due",
            flush=True,
        )

    from shouwang.care.models import CareRecord
    from shouwang.children.models import Child

    county = world["county"]
    analyze()
    print(f"database: {describe_database()}; {machine_load()}", flush=True)

    table = CareRecord._meta.db_table
    # The first day of the record's month, a date on both (PostgreSQL's date_trunc gives a
    # timestamp with time zone, which the engine, grouping dates, never compares).
    month = (
        "date(\"on\", 'start of month')"
        if connection.vendor == "sqlite"
        else "CAST(date_trunc('month', \"on\") AS date)"
    )
    sql = (
        f"SELECT child_id, caregiver_id, kind, {month}, COUNT(*) FROM {table} "  # noqa: S608 (constants)
        "WHERE county_id = %s AND is_current AND NOT withdrawn GROUP BY 1, 2, 3, 4"
    )

    def baseline() -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, [county.pk])
            return len(cursor.fetchall())

    base, groups = best_of("GROUP BY child, caregiver, kind, month (baseline)", baseline)
    engine, obligations = best_of(
        "every obligation's status (load + engine)",
        lambda: selectors.obligations_for(Child.objects.filter(county=county), ON),
    )

    def compliance() -> Any:
        cache.clear()  # a county's count is kept while nothing changes: time the counting
        return selectors.compliance(world["officer"], county, ON)

    page, _ = best_of("county officer's compliance figures", compliance)
    print(f"  {groups} groups of records; {len(obligations)} obligations")
    ratio("engine / GROUP BY", engine, base, "≤ 3", width=24)
    ratio("compliance / GROUP BY", page, base, "none, for information", width=24)
    print(
        f"我的任务 queries          {queries[0]} at {args.children // 10} children, "
        f"{queries[1]} at {args.children}  (target: the same)"
    )
    print(f"({connection.vendor}; {machine_load()})")
    return 0


def _sizes() -> str:
    from shouwang.care.models import Caregiver, CareRecord, Pairing
    from shouwang.children.models import Child

    return (
        f"{Child.objects.count()} children, {Caregiver.objects.count()} caregivers, "
        f"{Pairing.objects.count()} pairings, {CareRecord.objects.count()} records"
    )


def _make_world(var: Path, children: int) -> dict[str, Any]:
    """The county, its schools and ledger (as the ledger benchmark makes them), a calendar,
    三个一 in force, a county officer and a volunteer with three children."""
    import openpyxl

    from shouwang.accounts import services as accounts
    from shouwang.accounts.models import Role
    from shouwang.care import services as care
    from shouwang.care.models import DutyPolicy
    from shouwang.orgs import services as orgs
    from shouwang.orgs.models import Org, OrgKind
    from tests.perf.bench_ledger import _make_county_and_ledger

    _make_county_and_ledger(var, children)
    # The first tenth of the ledger, for the first step.
    whole = openpyxl.load_workbook(var / "county.xlsx", read_only=True)
    part = openpyxl.Workbook(write_only=True)
    sheet = part.create_sheet("台账")
    for row in whole.worksheets[0].iter_rows(max_row=2 + children // 10, values_only=True):
        sheet.append(row)
    part.save(var / "part.xlsx")
    whole.close()

    county = Org.objects.get(code="990101000000")
    orgs.add_term(
        region=county,
        name="2026年秋季学期",
        start=TERM_START,
        midterm=date(2026, 11, 9),
        end=date(2027, 1, 22),
        by=None,
    )
    orgs.add_holiday(
        region=county, name="国庆节", start=date(2026, 10, 1), end=date(2026, 10, 7), by=None
    )
    care.apply_preset(
        preset=DutyPolicy.objects.get(code="three_ones", org__isnull=True), org=county, by=None
    )
    association = orgs.add_org(
        name="基准县志愿者协会", kind=OrgKind.VOLUNTEER_ASSOCIATION, parent=county, by=None
    )
    password = "bench-Pass-2026"  # a throw-away database
    officer = accounts.create_user(
        username="bench-county", password=password, role=Role.REGION_OFFICER, org=county, by=None
    )
    volunteer = accounts.create_user(
        username="bench-volunteer",
        password=password,
        role=Role.VOLUNTEER,
        org=association,
        by=None,
    )
    return {
        "var": var,
        "county": county,
        "officer": officer,
        "volunteer": volunteer,
        "rng": random.Random(6),
    }


def _grow(world: dict[str, Any]) -> None:
    """Import the next ledger (a tenth, then all); give the new children caregivers and records."""
    from shouwang.care import services as care
    from shouwang.care.models import Caregiver, CaregiverKind, CareRecord, Pairing
    from shouwang.children.models import Child
    from shouwang.core.bulk import insert_many
    from shouwang.ledger.services import import_ledger

    county, rng = world["county"], world["rng"]
    source = world["var"] / ("county.xlsx" if Child.objects.exists() else "part.xlsx")
    plan = import_ledger(source=source, filename=source.name, org=county, by=None)
    assert not plan.result.errors, plan.result.errors[:3]
    new = list(
        Child.objects.filter(county=county, pairings__isnull=True).values_list("pk", "school_id")
    )
    if not Caregiver.objects.filter(user=world["volunteer"]).exists():
        me = care.caregiver_for_login(world["volunteer"])
        for pk, _school in new[:3]:
            care.pair(
                child=Child.objects.get(pk=pk),
                caregiver=me,
                role=CaregiverKind.VOLUNTEER,
                starts_on=TERM_START,
                by=None,
            )
    # One caregiver for four children; a child has one or two caregivers (25,000 for 20,000).
    first = (Caregiver.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    teachers = len(new) // 4
    insert_many(
        Caregiver,
        (
            Caregiver(
                name=f"帮扶人{first + n}",
                kind=CaregiverKind.TEACHER,
                org_id=new[n * 4][1],
                county_id=county.pk,
            )
            for n in range(teachers)
        ),
    )
    ids = list(Caregiver.objects.filter(pk__gte=first).values_list("pk", flat=True))
    pairs = []
    for n, (child_id, _school) in enumerate(new):
        helpers = {ids[(n // 4) % len(ids)]}
        if n % 4 == 0:
            helpers.add(rng.choice(ids))
        pairs += [(child_id, caregiver_id) for caregiver_id in helpers]
    insert_many(
        Pairing,
        (
            Pairing(
                child_id=child_id,
                caregiver_id=caregiver_id,
                role=CaregiverKind.TEACHER,
                county_id=county.pk,
                starts_on=TERM_START,
            )
            for child_id, caregiver_id in pairs
        ),
    )
    days = [TERM_START + timedelta(days=d) for d in range((ON - TERM_START).days + 1)]
    insert_many(
        CareRecord,
        (
            CareRecord(
                child_id=child_id,
                county_id=county.pk,
                caregiver_id=caregiver_id,
                kind=kind,
                on=rng.choice(days),
            )
            for child_id, caregiver_id in pairs
            for _month in range(3)
            for kind in MONTHLY
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
