"""Issue 15: a village's figures count the children who live in it, whichever school they attend;
every unit above counts each child once, at their school or (in no school) at their village."""

from __future__ import annotations

from datetime import date

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shouwang.children import services as child_services
from shouwang.children.models import Child
from shouwang.orgs.models import Org
from shouwang.stats import selectors
from tests.children.factories import id_number_for, make_child
from tests.personas import PersonaTestCase

ON = date(2026, 11, 24)


def register_at_village(village: Org, name: str) -> Child:
    """A preschooler at home, registered at the home village (no school, no class)."""
    birth = date(2021, 5, 6)
    return child_services.register_child(
        child={
            "name": name,
            "gender": "female",
            "birth_date": birth,
            "id_number": id_number_for(birth, male=False),
            "school": village,
            "address": "东村5组",
        },
        father={"name": "李大", "status": "migrant", "away_since": date(2024, 2, 1)},
        mother={"name": "王二", "status": "migrant", "away_since": date(2024, 2, 1)},
        guardian={"name": "李奶奶", "relation": "grandparent", "age": 68},
        by=None,
        on=date(2026, 9, 1),
    )


@time_machine.travel(ON, tick=False)
class VillageFiguresTests(PersonaTestCase):
    """东村 (in 东镇): three pupils of 东镇中心小学 and one of 西镇中学 live there, and a
    preschooler at home; one more pupil of 东镇中心小学 lives in no village we know."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        village = cls.world.orgs["village_a1"]
        for i in range(3):
            make_child(
                school_class=cls.world.orgs["class_a1"], name=f"东村{i}", home_village=village
            )
        make_child(school_class=cls.world.orgs["class_b1"], name="东村西读", home_village=village)
        make_child(school_class=cls.world.orgs["class_a1"], name="镇上的")
        cls.at_home = register_at_village(village, "东村学前")

    def test_a_village_counts_the_children_who_live_in_it_whichever_school(self):
        village = selectors.figures(org=self.org("village_a1"), on=ON)
        assert village.left_behind_total == 5
        assert village.by_stage["primary"] == 4  # the preschooler at home is in no class
        assert village.counts["by_gender"] == {"male": 4, "female": 1}

    def test_a_township_and_the_county_count_each_child_once(self):
        east = selectors.figures(org=self.org("township_a1"), on=ON)
        west = selectors.figures(org=self.org("township_a2"), on=ON)
        county = selectors.figures(org=self.org("county_a"), on=ON)
        assert (east.left_behind_total, west.left_behind_total) == (5, 1)
        assert county.left_behind_total == 6 == sum(row.children for row in county.units)
        # 东镇: its school's four pupils, and 东村's child in no school — not 东村's residents.
        assert {row.org.name: row.children for row in east.units} == {
            "东村": 1,
            "东镇中心小学": 4,
        }
        assert sum(row.children for row in east.units) == east.left_behind_total

    def test_the_lists_behind_a_villages_figures_are_the_children_it_counted(self):
        client = self.client_as("county_officer")
        village = self.org("village_a1")

        def behind(org: Org, dimension: str, value: str) -> set[str]:
            page = client.get(
                "/stats/children/",
                {"org": org.code, "on": ON.isoformat(), "dimension": dimension, "value": value},
            )
            return {child.name for child in page.context["page"].object_list}

        residents = {"东村0", "东村1", "东村2", "东村西读", "东村学前"}
        assert behind(village, "all", "all") == residents
        assert behind(village, "by_stage", "primary") == residents - {"东村学前"}
        assert behind(self.org("township_a1"), "unit", village.code) == {"东村学前"}
        page = client.get("/stats/", {"org": village.code, "on": ON.isoformat()})
        self.assertContains(page, "住在本村")

    def test_a_villages_figures_take_no_more_queries_however_many_live_there(self):
        village = self.org("village_a1")
        with CaptureQueriesContext(connection) as few:
            selectors.figures(org=village, on=ON)
        for i in range(4):
            make_child(school_class=self.org("class_b2"), name=f"又一个{i}", home_village=village)
            register_at_village(village, f"又一个在家{i}")
        with CaptureQueriesContext(connection) as more:
            figures = selectors.figures(org=village, on=ON)
        assert figures.left_behind_total == 13
        assert len(more) == len(few) <= 8  # a county's figures take 8

    def test_the_village_director_lands_on_the_count_of_their_village(self):
        page = self.client_as("village_director").get("/")
        (place,) = page.context["places"]
        assert place["org"] == self.org("village_a1")
        assert place["figures"].left_behind_total == 5
        self.assertContains(page, "住在本村的留守儿童")
        self.assertContains(page, f"/stats/?org={self.org('village_a1').code}")
        # Their register lists the same five.
        register = self.client_as("village_director").get("/children/")
        assert register.context["page"].paginator.count == 5

    def test_a_township_officer_counts_the_child_in_no_school_in_their_scope(self):
        page = self.client_as("township_officer").get(
            "/stats/", {"org": self.org("township_a1").code, "on": ON.isoformat()}
        )
        assert page.context["data"]["left_behind_total"] == 5
