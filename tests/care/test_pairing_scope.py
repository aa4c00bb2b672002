"""Issue 16: pairing widens a caregiver's view to the child, so a school's leaders pair only
with the unit's own caregivers (and the cadres of the villages its children live in); a region
officer pairs across the region and is told so."""

from __future__ import annotations

from datetime import date

import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from shouwang.care import services
from shouwang.care.models import Pairing
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

TODAY = date(2026, 11, 24)


@time_machine.travel(TODAY, tick=False)
class PairingScopeTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        orgs = cls.world.orgs
        with time_machine.travel(TODAY, tick=False):
            cls.child = make_child(
                school_class=orgs["class_a1"], name="李一", home_village=orgs["village_a1"]
            )
            cls.own_teacher = services.caregiver_for_login(cls.world.users["teacher"])
            cls.other_school = services.caregiver_for_login(cls.world.users["teacher_b"])
            cls.cadre = services.add_caregiver(
                name="村干部周", kind="village_cadre", org=orgs["village_a1"], by=None
            )
            cls.county_mother = services.add_caregiver(
                name="爱心妈妈吴", kind="caring_mother", org=orgs["federation_a"], by=None
            )

    def offered(self, persona: str) -> set[str]:
        page = self.client_as(persona).get(reverse("care:pair"))
        field = page.context["form"].fields["caregiver_1"]
        return {c.name for c in field.queryset}

    def test_a_school_admin_is_offered_only_the_units_caregivers(self):
        offered = self.offered("school_admin")
        self.assertIn(self.own_teacher.name, offered)
        self.assertIn(self.cadre.name, offered)  # the village the child lives in
        self.assertNotIn(self.other_school.name, offered)
        self.assertNotIn(self.county_mother.name, offered)

    def test_a_pairing_with_a_teacher_of_another_school_is_refused(self):
        with self.assertRaises(ValidationError) as refused:
            services.pair(
                child=self.child,
                caregiver=self.other_school,
                role="teacher",
                starts_on=TODAY,
                by=self.school_admin,
            )
        self.assertIn(self.other_school.name, " ".join(refused.exception.messages))
        self.assertFalse(Pairing.objects.exists())

    def test_a_region_officer_pairs_across_schools_and_is_told_so(self):
        offered = self.offered("county_officer")
        self.assertTrue({self.other_school.name, self.county_mother.name} <= offered)
        page = self.client_as("county_officer").get(reverse("care:pair"))
        self.assertContains(page, "本地区任一学校")
        services.pair(
            child=self.child,
            caregiver=self.county_mother,
            role="caring_mother",
            starts_on=TODAY,
            by=self.county_officer,
        )
        self.assertEqual(Pairing.objects.get().caregiver, self.county_mother)
