"""A long form that comes back with errors says at the top what to fix, each item a link to
its field (issue 19: a village teacher on a phone does not scroll to find the red line)."""

from __future__ import annotations

import re

from django.urls import reverse

from tests.children.test_archive import form_data
from tests.personas import PersonaTestCase


class ErrorSummaryTests(PersonaTestCase):
    def test_the_archive_form_with_two_wrong_fields_lists_both_at_the_top(self):
        data = form_data(self.world, gender="", id_number="123")
        response = self.client_as("teacher").post(reverse("children:add"), data)

        html = response.content.decode()
        summary = re.search(r'<nav class="error-summary".*?</nav>', html, re.S)
        self.assertIsNotNone(summary, "no summary of the errors above the form")
        assert summary is not None
        self.assertIn("有 2 项需要修改", summary.group())
        links = re.findall(r'href="#(id_\w+)"', summary.group())
        self.assertEqual(set(links), {"id_id_number", "id_gender"})
        in_form_order = sorted(links, key=lambda target: html.index(f'id="{target}"'))
        self.assertEqual(links, in_form_order)
        for target in links:
            self.assertIn(f'id="{target}"', html)  # each link lands on its field
        self.assertLess(summary.start(), html.index(f'id="{links[0]}"'))

    def test_a_form_without_errors_has_no_summary(self):
        response = self.client_as("teacher").get(reverse("children:add"))
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "error-summary")

    def test_a_short_form_keeps_its_errors_beside_the_fields_only(self):
        response = self.client_as("teacher").post(reverse("accounts:password_change"), {})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "errorlist")
        self.assertNotContains(response, "error-summary")
