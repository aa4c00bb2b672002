"""Where a definition profile is chosen, each is explained in one sentence (issue 19): which
children it counts, under what age, how long a parent must have been away."""

from __future__ import annotations

from datetime import date

import time_machine
from django.urls import reverse

from shouwang.children.models import DefinitionProfile
from shouwang.children.profiles import explain
from tests.personas import PersonaTestCase

ON = date(2026, 11, 24)


@time_machine.travel(ON, tick=False)
class ProfilesExplainedTests(PersonaTestCase):
    def test_the_sentence_names_the_types_the_age_and_the_months_away(self):
        profile = DefinitionProfile.objects.create(
            code="strict",
            name="严格口径",
            counted_types=["both_parents_away"],
            min_months_away=6,
            age_limit=16,
        )
        sentence = explain(profile)
        self.assertIn("16 周岁", sentence)
        self.assertIn("父母双方外出", sentence)
        self.assertIn("满 6 个月", sentence)
        self.assertNotIn("单亲", sentence)

    def test_the_dashboard_explains_every_profile_it_offers(self):
        page = self.client_as("county_officer").get(
            reverse("stats:dashboard"), {"org": self.org("county_a").code}
        )
        self.assertEqual(page.status_code, 200)
        for profile in DefinitionProfile.objects.all():
            self.assertContains(page, explain(profile))

    def test_the_regions_choice_of_profile_explains_each(self):
        url = reverse("children:definition", args=[self.org("county_a").code])
        page = self.client_as("county_officer").get(url)
        self.assertEqual(page.status_code, 200)
        for profile in DefinitionProfile.objects.all():
            self.assertContains(page, explain(profile))
