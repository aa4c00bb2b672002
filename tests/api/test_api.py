"""The REST API as each persona meets it: the pages' scope and masking, tokens, filters, schema."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client

from shouwang.care import services as care_services
from tests.children.factories import make_child
from tests.personas import PersonaTestCase
from tests.world import PASSWORD


class ApiTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        orgs = cls.world.orgs
        cls.a1 = make_child(school_class=orgs["class_a1"], name="甲一", male=False)
        cls.a2 = make_child(school_class=orgs["class_a2"], name="甲二")
        cls.b1 = make_child(school_class=orgs["class_b1"], name="乙一")
        volunteer = care_services.caregiver_for_login(cls.world.users["volunteer"])
        cls.pairing = care_services.pair(
            child=cls.a1, caregiver=volunteer, role="volunteer", starts_on=date(2026, 9, 1), by=None
        )
        care_services.record_care(
            child=cls.a1,
            caregiver=volunteer,
            kind="home_visit",
            on=date(2026, 9, 10),
            by=cls.world.users["volunteer"],
        )

    def api(self, persona: str, path: str, **params: object) -> dict:
        response = self.client_as(persona).get(f"/api/v1/{path}", params)
        self.assertEqual(response.status_code, 200, response.content[:300])
        return response.json()

    def names(self, persona: str, path: str = "children/", **params: object) -> set[str]:
        return {row["name"] for row in self.api(persona, path, **params)["results"]}

    def test_a_volunteer_lists_only_their_paired_child_and_never_its_id_number(self):
        (row,) = self.api("volunteer", "children/")["results"]
        assert row["name"] == "甲一"
        assert row["id_number"] is None
        assert self.client_as("volunteer").get(f"/api/v1/children/{self.a2.pk}/").status_code == 404

    def test_a_teacher_gets_404_for_a_child_of_another_class(self):
        client = self.client_as("teacher")
        assert client.get(f"/api/v1/children/{self.a1.pk}/").status_code == 200
        assert client.get(f"/api/v1/children/{self.a2.pk}/").status_code == 404
        assert self.names("teacher") == {"甲一"}

    def test_a_school_admin_gets_404_for_a_child_of_another_school(self):
        client = self.client_as("school_admin")
        assert client.get(f"/api/v1/children/{self.b1.pk}/").status_code == 404
        assert self.names("school_admin") == {"甲一", "甲二"}
        assert self.names("county_officer") == {"甲一", "甲二", "乙一"}

    def test_id_numbers_and_phones_are_masked_as_on_the_pages(self):
        child = self.api("school_admin", f"children/{self.a1.pk}/")
        assert child["id_number"] != self.a1.id_number
        assert child["id_number"][:4] == self.a1.id_number[:4] and "*" in child["id_number"]
        (guardian,) = self.api("school_admin", "guardians/", child=self.a1.pk)["results"]
        assert guardian["phone"] == "138****0003"

    def test_lists_filter_by_unit_kind_and_date(self):
        assert self.names("county_officer", school_class=self.org("class_a2").code) == {"甲二"}
        assert self.names("county_officer", gender="female") == {"甲一"}
        records = self.api("school_admin", "care-records/", kind="home_visit", since="2026-09-01")
        assert [r["child"] for r in records["results"]] == [self.a1.pk]
        assert self.api("school_admin", "care-records/", since="2026-09-11")["count"] == 0
        pairings = self.api("school_admin", "pairings/", open="true")["results"]
        assert [p["id"] for p in pairings] == [self.pairing.pk]
        orgs = self.api("school_admin", "orgs/", kind="class")["results"]
        assert {o["code"] for o in orgs} == {
            self.org("class_a1").code,
            self.org("class_a2").code,
        }
        school = self.api("school_admin", f"orgs/{self.org('school_a').code}/")
        assert school["parent"] == self.org("township_a1").code

    def test_a_path_that_is_no_id_names_nothing(self):
        """Found by tests/api/test_fuzz.py: a correction to /care-records/<not a number>/ was a
        500 (the view read the id as a number)."""
        client = self.client_as("volunteer")
        for path in ("care-records/甲一/", "care-records/1x/", "children/abc/", "pairings/-1/"):
            assert client.get(f"/api/v1/{path}").status_code == 404, path
        response = client.patch(
            "/api/v1/care-records/甲一/",
            {"reason": "写错了", "minutes": 20},
            content_type="application/json",
            headers={"If-Match": '"care-record-1"'},
        )
        assert response.status_code == 404

    def test_stats_are_the_commands_json_for_a_unit_in_scope(self):
        code = self.org("school_a").code
        out = io.StringIO()
        call_command("stats", "--org", code, "--json", stdout=out)
        assert self.api("school_admin", "stats/", org=code) == json.loads(out.getvalue())
        listed = self.api("school_admin", "stats/", org=code, children="true")["children"]
        assert [c["name"] for c in listed] == ["甲一", "甲二"]
        outside = self.client_as("school_admin").get(
            "/api/v1/stats/", {"org": self.org("school_b").code}
        )
        assert outside.status_code == 404

    def test_a_token_opens_the_api_without_a_session(self):
        anonymous = Client()
        refused = anonymous.get("/api/v1/children/")
        assert refused.status_code == 401 and refused["WWW-Authenticate"] == "Token"
        response = anonymous.post(
            "/api/v1/token/", {"username": "school_admin", "password": PASSWORD}
        )
        token = response.json()["token"]
        listed = Client().get("/api/v1/children/", HTTP_AUTHORIZATION=f"Token {token}")
        assert {c["name"] for c in listed.json()["results"]} == {"甲一", "甲二"}

    def test_the_schema_answers_a_token_and_refuses_anyone_without_one(self):
        refused = Client().get("/api/schema/", {"format": "json"})
        assert refused.status_code == 401
        token = (
            Client()
            .post("/api/v1/token/", {"username": "school_admin", "password": PASSWORD})
            .json()["token"]
        )
        schema = Client().get(
            "/api/schema/", {"format": "json"}, HTTP_AUTHORIZATION=f"Token {token}"
        )
        assert schema.status_code == 200
        assert "/api/v1/children/" in schema.json()["paths"]

    def test_the_login_lockout_also_guards_tokens(self):
        client = Client()
        for _ in range(5):
            client.post("/api/v1/token/", {"username": "teacher", "password": "wrong-Pass-1"})
        response = client.post("/api/v1/token/", {"username": "teacher", "password": PASSWORD})
        assert response.status_code in (400, 403)
        assert "token" not in response.json()

    def test_a_username_longer_than_any_is_refused_before_it_is_tried(self):
        """Found by tests/api/test_fuzz.py: the lockout kept the failed name, and PostgreSQL
        refused one longer than its column (a 500)."""
        response = Client().post("/api/v1/token/", {"username": "甲" * 300, "password": "x"})
        assert response.status_code == 400 and "username" in response.json()
        assert not AccessAttempt.objects.filter(username__startswith="甲").exists()

    def test_the_schema_generates_without_warnings_and_the_docs_need_no_cdn(self):
        out = Path(self._testMethodName + ".yml")
        try:
            call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
            schema = out.read_text()
        finally:
            out.unlink(missing_ok=True)
        for path in ("/api/v1/children/", "/api/v1/care-records/", "/api/v1/stats/"):
            assert path in schema
        docs = self.client_as("teacher").get("/api/docs/").content.decode()
        assert "drf_spectacular_sidecar" in docs
        assert "cdn" not in docs.lower()
