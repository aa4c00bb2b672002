"""Rights per child, not per user: what one role allows never spills into another's children."""

from __future__ import annotations

from django.urls import reverse

from shouwang.accounts import services as accounts
from shouwang.children.models import DuplicateCase
from tests.personas import PersonaTestCase

from .factories import make_child


class RightsTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        o = cls.world.orgs
        cls.in_a = make_child(school_class=o["class_a1"], name="甲")
        cls.in_c = make_child(school_class=o["class_c1"], name="丙", id_number=cls.in_a.id_number)

    def test_a_counselor_who_also_teaches_elsewhere_edits_only_that_class(self):
        accounts.assign_role(user=self.counselor, role="teacher", org=self.org("class_b1"), by=None)
        in_b = make_child(school_class=self.org("class_b1"), name="乙")
        client = self.client_as("counselor")
        self.assertEqual(client.get(reverse("children:edit", args=[in_b.pk])).status_code, 200)
        self.assertEqual(client.get(reverse("children:edit", args=[self.in_a.pk])).status_code, 404)
        reveal = reverse("children:reveal", args=[self.in_a.pk, "id_number"])
        self.assertEqual(client.post(reveal).status_code, 404)

    def test_duplicates_reaching_outside_the_scope_show_no_name_or_school(self):
        self.assertTrue(DuplicateCase.objects.exists())
        page = self.client_as("school_admin").get(reverse("children:duplicates")).content.decode()
        self.assertNotIn("丙", page)
        self.assertNotIn("南镇小学", page)
        self.assertIn("1", page)  # counted, for the level above to resolve

    def test_only_someone_who_may_change_both_archives_merges(self):
        case = DuplicateCase.objects.get()
        for persona in ("counselor", "school_admin", "county_officer"):
            with self.subTest(persona=persona):
                response = self.client_as(persona).post(
                    reverse("children:duplicates"), {"case": case.pk, "keep": self.in_a.pk}
                )
                self.assertEqual(response.status_code, 404)
        response = self.client_as("sysadmin").post(
            reverse("children:duplicates"), {"case": case.pk, "keep": self.in_a.pk}
        )
        self.assertRedirects(response, reverse("children:duplicates"))

    def test_id_digits_find_children_only_for_those_who_may_see_id_numbers(self):
        url = reverse("children:register")
        part = self.in_a.id_number[-6:]
        self.assertNotIn("甲", self.client_as("counselor").get(url, {"q": part}).content.decode())
        self.assertIn("甲", self.client_as("school_admin").get(url, {"q": part}).content.decode())
        # Not even the whole number: an exact match would confirm a guess (issue 14).
        whole = self.client_as("counselor").get(url, {"q": self.in_a.id_number})
        self.assertNotIn("甲", whole.content.decode())
        self.assertContains(whole, "只有可查看身份证号的人员才能按身份证号查找")
        whole = self.client_as("school_admin").get(url, {"q": self.in_a.id_number})
        self.assertIn("甲", whole.content.decode())

    def test_the_audit_page_shows_id_numbers_and_phones_masked(self):
        page = self.client_as("sysadmin").get(reverse("accounts:audit")).content.decode()
        self.assertNotIn(self.in_a.id_number, page)
        self.assertNotIn("13800000001", page)
        # Masking is all or nothing there: not even the first and last four (issue 14).
        self.assertNotIn(self.in_a.id_number[:4] + "*" * 10, page)
        self.assertNotIn("*" * 10 + self.in_a.id_number[-4:], page)
