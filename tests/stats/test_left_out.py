"""Issue 15: where a definition leaves children out for a fact the register lacks (方案口径 needs
both parents away three months or more: an unknown 外出时间 cannot count), the figures say how
many and why, and the list behind the note names them."""

from __future__ import annotations

import io
from datetime import date

import time_machine
from django.core.management import call_command

from shouwang.children.models import Child, DefinitionProfile, Parent
from shouwang.children.types import ParentStatus
from shouwang.stats import selectors
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

ON = date(2026, 11, 24)


def forget_time_away(child: Child, relation: str = "father") -> None:
    """A ledger row without 父亲外出时间: the parent is away since nobody knows when."""
    Parent.objects.filter(child=child, relation=relation).update(away_since=None)


@time_machine.travel(ON, tick=False)
class LeftOutForMissingDataTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        class_a1 = cls.world.orgs["class_a1"]
        for i in range(3):  # both away since February 2024: counted
            make_child(school_class=class_a1, name=f"久别{i}")
        for i in range(2):  # both away, the father since when nobody wrote down
            forget_time_away(make_child(school_class=class_a1, name=f"不详{i}"))
        # Left out for a fact that is known: the mother left a month ago.
        recent = make_child(school_class=class_a1, name="刚走")
        forget_time_away(recent)
        Parent.objects.filter(child=recent, relation="mother").update(away_since=date(2026, 10, 20))
        # Not a type 方案口径 counts at all (one parent away), whatever the date.
        forget_time_away(
            make_child(school_class=class_a1, name="一方", mother=ParentStatus.AT_HOME)
        )
        # Elsewhere in the county: 西镇中学 has one more.
        forget_time_away(make_child(school_class=cls.world.orgs["class_b1"], name="西镇不详"))
        cls.plan = DefinitionProfile.objects.get(code="plan")

    def test_the_dashboard_says_how_many_the_plan_definition_left_out_and_why(self):
        client = self.client_as("county_officer")
        school = self.org("school_a")
        page = client.get("/stats/", {"org": school.code, "on": ON.isoformat(), "profile": "plan"})
        assert page.context["data"]["left_behind_total"] == 3
        self.assertContains(page, "2 名儿童因缺少父母外出时间未计入方案口径")
        ((_note, link),) = page.context["left_out"]
        listing = client.get(link)
        assert {c.name for c in listing.context["page"].object_list} == {"不详0", "不详1"}

    def test_every_unit_counts_its_own_left_out_children_once(self):
        for key, n in (("class_a1", 2), ("school_a", 2), ("township_a2", 1), ("county_a", 3)):
            figures = selectors.figures(org=self.org(key), on=ON, profile=self.plan)
            assert figures.left_out_unknown_time_away == n, key

    def test_a_definition_asking_no_months_away_leaves_nobody_out_for_it(self):
        page = self.client_as("county_officer").get(
            "/stats/", {"org": self.org("school_a").code, "on": ON.isoformat()}
        )
        assert page.context["data"]["left_behind_total"] == 7  # 校级宽口径 counts them all
        assert page.context["left_out"] == []
        self.assertNotContains(page, "未计入")

    def test_the_command_line_says_it_too(self):
        out = io.StringIO()
        call_command(
            "stats",
            "--org",
            self.org("county_a").code,
            "--on",
            ON.isoformat(),
            "--profile",
            "方案口径",
            stdout=out,
        )
        assert "3 名儿童因缺少父母外出时间未计入方案口径" in out.getvalue()
