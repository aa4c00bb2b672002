"""Issue 17: PostgreSQL plans the figures of a county as they are. At 50,000 children the planner
took the register on the day (a sub-query per child) for 8 rows and paired each child with a scan
of the county's 6,202 units: 310 million pairs, 40 s. Here a county of a few thousand children is
counted as the pages count it, and the plan of every query reading the register on a day is
read back: no nested loop scans the org table once per child, no sub-plan searches a child's
history per child."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test import TestCase
from django.utils import timezone

from shouwang.accounts import restrict
from shouwang.assessment import measures
from shouwang.audit.models import AuditEntry
from shouwang.children.models import Child, StatusChange
from shouwang.orgs import services as org_services
from shouwang.orgs.models import Org, OrgKind
from shouwang.stats import selectors
from tests.personas import PersonaTestCase

SCHOOLS = 60
CHILDREN = 3000


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for sub in plan.get("Plans", []):
        yield from nodes(sub)


def scans(plan: dict[str, Any], table: str) -> list[dict[str, Any]]:
    return [n for n in nodes(plan) if n.get("Relation Name") == table]


def per_row_scans_of_orgs(plan: dict[str, Any]) -> list[str]:
    """Nested loops that, for each row of children, scan units: the inner side reads the org
    table by anything but one unit's key (a Seq Scan, a range, a filter: many units a child)."""
    return per_row_scans(plan, "orgs_org")


def per_row_scans(plan: dict[str, Any], table: str) -> list[str]:
    """Nested loops that, for each row of children, read many rows of ``table`` (anything but
    one row by its key): children × units, or children × children."""
    found = []
    for node in nodes(plan):
        if node["Node Type"] != "Nested Loop":
            continue
        outer, inner = node["Plans"][0], node["Plans"][1]
        if not scans(outer, "children_child"):
            continue
        for scan in scans(inner, table):
            by_key = scan["Node Type"] in ("Index Scan", "Index Only Scan") and (
                scan.get("Actual Rows", 0) <= 1
            )
            if not by_key:
                pairs = (
                    outer.get("Actual Rows", 0)
                    * scan.get("Actual Rows", 0)
                    * scan.get("Actual Loops", 1)
                    // max(outer.get("Actual Loops", 1), 1)
                )
                found.append(
                    f"{node.get('Join Type', '')} Nested Loop: {outer.get('Actual Rows')} "
                    f"children rows (planned {outer.get('Plan Rows')}) × {scan['Node Type']} "
                    f"on {table} ({pairs} pairs)"
                )
    return found


def per_child_history_searches(plan: dict[str, Any]) -> list[str]:
    """Sub-plans run once per child that search the child's status history."""
    return [
        f"{n.get('Subplan Name', '')}: {n['Node Type']} on children_statuschange"
        for n in nodes(plan)
        if n.get("Parent Relationship") == "SubPlan"
        and scans(n, "children_statuschange")
        and not n.get("Subplan Name", "").startswith("InitPlan")
    ]


@pytest.mark.postgresql  # PostgreSQL's planner
class CountyPlanTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        county = cls.world.orgs["county_a"]
        township = cls.world.orgs["township_a2"]
        classes = []
        for s in range(SCHOOLS):
            school = org_services.add_org(
                code=f"11010120{s:02d}",
                name=f"计划{s}小学",
                kind=OrgKind.SCHOOL,
                parent=township,
                by=None,
            )
            grade = org_services.add_org(name="三年级", kind=OrgKind.GRADE, parent=school, by=None)
            for c in (1, 2):
                classes.append(
                    org_services.add_org(
                        name=f"三年级（{c}）班", kind=OrgKind.SCHOOL_CLASS, parent=grade, by=None
                    )
                )
        schools = {c.pk: Org.objects.get(path=c.path[: -2 * Org.steplen]) for c in classes}
        children = Child.objects.bulk_create(
            Child(
                name=f"计划{n}",
                name_initials=f"jh{n}",
                gender="male" if n % 2 else "female",
                birth_date=date(2015, 1 + n % 12, 1 + n % 28),
                id_number=f"{n:018d}",
                county=county,
                school=schools[classes[n % len(classes)].pk],
                school_class=classes[n % len(classes)],
                left_behind_type="both_parents_away",
            )
            for n in range(CHILDREN)
        )
        StatusChange.objects.bulk_create(
            StatusChange(child=c, status="active", on=date(2026, 9, 1), reason="计划")
            for c in children
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def plans_of_the_figures(self, path: str, query: dict[str, str]) -> list[dict[str, Any]]:
        """The plan of every query a page runs over the register on a day, as it ran them."""
        client = self.client_as("county_officer")

        def view() -> None:
            assert client.get(path, query).status_code == 200

        return self.plans_of(view)

    def assert_planned_as_they_are(self, plans: list[dict[str, Any]]) -> None:
        for plan in plans:
            assert (
                per_row_scans_of_orgs(plan),
                per_row_scans(plan, "children_child"),
                per_child_history_searches(plan),
            ) == ([], [], [])

    def plans_of(self, run: Any) -> list[dict[str, Any]]:
        """The plans of the queries ``run()`` sends over the register on a day."""
        ran: list[tuple[str, Any]] = []

        def keep(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            if "children_child" in sql and "children_statuschange" in sql:
                ran.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(keep):
            run()
        assert ran, "nothing counted the register"
        plans = []
        with connection.cursor() as cursor:
            for sql, params in ran:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
                (raw,) = cursor.fetchone()
                plans.append((raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"])
        return plans

    def test_the_county_dashboard_pairs_no_child_with_every_unit(self):
        county = self.org("county_a").code
        today = timezone.localdate().isoformat()
        self.assert_planned_as_they_are(self.plans_of_the_figures("/stats/", {"org": county}))
        trend = self.plans_of_the_figures("/stats/", {"org": county, "on": today, "part": "trend"})
        self.assert_planned_as_they_are(trend)

    def test_the_county_officers_home_page_and_the_api_plan_alike(self):
        self.assert_planned_as_they_are(self.plans_of_the_figures("/", {}))
        api = self.plans_of_the_figures("/api/v1/stats/", {"org": self.org("county_a").code})
        self.assert_planned_as_they_are(api)

    def test_pairing_coverage_is_one_flat_query_over_the_county(self):
        # The pairings page's denominator (care.counted_now): once a sub-query of ids inside a
        # sub-query of the scope, which PostgreSQL once planned into minutes of full CPU.
        client = self.client_as("county_officer")
        page = self.plans_of(lambda: client.get("/care/pairings/"))
        self.assert_planned_as_they_are(page)
        assert [len(scans(plan, "children_child")) for plan in page] == [1] * len(page)
        assert client.get("/care/pairings/").context["figures"]["total"] == CHILDREN

    def test_the_assessments_pairing_coverage_plans_as_it_is(self):
        county = self.org("county_a")
        on = timezone.localdate()
        ctx = measures.context_for(county, on - timedelta(days=30), on)
        found: dict[str, Any] = {}
        plans = self.plans_of(lambda: found.update(measures.pairing_coverage(ctx)))
        self.assert_planned_as_they_are(plans)
        assert [len(scans(plan, "children_child")) for plan in plans] == [1] * len(plans)
        assert found, "no school was measured"

    def test_the_county_is_counted_whole(self):
        # The plans above are of the figures themselves: every child of the county is there.
        page = self.client_as("county_officer").get("/stats/", {"org": self.org("county_a").code})
        assert page.context["data"]["left_behind_total"] == CHILDREN

    def test_a_closed_day_is_counted_in_the_officers_own_scope_as_planned(self):
        # A day gone by is counted in the officer's scope (no snapshot), either way the gate
        # finds their children: in one pass, or through the union of their reaches.
        query = {
            "org": self.org("county_a").code,
            "on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        }
        for ceiling in (0.0, 1.01):
            with mock.patch.object(restrict, "UNION_BELOW", ceiling):
                self.assert_planned_as_they_are(self.plans_of_the_figures("/stats/", query))


@pytest.mark.postgresql  # PostgreSQL's planner
class FiguresVersionPlanTests(TestCase):
    """The version the figures are kept under is read on every dashboard: it must walk the
    audit log back from its newest entry, never read or sort the whole log."""

    def test_the_figures_version_reads_back_from_the_newest_change(self):
        # 20,000 changes of the register, then 20,000 care records (newest): the version skips
        # the care records, and reads nothing older than the hundred changes it keeps.
        AuditEntry.objects.bulk_create(
            (
                AuditEntry(
                    action="create",
                    object_type="children.child" if n < 20_000 else "care.carerecord",
                    object_id=str(n),
                )
                for n in range(40_000)
            ),
            batch_size=5_000,
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE accounts_auditentry")
        ran: list[tuple[str, Any]] = []

        def keep(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            ran.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(keep):
            selectors.figures_version()
        ((sql, params),) = ran
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            (raw,) = cursor.fetchone()
        plan = (raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]
        (scan,) = scans(plan, "accounts_auditentry")
        assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), scan["Node Type"]
        assert not [n for n in nodes(plan) if n["Node Type"] == "Sort"]
        read = scan["Actual Rows"] + scan.get("Rows Removed by Filter", 0)
        assert scan["Actual Rows"] == 100 and read <= 20_100, read
