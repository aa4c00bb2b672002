"""A class is named with its school wherever more than one school is in view (issue 19)."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from shouwang.orgs.forms import UnitChoiceField
from shouwang.orgs.models import Org, OrgKind
from tests.personas import PersonaTestCase


class UnitLabelTests(PersonaTestCase):
    def test_a_class_is_named_with_its_school_and_a_school_by_its_name(self):
        self.assertEqual(self.org("class_b1").label, "西镇中学 三年级（1）班")
        self.assertEqual(self.org("grade_a1").label, "东镇中心小学 三年级")
        self.assertEqual(self.org("school_a").label, "东镇中心小学")
        self.assertEqual(self.org("county_a").label, "甲县")

    def test_many_units_are_named_with_one_query_for_their_schools(self):
        units = list(Org.objects.filter(kind=OrgKind.SCHOOL_CLASS))
        with self.assertNumQueries(1):
            labels = Org.labels_for(units)
        self.assertEqual(len(set(labels.values())), len(units))  # no two alike

    def test_the_add_user_picker_tells_the_same_class_of_two_schools_apart(self):
        page = self.client_as("sysadmin").get(reverse("accounts:user_create"))
        options = re.findall(r"<option[^>]*>([^<]*)</option>", page.content.decode())
        self.assertIn("东镇中心小学 三年级（1）班", options)
        self.assertIn("西镇中学 三年级（1）班", options)
        self.assertNotIn("三年级（1）班", options)

    def test_a_schools_own_picker_keeps_the_short_names(self):
        field = UnitChoiceField(
            queryset=Org.objects.filter(path__startswith=self.org("school_a").path).filter(
                kind=OrgKind.SCHOOL_CLASS
            )
        )
        labels = [label for _value, label in field.choices][1:]
        self.assertEqual(sorted(labels), ["三年级（1）班", "三年级（2）班"])

    def test_the_register_filter_names_the_class_with_its_school_for_a_county_officer(self):
        page = self.client_as("county_officer").get(reverse("children:register"))
        options = re.findall(r"<option[^>]*>([^<]*)</option>", page.content.decode())
        self.assertIn("西镇中学 三年级（2）班", options)
        self.assertIn("东镇中心小学 三年级（2）班", options)


@pytest.mark.django_db
def test_the_demo_prints_a_teachers_class_with_its_school():
    out = io.StringIO()
    call_command("demo", "--seed", "3", "--children", "5", stdout=out, stderr=io.StringIO())
    teacher = next(line for line in out.getvalue().splitlines() if "demo-teacher" in line)
    assert re.search(r"·  \S+(小学|学校|中学) 一年级（1）班", teacher), teacher
