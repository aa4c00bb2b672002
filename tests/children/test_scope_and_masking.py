from __future__ import annotations

import io

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from shouwang.audit import reads
from shouwang.audit.models import AuditAction, AuditEntry
from shouwang.children.selectors import children_visible_to
from tests.personas import PersonaTestCase
from tests.world import PERSONAS

from .factories import make_child


class ChildScopeTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        o = cls.world.orgs
        cls.in_a1 = make_child(
            school_class=o["class_a1"], name="甲一", home_village=o["village_a1"]
        )
        cls.in_a2 = make_child(school_class=o["class_a2"], name="甲二")
        cls.in_b1 = make_child(
            school_class=o["class_b1"], name="乙一", home_village=o["village_a1"]
        )
        cls.in_c1 = make_child(school_class=o["class_c1"], name="丙一")

    def visible(self, persona: str) -> set[str]:
        return set(children_visible_to(self.world.users[persona]).values_list("name", flat=True))

    def test_each_role_sees_exactly_its_children(self):
        expected = {
            "sysadmin": {"甲一", "甲二", "乙一", "丙一"},
            "county_officer": {"甲一", "甲二", "乙一"},
            "federation_officer": {"甲一", "甲二", "乙一"},
            # school b is in another township, but 乙一's home is in the township's village
            "township_officer": {"甲一", "甲二", "乙一"},
            "school_admin": {"甲一", "甲二"},
            "counselor": {"甲一", "甲二"},
            "teacher": {"甲一"},
            "teacher_b": {"乙一"},
            "village_director": {"甲一", "乙一"},
            "volunteer": set(),
        }
        self.assertEqual(set(expected), set(PERSONAS))
        for persona, names in expected.items():
            with self.subTest(persona=persona):
                self.assertEqual(self.visible(persona), names)

    def test_out_of_scope_child_pages_are_404(self):
        pages = [
            "children:detail",
            "children:edit",
            "children:status",
            "children:transfer",
            "children:assess",
        ]
        for name in pages:
            with self.subTest(page=name):
                url = reverse(name, args=[self.in_b1.pk])
                self.assertEqual(self.client_as("teacher").get(url).status_code, 404)
                self.assertEqual(
                    self.client_as("county_officer")
                    .get(reverse(name, args=[self.in_c1.pk]))
                    .status_code,
                    404,
                )

    def test_viewing_a_child_is_audited(self):
        self.client_as("teacher").get(reverse("children:detail", args=[self.in_a1.pk]))
        reads.flush()
        entry = AuditEntry.objects.get(action=AuditAction.VIEW, object_id=str(self.in_a1.pk))
        self.assertEqual(entry.actor, self.teacher)

    def test_id_number_and_phones_are_masked_until_shown_and_showing_is_audited(self):
        client = self.client_as("school_admin")
        page = client.get(reverse("children:detail", args=[self.in_a1.pk])).content.decode()
        self.assertNotIn(self.in_a1.id_number, page)
        self.assertIn(self.in_a1.id_number[:4] + "*" * 10 + self.in_a1.id_number[-4:], page)
        self.assertNotIn("13800000001", page)
        shown = client.post(reverse("children:reveal", args=[self.in_a1.pk, "id_number"]))
        self.assertContains(shown, self.in_a1.id_number)
        entry = AuditEntry.objects.get(action=AuditAction.REVEAL)
        self.assertEqual(entry.changes, {"field": "id_number"})
        phone = client.post(reverse("children:reveal", args=[self.in_a1.pk, "father.phone"]))
        self.assertContains(phone, 'href="tel:13800000001"')  # revealed, a tap calls it
        shown = client.post(reverse("children:reveal", args=[self.in_a1.pk, "id_number"]))
        self.assertNotContains(shown, "tel:")

    def test_counselor_may_show_phones_but_not_the_id_number(self):
        client = self.client_as("counselor")
        url = reverse("children:reveal", args=[self.in_a1.pk, "id_number"])
        self.assertEqual(client.post(url).status_code, 404)
        self.assertEqual(
            client.post(
                reverse("children:reveal", args=[self.in_a1.pk, "mother.phone"])
            ).status_code,
            200,
        )

    def test_volunteer_never_gets_an_id_number_in_html_or_pdf(self):
        client = self.client_as("volunteer")
        for child in (self.in_a1, self.in_b1):
            for url in [
                reverse("children:detail", args=[child.pk]),
                reverse("children:reveal", args=[child.pk, "id_number"]),
            ]:
                response = client.get(url) if "reveal" not in url else client.post(url)
                self.assertEqual(response.status_code, 404)
                self.assertNotIn(child.id_number, response.content.decode())
        register = client.get(reverse("children:register")).content.decode()
        self.assertNotIn(self.in_a1.id_number, register)
        cards = client.get(reverse("children:cards") + "?class=" + self.org("class_a1").code)
        self.assertNotIn(self.in_a1.id_number.encode(), cards.content)

    def test_register_lists_only_the_scope_and_its_query_count_does_not_grow(self):
        client = self.client_as("school_admin")
        url = reverse("children:register")
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            response = client.get(url)
        self.assertContains(response, "甲一")
        self.assertNotContains(response, "乙一")
        for n in range(15):
            make_child(school_class=self.org("class_a2"), name=f"多{n}")
        with CaptureQueriesContext(connection) as many:
            response = client.get(url)
        self.assertContains(response, "多14")
        self.assertEqual(len(many.captured_queries), len(few.captured_queries))

    def test_register_search_by_name_initials_and_id_number(self):
        client = self.client_as("school_admin")
        url = reverse("children:register")
        for q in ["甲一", "jy", self.in_a1.id_number[-6:]]:
            with self.subTest(q=q):
                html = client.get(url, {"q": q}).content.decode()
                self.assertIn("甲一", html)
                self.assertNotIn("甲二", html)

    def test_contact_cards_are_a_pdf_with_the_childrens_names_and_are_audited(self):
        response = self.client_as("teacher").get(
            reverse("children:cards") + "?class=" + self.org("class_a1").code
        )
        self.assertEqual(response["Content-Type"], "application/pdf")
        text = "".join(
            page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages
        )
        self.assertIn("甲一", text)
        self.assertNotIn("乙一", text)
        entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
        self.assertEqual(entry.changes["rows"], 1)

    def test_a_large_register_is_printed_class_by_class(self):
        from unittest import mock

        with mock.patch("shouwang.children.views.CARDS_AT_ONCE", 1):
            response = self.client_as("county_officer").get(reverse("children:cards"))
        self.assertEqual(response.status_code, 400)
        self.assertIn("班级", response.content.decode())


class PartialIdSearchTests(PersonaTestCase):
    def test_a_short_part_lists_at_most_the_first_matches(self):
        from unittest import mock

        from shouwang.children import selectors

        for n in range(5):
            make_child(school_class=self.org("class_a1"), name=f"部{n}")
        children = selectors.children_visible_to(self.school_admin)
        with mock.patch.object(selectors, "PARTIAL_MATCHES", 3):
            self.assertEqual(selectors.with_id_number(children, "1101").count(), 3)
        self.assertEqual(selectors.with_id_number(children, "1101").count(), 5)
