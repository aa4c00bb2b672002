"""The seeds' figures read back through `shouwang stats --json --from --to` (interfaces.md)."""

from __future__ import annotations

import io
import json
from datetime import date

import time_machine
from django.core.management import call_command

from shouwang.assistance import services
from tests.children.factories import make_child

from .helpers import AssistanceCase, by_programme


@time_machine.travel(date(2026, 11, 24), tick=False)
class StatsTests(AssistanceCase):
    def stats(self, org: str, start: str = "2026-09-01", end: str = "2027-01-22") -> dict:
        out = io.StringIO()
        code = self.org(org).code
        call_command("stats", "--org", code, "--from", start, "--to", end, "--json", stdout=out)
        return json.loads(out.getvalue())["assistance"]

    def test_seed_000_fourteen_times_375_through_stats_json(self):
        services.pay_batch(
            children=self.girls(14),
            programme=self.programme("living_allowance"),
            paid_on=date(2026, 10, 8),
            by=self.school_admin,
        )
        expected = {
            "payments": 14,
            "children_helped": 14,
            "amount_total": "5250.00",
            "by_programme": by_programme(living_allowance={"children": 14, "amount": "5250.00"}),
        }
        self.assertEqual(self.stats("county_a"), expected)
        self.assertEqual(self.stats("school_a"), expected)
        self.assertEqual(self.stats("school_b")["amount_total"], "0.00")
        self.assertEqual(self.stats("county_a", "2026-10-09", "2026-11-24")["payments"], 0)

    def test_seed_003_fifty_girls_times_600_spring_bud_through_stats_json(self):
        girls = self.girls(50)
        boy = make_child(school_class=self.org("class_a1"), name="刘小虎")
        planned = services.preview_batch(
            by=self.school_admin,
            children=[*girls, boy],
            programme=self.programme("spring_bud"),
            paid_on=date(2026, 10, 8),
        )
        services.pay_batch(
            children=[p.child for p in planned if not p.refused],
            programme=self.programme("spring_bud"),
            paid_on=date(2026, 10, 8),
            by=self.school_admin,
        )
        figures = self.stats("county_a")
        self.assertEqual(figures["children_helped"], 50)
        self.assertEqual(
            figures["by_programme"],
            by_programme(spring_bud={"children": 50, "amount": "30000.00"}),
        )
