"""The API's `rounds`: the caller's scope as on the pages; an open, submit or return outside it is
a 404; the schema describes each write."""

from __future__ import annotations

from datetime import date

import time_machine

from shouwang.audit.models import AuditAction, AuditEntry
from shouwang.notices.models import Notification
from shouwang.oversight.models import Level, Round, Submission
from tests.oversight.test_rounds import DUE, OPENED, UPWARD, RoundTestCase, at


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


class OpenRoundApiTests(RoundTestCase):
    """POST /api/v1/rounds/ opens a round with the page's fields, through the service."""

    def post(self, persona: str, body: dict[str, object]):
        with time_machine.travel(at(OPENED), tick=False):
            return self.client_as(persona).post(
                "/api/v1/rounds/", body, content_type="application/json"
            )

    def body(self, org: str = "county_a", **extra: object) -> dict[str, object]:
        return {
            "org": self.org(org).code,
            "title": "冬季排查",
            "due": DUE.isoformat(),
            "due_upward": UPWARD.isoformat(),
        } | extra

    def test_county_opens_a_round_for_chosen_units_audited(self):
        response = self.post("county_officer", self.body(units=[self.org("school_a").code]))
        self.assertEqual(response.status_code, 201, response.content)
        data = response.json()
        round_ = Round.objects.get(pk=data["id"])
        self.assertEqual(
            (data["org"], data["title"], data["due"], data["due_upward"], data["units"]),
            (self.org("county_a").code, "冬季排查", "2026-12-10", "2026-12-15", 2),
        )
        self.assertEqual(round_.opened_by, self.county_officer)
        self.assertEqual(
            {(u.org.code, u.level, u.due) for u in round_.units.select_related("org")},
            {
                (self.org("school_a").code, Level.UNIT, DUE),
                (self.org("township_a1").code, Level.REGION, UPWARD),
            },
        )
        entry = AuditEntry.objects.get(
            object_type="oversight.round", object_id=str(round_.pk), action=AuditAction.CREATE
        )
        self.assertEqual(entry.actor, self.county_officer)

    def test_without_units_every_school_and_village_reports(self):
        response = self.post("county_officer", self.body(due_upward=None))
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["units"], 5)
        self.assertIsNone(response.json()["due_upward"])

    def test_township_opens_a_round_for_its_own_units(self):
        response = self.post("township_officer", self.body("township_a1"))
        self.assertEqual(response.status_code, 201, response.content)
        round_ = Round.objects.get(pk=response.json()["id"])
        self.assertEqual(
            sorted(round_.units.values_list("org__code", flat=True)),
            sorted([self.org("school_a").code, self.org("village_a1").code]),
        )

    def test_out_of_scope_is_404_and_opens_nothing(self):
        for persona, org in (
            ("township_officer", "county_a"),  # the level above its own
            ("township_officer", "township_a2"),  # a neighbour
            ("county_officer", "county_b"),  # another county
            ("school_admin", "county_a"),  # a school does not open rounds
            ("school_admin", "school_a"),
            ("teacher", "county_a"),
            ("village_director", "township_a1"),
        ):
            with self.subTest(persona=persona, org=org):
                self.assertEqual(self.post(persona, self.body(org)).status_code, 404)
        self.assertEqual(
            self.post("county_officer", self.body() | {"org": "999999"}).status_code, 404
        )
        self.assertFalse(Round.objects.exists())

    def test_bad_input_is_400_naming_no_unit_outside_and_opens_nothing(self):
        # A school of another county is unknown under county A: its code is echoed, never its
        # name.
        elsewhere = self.post("county_officer", self.body(units=[self.org("school_c").code]))
        self.assertEqual(elsewhere.status_code, 400)
        self.assertIn(self.org("school_c").code, elsewhere.json()["units"][0])
        self.assertNotIn(self.org("school_c").name, elsewhere.content.decode())
        for body in (
            self.body(units=[self.org("township_a1").code]),  # not a school or village
            self.body(due="2026-11-30"),  # in the past
            self.body(due_upward="2026-12-09"),  # before the units' deadline
            self.body(title=""),
            {"org": self.org("county_a").code, "title": "x"},  # no deadline
        ):
            with self.subTest(body=body):
                self.assertEqual(self.post("county_officer", body).status_code, 400)
        # A school is in the county officer's scope but opens no round: refused by the service.
        self.assertEqual(self.post("county_officer", self.body("school_a")).status_code, 400)
        self.assertFalse(Round.objects.exists())


class ReturnApiTests(RoundTestCase):
    """POST /api/v1/rounds/{id}/return/ returns a submission with a comment, as the page does."""

    def setUp(self) -> None:
        super().setUp()
        self.round = self.open_round()
        self.url = f"/api/v1/rounds/{self.round.pk}/return/"

    def post(self, persona: str, body: dict[str, object], day: date = date(2026, 12, 2)):
        with time_machine.travel(at(day), tick=False):
            return self.client_as(persona).post(self.url, body, content_type="application/json")

    def listed(self, persona: str, day: date = date(2026, 12, 2)):
        with time_machine.travel(at(day), tick=False):
            response = self.client_as(persona).get(self.url)
        self.assertEqual(response.status_code, 200)
        return response.json()

    def test_the_level_above_returns_the_unit_resubmits_and_both_versions_stay(self):
        first = self.submit(self.round, "school_a", "school_admin")
        listed = self.listed("township_officer")
        self.assertEqual(
            [(s["id"], s["org"], s["version"]) for s in listed],
            [(first.pk, self.org("school_a").code, 1)],
        )
        response = self.post("township_officer", {"submission": first.pk, "comment": "人数不符"})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["return_comment"], "人数不符")
        self.assertEqual(response.json()["version"], 1)
        first.refresh_from_db()
        self.assertEqual(
            (first.returned_by, first.return_comment), (self.township_officer, "人数不符")
        )
        self.assertTrue(
            AuditEntry.objects.filter(
                object_type="oversight.submission",
                object_id=str(first.pk),
                action=AuditAction.UPDATE,
            ).exists()
        )
        self.assertTrue(Notification.objects.filter(user=self.school_admin).exists())
        self.assertEqual(self.listed("township_officer"), [])
        # Returned once only: a second return is refused with the reason.
        again = self.post("township_officer", {"submission": first.pk, "comment": "再退"})
        self.assertEqual(again.status_code, 400)
        with time_machine.travel(at(date(2026, 12, 3)), tick=False):
            resubmitted = self.client_as("school_admin").post(
                f"/api/v1/rounds/{self.round.pk}/submit/",
                {"org": self.org("school_a").code},
                content_type="application/json",
            )
        self.assertEqual(resubmitted.json()["version"], 2)
        self.assertEqual(
            list(Submission.objects.order_by("version").values_list("version", "return_comment")),
            [(1, "人数不符"), (2, "")],
        )

    def test_the_unit_itself_and_others_outside_get_404_and_change_nothing(self):
        submission = self.submit(self.round, "school_a", "school_admin")
        for persona in ("school_admin", "teacher", "village_director", "teacher_b"):
            with self.subTest(persona=persona):
                response = self.post(persona, {"submission": submission.pk, "comment": "x"})
                self.assertEqual(response.status_code, 404)
        self.assertEqual(self.listed("school_admin"), [])
        # A submission of another round, through this round's address: 404.
        other = self.open_round(units=[self.org("school_b")])
        theirs = self.submit(other, "school_b", "county_officer")
        response = self.post("county_officer", {"submission": theirs.pk, "comment": "x"})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(Submission.objects.filter(returned_at__isnull=False).exists())

    def test_a_return_needs_a_comment(self):
        submission = self.submit(self.round, "school_a", "school_admin")
        response = self.post("county_officer", {"submission": submission.pk, "comment": "  "})
        self.assertEqual(response.status_code, 400)
        submission.refresh_from_db()
        self.assertIsNone(submission.returned_at)


class RoundSchemaTests(RoundTestCase):
    def test_the_schema_describes_open_submit_and_return(self):
        document = self.client_as("county_officer").get("/api/schema/", {"format": "json"}).json()
        paths, components = document["paths"], document["components"]["schemas"]

        def body_of(path: str) -> dict[str, object]:
            ref = paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]
            return components[ref["$ref"].rsplit("/", 1)[1]]

        def answer_of(path: str, code: str) -> dict[str, object]:
            schema = paths[path]["post"]["responses"][code]["content"]["application/json"]
            return components[schema["schema"]["$ref"].rsplit("/", 1)[1]]

        opening = body_of("/api/v1/rounds/")
        self.assertEqual(set(opening["properties"]), {"org", "title", "due", "due_upward", "units"})
        self.assertEqual(set(opening["required"]), {"org", "title", "due"})
        self.assertIn("units", answer_of("/api/v1/rounds/", "201")["properties"])
        returning = body_of("/api/v1/rounds/{id}/return/")
        self.assertEqual(set(returning["properties"]), {"submission", "comment"})
        self.assertEqual(set(returning["required"]), {"submission", "comment"})
        self.assertIn(
            "return_comment", answer_of("/api/v1/rounds/{id}/return/", "200")["properties"]
        )
        self.assertIn(
            "ledger_sha256", answer_of("/api/v1/rounds/{id}/submit/", "201")["properties"]
        )
