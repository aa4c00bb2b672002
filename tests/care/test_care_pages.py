"""Care work as each persona does it: pairing, recording, correcting, duties and compliance."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial
from unittest import mock

import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shouwang.audit.models import AuditEntry
from shouwang.care import engine, selectors, services
from shouwang.care.models import CareRecord, DutyPolicy, FollowUp, Pairing
from shouwang.children.models import Child
from shouwang.notices.models import Notification
from shouwang.notices.services import deliver_due
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

TODAY = date(2026, 11, 24)  # in the world's 2026 autumn term (Sep 1 – Jan 22, mid-term Nov 9)


@time_machine.travel(TODAY, tick=False)
class CareTestCase(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        orgs = cls.world.orgs
        cls.a1 = make_child(
            school_class=orgs["class_a1"], name="李一", home_village=orgs["village_a1"]
        )
        cls.a1b = make_child(school_class=orgs["class_a1"], name="李二")
        cls.a2 = make_child(school_class=orgs["class_a2"], name="王三")
        cls.b1 = make_child(school_class=orgs["class_b1"], name="赵四")
        users = cls.world.users
        cls.volunteer_cg = services.caregiver_for_login(users["volunteer"])
        cls.teacher_cg = services.caregiver_for_login(users["teacher"])
        cls.cadre = services.add_caregiver(
            name="村干部周", kind="village_cadre", org=orgs["village_a1"], by=None
        )
        cls.pairing = services.pair(
            child=cls.a1,
            caregiver=cls.volunteer_cg,
            role="volunteer",
            starts_on=date(2026, 9, 1),
            by=None,
        )
        preset = DutyPolicy.objects.get(code="three_ones", org__isnull=True)
        services.apply_preset(preset=preset, org=orgs["county_a"], by=None)

    def tasks_of(self, persona: str) -> selectors.MyTasks:
        return selectors.my_tasks(self.world.users[persona], TODAY)

    def record(self, persona: str, child: Child, **extra: object):
        data = {
            "child": child.pk,
            "kind": "home_visit",
            "on": TODAY.isoformat(),
            "minutes": 30,
            "with_whom": "guardian",
            "findings": "",
            **extra,
        }
        return self.client_as(persona).post(reverse("care:record"), data)


class ScopeTests(CareTestCase):
    def test_volunteer_sees_only_their_paired_children(self):
        response = self.client_as("volunteer").get(reverse("children:register"))
        self.assertContains(response, "李一")
        self.assertNotContains(response, "李二")
        self.assertEqual(
            self.client_as("volunteer").get(reverse("care:child", args=[self.a1b.pk])).status_code,
            404,
        )

    def test_volunteer_records_only_for_their_own_paired_children(self):
        response = self.record("volunteer", self.a1b)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "errorlist")
        self.assertFalse(CareRecord.objects.filter(child=self.a1b).exists())
        response = self.record("volunteer", self.a1)
        self.assertRedirects(response, reverse("care:tasks"))
        saved = CareRecord.objects.get(child=self.a1)
        self.assertEqual(saved.caregiver, self.volunteer_cg)
        self.assertEqual(saved.recorded_by, self.volunteer)

    def test_volunteer_never_sees_the_id_number_of_a_paired_child(self):
        response = self.client_as("volunteer").get(reverse("children:detail", args=[self.a1.pk]))
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, self.a1.id_number)
        reveal = reverse("children:reveal", args=[self.a1.pk, "id_number"])
        self.assertEqual(self.client_as("volunteer").post(reveal).status_code, 404)

    def test_teacher_cannot_record_for_a_child_outside_class_or_pairing(self):
        self.record("teacher", self.a2)
        self.assertFalse(CareRecord.objects.filter(child=self.a2).exists())
        services.pair(
            child=self.a2, caregiver=self.teacher_cg, role="teacher", starts_on=TODAY, by=None
        )
        self.assertRedirects(self.record("teacher", self.a2), reverse("care:tasks"))
        self.assertTrue(CareRecord.objects.filter(child=self.a2).exists())

    def test_ended_pairing_takes_the_child_out_of_the_volunteers_sight(self):
        services.end_pairing(
            pairing=self.pairing, on=date(2026, 11, 20), reason="志愿者调离", by=None
        )
        response = self.client_as("volunteer").get(reverse("care:child", args=[self.a1.pk]))
        self.assertEqual(response.status_code, 404)

    def test_pairing_does_not_let_a_teacher_edit_the_archive(self):
        services.pair(
            child=self.b1, caregiver=self.teacher_cg, role="teacher", starts_on=TODAY, by=None
        )
        client = self.client_as("teacher")
        self.assertEqual(client.get(reverse("care:child", args=[self.b1.pk])).status_code, 200)
        self.assertEqual(client.get(reverse("children:edit", args=[self.b1.pk])).status_code, 404)


class PairingTests(CareTestCase):
    def test_school_admin_closes_a_four_heart_gap_with_a_two_to_one_pair(self):
        Child.objects.filter(pk=self.a1b.pk).update(heart_level=4)
        client = self.client_as("school_admin")
        page = client.get(reverse("care:pairings"))
        self.assertContains(page, "李二")
        gaps = page.context["gaps"]
        self.assertEqual([c.pk for c in gaps], [self.a1b.pk])
        response = client.post(
            reverse("care:pair"),
            {
                "children": [self.a1b.pk],
                "caregiver_1": self.teacher_cg.pk,
                "role_1": "teacher",
                "caregiver_2": self.cadre.pk,
                "role_2": "village_cadre",
                "role_3": "volunteer",
                "starts_on": TODAY.isoformat(),
            },
        )
        self.assertRedirects(response, reverse("care:pairings"))
        page = client.get(reverse("care:pairings"))
        self.assertEqual(list(page.context["gaps"]), [])
        self.assertFalse(selectors.lacks_two_to_one_pairing(Child.objects.get(pk=self.a1b.pk)))
        figures = page.context["figures"]
        self.assertEqual((figures["paired"], figures["total"]), (2, 3))  # a1, a1b of a1/a1b/a2
        self.assertEqual(figures["without_plan"], 3)

    def test_choosing_the_same_caregiver_twice_is_refused(self):
        response = self.client_as("school_admin").post(
            reverse("care:pair"),
            {
                "children": [self.a2.pk],
                "caregiver_1": self.teacher_cg.pk,
                "role_1": "teacher",
                "caregiver_2": self.teacher_cg.pk,
                "role_2": "teacher",
                "role_3": "volunteer",
                "starts_on": TODAY.isoformat(),
            },
        )
        self.assertContains(response, "errorlist")
        self.assertFalse(Pairing.objects.filter(child=self.a2).exists())

    def test_ending_a_pairing_asks_for_a_reason_and_hands_the_child_over(self):
        client = self.client_as("school_admin")
        url = reverse("care:end_pairing", args=[self.pairing.pk])
        response = client.post(url, {"on": TODAY.isoformat(), "reason": ""})
        self.assertContains(response, "errorlist")
        self.pairing.refresh_from_db()
        self.assertIsNone(self.pairing.ends_on)
        client.post(
            url, {"on": TODAY.isoformat(), "reason": "志愿者外出", "handover_to": self.cadre.pk}
        )
        self.pairing.refresh_from_db()
        self.assertEqual((self.pairing.ends_on, self.pairing.end_reason), (TODAY, "志愿者外出"))
        successor = self.pairing.handed_over_to
        self.assertEqual(
            (successor.caregiver, successor.starts_on), (self.cadre, date(2026, 11, 25))
        )

    def test_teacher_and_volunteer_do_not_manage_pairings(self):
        for persona in ("teacher", "volunteer", "counselor"):
            with self.subTest(persona=persona):
                response = self.client_as(persona).get(reverse("care:pairings"))
                self.assertEqual(response.status_code, 404)

    def test_caregiver_list_shows_how_many_children_each_has(self):
        response = self.client_as("county_officer").get(reverse("care:caregivers"))
        loads = {c.name: c.load for c in response.context["caregivers"]}
        self.assertEqual(loads[self.volunteer_cg.name], 1)
        self.assertEqual(loads["村干部周"], 0)


class RecordTests(CareTestCase):
    def test_recording_a_home_visit_marks_this_months_visit_done(self):
        visits = [
            o
            for o in self.tasks_of("volunteer").due
            if o.rule.label == "每月家访一次" and o.child_id == self.a1.pk
        ]
        self.assertEqual(len(visits), 1)
        self.record("volunteer", self.a1)
        done = [
            o
            for o in self.tasks_of("volunteer").done
            if o.rule.label == "每月家访一次" and o.period.start == date(2026, 11, 1)
        ]
        self.assertEqual([o.child_id for o in done], [self.a1.pk])

    def test_done_tasks_are_sent_when_the_section_is_opened(self):
        self.record("volunteer", self.a1)
        client = self.client_as("volunteer")
        page = client.get(reverse("care:tasks")).content.decode()
        self.assertIn('data-testid="done"', page)
        self.assertNotIn('data-testid="task-done"', page)  # only the count and the link
        rows = client.get(reverse("care:tasks") + "?done=1", headers={"HX-Request": "true"})
        self.assertContains(rows, 'data-testid="task-done"')
        self.assertContains(rows, self.a1.name)
        self.assertNotContains(rows, "<html")  # the rows alone, into the opened section
        # Without script, the link shows the whole page with the section open.
        whole = client.get(reverse("care:tasks") + "?done=1").content.decode()
        self.assertIn("<html", whole)
        self.assertIn('data-testid="task-done"', whole)

    def test_a_long_section_shows_its_first_rows_and_offers_the_rest(self):
        overdue = len(self.tasks_of("volunteer").overdue)
        self.assertGreater(overdue, 2)
        client = self.client_as("volunteer")
        with mock.patch("shouwang.care.views.TASKS_SHOWN", 2):
            page = client.get(reverse("care:tasks")).content.decode()
            every = client.get(reverse("care:tasks") + "?all=1").content.decode()
        section = page.split('data-testid="overdue"')[1].split("</section>")[0]
        self.assertEqual(section.count('data-testid="task-overdue"'), 2)
        self.assertIn(f"({overdue})", section)
        self.assertIn(f"显示全部 {overdue} 项", section)
        section = every.split('data-testid="overdue"')[1].split("</section>")[0]
        self.assertEqual(section.count('data-testid="task-overdue"'), overdue)
        self.assertNotIn("显示全部", section)

    def test_october_without_a_visit_is_overdue_for_the_volunteer(self):
        overdue = {(o.rule.label, o.period.start) for o in self.tasks_of("volunteer").overdue}
        self.assertIn(("每月家访一次", date(2026, 10, 1)), overdue)
        self.assertIn(("每月与家长通话一次", date(2026, 9, 1)), overdue)

    def test_form_defaults_to_today_and_to_the_task_it_was_opened_from(self):
        url = reverse("care:record") + f"?child={self.a1.pk}&kind=parent_call"
        form = self.client_as("volunteer").get(url).context["form"]
        self.assertEqual(form["on"].value(), TODAY)
        self.assertEqual(str(form["child"].value()), str(self.a1.pk))
        self.assertEqual(form["kind"].value(), "parent_call")
        self.assertEqual(form["with_whom"].value(), "parents")  # 电话联系家长 → 家长

    def test_with_whom_follows_the_task_a_home_visit_is_with_the_guardian(self):
        url = reverse("care:record") + f"?child={self.a1.pk}&kind=home_visit"
        page = self.client_as("volunteer").get(url)
        self.assertEqual(page.context["form"]["with_whom"].value(), "guardian")
        self.assertContains(page, "data-follows-kind=")  # the script follows a change of kind

    def test_a_date_in_the_future_is_refused_in_words(self):
        response = self.record("volunteer", self.a1, on="2026-11-25")
        self.assertContains(response, "不能是将来")
        self.assertFalse(CareRecord.objects.exists())

    def test_something_wrong_without_saying_what_is_refused(self):
        response = self.record("volunteer", self.a1, abnormal="on", findings=" ")
        self.assertContains(response, "errorlist")
        self.assertFalse(CareRecord.objects.exists())

    def test_a_long_list_of_follow_ups_shows_the_oldest_and_offers_the_rest(self):
        for n in range(22):
            self.record(
                "volunteer",
                self.a1,
                abnormal="on",
                findings=f"情况{n:02d}",
                on=f"2026-11-{n + 1:02d}",
            )
        client = self.client_as("school_admin")
        page = client.get(reverse("care:tasks")).content.decode()
        self.assertIn("(22)", page)
        self.assertIn("情况00", page)  # the oldest first
        self.assertNotIn("情况21", page)
        self.assertIn("显示全部 22 项", page)
        every = client.get(reverse("care:tasks") + "?follow_ups=all").content.decode()
        self.assertIn("情况21", every)
        self.assertNotIn("显示全部", every)

    def test_something_wrong_opens_a_follow_up_for_class_teacher_and_school_admin(self):
        self.record("volunteer", self.a1, abnormal="on", findings="爷爷住院，孩子独自在家")
        follow_up = FollowUp.objects.get(child=self.a1)
        for persona in ("teacher", "school_admin"):
            with self.subTest(persona=persona):
                page = self.client_as(persona).get(reverse("care:tasks"))
                self.assertContains(page, "爷爷住院，孩子独自在家")
        self.assertNotContains(self.client_as("teacher_b").get(reverse("care:tasks")), "爷爷住院")
        url = reverse("care:close_follow_up", args=[follow_up.pk])
        self.assertEqual(self.client_as("volunteer").get(url).status_code, 404)
        self.client_as("teacher").post(url, {"outcome": "已联系姑姑临时照看"})
        follow_up.refresh_from_db()
        self.assertEqual((follow_up.closed_on, follow_up.closed_by), (TODAY, self.teacher))

    def test_a_correction_is_a_new_version_and_the_old_one_is_kept(self):
        self.record("volunteer", self.a1, minutes=30)
        first = CareRecord.objects.get()
        url = reverse("care:correct", args=[first.pk])
        response = self.client_as("volunteer").post(
            url,
            {
                "kind": "home_visit",
                "on": TODAY.isoformat(),
                "minutes": 45,
                "with_whom": "guardian",
                "reason": "时长记错了",
            },
        )
        self.assertRedirects(response, reverse("care:child", args=[self.a1.pk]))
        first.refresh_from_db()
        second = CareRecord.objects.get(is_current=True)
        self.assertFalse(first.is_current)
        self.assertEqual((first.minutes, second.minutes), (30, 45))
        self.assertEqual((second.version, second.original_id), (2, first.pk))
        entry = AuditEntry.objects.filter(object_id=str(second.pk), action="update").get()
        self.assertEqual(entry.changes["minutes"], [30, 45])
        self.assertEqual(entry.changes["reason"], "时长记错了")
        page = self.client_as("volunteer").get(reverse("care:record_detail", args=[second.pk]))
        self.assertEqual([v.version for v in page.context["versions"]], [2, 1])
        # The visit still counts once for the month.
        done = [o for o in self.tasks_of("volunteer").done if o.rule.label == "每月家访一次"]
        self.assertEqual([o.done for o in done], [1])

    def test_an_earlier_version_cannot_be_corrected_again(self):
        first = services.record_care(
            child=self.a1,
            caregiver=self.volunteer_cg,
            kind="talk",
            on=TODAY,
            by=self.volunteer,
        )
        second = services.correct_record(
            record=first, by=self.volunteer, reason="改时长", minutes=20
        )
        url = reverse("care:correct", args=[first.pk])
        # A form opened on the old version: refused in words, the newer version shown and kept.
        client = self.client_as("volunteer")
        response = client.post(
            url, {"kind": "talk", "on": TODAY.isoformat(), "minutes": 5, "reason": "旧表单"}
        )
        self.assertRedirects(
            response,
            reverse("care:record_detail", args=[second.pk]),
            fetch_redirect_response=False,
        )
        page = client.get(response["Location"])
        self.assertContains(page, "此记录已被他人修改")
        self.assertEqual(CareRecord.objects.count(), 2)
        self.assertEqual(CareRecord.objects.get(is_current=True).minutes, 20)

    def test_a_withdrawn_record_no_longer_counts(self):
        visit = services.record_care(
            child=self.a1,
            caregiver=self.volunteer_cg,
            kind="home_visit",
            on=TODAY,
            by=self.volunteer,
        )
        services.withdraw_record(record=visit, by=self.volunteer, reason="记错了孩子")
        done = [o for o in self.tasks_of("volunteer").done if o.rule.label == "每月家访一次"]
        self.assertEqual(done, [])
        self.assertEqual(CareRecord.objects.count(), 2)

    def test_my_tasks_needs_the_same_queries_for_one_child_or_many(self):
        def queries() -> int:
            user = self.world.users["volunteer"]
            user.__dict__.pop("_shouwang_scope", None)
            with CaptureQueriesContext(connection) as ctx:
                selectors.my_tasks(user, TODAY)
            return len(ctx.captured_queries)

        one = queries()
        for child in (self.a1b, self.a2):
            services.pair(
                child=child, caregiver=self.volunteer_cg, role="volunteer", starts_on=TODAY, by=None
            )
            services.record_care(
                child=child, caregiver=self.volunteer_cg, kind="talk", on=TODAY, by=self.volunteer
            )
        self.assertEqual(queries(), one)


class PolicyTests(CareTestCase):
    def test_school_admin_puts_a_preset_in_force_and_adds_a_rule_of_their_own(self):
        client = self.client_as("school_admin")
        school = self.org("school_a")
        preset = DutyPolicy.objects.get(code="talks_twice_a_month", org__isnull=True)
        client.post(reverse("care:apply_preset", args=[school.code, preset.pk]))
        policy = DutyPolicy.objects.get(org=school, code="talks_twice_a_month")
        self.assertEqual([r.count for r in policy.rules.all()], [2])
        page = client.get(reverse("care:policies") + f"?org={school.code}")
        self.assertContains(page, "谈心每月两次")
        self.assertContains(page, "三个一")  # in force from the county
        response = client.post(
            reverse("care:add_rule", args=[policy.pk]),
            {
                "label": "每两周电话联系监护人",
                "kinds": ["guardian_contact"],
                "count": 1,
                "period": "two_weeks",
                "season": "term",
                "assignee": "class_teacher",
                "each_child": "on",
            },
        )
        self.assertEqual(response.status_code, 302)
        self.assertTrue(policy.rules.filter(label="每两周电话联系监护人").exists())

    def test_a_rule_that_cannot_be_owed_is_refused_in_words(self):
        policy = services.add_policy(org=self.org("school_a"), name="本校", by=None)
        response = self.client_as("school_admin").post(
            reverse("care:add_rule", args=[policy.pk]),
            {
                "label": "班主任代理家长",
                "kinds": ["talk"],
                "count": 1,
                "period": "week",
                "season": "term",
                "assignee": "class_teacher",
                "caregiver_roles": ["proxy_parent"],
                "each_child": "on",
            },
        )
        self.assertContains(response, "errorlist")
        self.assertFalse(policy.rules.exists())

    def test_applying_the_same_preset_twice_is_refused(self):
        preset = DutyPolicy.objects.get(code="three_ones", org__isnull=True)
        response = self.client_as("county_officer").post(
            reverse("care:apply_preset", args=[self.org("county_a").code, preset.pk]), follow=True
        )
        self.assertContains(response, "flash-error")
        self.assertEqual(DutyPolicy.objects.filter(code="three_ones").count(), 2)

    def test_a_policy_stopped_is_no_longer_owed(self):
        policy = DutyPolicy.objects.get(code="three_ones", org=self.org("county_a"))
        self.client_as("county_officer").post(
            reverse("care:set_in_force", args=[policy.pk]), {"in_force": "0"}
        )
        self.assertEqual(self.tasks_of("volunteer").overdue, [])

    def test_teacher_cannot_change_duty_rules(self):
        policy = DutyPolicy.objects.get(code="three_ones", org=self.org("county_a"))
        response = self.client_as("teacher").post(
            reverse("care:set_in_force", args=[policy.pk]), {"in_force": "0"}
        )
        self.assertEqual(response.status_code, 404)
        policy.refresh_from_db()
        self.assertTrue(policy.is_active)


class ComplianceTests(CareTestCase):
    def test_a_slow_count_is_reused_for_a_minute_while_records_come_in_and_says_when(self):
        url = reverse("care:compliance")
        noon = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # 12:00 in Beijing
        # Every count is "slow" here (a county's takes seconds; this world's, milliseconds).
        with mock.patch.object(selectors, "counted", partial(selectors.counted, slow=-1)):
            with time_machine.travel(noon, tick=False), self.captureOnCommitCallbacks(execute=True):
                client = self.client_as("county_officer")
                first = client.get(url).context["result"].total
            with time_machine.travel(noon + timedelta(seconds=20), tick=False):
                self.assertEqual(self.record("volunteer", self.a1).status_code, 302)
            with time_machine.travel(noon + timedelta(seconds=50), tick=False):
                again = client.get(url)
            with time_machine.travel(noon + timedelta(seconds=61), tick=False):
                later = client.get(url)
        self.assertEqual(again.context["result"].total, first)
        self.assertContains(again, "统计于 12:00")
        self.assertEqual(later.context["result"].total.done, first.done + 1)
        self.assertNotContains(later, 'data-testid="counted-at"')

    def test_county_officer_drills_from_county_to_a_child(self):
        client = self.client_as("county_officer")
        county = client.get(reverse("care:compliance"))
        self.assertEqual([row.label for row in county.context["result"].rows], ["东镇"])
        total = county.context["result"].total
        self.assertGreater(total.overdue, 0)
        township = client.get(reverse("care:compliance") + f"?org={self.org('township_a1').code}")
        self.assertEqual([r.label for r in township.context["result"].rows], ["东镇中心小学"])
        school = client.get(reverse("care:compliance") + f"?org={self.org('school_a').code}")
        self.assertEqual([r.label for r in school.context["result"].rows], ["三年级（1）班"])
        klass = client.get(reverse("care:compliance") + f"?org={self.org('class_a1').code}")
        rows = klass.context["result"].rows
        self.assertEqual([r.child_id for r in rows], [self.a1.pk])
        self.assertEqual(rows[0].tally.total, total.total)  # every obligation is a1's
        self.assertContains(klass, reverse("care:child", args=[self.a1.pk]))

    def test_compliance_per_caregiver_counts_their_own_obligations(self):
        self.record("volunteer", self.a1)
        page = self.client_as("school_admin").get(
            reverse("care:compliance") + f"?org={self.org('school_a').code}&by=caregiver"
        )
        rows = {r.label: r.tally for r in page.context["result"].rows}
        items = selectors.obligations_for(Child.objects.filter(pk=self.a1.pk), TODAY)
        expected = engine.tally(items, lambda o: "x")["x"]
        self.assertEqual(rows[self.volunteer_cg.name].done, expected.done)
        self.assertEqual(rows[self.volunteer_cg.name].overdue, expected.overdue)

    def test_duties_owed_by_a_school_are_counted_and_told_to_its_leaders(self):
        """四个一's "学校行政每月家访一次" is the school's own duty: the county's compliance counts
        it (it used to fail while finding the school's leaders) and their tasks hold it."""
        preset = DutyPolicy.objects.get(code="four_ones", org__isnull=True)
        services.apply_preset(preset=preset, org=self.org("county_a"), by=None)
        page = self.client_as("county_officer").get(reverse("care:compliance"))
        self.assertEqual(page.status_code, 200)
        rules = {o.rule.label for o in self.tasks_of("school_admin").overdue}
        self.assertIn("学校行政每月家访一次", rules)
        self.assertNotIn(
            "学校行政每月家访一次", {o.rule.label for o in self.tasks_of("teacher").overdue}
        )

    def test_a_school_admin_cannot_see_another_schools_compliance(self):
        url = reverse("care:compliance") + f"?org={self.org('school_b').code}"
        self.assertEqual(self.client_as("school_admin").get(url).status_code, 404)


class MyTasksReadOnlyWhatCountsTests(CareTestCase):
    def test_each_persons_tasks_equal_the_whole_computation_filtered_to_what_they_owe(self):
        """我的任务 reads only the records that count toward what the person owes; it must
        find the same obligations, with the same done counts, as the whole computation."""
        services.apply_preset(
            preset=DutyPolicy.objects.get(code="four_ones", org__isnull=True),
            org=self.org("county_a"),
            by=None,
        )
        policy = services.add_policy(org=self.org("school_a"), name="本校", by=None)
        services.add_rule(
            policy=policy,
            by=None,
            label="班主任每周谈心",
            kinds=["talk"],
            count=1,
            period="week",
            season="term",
            assignee="class_teacher",
            each_child=True,
        )
        services.pair(
            child=self.a1,
            caregiver=self.cadre,
            role="village_cadre",
            starts_on=date(2026, 9, 1),
            by=None,
        )
        services.add_rule(
            policy=policy,
            by=None,
            label="二对一每月家访",
            kinds=["home_visit"],
            count=1,
            period="month",
            season="term",
            assignee="pair_shared",
            each_child=True,
        )
        services.pair(
            child=self.a1,
            caregiver=self.teacher_cg,
            role="teacher",
            starts_on=date(2026, 9, 1),
            by=None,
        )
        services.pair(
            child=self.a1b,
            caregiver=self.teacher_cg,
            role="teacher",
            starts_on=date(2026, 9, 1),
            by=None,
        )
        self.record("volunteer", self.a1)
        self.record("teacher", self.a1, kind="talk")
        self.record("teacher", self.a1, on="2026-10-12")  # the pair's October visit
        self.record("teacher", self.a1b, kind="parent_call")
        self.record("school_admin", self.a2)
        for persona in ("volunteer", "teacher", "teacher_b", "school_admin", "county_officer"):
            user = self.world.users[persona]
            caregiver = selectors.caregiver_of(user)
            owners = selectors.owned_by(user, caregiver)
            whole = [
                o
                for o in selectors.obligations_for(selectors.my_children(user, caregiver), TODAY)
                if o.owner in owners
                or (caregiver and o.owner[0] == "shared" and caregiver.pk in o.caregiver_ids)
            ]
            mine = self.tasks_of(persona)
            key = lambda o: (o.rule.id, o.owner, o.child_id, o.period.start, o.done, o.status)  # noqa: E731
            self.assertEqual(
                sorted(map(key, mine.overdue + mine.due + mine.done)),
                sorted(map(key, whole)),
                persona,
            )
        self.assertTrue(any(o.done for o in self.tasks_of("school_admin").done))
        self.assertTrue(any(o.done for o in self.tasks_of("teacher").done))
        shared = [o for o in self.tasks_of("volunteer").done if o.owner[0] == "shared"]
        self.assertTrue(shared)  # the teacher's visit fulfils the volunteer's shared duty


class CarePlanTests(CareTestCase):
    def test_plan_review_date_is_a_task_and_the_plan_shows_the_records_that_served_it(self):
        client = self.client_as("teacher")
        client.post(reverse("care:start_plan", args=[self.a1.pk]), {"review_on": "2026-12-01"})
        client.post(
            reverse("care:add_plan_item", args=[self.a1.pk]),
            {"area": "family", "need": "想念父母", "measure": "每月视频通话", "responsible": ""},
        )
        self.record("volunteer", self.a1, kind="parent_call")
        tasks = self.client_as("teacher").get(reverse("care:tasks"))
        self.assertContains(tasks, "2026-12-01")
        page = client.get(reverse("care:child", args=[self.a1.pk]))
        self.assertContains(page, "每月视频通话")
        self.assertEqual(len(page.context["plan_records"]), 1)
        client.post(
            reverse("care:review_plan", args=[self.a1.pk]),
            {"progress": "情绪好转", "next_review_on": "2027-01-15"},
        )
        self.assertEqual(self.a1.care_plan.__class__.objects.get().review_on, date(2027, 1, 15))

    def test_a_long_list_of_plans_to_review_shows_the_most_urgent_and_offers_the_rest(self):
        client = self.client_as("school_admin")
        for child, day in ((self.a1, "2026-12-05"), (self.a2, "2026-12-03")):
            client.post(reverse("care:start_plan", args=[child.pk]), {"review_on": day})
        with mock.patch("shouwang.care.views.PLANS_SHOWN", 1):
            page = client.get(reverse("care:tasks")).content.decode()
            every = client.get(reverse("care:tasks") + "?plans=all").content.decode()
        self.assertIn("2026-12-03", page)  # the earlier review first
        self.assertNotIn("2026-12-05", page)
        self.assertIn("显示全部 2 项", page)
        self.assertIn("2026-12-05", every)
        self.assertNotIn('data-testid="show-all-plans"', every)

    def test_a_review_date_in_the_past_is_refused(self):
        response = self.client_as("teacher").post(
            reverse("care:start_plan", args=[self.a1.pk]), {"review_on": "2026-11-01"}
        )
        self.assertContains(response, "errorlist")


class RecordFormTests(CareTestCase):
    def test_next_leads_only_back_into_shouwang(self):
        response = self.record("volunteer", self.a1, next="https://example.com/steal")
        self.assertRedirects(response, reverse("care:tasks"))
        child_page = reverse("care:child", args=[self.a1.pk])
        response = self.record("volunteer", self.a1, kind="talk", next=child_page)
        self.assertRedirects(response, child_page)

    def test_a_county_sized_list_offers_only_own_children_and_the_one_opened(self):
        with mock.patch("shouwang.care.forms.MAX_CHOICES", 1):
            client = self.client_as("county_officer")
            form = client.get(reverse("care:record")).context["form"]
            self.assertEqual([c for c, _label in form.fields["child"].choices if c], [])
            url = reverse("care:record") + f"?child={self.a2.pk}"
            form = client.get(url).context["form"]
            self.assertEqual([c for c, _label in form.fields["child"].choices if c], [self.a2.pk])
            self.assertRedirects(self.record("county_officer", self.a2), reverse("care:tasks"))


class HomeTests(CareTestCase):
    def test_a_caregiver_lands_on_how_many_tasks_are_overdue(self):
        page = self.client_as("volunteer").get(reverse("web:home"))
        overdue = len(self.tasks_of("volunteer").overdue)
        self.assertGreater(overdue, 0)
        self.assertContains(page, 'data-testid="my-tasks-summary"')
        self.assertEqual(len(page.context["tasks"].overdue), overdue)

    def test_an_officer_without_duties_sees_no_task_summary(self):
        page = self.client_as("county_officer").get(reverse("web:home"))
        self.assertNotContains(page, 'data-testid="my-tasks-summary"')


class TellingTests(CareTestCase):
    def notes_of(self, persona: str) -> list[Notification]:
        return list(Notification.objects.filter(user=self.world.users[persona]))

    def test_the_worker_tells_each_person_how_many_duties_are_overdue_once_a_week(self):
        told = services.notify_overdue(TODAY)
        self.assertEqual(told, 1)
        [note] = self.notes_of("volunteer")
        self.assertIn(str(len(self.tasks_of("volunteer").overdue)), note.text)
        self.assertEqual(note.url, reverse("care:tasks"))
        for persona in ("teacher", "school_admin", "county_officer"):  # nothing overdue
            self.assertEqual(self.tasks_of(persona).overdue, [])
            self.assertEqual(self.notes_of(persona), [])
        self.assertEqual(services.notify_overdue(TODAY), 0)  # the worker ran twice today
        self.assertEqual(services.notify_overdue(date(2026, 11, 26)), 0)  # same ISO week
        with time_machine.travel(date(2026, 12, 1), tick=False):
            self.assertEqual(services.notify_overdue(date(2026, 12, 1)), told)  # a new week
        self.assertEqual(len(self.notes_of("volunteer")), 2)

    def test_a_duty_the_class_owns_is_told_to_its_class_teacher_not_the_other_teachers(self):
        policy = services.add_policy(org=self.org("school_a"), name="本校", by=None)
        services.add_rule(
            policy=policy,
            by=None,
            label="班主任每周谈心",
            kinds=["talk"],
            count=1,
            period="week",
            season="term",
            assignee="class_teacher",
            each_child=True,
        )
        owed = self.tasks_of("teacher").overdue
        self.assertTrue(owed)  # class a1's two children, every past week of the term
        services.notify_overdue(TODAY)
        [note] = self.notes_of("teacher")
        self.assertIn(str(len(owed)), note.text)
        self.assertEqual(note.url, reverse("care:tasks"))
        for persona in ("teacher_b", "school_admin", "county_officer"):  # not the class's
            self.assertEqual(self.notes_of(persona), [], persona)

    def test_people_with_an_email_address_get_the_notice_by_email_too(self):
        volunteer = self.world.users["volunteer"]
        volunteer.email = "volunteer@example.org"
        volunteer.save()
        services.notify_overdue(TODAY)
        self.assertEqual(mail.outbox, [])  # it waits in the outbox for the worker
        deliver_due()
        self.assertEqual([m.to for m in mail.outbox], [["volunteer@example.org"]])
        self.assertIn("/care/", mail.outbox[0].body)

    def test_a_mention_tells_the_named_person_only_if_they_may_see_the_child(self):
        with self.captureOnCommitCallbacks(execute=True):
            self.record("volunteer", self.a1, findings="奶奶腿脚不便，@teacher @teacher_b 请留意")
        [note] = self.notes_of("teacher")
        self.assertIn("李一", note.text)
        self.assertIn("/care/records/", note.url)
        self.assertEqual(self.notes_of("teacher_b"), [])  # another school's teacher: not told
        self.assertEqual(self.notes_of("volunteer"), [])  # not told of one's own mention
