"""County statistics benchmark (issue 7), printed as ratios against hand-written SQL in one run.

    python -m tests.perf.bench_stats [--children 50000] [--schools 200]

Builds a throw-away SQLite county (200 schools × 6 grades × 4 classes, enrolment by grade, the
children imported from a generated ledger, 90% of them paired, a term of care records), then
times the baseline — the hand-written GROUP BY queries that give the same numbers (one per
breakdown, each with the register-on-the-day and definition conditions written out) — against
the county's figures as the dashboard computes them, counts their queries, and times the
dashboard page itself (median of several requests through Django's test client) and the
trend by term that the page fetches after it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tests.perf.common import best_of, throwaway_django


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=50_000)
    parser.add_argument("--schools", type=int, default=200)
    args = parser.parse_args()
    var = throwaway_django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from shouwang.children.models import Child
    from shouwang.stats import selectors

    start = time.perf_counter()
    county, officer = _make_county(var, args.children, args.schools)
    print(f"county built in {time.perf_counter() - start:.0f} s: {_sizes()}", flush=True)
    on = timezone.localdate()  # the register as it stands after the import

    base, expected = best_of(
        "hand-written GROUP BY queries (baseline)", lambda: _baseline(county, on)
    )
    ours, figures = best_of(
        "the county's figures (stats.selectors.figures)",
        lambda: selectors.figures(org=county, on=on),
    )
    got = figures.as_json()
    assert got["left_behind_total"] == Child.objects.count() > 0, got["left_behind_total"]
    for key, value in expected.items():
        assert got[key] == value, (key, got[key], value)
    with CaptureQueriesContext(connection) as captured:
        selectors.figures(org=county, on=on, with_trend=True)
    queries = len(captured)  # a request below resets Django's query log
    if os.environ.get("BENCH_SQL"):
        print("\n".join(q["sql"][:100] for q in captured.captured_queries))

    client = Client(HTTP_HOST="localhost")
    client.force_login(officer)
    times = []
    for _ in range(7):
        begin = time.perf_counter()
        response = client.get("/stats/", {"org": county.code, "on": on.isoformat()})
        times.append(time.perf_counter() - begin)
        assert response.status_code == 200
    page = statistics.median(times)
    print(f"  {'dashboard page, median of 7':<48} {page:7.2f} s")
    trend_times = []
    for _ in range(3):
        begin = time.perf_counter()
        client.get("/stats/", {"org": county.code, "on": on.isoformat(), "part": "trend"})
        trend_times.append(time.perf_counter() - begin)
    print(
        f"  {'its trend by term (fetched after it), median':<48} "
        f"{statistics.median(trend_times):7.2f} s"
    )
    print(f"figures / GROUP BY      {ours / base:5.2f}×  (target ≤ 2)")
    print(f"figures' queries        {queries} (with the trend by term; fixed)")
    print(f"dashboard page median   {page:5.2f} s  (target < 1 s)")
    return 0


def _baseline(county: Any, on: date) -> dict[str, Any]:
    """The same numbers as plain SQL: the register on the day, the default definition's types
    and age limit, then one GROUP BY per breakdown."""
    from django.db import connection

    from shouwang.children.models import DefinitionProfile
    from shouwang.stats.selectors import COUNTED_TYPES

    profile = DefinitionProfile.objects.get(is_default=True)
    types = ", ".join(f"'{t}'" for t in profile.counted_types)
    born_after = on.replace(year=on.year - profile.age_limit).isoformat()
    counted = f"""
        SELECT c.* FROM children_child c
        JOIN orgs_org s ON s.id = c.school_id
        WHERE s.path LIKE '{county.path}%%'
          AND c.left_behind_type IN ({types}) AND c.birth_date > '{born_after}'
          AND (SELECT sc.status FROM children_statuschange sc
               WHERE sc.child_id = c.id AND sc.\"on\" <= '{on.isoformat()}'
               ORDER BY sc.\"on\" DESC, sc.created_at DESC LIMIT 1) = 'active'
    """  # noqa: S608 (constants of this benchmark)
    out: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for key, column in (
            ("by_gender", "gender"),
            ("by_type", "left_behind_type"),
            ("by_guardian_class", "guardian_class"),
            ("by_risk_grade", "risk_grade"),
        ):
            cursor.execute(f"SELECT {column}, COUNT(*) FROM ({counted}) GROUP BY 1")  # noqa: S608
            out[key] = dict(cursor.fetchall())
        cursor.execute(f"SELECT COUNT(*), SUM(boarding) FROM ({counted})")  # noqa: S608
        total, boarding = cursor.fetchone()
        cursor.execute(
            f"SELECT g.stage, COUNT(*) FROM ({counted}) k "  # noqa: S608
            "JOIN orgs_org k2 ON k2.id = k.school_class_id "
            "JOIN orgs_org g ON g.path = substr(k2.path, 1, length(k2.path) - 4) GROUP BY 1"
        )
        stages = dict(cursor.fetchall())
        cursor.execute(
            f"SELECT COUNT(*) FROM ({counted}) k WHERE EXISTS ("  # noqa: S608
            "SELECT 1 FROM care_pairing p WHERE p.child_id = k.id AND p.starts_on <= %s "
            "AND (p.ends_on IS NULL OR p.ends_on >= %s))",
            [on, on],
        )
        (paired,) = cursor.fetchone()
    return {
        "left_behind_total": total,
        "boarding": boarding or 0,
        "by_gender": {"male": 0, "female": 0, **out["by_gender"]},
        "by_type": {**dict.fromkeys(COUNTED_TYPES, 0), **out["by_type"]},
        "by_stage": {"kindergarten": 0, "primary": 0, "junior": 0, "senior": 0, **stages},
        "pairing_coverage": round(paired / total, 4) if total else None,
    }


def _sizes() -> str:
    from shouwang.care.models import CareRecord, Pairing
    from shouwang.children.models import Child
    from shouwang.orgs.models import Org, OrgKind

    return (
        f"{Org.objects.filter(kind=OrgKind.SCHOOL).count()} schools, "
        f"{Child.objects.count()} children, {Pairing.objects.count()} pairings, "
        f"{CareRecord.objects.count()} records"
    )


def _make_county(var: Path, children: int, schools: int) -> tuple[Any, Any]:
    from shouwang.accounts import services as accounts
    from shouwang.accounts.models import Role
    from shouwang.care.models import CaregiverRole, CareRecord, Pairing
    from shouwang.care.services import add_caregiver
    from shouwang.children.models import Child
    from shouwang.core.bulk import insert_many
    from shouwang.ledger.services import import_ledger
    from shouwang.orgs import services as orgs
    from shouwang.orgs.models import Org, OrgKind
    from tests.perf.bench_ledger import _make_county_and_ledger

    _make_county_and_ledger(var, children, schools=schools)
    county = Org.objects.get(code="990101000000")
    for grade in Org.objects.filter(kind=OrgKind.GRADE).select_related():
        school = Org.objects.get(path=grade.path[: -Org.steplen])
        orgs.record_enrolment(
            school=school, grade=grade, male=120, female=110, on=date(2026, 9, 10), by=None
        )
    orgs.add_term(
        region=county,
        name="2026年秋季学期",
        start=date(2026, 9, 1),
        midterm=date(2026, 11, 9),
        end=date(2027, 1, 22),
        by=None,
    )
    path = var / "county.xlsx"
    plan = import_ledger(source=path, filename=path.name, org=county, by=None)
    assert not plan.result.errors, plan.result.errors[:3]
    teacher = add_caregiver(name="帮扶教师", kind=CaregiverRole.TEACHER, org=county, by=None)
    ids = list(Child.objects.values_list("pk", flat=True))
    paired = [pk for n, pk in enumerate(ids) if n % 10]
    start = date(2026, 9, 1)
    insert_many(
        Pairing,
        (
            Pairing(
                child_id=pk,
                caregiver_id=teacher.pk,
                role=CaregiverRole.TEACHER,
                county_id=county.pk,
                starts_on=start,
            )
            for pk in paired
        ),
    )
    insert_many(
        CareRecord,
        (
            CareRecord(
                child_id=pk,
                county_id=county.pk,
                caregiver_id=teacher.pk,
                kind=kind,
                on=start + timedelta(days=(pk * 7 + m * 30) % 80),
            )
            for pk in paired
            for m in range(3)
            for kind in ("home_visit", "parent_call")
        ),
    )
    officer = accounts.create_user(
        username="bench-county",
        password="bench-Pass-2026",  # a throw-away database
        role=Role.REGION_OFFICER,
        org=county,
        by=None,
    )
    return county, officer


if __name__ == "__main__":
    sys.exit(main())
