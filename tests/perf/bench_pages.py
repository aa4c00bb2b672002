"""The pages of the load mix, one request at a time (issue 17): where each request's time goes.

    [BENCH_PROFILE=1] [BENCH_SQL=1] python -m tests.perf.bench_pages \
        [--children 3000] [--runs 15] [--only NAME]

Builds the demo county (``demo.services.build_demo_county``, generated people only) in a
database of its own on the database of DATABASE_URL (see tests/perf/common.py), refreshes the
planner's statistics, then for each page of tests/load/locustfile.py, as the persona the load
test uses, sends ``--runs`` requests through django.test.Client after two warm-up requests and
prints the page's median time, its queries, the milliseconds spent in SQL and outside it (the
Python time: views, forms, templates, the menu) and the ratio of its median to the baseline's,
measured in the same run: the login form, a page that renders the base template and touches
no data (ratios survive a busy machine better than milliseconds do); then the same for the
CPU time the process spent (on SQLite the database's too: steadier than the wall clock on a
shared machine).

BENCH_PROFILE=1 prints, for each page, the project's functions taking the most cumulative time
(cProfile over the timed requests; BENCH_PROFILE_MATCH=<regex> names other functions) and the
functions taking the most time of their own; BENCH_SQL=1 the queries of each page's last
request with their milliseconds, and BENCH_EXPLAIN=1 with it the plan of the slowest. No timing
is asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.perf.common import analyze, describe_database, machine_load, throwaway_django

OPTION = re.compile(r'<option value="(\d+)"')
CHILD_LINK = re.compile(r'href="/children/(\d+)/"')
TODAY = re.compile(r'name="on" value="([^"]+)"')
# The project's functions in a profile, less the middleware every request passes through.
OURS = "shouwang/(?!accounts/middleware|accounts/ratelimit|accounts/reset|notices/alerts)"


@dataclass
class Page:
    name: str
    login: str | None  # the demo login it is requested as; None: anonymous (or by token)
    request: Callable[[Any], Any]  # the client -> the response
    expect: int = 200
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    sql: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)


class SqlClock:
    """Milliseconds and number of queries spent in the database (an execute wrapper)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.count = 0
        self.statements: list[tuple[float, str, Any]] = []  # (seconds, sql, params)

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        begin = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - begin
            self.seconds += took
            self.count += 1
            self.statements.append((took, sql, params))

    def report(self, explain: bool) -> str:
        """Each query with its milliseconds, in the order sent; ``explain``: the plan of the
        slowest, as the database ran it (EXPLAIN ANALYZE on PostgreSQL)."""
        lines = [f"{took * 1000:8.1f} ms  {sql[:220]}" for took, sql, _params in self.statements]
        if explain and self.statements:
            from django.db import connection  # (Django is set up in main())

            _took, sql, params = max(self.statements, key=lambda s: s[0])
            postgres = connection.vendor == "postgresql"
            with connection.cursor() as cursor:
                cursor.execute(
                    ("EXPLAIN ANALYZE " if postgres else "EXPLAIN QUERY PLAN ") + sql, params
                )
                plan = [" ".join(str(c) for c in row) for row in cursor.fetchall()]
            lines += ["--- the slowest, explained ---", *plan]
        return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--only", default="", help="only the pages whose name contains this")
    args = parser.parse_args()
    # The logins are forced: two-step verification would send every page to its enrolment.
    os.environ.setdefault("SHOUWANG_2FA_ROLES", "")
    throwaway_django()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from shouwang.accounts.models import User
    from shouwang.demo.services import build_demo_county

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    demo = build_demo_county(children=args.children, today=timezone.localdate())
    county = demo.county
    print(f"demo county of {args.children} children built in {time.perf_counter() - start:.0f} s")
    analyze()
    print(f"database: {describe_database()}; {machine_load()}", flush=True)
    school = User.objects.get(username="demo-school").assignments.filter(is_active=True).first()
    school_code = school.org.code if school else county.code

    clients: dict[str | None, Any] = {}

    def client_for(login: str | None) -> Any:
        if login not in clients:
            client = Client(HTTP_HOST="localhost")
            if login is not None:
                client.force_login(User.objects.get(username=login))
            clients[login] = client
        return clients[login]

    # What the pages pick from: the school admin's register links, the teacher's form choices.
    register = client_for("demo-school").get("/children/").content.decode()
    school_children = CHILD_LINK.findall(register)
    form = client_for("demo-teacher").get("/care/record/").content.decode()
    teacher_children = OPTION.findall(form)
    today = TODAY.search(form)
    assert school_children and teacher_children and today, "the demo county has no children"
    token_answer = Client(HTTP_HOST="localhost").post(
        "/api/v1/token/", {"username": "demo-county", "password": "shouwang-demo-2026"}
    )
    token = token_answer.json()["token"]
    counter = iter(range(10**6))

    def post_record(client: Any) -> Any:
        n = next(counter)
        return client.post(
            "/care/record/",
            {
                "child": teacher_children[n % len(teacher_children)],
                "kind": ["home_visit", "talk", "parent_call"][n % 3],
                "on": today.group(1),
                "minutes": "20",
                "with_whom": "child",
                "findings": "基准 孩子状态良好，作业已完成",
                "next": "",
            },
        )

    pages = [
        Page("login form (baseline)", None, lambda c: c.get("/accounts/login/")),
        Page("county dashboard  /", "demo-county", lambda c: c.get("/")),
        Page("school register  /children/", "demo-school", lambda c: c.get("/children/")),
        Page(
            "child page (school admin)",
            "demo-school",
            lambda c: c.get(f"/children/{school_children[next(counter) % len(school_children)]}/"),
        ),
        Page("我的任务  /care/ (teacher)", "demo-teacher", lambda c: c.get("/care/")),
        Page("我的任务  /care/ (village)", "demo-village", lambda c: c.get("/care/")),
        Page(
            "child page (teacher)",
            "demo-teacher",
            lambda c: c.get(
                f"/children/{teacher_children[next(counter) % len(teacher_children)]}/"
            ),
        ),
        Page("care record form  GET", "demo-teacher", lambda c: c.get("/care/record/")),
        Page("care record  POST", "demo-teacher", post_record, expect=302),
        Page(
            "stats API (county)",
            None,
            lambda c: c.get(
                f"/api/v1/stats/?org={county.code}", HTTP_AUTHORIZATION=f"Token {token}"
            ),
        ),
        Page(
            "stats API (school)",
            None,
            lambda c: c.get(
                f"/api/v1/stats/?org={school_code}", HTTP_AUTHORIZATION=f"Token {token}"
            ),
        ),
    ]
    pages = [p for p in pages if "baseline" in p.name or args.only in p.name]
    profile = os.environ.get("BENCH_PROFILE")
    for page in pages:
        client = client_for(page.login)
        for _ in range(2):  # warm-up: templates loaded, caches filled as a running server's are
            response = page.request(client)
            assert response.status_code == page.expect, (page.name, response.status_code)
        profiler = cProfile.Profile() if profile and "baseline" not in page.name else None
        for _ in range(args.runs):
            clock = SqlClock()
            with connection.execute_wrapper(clock):
                if profiler:
                    profiler.enable()
                begin, cpu_begin = time.perf_counter(), time.process_time()
                response = page.request(client)
                took, cpu = time.perf_counter() - begin, time.process_time() - cpu_begin
                if profiler:
                    profiler.disable()
            assert response.status_code == page.expect, (page.name, response.status_code)
            page.times.append(took)
            page.cpu.append(cpu)
            page.sql.append(clock.seconds)
            page.queries.append(clock.count)
        if os.environ.get("BENCH_SQL") and "baseline" not in page.name:
            print(f"--- {page.name}: the last request's queries ---")
            print(clock.report(explain=bool(os.environ.get("BENCH_EXPLAIN"))))
        if profiler:
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
            stats.print_stats(os.environ.get("BENCH_PROFILE_MATCH", OURS), 40)
            print(f"--- {page.name}: cumulative, the project's code ---\n{out.getvalue()}")
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
            print(f"--- {page.name}: own time ---\n{out.getvalue()}")

    base = statistics.median(pages[0].times)
    base_cpu = statistics.median(pages[0].cpu)
    print(
        f"\n{'page':<32} {'median':>8} {'queries':>8} {'in SQL':>8} {'outside':>8} {'ratio':>7}"
        f" {'CPU':>8} {'ratio':>7}"
    )
    for page in pages:
        median = statistics.median(page.times)
        sql = statistics.median(page.sql)
        outside = statistics.median(t - s for t, s in zip(page.times, page.sql, strict=True))
        cpu = statistics.median(page.cpu)
        print(
            f"{page.name:<32} {median * 1000:6.1f}ms {statistics.median(page.queries):8.0f} "
            f"{sql * 1000:6.1f}ms {outside * 1000:6.1f}ms {median / base:6.1f}× "
            f"{cpu * 1000:6.1f}ms {cpu / base_cpu:6.1f}×",
            flush=True,
        )
    print(f"(median of {args.runs} requests each; {connection.vendor}; {machine_load()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
