"""Issue 15: children in no school (preschoolers at home, dropouts — 控辍保学) are registered by
the village child director with the home village as their unit (domain.md §2)."""

from __future__ import annotations

from datetime import date

import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from shouwang.children import services
from shouwang.children.models import Child, ChildStatus
from shouwang.orgs import services as org_services
from shouwang.orgs.models import OrgKind
from shouwang.stats import selectors as stats
from tests.personas import PersonaTestCase

from .factories import id_number_for, make_child
from .test_archive import form_data
from .test_holes import edit_form_data

TODAY = date(2026, 11, 24)
BIRTH = date(2021, 5, 6)  # five: a preschooler at home


@time_machine.travel(TODAY, tick=False)
class OutOfSchoolChildTests(PersonaTestCase):
    def register_at_the_village(self, persona: str = "village_director", **overrides: object):
        """The add page as the village's child director fills it: the village, no class."""
        at_the_village = {
            "name": "李小丫",
            "birth_date": BIRTH.isoformat(),
            "id_number": id_number_for(BIRTH, male=False),
            "school_class": "",
            "home_village": "",
            "unit_village": self.org("village_a1").pk,
        }
        data = form_data(self.world, **{**at_the_village, **overrides})
        return self.client_as(persona).post(reverse("children:add"), data)

    def test_a_village_director_registers_a_child_in_no_school_and_sets_dropout(self):
        village = self.org("village_a1")
        page = self.client_as("village_director").get(reverse("children:add"))
        self.assertEqual(
            list(page.context["child_form"].fields["unit_village"].queryset), [village]
        )

        response = self.register_at_the_village()
        child = Child.objects.get(name="李小丫")
        self.assertRedirects(response, reverse("children:detail", args=[child.pk]))
        self.assertEqual((child.school, child.school_class), (village, None))
        self.assertEqual(child.home_village, village)  # registered at the village: lives there
        self.assertEqual(child.county, self.org("county_a"))

        # 辍学 is a status with its date, set from the status page; the child stays ours.
        status_page = reverse("children:status", args=[child.pk])
        form = self.client_as("village_director").get(status_page).context["form"]
        choices = dict(form.fields["status"].choices)
        self.assertEqual(choices["dropout"], "辍学")
        done = self.client_as("village_director").post(
            status_page, {"status": "dropout", "on": TODAY.isoformat(), "reason": "劝返未成，在家"}
        )
        self.assertEqual(done.status_code, 302)
        child.refresh_from_db()
        self.assertEqual(child.status, ChildStatus.DROPOUT)
        self.assertEqual(child.status_changes.get(status=ChildStatus.DROPOUT).on, TODAY)

        # In the director's register, and counted once: at the village, its township, the county.
        register = self.client_as("village_director").get(reverse("children:register"))
        self.assertIn(child, list(register.context["page"]))
        self.assertContains(register, "辍学")
        for key in ("village_a1", "township_a1", "county_a"):
            figures = stats.figures(org=self.org(key), on=TODAY)
            self.assertEqual(figures.left_behind_total, 1, key)
        township = stats.figures(org=self.org("township_a1"), on=TODAY)
        self.assertEqual([(row.org, row.children) for row in township.units], [(village, 1)])
        # The township's officers see the child (region officers: home villages of the region
        # too); the town's school does not.
        detail = reverse("children:detail", args=[child.pk])
        self.assertEqual(self.client_as("township_officer").get(detail).status_code, 200)
        self.assertEqual(self.client_as("school_admin").get(detail).status_code, 404)

    def test_back_to_school_is_a_transfer_from_the_village(self):
        self.register_at_the_village()
        child = Child.objects.get(name="李小丫")
        response = self.client_as("township_officer").post(
            reverse("children:transfer", args=[child.pk]),
            {"to_school": self.org("school_a").code, "on": "2026-11-23", "reason": "劝返复学"},
        )
        self.assertEqual(response.status_code, 302)
        child.refresh_from_db()
        self.assertEqual((child.school, child.status), (self.org("school_a"), ChildStatus.ACTIVE))
        move = child.status_changes.filter(status=ChildStatus.TRANSFERRED).get()
        self.assertEqual(move.from_school, self.org("village_a1"))

    def test_a_class_and_a_village_together_are_refused(self):
        # The township's officer is offered both the town's classes and its village.
        response = self.register_at_the_village(
            "township_officer", school_class=self.org("class_a1").pk
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("unit_village", response.context["child_form"].errors)
        self.assertFalse(Child.objects.filter(name="李小丫").exists())

    def test_only_those_who_keep_a_village_are_offered_it(self):
        for persona in ("teacher", "school_admin"):
            form = self.client_as(persona).get(reverse("children:add")).context["child_form"]
            self.assertNotIn("unit_village", form.fields, persona)
            self.assertEqual(self.register_at_the_village(persona).status_code, 200)
        self.assertFalse(Child.objects.filter(name="李小丫").exists())

    def test_the_service_keeps_a_village_unit_without_class_and_at_home(self):
        other = org_services.add_org(
            code="110101002001",
            name="西村",
            kind=OrgKind.VILLAGE,
            parent=self.org("township_a2"),
            by=None,
        )
        village = self.org("village_a1")
        base = {
            "name": "王小二",
            "gender": "male",
            "birth_date": BIRTH,
            "id_number": id_number_for(BIRTH, male=True),
            "school": village,
        }
        parents = {"father": {"status": "migrant"}, "mother": {"status": "migrant"}}
        guardian = {"relation": "grandparent"}
        for wrong, field in (
            ({"school_class": self.org("class_a1")}, "school_class"),
            ({"home_village": other}, "home_village"),
        ):
            with self.assertRaises(ValidationError) as caught:
                services.register_child(
                    child={**base, **wrong}, **parents, guardian=guardian, by=None
                )
            self.assertIn(field, caught.exception.message_dict)
        with self.assertRaises(ValidationError) as caught:
            services.register_child(
                child={**base, "school": self.org("township_a1")},
                **parents,
                guardian=guardian,
                by=None,
            )
        self.assertIn("school", caught.exception.message_dict)

    def test_a_village_director_edits_a_pupil_who_lives_in_the_village(self):
        # The child's class is at a school the director keeps no class of: it stays choosable.
        pupil = make_child(
            school_class=self.org("class_a1"), name="张小东", home_village=self.org("village_a1")
        )
        url = reverse("children:edit", args=[pupil.pk])
        client = self.client_as("village_director")
        data = edit_form_data(client.get(url))
        data["hobbies"] = "放牛"
        self.assertEqual(client.post(url, data).status_code, 302)
        pupil.refresh_from_db()
        self.assertEqual((pupil.hobbies, pupil.school_class), ("放牛", self.org("class_a1")))

    def test_a_village_childs_archive_is_edited_without_a_class(self):
        self.register_at_the_village()
        child = Child.objects.get(name="李小丫")
        url = reverse("children:edit", args=[child.pk])
        client = self.client_as("village_director")
        page = client.get(url)
        self.assertNotIn("school_class", page.context["child_form"].fields)
        data = edit_form_data(page)
        data["health"] = "体弱"
        self.assertEqual(client.post(url, data).status_code, 302)
        child.refresh_from_db()
        self.assertEqual((child.health, child.school), ("体弱", self.org("village_a1")))


@time_machine.travel(TODAY, tick=False)
class OutOfSchoolChildCareTests(PersonaTestCase):
    """A child in no school has the village as its unit: its child director follows up what a
    caregiver found and is told of its emergencies, as a school's leaders are for a pupil."""

    def test_the_village_director_follows_up_and_is_told(self):
        from datetime import timedelta

        from django.utils import timezone

        from shouwang.care import selectors as care_selectors
        from shouwang.care import services as care_services
        from shouwang.notices.models import Notification
        from shouwang.safety import services as safety_services

        OutOfSchoolChildTests.register_at_the_village(self)  # type: ignore[arg-type]
        child = Child.objects.get(name="李小丫")
        director = self.world.users["village_director"]
        caregiver = care_services.caregiver_for_login(director)
        care_services.record_care(
            child=child,
            caregiver=caregiver,
            kind="home_visit",
            on=TODAY,
            by=director,
            findings="奶奶住院，孩子一人在家",
            abnormal=True,
        )
        follow_ups = care_selectors.open_follow_ups_for(director)
        self.assertEqual([f.child for f in follow_ups], [child])
        safety_services.report_incident(
            child=child,
            kind="injury",
            occurred_at=timezone.now() - timedelta(minutes=5),
            place="家中",
            description="摔伤",
            by=self.county_officer,
        )
        told = Notification.objects.filter(key__endswith="-reported").values_list(
            "user__username", flat=True
        )
        self.assertIn("village_director", set(told))
