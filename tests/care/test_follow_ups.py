"""发现异常 follow-ups that age: overdue past SHOUWANG_FOLLOW_UP_DAYS, told to the school's
leaders once, counted alike on the home page and 我的任务, and an incident offered when the
words may tell of an injury or abuse."""

from __future__ import annotations

import re
from datetime import timedelta

from django.test import override_settings
from django.urls import reverse

from shouwang.accounts.models import User
from shouwang.care import follow_ups, selectors, services
from shouwang.care.models import FollowUp
from shouwang.children.models import Child
from shouwang.notices.models import Notification, OutboxMessage
from tests.care.test_care_pages import TODAY, CareTestCase


class FollowUpAgeingTests(CareTestCase):
    def found(self, findings: str, days_ago: int, child: Child | None = None) -> FollowUp:
        record = services.record_care(
            child=child or self.a1,
            caregiver=self.volunteer_cg,
            kind="home_visit",
            on=TODAY - timedelta(days=days_ago),
            by=self.volunteer,
            findings=findings,
            abnormal=True,
        )
        return FollowUp.objects.get(record=record)

    def notes_of(self, persona: str) -> list[Notification]:
        return list(Notification.objects.filter(user=self.world.users[persona]))

    def test_six_days_waiting_is_not_overdue_and_eight_days_is(self):
        self.found("奶奶生病住院", days_ago=6)
        self.found("孩子最近不爱说话", days_ago=8)
        counts = selectors.follow_up_counts(self.school_admin, TODAY)
        self.assertEqual((counts.open, counts.overdue), (2, 1))
        page = self.client_as("school_admin").get(reverse("care:tasks")).content.decode()
        rows = re.findall(r'data-testid="follow-up"( data-overdue)?', page)
        self.assertEqual(rows, [" data-overdue", ""])  # oldest first: the 8-day one
        self.assertIn("已等待 8 天", page)
        self.assertIn("已等待 6 天", page)

    def test_the_setting_moves_the_line(self):
        self.found("奶奶生病住院", days_ago=4)
        with override_settings(SHOUWANG_FOLLOW_UP_DAYS=3):
            self.assertEqual(selectors.follow_up_counts(self.school_admin, TODAY).overdue, 1)
        self.assertEqual(selectors.follow_up_counts(self.school_admin, TODAY).overdue, 0)

    def test_an_overdue_follow_up_is_told_to_the_school_admin_once(self):
        User.objects.filter(pk=self.school_admin.pk).update(phone="13900000011")
        late = self.found("手臂上有淤青", days_ago=8)
        self.found("奶奶生病住院", days_ago=6)  # not yet overdue: nobody is told
        told = services.notify_overdue_follow_ups(TODAY)
        self.assertEqual(told, 1)
        [note] = self.notes_of("school_admin")
        self.assertIn(late.child.name, note.text)
        self.assertIn("8", note.text)
        self.assertNotIn("淤青", note.text)  # the finding's words stay inside Shouwang
        self.assertEqual(note.url, reverse("care:tasks") + "#follow-ups")
        [sms] = OutboxMessage.objects.filter(notification=note)
        self.assertEqual(sms.address, "13900000011")
        for persona in ("teacher", "teacher_b", "county_officer", "volunteer", "counselor"):
            self.assertEqual(self.notes_of(persona), [], persona)
        # The worker runs daily: the first is not told again; the second once it is 8 days old.
        self.assertEqual(services.notify_overdue_follow_ups(TODAY), 0)
        self.assertEqual(services.notify_overdue_follow_ups(TODAY + timedelta(days=1)), 0)
        self.assertEqual(services.notify_overdue_follow_ups(TODAY + timedelta(days=2)), 1)
        self.assertEqual(services.notify_overdue_follow_ups(TODAY + timedelta(days=3)), 0)
        self.assertEqual(len(self.notes_of("school_admin")), 2)  # one per follow-up
        self.assertEqual(OutboxMessage.objects.count(), 2)

    def test_a_closed_follow_up_is_never_told(self):
        late = self.found("孩子最近不爱说话", days_ago=20)
        services.close_follow_up(follow_up=late, outcome="已家访，情况好转", by=self.teacher)
        self.assertEqual(services.notify_overdue_follow_ups(TODAY), 0)

    def test_a_finding_of_bruises_offers_to_report_an_incident_and_a_plain_one_does_not(self):
        self.found("左臂有大片淤青，孩子不肯说原因", days_ago=60)
        self.found("给家长打电话没人接，孩子有点伤心", days_ago=3, child=self.a1b)
        page = self.client_as("school_admin").get(reverse("care:tasks")).content.decode()
        links = re.findall(r'href="([^"]+)" data-testid="start-incident"', page)
        self.assertEqual(links, [reverse("safety:report") + f"?child={self.a1.pk}"])
        form = self.client_as("school_admin").get(links[0].replace("&amp;", "&"))
        self.assertEqual(form.status_code, 200)
        self.assertContains(form, self.a1.name)

    def test_the_harm_words_and_the_everyday_words_that_contain_them(self):
        for text in ("手臂有淤青", "被父亲打了一顿", "手背有烫伤", "怀疑被虐待", "额头受伤"):
            self.assertTrue(follow_ups.mentions_harm(text), text)
        for text in ("给家长打电话没人接", "孩子有点伤心", "打扫卫生很认真", "想去打工的父亲"):
            self.assertFalse(follow_ups.mentions_harm(text), text)

    def test_home_counts_equal_my_tasks_counts(self):
        for n, days_ago in enumerate((1, 6, 8, 30, 90)):
            self.found(f"情况{n}", days_ago=days_ago)
        self.found("情况五", days_ago=40, child=self.b1)  # another school's
        for persona in ("school_admin", "teacher", "volunteer"):
            with self.subTest(persona=persona):
                client = self.client_as(persona)
                home = client.get(reverse("web:home")).content.decode()
                tasks = client.get(reverse("care:tasks")).content.decode()
                mine = selectors.my_tasks(self.world.users[persona], TODAY)
                self.assertEqual(_figure(home, "tasks-overdue"), _overdue_heading(tasks))
                self.assertEqual(_figure(home, "tasks-overdue"), len(mine.overdue))
                self.assertEqual(_figure(home, "tasks-due"), len(mine.due))
                if persona == "volunteer":  # follows up nothing: neither page counts any
                    self.assertNotIn("follow-ups-open", home)
                    self.assertNotIn("follow-up-counts", tasks)
                    continue
                self.assertEqual(_figure(home, "home-follow-ups-open"), 5)
                self.assertEqual(_figure(home, "home-follow-ups-overdue"), 3)
                self.assertEqual(_attr(tasks, "follow-up-counts", "data-open"), 5)
                self.assertEqual(_attr(tasks, "follow-up-counts", "data-overdue"), 3)


def _figure(page: str, testid: str) -> int:
    match = re.search(rf'data-testid="{testid}">(\d+)<', page)
    assert match, testid
    return int(match.group(1))


def _attr(page: str, testid: str, name: str) -> int:
    match = re.search(rf'data-testid="{testid}"[^>]*?{name}="(\d+)"', page, re.S)
    assert match, (testid, name)
    return int(match.group(1))


def _overdue_heading(page: str) -> int:
    match = re.search(r'data-testid="overdue">\s*<h2 data-count="(\d+)"', page)
    assert match
    return int(match.group(1))
