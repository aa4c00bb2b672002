"""The child's duty table (issue 19): one row per duty and period, saying who owes it; the
child's page and 我的任务 agree on what is overdue; a child who came mid-term owes nothing for
the months before they came."""

from __future__ import annotations

import re
from datetime import date

import time_machine
from django.urls import reverse

from shouwang.care import selectors, services
from shouwang.care.models import DutyPolicy
from shouwang.children import services as child_services
from shouwang.children.models import Child
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

TODAY = date(2026, 11, 24)  # the world's autumn term: Sep 1 – Jan 22


@time_machine.travel(TODAY, tick=False)
class DutyTableTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        orgs = cls.world.orgs
        cls.since_autumn = make_child(school_class=orgs["class_a1"], name="李一")
        cls.came_late = make_child(
            school_class=orgs["class_a1"], name="周迟", on=date(2026, 10, 20)
        )
        cls.volunteer_cg = services.caregiver_for_login(cls.world.users["volunteer"])
        for child, starts_on in [
            (cls.since_autumn, date(2026, 9, 1)),
            (cls.came_late, date(2026, 10, 20)),
        ]:
            services.pair(
                child=child,
                caregiver=cls.volunteer_cg,
                role="volunteer",
                starts_on=starts_on,
                by=None,
            )
        for code in ("three_ones", "term_phase_visits"):
            preset = DutyPolicy.objects.get(code=code, org__isnull=True)
            services.apply_preset(preset=preset, org=orgs["county_a"], by=None)

    def table(self, child) -> list[list[str]]:
        page = self.client_as("school_admin").get(reverse("care:child", args=[child.pk]))
        self.assertEqual(page.status_code, 200)
        section = re.search(r'data-testid="duties".*?</section>', page.content.decode(), re.S)
        assert section is not None
        rows = re.findall(r"<tr class=\"status-(\w+)\">(.*?)</tr>", section.group(), re.S)
        return [
            [
                status,
                *[
                    re.sub(r"<[^>]+>", "", c).strip()
                    for c in re.findall(r"<td>(.*?)</td>", r, re.S)
                ],
            ]
            for status, r in rows
        ]

    def test_each_row_says_who_owes_the_duty(self):
        rows = self.table(self.since_autumn)
        visits = [r for r in rows if r[1] == "每月家访一次"]
        self.assertTrue(visits)
        self.assertTrue(all(r[5] == self.volunteer_cg.name for r in visits), visits)

    def test_the_child_page_and_my_tasks_agree_on_what_is_overdue(self):
        owners = [("volunteer", self.volunteer_cg.name), ("teacher", "班主任")]
        for child in (self.since_autumn, self.came_late):
            for persona, who in owners:
                with self.subTest(child=child.name, persona=persona):
                    rows = self.table(child)
                    page = {(r[1], r[2]) for r in rows if r[0] == "overdue" and r[5] == who}
                    tasks = selectors.my_tasks(self.world.users[persona], TODAY)
                    mine = {
                        (o.rule.label, o.period.label)
                        for o in tasks.overdue
                        if o.child_id == child.pk
                    }
                    self.assertEqual(page, mine)
                    if child == self.since_autumn:
                        self.assertTrue(page)  # something overdue to agree on

    def test_a_class_duty_is_owed_by_the_class_teacher(self):
        phases = [r for r in self.table(self.since_autumn) if r[1] == "期初、期中、期末各家访一次"]
        self.assertEqual(len(phases), 3)
        self.assertEqual({r[5] for r in phases}, {"班主任"})

    def test_the_class_teacher_owes_no_first_phase_visit_for_a_child_who_came_after_it(self):
        phases = [r for r in self.table(self.came_late) if r[1] == "期初、期中、期末各家访一次"]
        self.assertEqual(len(phases), 2, phases)  # the phase that ended 5 October is not owed

    def test_a_child_who_came_in_late_october_owes_nothing_for_september_or_october(self):
        periods = {r[2] for r in self.table(self.came_late)}
        self.assertFalse({p for p in periods if "9月" in p or "10月" in p}, periods)
        self.assertTrue({p for p in periods if "11月" in p})
        # Their classmate, there since September, owes September's visit.
        self.assertTrue({r[2] for r in self.table(self.since_autumn) if "9月" in r[2]})


@time_machine.travel(TODAY, tick=False)
class PresentStayTests(PersonaTestCase):
    def entered(self, child) -> date | None:
        loaded = selectors.load(Child.objects.filter(pk=child.pk), TODAY)
        return loaded.inputs.children[0].entered

    def test_a_child_who_came_in_october_owes_from_october(self):
        came = make_child(school_class=self.org("class_a1"), name="周迟", on=date(2026, 10, 20))
        self.assertEqual(self.entered(came), date(2026, 10, 20))

    def test_a_change_that_keeps_the_child_in_the_register_does_not_restart_the_stay(self):
        child = make_child(school_class=self.org("class_a1"), name="李辍", on=date(2026, 9, 1))
        child_services.change_status(
            child=child, status="dropout", on=date(2026, 10, 20), reason="辍学", by=None
        )
        self.assertIsNone(self.entered(child))  # there all term: every period is owed
