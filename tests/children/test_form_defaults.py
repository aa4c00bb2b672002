"""The archive form answers what it can and refuses what cannot be (issue 19): the only class
a teacher may choose is chosen already; a check dated in the future is refused."""

from __future__ import annotations

import re
from datetime import date

import time_machine
from django.urls import reverse

from shouwang.children.models import Child
from tests.personas import PersonaTestCase

from .test_archive import form_data

TODAY = date(2026, 10, 15)


def selected(html: str, field: str) -> list[str]:
    select = re.search(rf'<select name="{field}".*?</select>', html, re.S)
    assert select is not None, f"no {field} picker"
    return re.findall(r'<option value="(\d+)"[^>]*selected', select.group())


class PreselectedUnitTests(PersonaTestCase):
    def test_a_teacher_with_one_class_finds_it_chosen(self):
        response = self.client_as("teacher").get(reverse("children:add"))
        html = response.content.decode()
        choices = re.search(r'<select name="school_class".*?</select>', html, re.S)
        assert choices is not None
        offered = re.findall(r'<option value="(\d+)"', choices.group())
        self.assertEqual(offered, [str(self.world.orgs["class_a1"].pk)])
        self.assertEqual(selected(html, "school_class"), offered)

    def test_where_there_is_a_choice_nothing_is_chosen_for_the_user(self):
        response = self.client_as("school_admin").get(reverse("children:add"))
        html = response.content.decode()
        choices = re.search(r'<select name="school_class".*?</select>', html, re.S)
        assert choices is not None
        self.assertGreater(len(re.findall(r'<option value="(\d+)"', choices.group())), 1)
        self.assertEqual(selected(html, "school_class"), [])


@time_machine.travel(TODAY, tick=False)
class FutureDatesTests(PersonaTestCase):
    def test_a_check_dated_tomorrow_is_refused(self):
        data = form_data(self.world, verified_on="2026-10-16")
        response = self.client_as("teacher").post(reverse("children:add"), data)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "不能填写未来的日期")
        self.assertFalse(Child.objects.exists())

    def test_a_check_dated_today_is_saved(self):
        data = form_data(self.world, verified_on="2026-10-15", collected_on="2026-10-15")
        response = self.client_as("teacher").post(reverse("children:add"), data)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Child.objects.get().verified_on, TODAY)


class NotLeftBehindWarningTests(PersonaTestCase):
    AT_HOME = {
        "father-status": "at_home",
        "father-work_place": "",
        "father-away_since": "",
        "mother-status": "at_home",
        "mother-away_since": "",
    }

    def test_both_parents_at_home_is_said_before_saving(self):
        data = form_data(self.world, **self.AT_HOME)
        response = self.client_as("teacher").post(reverse("children:add"), data)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "属于非留守儿童")
        self.assertFalse(Child.objects.exists())

    def test_confirmed_the_child_is_registered(self):
        data = form_data(self.world, not_left_behind="1", **self.AT_HOME)
        response = self.client_as("teacher").post(reverse("children:add"), data)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Child.objects.get().left_behind_type, "not_left_behind")

    def test_a_left_behind_child_is_saved_without_the_question(self):
        response = self.client_as("teacher").post(reverse("children:add"), form_data(self.world))
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Child.objects.get().left_behind_type, "both_parents_away")
