"""The period's figures (interfaces.md's flow keys): 人次 of care counted from the records,
emergencies and late steps, pairings by mode and caregivers by kind — over ``--from/--to`` or,
left out, the current term."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from shouwang.care import services as care_services
from shouwang.care.models import RecordKind
from shouwang.children.models import Child
from shouwang.family import services as family_services
from shouwang.safety import services as safety_services
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

TODAY = date(2026, 11, 24)
CST = ZoneInfo("Asia/Shanghai")


def stats_json(*args: str) -> dict:
    out = io.StringIO()
    call_command("stats", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@time_machine.travel(TODAY, tick=False)
class CarePersonTimesTests(PersonaTestCase):
    """Seed 000: 家访约230人次 — 23 children of school A visited ten times each this term."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        orgs, users = cls.world.orgs, cls.world.users
        cls.teacher_care = care_services.caregiver_for_login(users["teacher"])
        cls.children_a = [
            make_child(school_class=orgs["class_a1"], name=f"学生{n}") for n in range(23)
        ]
        for child in cls.children_a:
            for week in range(10):
                care_services.record_care(
                    child=child,
                    caregiver=cls.teacher_care,
                    kind=RecordKind.HOME_VISIT,
                    on=date(2026, 9, 7) + timedelta(weeks=week),
                    by=users["teacher"],
                )
        first = cls.children_a[0]
        # Not this term's: the summer before it.
        care_services.record_care(
            child=first,
            caregiver=cls.teacher_care,
            kind=RecordKind.HOME_VISIT,
            on=date(2026, 8, 20),
            by=users["teacher"],
        )
        # A talk recorded, then corrected (counted once), and one withdrawn (not counted).
        talk = care_services.record_care(
            child=first,
            caregiver=cls.teacher_care,
            kind=RecordKind.TALK,
            on=date(2026, 10, 8),
            by=users["teacher"],
        )
        care_services.correct_record(
            record=talk, by=users["teacher"], reason="日期记错", on=date(2026, 10, 9)
        )
        wrong = care_services.record_care(
            child=first,
            caregiver=cls.teacher_care,
            kind=RecordKind.TALK,
            on=date(2026, 10, 10),
            by=users["teacher"],
        )
        care_services.withdraw_record(record=wrong, by=users["teacher"], reason="重复录入")
        # Another school's child: not school A's work.
        other = make_child(school_class=orgs["class_b1"])
        care_services.record_care(
            child=other,
            caregiver=care_services.caregiver_for_login(users["teacher_b"]),
            kind=RecordKind.HOME_VISIT,
            on=date(2026, 10, 1),
            by=users["teacher_b"],
        )

    def test_home_visits_of_the_term_are_230_person_times(self):
        data = stats_json("--org", self.org("school_a").code)
        assert data["period"] == {"from": "2026-09-01", "to": "2027-01-22"}
        assert data["care_person_times"][RecordKind.HOME_VISIT] == 230
        assert data["care_person_times"][RecordKind.TALK] == 1

    def test_family_calls_of_the_period_are_counted_for_the_childs_unit(self):
        child = Child.objects.filter(school=self.org("school_a")).first()
        father = child.parents.get(relation="father")
        for day in (date(2026, 9, 10), date(2026, 10, 10), date(2026, 8, 20)):  # last: summer
            family_services.log_call(
                child=child,
                parent=father,
                at=datetime(day.year, day.month, day.day, 19, tzinfo=CST),
                by=self.world.users["teacher"],
            )
        assert stats_json("--org", self.org("school_a").code)["family_calls"] == 2
        assert stats_json("--org", self.org("school_b").code)["family_calls"] == 0

    def test_every_kind_of_record_is_a_key_even_at_zero(self):
        data = stats_json("--org", self.org("school_a").code)
        assert set(data["care_person_times"]) == set(RecordKind.values)
        assert data["care_person_times"][RecordKind.LETTER] == 0

    def test_a_period_asked_for_counts_only_its_days(self):
        data = stats_json(
            "--org", self.org("school_a").code, "--from", "2026-08-01", "--to", "2026-09-13"
        )
        # The summer visit and the first week's 23.
        assert data["care_person_times"][RecordKind.HOME_VISIT] == 24
        assert data["period"] == {"from": "2026-08-01", "to": "2026-09-13"}

    def test_the_county_counts_its_schools_and_a_class_its_own(self):
        county = stats_json("--org", self.org("county_a").code)
        assert county["care_person_times"][RecordKind.HOME_VISIT] == 231
        other_class = stats_json("--org", self.org("class_a2").code)
        assert other_class["care_person_times"][RecordKind.HOME_VISIT] == 0

    def test_a_period_with_one_end_or_backwards_is_bad_input(self):
        code = self.org("school_a").code
        for args in (("--from", "2026-10-01"), ("--from", "2026-10-02", "--to", "2026-10-01")):
            with pytest.raises(CommandError) as caught:
                stats_json("--org", code, *args)
            assert caught.value.returncode == 1

    def test_the_api_gives_the_same_figures_for_the_same_period(self):
        client = self.client_as("school_admin")
        code = self.org("school_a").code
        body = client.get(f"/api/v1/stats/?org={code}&from=2026-08-01&to=2026-09-13").json()
        assert body["care_person_times"][RecordKind.HOME_VISIT] == 24
        backwards = client.get(f"/api/v1/stats/?org={code}&from=2026-10-02&to=2026-10-01")
        assert backwards.status_code == 400

    def test_a_teacher_counts_only_what_their_scope_holds(self):
        """teacher_b (class b1) sees none of school A's visits in their own class's figures."""
        client = self.client_as("teacher_b")
        body = client.get(f"/api/v1/stats/?org={self.org('class_b1').code}").json()
        assert body["care_person_times"][RecordKind.HOME_VISIT] == 1


@time_machine.travel(TODAY, tick=False)
class CaregiverFiguresTests(PersonaTestCase):
    """Seed 002: cadres and teachers in 二对一 pairs — children and caregivers counted apart."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        orgs, users = cls.world.orgs, cls.world.users
        teacher = care_services.caregiver_for_login(users["teacher"])
        cadre = care_services.add_caregiver(
            name="李村干", kind="village_cadre", org=orgs["village_a1"], by=None
        )
        mother = care_services.add_caregiver(
            name="王妈妈", kind="caring_mother", org=orgs["school_a"], by=None
        )
        start = date(2026, 9, 1)
        for n in range(3):
            child = make_child(school_class=orgs["class_a1"], name=f"二对一{n}")
            care_services.pair(
                child=child, caregiver=teacher, role="teacher", starts_on=start, by=None
            )
            care_services.pair(
                child=child, caregiver=cadre, role="village_cadre", starts_on=start, by=None
            )
        alone = make_child(school_class=orgs["class_a1"], name="一对一")
        care_services.pair(
            child=alone, caregiver=mother, role="caring_mother", starts_on=start, by=None
        )
        ended = make_child(school_class=orgs["class_a1"], name="已结束")
        care_services.pair(
            child=ended,
            caregiver=mother,
            role="caring_mother",
            starts_on=start,
            ends_on=date(2026, 10, 31),
            by=None,
        )

    def test_children_by_mode_and_caregivers_once_each_by_kind(self):
        data = stats_json("--org", self.org("school_a").code)
        assert data["pairings_by_mode"] == {"one_to_one": 1, "two_to_one": 3, "many_to_one": 0}
        kinds = data["caregivers_by_kind"]
        assert (kinds["teacher"], kinds["village_cadre"], kinds["caring_mother"]) == (1, 1, 1)
        assert kinds["volunteer"] == 0

    def test_on_a_day_before_the_pairings_nobody_is_paired(self):
        data = stats_json("--org", self.org("school_a").code, "--on", "2026-08-31")
        assert sum(data["pairings_by_mode"].values()) == 0
        assert sum(data["caregivers_by_kind"].values()) == 0


class EmergencyFiguresTests(PersonaTestCase):
    def test_reported_emergencies_and_their_late_steps(self):
        child = make_child(school_class=self.org("class_a1"))
        with time_machine.travel(
            timezone.make_aware(timezone.datetime(2026, 11, 2, 9, 0)), tick=False
        ):
            incident = safety_services.report_incident(
                child=child,
                kind="injury",
                occurred_at=timezone.now() - timedelta(minutes=5),
                place="操场",
                description="摔伤",
                by=self.world.users["teacher"],
            )
            steps = incident.steps.count()
        with time_machine.travel(date(2026, 11, 24), tick=False):
            data = stats_json("--org", self.org("school_a").code)
        assert data["emergencies"] == {"reported": 1, "steps_late": steps}
        with time_machine.travel(date(2026, 11, 24), tick=False):
            before = stats_json(
                "--org", self.org("school_a").code, "--from", "2026-10-01", "--to", "2026-10-31"
            )
        assert before["emergencies"] == {"reported": 0, "steps_late": 0}


@time_machine.travel(TODAY, tick=False)
class WorkDonePartTests(PersonaTestCase):
    def test_the_dashboard_loads_the_terms_work_done_after_the_page(self):
        child = make_child(school_class=self.org("class_a1"))
        care_services.record_care(
            child=child,
            caregiver=care_services.caregiver_for_login(self.world.users["teacher"]),
            kind=RecordKind.LETTER,
            on=date(2026, 10, 1),
            by=self.world.users["teacher"],
        )
        client = self.client_as("school_admin")
        code = self.org("school_a").code
        page = client.get(f"/stats/?org={code}")
        assert b"part=work" in page.content
        part = client.get(f"/stats/?org={code}&part=work")
        text = part.content.decode()
        assert "2026-09-01" in text and "2027-01-22" in text
        assert str(dict(RecordKind.choices)[RecordKind.LETTER]) in text
        asked = client.get(f"/stats/?org={code}&start=2026-10-02&end=2026-10-31&part=work")
        assert "2026-10-02" in asked.content.decode()
        backwards = client.get(f"/stats/?org={code}&start=2026-10-02&end=2026-10-01&part=work")
        assert 'role="alert"' in backwards.content.decode()

    def test_a_unit_outside_the_scope_has_no_work_part(self):
        client = self.client_as("school_admin")
        code = self.org("school_b").code
        assert client.get(f"/stats/?org={code}&part=work").status_code == 404


@time_machine.travel(TODAY, tick=False)
class MoneyInFiguresTests(PersonaTestCase):
    def test_those_who_may_not_see_money_get_no_assistance_key_not_even_a_zero(self):
        code = self.org("school_a").code
        for persona, shown in (
            ("school_admin", True),
            ("county_officer", True),
            ("counselor", False),
        ):
            body = self.client_as(persona).get(f"/api/v1/stats/?org={code}").json()
            assert ("assistance" in body) is shown, persona
            assert "activities" in body, persona

    def test_the_command_line_gives_every_key_with_zeros(self):
        data = stats_json("--org", self.org("school_a").code)
        assert data["assistance"]["amount_total"] == "0.00"
        assert data["activities"] == {"count": 0, "person_times": 0, "children_reached": 0}
        assert data["guardians_trained"] == 0
