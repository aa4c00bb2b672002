"""The API's `rounds`: the caller's scope as on the pages; a submit outside it is a 404."""

from __future__ import annotations

from datetime import date

import time_machine

from shouwang.oversight.models import Submission
from tests.oversight.test_rounds import RoundTestCase, at


class RoundApiTests(RoundTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.round = self.open_round()
        self.url = f"/api/v1/rounds/{self.round.pk}/"

    def test_county_reads_the_round_as_round_show_prints_it(self):
        self.submit(self.round, "school_a", "school_admin")
        data = self.client_as("county_officer").get(self.url).json()
        self.assertEqual(data["id"], self.round.pk)
        self.assertEqual(len(data["units"]), 5)
        self.assertEqual(data["submitted"], [self.org("school_a").code])
        self.assertEqual(data["figures"]["left_behind_total"], 3)

    def test_school_admin_sees_only_the_school_and_others_nothing(self):
        data = self.client_as("school_admin").get(self.url).json()
        self.assertEqual([u["org"] for u in data["units"]], [self.org("school_a").code])
        for persona in ("teacher", "volunteer", "counselor", "teacher_b"):
            with self.subTest(persona=persona):
                self.assertEqual(self.client_as(persona).get(self.url).status_code, 404)
                listed = self.client_as(persona).get("/api/v1/rounds/").json()
                self.assertEqual(listed["results"] if isinstance(listed, dict) else listed, [])

    def test_submit_in_scope_and_404_outside_changing_nothing(self):
        client = self.client_as("school_admin")
        with time_machine.travel(at(date(2026, 12, 2)), tick=False):
            outside = client.post(
                f"{self.url}submit/",
                {"org": self.org("school_b").code},
                content_type="application/json",
            )
            self.assertEqual(outside.status_code, 404)
            self.assertFalse(Submission.objects.exists())
            inside = client.post(
                f"{self.url}submit/",
                {"org": self.org("school_a").code},
                content_type="application/json",
            )
            self.assertEqual(inside.status_code, 201, inside.content)
            self.assertEqual(inside.json()["version"], 1)
            again = client.post(
                f"{self.url}submit/",
                {"org": self.org("school_a").code},
                content_type="application/json",
            )
        self.assertEqual(again.status_code, 400)
        self.assertEqual(Submission.objects.count(), 1)
