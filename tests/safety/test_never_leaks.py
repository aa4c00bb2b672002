"""What happened to a child and what they told a counselor never reach a volunteer — not on a
page, not through the API, not in a download — even for the child the volunteer looks after;
and no export carries either, whoever downloads it."""

from __future__ import annotations

import io
import shutil
import tempfile
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import time_machine
from django.urls import reverse

from shouwang.care import services as care_services
from shouwang.counseling import services as counseling_services
from shouwang.ledger.models import ExportJob
from shouwang.safety import services as safety_services
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

CST = ZoneInfo("Asia/Shanghai")
WHAT_HAPPENED = "课间从单杠上摔下右臂疼痛"
WHAT_WAS_SAID = "孩子说晚上常常哭约定每周二再谈"
LETTER = "我想妈妈了不想告诉别人"


@time_machine.travel(datetime(2026, 11, 24, 12, 0, tzinfo=CST), tick=False)
class NeverLeaksTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.child = make_child(school_class=cls.world.orgs["class_a1"], name="甲一")
        users = cls.world.users
        volunteer = care_services.caregiver_for_login(users["volunteer"])
        care_services.pair(
            child=cls.child,
            caregiver=volunteer,
            role="volunteer",
            starts_on=date(2026, 9, 1),
            by=None,
        )
        with time_machine.travel(datetime(2026, 11, 24, 11, 0, tzinfo=CST), tick=False):
            cls.incident = safety_services.report_incident(
                child=cls.child,
                kind="injury",
                occurred_at=datetime(2026, 11, 24, 10, 30, tzinfo=CST),
                place="操场",
                description=WHAT_HAPPENED,
                by=users["teacher"],
            )
            counseling_services.add_session(
                child=cls.child,
                kind="session",
                on=date(2026, 11, 24),
                topic="想念妈妈",
                notes=WHAT_WAS_SAID,
                by=users["counselor"],
            )
            cls.letter = counseling_services.add_letter(
                school=cls.world.orgs["school_a"],
                opened_on=date(2026, 11, 24),
                text=LETTER,
                child=cls.child,
                by=users["counselor"],
            )

    def assert_silent(self, text: str, where: str) -> None:
        for secret in (WHAT_HAPPENED, WHAT_WAS_SAID, LETTER):
            assert secret not in text, f"{where} shows {secret!r}"

    def test_the_volunteer_sees_the_childs_archive_but_no_incident_or_counseling_page(self):
        client = self.client_as("volunteer")
        archive = client.get(f"/children/{self.child.pk}/")
        assert archive.status_code == 200  # the child the volunteer looks after
        self.assert_silent(archive.content.decode(), "the archive")
        self.assertNotContains(archive, f"/safety/{self.incident.pk}/")
        self.assertNotContains(archive, "/counseling/")
        self.assertContains(
            self.client_as("county_officer").get("/safety/"), f"/safety/{self.incident.pk}/"
        )
        for url in (
            "/safety/",  # a volunteer neither sees nor reports incidents: no such page
            f"/safety/{self.incident.pk}/",
            "/counseling/",
            f"/counseling/child/{self.child.pk}/",
            f"/counseling/mailbox/{self.org('school_a').code}/add/",
            f"/counseling/letter/{self.letter.pk}/reply/",
        ):
            assert client.get(url).status_code == 404, url
        self.assert_silent(client.get("/notices/").content.decode(), "the notices")

    def test_the_api_gives_the_volunteer_nothing_of_either(self):
        client = self.client_as("volunteer")
        assert client.get("/api/v1/incidents/").json()["count"] == 0
        assert client.get(f"/api/v1/incidents/{self.incident.pk}/").status_code == 404
        for path in ("children/", f"children/{self.child.pk}/", "care-records/", "pairings/"):
            response = client.get(f"/api/v1/{path}")
            assert response.status_code == 200, path
            self.assert_silent(response.content.decode(), path)
        # Counseling has no endpoint at all: the schema names none.
        schema = self.client_as("county_officer").get("/api/schema/", {"format": "json"}).json()
        assert "/api/v1/incidents/" in schema["paths"]
        assert not [path for path in schema["paths"] if "counsel" in path or "letter" in path]
        # The county officer reads the incident through the API, so the check above can fail.
        assert (
            WHAT_HAPPENED
            in self.client_as("county_officer").get("/api/v1/incidents/").content.decode()
        )

    def test_no_download_carries_an_incident_or_counseling(self):
        school = self.org("school_a").code
        media = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, media, True)
        for persona in ("volunteer", "school_admin", "county_officer"):
            client = self.client_as(persona)
            for url, params in (
                (f"/ledger/export/{school}/", {}),
                ("/stats/export/", {"org": school}),
            ):
                with self.settings(MEDIA_ROOT=media):
                    response = self.download(client, url, params)
                if response.status_code == 404:
                    continue  # not theirs to download
                assert response.status_code == 200, (persona, url)
                content = (
                    b"".join(response.streaming_content) if response.streaming else response.content
                )
                book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
                cells = " ".join(
                    str(value)
                    for sheet in book.worksheets
                    for row in sheet.iter_rows(values_only=True)
                    for value in row
                    if value is not None
                )
                self.assert_silent(cells, f"{url} for {persona}")
                if url.startswith("/ledger/") and persona != "volunteer":
                    assert "甲一" in cells  # the child is in the download, the secrets are not

    def download(self, client, url: str, params: dict):
        """The file: a ledger is asked for (an export job, written at once) and then fetched."""
        if not url.startswith("/ledger/"):
            return client.get(url, params)
        with self.captureOnCommitCallbacks(execute=True):
            asked = client.post(url)
        if asked.status_code == 404:
            return asked
        job = ExportJob.objects.filter(requested_by=asked.wsgi_request.user).latest("pk")
        return client.get(reverse("ledger:export_download", args=[job.pk]))
