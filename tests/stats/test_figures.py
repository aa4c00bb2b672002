"""Statistics from the register: seed 000's school, roll-up, definitions, dates, scope, small
counts."""

from __future__ import annotations

import io
import json
from datetime import date

import openpyxl
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shouwang.children import services as child_services
from shouwang.children.models import Child
from shouwang.children.types import ParentStatus
from shouwang.orgs import services as org_services
from shouwang.orgs.models import Org, OrgKind
from shouwang.stats import selectors
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

ON = date(2026, 11, 24)
STATS_KEYS = {
    "org",
    "org_name",
    "on",
    "profile",
    "students_total",
    "students_by_stage",
    "left_behind_total",
    "left_behind_ratio",
    "by_gender",
    "by_type",
    "by_guardian_class",
    "by_risk_grade",
    "by_heart_level",
    "by_stage",
    "by_living_with",
    "boarding",
    "pairing_coverage",
    "pairings_by_mode",
    "caregivers_by_kind",
    "period",
    "care_person_times",
    "family_calls",
    "emergencies",
    "activities",
    "interest_groups",
    "commendations",
    "guardians_trained",
    "homes",
    "assistance",
    "difficulty_flags",
}
# Seed 000: 父母双方外出8人, 一方外出45人, 父母双亡或单亲20人; 男生43人, 女生30人.
SEED_000_MIX = (
    [(ParentStatus.MIGRANT, ParentStatus.MIGRANT)] * 8
    + [(ParentStatus.MIGRANT, ParentStatus.AT_HOME)] * 20
    + [(ParentStatus.AT_HOME, ParentStatus.MIGRANT)] * 25
    + [(ParentStatus.DECEASED, ParentStatus.AT_HOME)] * 20
)


def stats_json(*args: str) -> dict:
    out = io.StringIO()
    call_command("stats", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def add_school(parent: Org, code: str, name: str, grades: dict[str, tuple[int, int]]) -> Org:
    """A school with one class per grade and its enrolment by grade (boys, girls)."""
    school = org_services.add_org(code=code, name=name, kind=OrgKind.SCHOOL, parent=parent, by=None)
    for grade_name, (boys, girls) in grades.items():
        grade = org_services.add_org(name=grade_name, kind=OrgKind.GRADE, parent=school, by=None)
        org_services.add_org(
            name=f"{grade_name}（1）班", kind=OrgKind.SCHOOL_CLASS, parent=grade, by=None
        )
        org_services.record_enrolment(
            school=school, grade=grade, male=boys, female=girls, on=date(2026, 9, 10), by=None
        )
    return school


def class_of(school: Org, grade_name: str) -> Org:
    return Org.objects.get(
        path__startswith=school.path, kind=OrgKind.SCHOOL_CLASS, name=f"{grade_name}（1）班"
    )


class SeedZeroSchoolTests(PersonaTestCase):
    """A school of 958 students (初中630, 小学328) with seed 000's 73 left-behind children."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.school = add_school(
            cls.world.orgs["township_a1"],
            "1101010009",
            "东镇九年一贯制学校",
            {"三年级": (170, 158), "七年级": (330, 300)},
        )
        for n, (father, mother) in enumerate(SEED_000_MIX):
            make_child(
                school_class=class_of(cls.school, "七年级" if n % 3 else "三年级"),
                name=f"学生{n}",
                male=n < 43,
                father=father,
                mother=mother,
            )

    def test_the_seed_000_school_gives_its_own_figures(self):
        data = stats_json("--org", self.school.code, "--on", ON.isoformat())
        assert set(data) == STATS_KEYS
        assert data["students_total"] == 958
        assert data["students_by_stage"] == {
            "kindergarten": 0,
            "primary": 328,
            "junior": 630,
            "senior": 0,
        }
        assert data["left_behind_total"] == 73
        assert data["left_behind_ratio"] == 0.0762
        assert data["by_gender"] == {"male": 43, "female": 30}
        by_type = data["by_type"]
        assert by_type["both_parents_away"] == 8
        assert (
            by_type["father_away"] + by_type["mother_away"] + by_type["one_away_other_unable"] == 45
        )
        assert by_type["orphan_or_single_parent"] == 20
        assert data["by_stage"]["primary"] + data["by_stage"]["junior"] == 73
        # Zero counts are there, never missing.
        assert data["by_living_with"]["alone"] == 0
        assert data["by_stage"]["kindergarten"] == 0

    def test_the_national_definition_counts_only_those_it_names(self):
        data = stats_json("--org", self.school.code, "--profile", "国家口径")
        assert data["profile"] == "national"
        assert data["left_behind_total"] == 8  # both away; no one away with the other unable
        assert data["left_behind_ratio"] == round(8 / 958, 4)

    def test_an_unknown_profile_is_refused_in_words(self):
        from django.core.management.base import CommandError

        with self.assertRaisesMessage(CommandError, "school_broad"):
            stats_json("--org", self.school.code, "--profile", "nonsense")

    def test_the_dashboard_says_its_date_and_definition_and_switches_them(self):
        client = self.client_as("county_officer")
        page = client.get("/stats/", {"org": self.school.code, "on": "2026-11-24"})
        text = page.content.decode()
        assert "2026-11-24" in text and "校级宽口径" in text
        assert "7.62%" in text
        page = client.get("/stats/", {"org": self.school.code, "profile": "national"})
        assert page.context["data"]["left_behind_total"] == 8
        assert "国家口径" in page.content.decode()

    def test_every_figure_opens_the_children_it_counts(self):
        client = self.client_as("county_officer")
        data = client.get("/stats/", {"org": self.school.code}).context["data"]
        junior = class_of(self.school, "七年级")
        for dimension, value, figure in [
            ("by_type", "father_away", data["by_type"]["father_away"]),
            ("by_gender", "female", data["by_gender"]["female"]),
            ("by_stage", "junior", data["by_stage"]["junior"]),
            ("unit", junior.code, data["by_stage"]["junior"]),
            ("all", "all", data["left_behind_total"]),
        ]:
            page = client.get(
                "/stats/children/",
                {"org": self.school.code, "dimension": dimension, "value": value},
            )
            assert page.context["page"].paginator.count == figure, dimension

    def test_a_schools_figures_download_with_exact_counts(self):
        response = self.client_as("county_officer").get("/stats/export/", {"org": self.school.code})
        book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        # A title row saying what and when, the header, then 学生总数 and 留守儿童.
        assert "2026" in rows[0][0]
        assert (rows[2][2], rows[3][2]) == (958, 73)


class RollUpAndDateTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        for key, n in (("class_a1", 3), ("class_a2", 2), ("class_b1", 4), ("class_c1", 1)):
            for i in range(n):
                make_child(school_class=cls.world.orgs[key], name=f"{key}{i}")

    def test_schools_add_up_to_townships_and_townships_to_the_county(self):
        county = selectors.figures(org=self.org("county_a"), on=ON)
        assert county.left_behind_total == 9
        assert sum(row.children for row in county.units) == county.left_behind_total
        by_unit = {row.org.code: row.children for row in county.units}
        for key in ("township_a1", "township_a2"):
            township = selectors.figures(org=self.org(key), on=ON)
            assert by_unit[self.org(key).code] == township.left_behind_total
            assert sum(row.children for row in township.units) == township.left_behind_total
        school = selectors.figures(org=self.org("school_a"), on=ON)
        assert [row.children for row in school.units] == [5]  # one grade
        grade = selectors.figures(org=self.org("grade_a1"), on=ON)
        assert sorted(row.children for row in grade.units) == [2, 3]

    def test_a_date_counts_the_register_as_it_stood_that_day(self):
        late = make_child(school_class=self.org("class_a1"), name="后来的", on=date(2026, 10, 10))
        gone = make_child(school_class=self.org("class_a1"), name="走了的")
        child_services.change_status(
            child=gone, status="returned", on=date(2026, 11, 1), reason="父母返乡", by=None
        )
        moved = make_child(school_class=self.org("class_a2"), name="转走的")
        child_services.transfer_child(
            child=moved,
            to_school=self.org("school_b"),
            to_class=self.org("class_b1"),
            on=date(2026, 11, 2),
            reason="随家迁",
            by=None,
        )

        def school_total(key: str, day: date) -> int:
            return stats_json("--org", self.org(key).code, "--on", day.isoformat())[
                "left_behind_total"
            ]

        assert school_total("school_a", date(2026, 9, 20)) == 5 + 2  # gone and moved, not late
        assert school_total("school_a", date(2026, 10, 20)) == 5 + 3
        assert school_total("school_a", date(2026, 11, 20)) == 5 + 1  # late only
        assert school_total("school_b", date(2026, 10, 20)) == 4
        assert school_total("school_b", date(2026, 11, 20)) == 5
        assert late.pk and gone.pk

    def test_the_trend_counts_each_term_at_its_end(self):
        org_services.add_term(
            region=self.org("county_a"),
            name="2026年春季学期",
            start=date(2026, 3, 2),
            midterm=date(2026, 4, 27),
            end=date(2026, 7, 10),
            by=None,
        )
        page = self.client_as("county_officer").get(
            "/stats/", {"org": self.org("county_a").code, "on": "2026-11-24", "part": "trend"}
        )
        assert page.context["trend"] == [
            ("2026年春季学期", date(2026, 7, 10), None),  # registered in September: no data
            ("2026年秋季学期", ON, 9),
        ]
        assert "无数据" in page.content.decode()  # not a 0 (issue 19)

    @time_machine.travel(date(2026, 11, 24), tick=False)
    def test_a_term_whose_register_held_children_none_counted_reads_zero(self):
        org_services.add_term(
            region=self.org("county_a"),
            name="2026年春季学期",
            start=date(2026, 3, 2),
            midterm=date(2026, 4, 27),
            end=date(2026, 7, 10),
            by=None,
        )
        at_home = make_child(
            school_class=self.org("class_a1"),
            name="在家",
            father="at_home",
            mother="at_home",
            on=date(2026, 3, 2),
        )
        page = self.client_as("county_officer").get(
            "/stats/", {"org": self.org("county_a").code, "on": "2026-11-24", "part": "trend"}
        )
        assert at_home.left_behind_type == "not_left_behind"  # in the register, not counted
        assert page.context["trend"][0] == ("2026年春季学期", date(2026, 7, 10), 0)

    def test_a_countys_figures_take_eight_queries(self):
        # The definition in use (ancestors, the region's choice, the default), enrolment, the
        # one grouped count, the places' paths, their grades' stages and the sub-units: none
        # of them per school, class or child.
        with self.assertNumQueries(8):
            selectors.figures(org=self.org("county_a"), on=ON)

    def test_the_county_officer_lands_on_the_countys_figures(self):
        page = self.client_as("county_officer").get("/")
        (place,) = page.context["places"]
        assert place["figures"].left_behind_total == 9
        self.assertContains(page, f"/stats/?org={self.org('county_a').code}")
        teacher = self.client_as("teacher").get("/")
        assert all(p["figures"] is None for p in teacher.context["places"])

    def test_the_figures_take_the_same_queries_however_big_the_county(self):
        county = self.org("county_a")
        with CaptureQueriesContext(connection) as small:
            selectors.figures(org=county, on=ON, with_trend=True)
        school = add_school(self.org("township_a2"), "1101010008", "西镇二小", {"五年级": (9, 9)})
        for i in range(5):
            make_child(school_class=class_of(school, "五年级"), name=f"又来{i}")
        with CaptureQueriesContext(connection) as bigger:
            figures = selectors.figures(org=county, on=ON, with_trend=True)
        assert figures.left_behind_total == 14
        assert len(bigger) == len(small)


class ScopeAndSmallCountTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        for i in range(3):
            make_child(
                school_class=cls.world.orgs["class_a1"],
                name=f"小{i}",
                home_village=cls.world.orgs["village_a1"],
            )
        for i in range(6):
            make_child(school_class=cls.world.orgs["class_b1"], name=f"大{i}")

    def test_a_school_admin_cannot_open_another_schools_figures(self):
        client = self.client_as("school_admin")
        assert client.get("/stats/", {"org": self.org("school_b").code}).status_code == 404
        assert client.get("/stats/export/", {"org": self.org("school_b").code}).status_code == 404
        assert (
            client.get(
                "/stats/children/",
                {"org": self.org("school_b").code, "dimension": "all", "value": "all"},
            ).status_code
            == 404
        )

    def test_a_teacher_counts_only_the_children_they_see(self):
        page = self.client_as("teacher").get("/stats/", {"org": self.org("class_a1").code})
        assert page.context["data"]["left_behind_total"] == 3

    def test_the_county_officer_sees_exact_counts_but_an_export_hides_small_ones(self):
        client = self.client_as("county_officer")
        page = client.get("/stats/", {"org": self.org("county_a").code})
        assert page.context["data"]["by_gender"]["male"] == 9
        assert page.context["data"]["by_type"]["both_parents_away"] == 9
        response = client.get("/stats/export/", {"org": self.org("township_a1").code})
        book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        cells = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row]
        assert "<5" in cells
        assert 3 not in cells

    def test_small_counts_can_be_shown_in_exports_when_the_region_says_so(self):
        with self.settings(SHOUWANG_HIDE_SMALL_COUNTS_IN_EXPORTS=False):
            response = self.client_as("county_officer").get(
                "/stats/export/", {"org": self.org("township_a1").code}
            )
        book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        cells = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row]
        assert "<5" not in cells and 3 in cells

    def test_a_village_director_sees_small_counts_hidden_and_no_list_behind_them(self):
        village = self.org("village_a1")
        school = add_school(village, "1101010007", "东村小学", {"三年级": (10, 10)})
        # The village counts who lives in it: one pupil of its school, three at 东镇中心小学.
        make_child(school_class=class_of(school, "三年级"), name="村里的", home_village=village)
        make_child(school_class=class_of(school, "三年级"), name="镇上的")
        assert selectors.figures(org=village, on=ON).left_behind_total == 4
        client = self.client_as("village_director")
        page = client.get("/stats/", {"org": village.code})
        assert page.status_code == 200
        assert page.context["data"]["left_behind_total"] == "<5"
        assert page.context["data"]["students_total"] == 20
        listing = client.get(
            "/stats/children/", {"org": village.code, "dimension": "all", "value": "all"}
        )
        assert listing.status_code == 404

    def test_a_scope_that_reaches_no_child_counts_none(self):
        figures = selectors.figures(
            org=self.org("county_a"), on=ON, children=Child.objects.none(), with_trend=True
        )
        assert figures.left_behind_total == 0
        assert figures.counts["paired"] == {"yes": 0, "no": 0}
        assert figures.trend == [("2026年秋季学期", ON, 0)]
