"""Issue 14, items 1–5: the holes an attacker and two careless clerks found in the archive.

Each test reproduces one finding and failed on the code before its fix.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import openpyxl
import time_machine
from django.urls import reverse
from django.utils import timezone

from shouwang.audit import reads
from shouwang.audit.models import AuditAction, AuditEntry
from shouwang.care import services as care_services
from shouwang.care.models import CareRecord
from shouwang.children.models import Child, DuplicateCase
from shouwang.children.selectors import ID_SEARCHES_PER_HOUR
from shouwang.core.validators import mask_id_number
from shouwang.ledger.ledgers import export_ledger
from tests.personas import PersonaTestCase

from .factories import make_child

TODAY = date(2026, 11, 24)
# A masked ID number shows its ends around ten stars; phones hide four. Next to a run of eight or
# more stars, a digit is a piece of an ID number.
ID_FRAGMENT = re.compile(r"[0-9Xx]\*{8,}|\*{8,}[0-9Xx]")


def edit_form_data(response) -> dict[str, str]:
    """What the browser would post back unchanged from the archive form it was given."""
    data: dict[str, str] = {}
    for key in ("child_form", "father_form", "mother_form", "guardian_form"):
        form = response.context[key]
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue
            if isinstance(value, list):
                if value:
                    data[field.html_name] = value[0]
                continue
            data[field.html_name] = "on" if value is True else str(value)
    return data


@time_machine.travel(TODAY, tick=False)
class HolesTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        with time_machine.travel(TODAY, tick=False):
            cls.a1 = make_child(school_class=cls.world.orgs["class_a1"], name="甲", by=None)
            cls.c1 = make_child(school_class=cls.world.orgs["class_c1"], name="丙")
            cls.volunteer_cg = care_services.caregiver_for_login(cls.world.users["volunteer"])
            cls.teacher_cg = care_services.caregiver_for_login(cls.world.users["teacher"])
            for caregiver in (cls.volunteer_cg, cls.teacher_cg):
                care_services.pair(
                    child=cls.a1,
                    caregiver=caregiver,
                    role=caregiver.kind,
                    starts_on=date(2026, 9, 1),
                    by=None,
                )

    # --- 1. no digit of an ID number for those without the right ----------------------------

    def test_volunteer_sees_no_digit_of_the_id_number_in_the_change_history(self):
        number = self.a1.id_number
        for url in (
            reverse("children:detail", args=[self.a1.pk]),
            reverse("api:child-detail", args=[self.a1.pk]),
        ):
            with self.subTest(url=url):
                body = self.client_as("volunteer").get(url).content.decode()
                self.assertNotIn(number, body)
                self.assertIsNone(ID_FRAGMENT.search(body), ID_FRAGMENT.findall(body))
        # The teacher, who may unmask it, still sees where it changed (masked).
        page = self.client_as("teacher").get(reverse("children:detail", args=[self.a1.pk]))
        self.assertContains(page, number[:4] + "*" * 10 + number[-4:])

    def test_searching_by_id_number_finds_nothing_for_a_volunteer(self):
        url = reverse("children:register")
        response = self.client_as("volunteer").get(url, {"q": self.a1.id_number, "status": "all"})
        self.assertNotContains(response, "甲")
        self.assertContains(response, "只有可查看身份证号的人员才能按身份证号查找")

    def test_searching_by_id_number_is_audited_and_limited_per_user(self):
        url = reverse("children:register")
        client = self.client_as("school_admin")
        for _i in range(ID_SEARCHES_PER_HOUR):
            self.assertContains(client.get(url, {"q": self.a1.id_number}), "甲")
        refused = client.get(url, {"q": self.a1.id_number})
        self.assertNotContains(refused, "甲")
        self.assertContains(refused, "按身份证号查找次数过多")
        entries = AuditEntry.objects.filter(actor=self.school_admin, changes__has_key="id_search")
        self.assertEqual(entries.count(), ID_SEARCHES_PER_HOUR)
        self.assertNotIn(self.a1.id_number, str(entries.first().changes))
        # Another user's searches are their own; an hour later the clerk may search again.
        other = self.client_as("teacher").get(url, {"q": self.a1.id_number})
        self.assertContains(other, "甲")
        with time_machine.travel(timezone.now() + timedelta(minutes=61), tick=False):
            client.force_login(self.school_admin)  # the idle session ended meanwhile
            self.assertContains(client.get(url, {"q": self.a1.id_number}), "甲")

    # --- 2. a web edit is audited and checked for a duplicate ID number -----------------------

    def test_a_web_edit_is_audited_and_a_shared_id_number_opens_a_duplicate_case(self):
        client = self.client_as("school_admin")
        url = reverse("children:edit", args=[self.a1.pk])
        data = edit_form_data(client.get(url))
        data.update(name="甲改", address="新地址", id_number=self.c1.id_number)
        data.update(birth_date=str(self.c1.birth_date), gender=self.c1.gender)
        response = client.post(url, data)
        self.assertRedirects(response, reverse("children:detail", args=[self.a1.pk]))
        entry = AuditEntry.objects.get(
            object_type="children.child", object_id=str(self.a1.pk), action=AuditAction.UPDATE
        )
        self.assertEqual(entry.changes["name"], ["甲", "甲改"])
        # An encrypted column changes on the log as a marker, never its text (issue 18).
        self.assertEqual(entry.changes["address"], ["***", "***"])
        # ID numbers are kept masked on the log: it cannot be re-encrypted (issue 18).
        masked = [mask_id_number(self.a1.id_number), mask_id_number(self.c1.id_number)]
        self.assertEqual(entry.changes["id_number"], masked)
        case = DuplicateCase.objects.get()
        self.assertEqual({case.first_id, case.second_id}, {self.a1.pk, self.c1.pk})

    # --- 3. reads of personal data are audited -------------------------------------------------

    def test_opening_the_edit_form_is_audited_as_a_look_at_the_unmasked_values(self):
        before = AuditEntry.objects.filter(action=AuditAction.REVEAL).count()
        page = self.client_as("teacher").get(reverse("children:edit", args=[self.a1.pk]))
        self.assertContains(page, self.a1.id_number)
        entry = AuditEntry.objects.filter(action=AuditAction.REVEAL).latest("id")
        self.assertEqual(AuditEntry.objects.filter(action=AuditAction.REVEAL).count(), before + 1)
        self.assertEqual((entry.actor, entry.object_id), (self.teacher, str(self.a1.pk)))
        self.assertEqual(entry.changes, {"field": "edit_form"})

    def test_api_reads_of_children_and_guardians_are_audited(self):
        client = self.client_as("teacher")
        client.get(reverse("api:child-detail", args=[self.a1.pk]))
        reads.flush()
        entry = AuditEntry.objects.filter(action=AuditAction.VIEW).latest("id")
        self.assertEqual((entry.object_id, entry.changes), (str(self.a1.pk), {"where": "api"}))
        client.get(reverse("api:child-list"))
        reads.flush()
        entry = AuditEntry.objects.filter(action=AuditAction.VIEW).latest("id")
        self.assertEqual(entry.changes, {"children": [self.a1.pk], "where": "api"})
        client.get(reverse("api:guardian-list"))
        reads.flush()
        entry = AuditEntry.objects.filter(action=AuditAction.VIEW).latest("id")
        self.assertEqual(entry.changes, {"children": [self.a1.pk], "where": "api"})

    # --- 4. a stale form never overwrites a newer save -----------------------------------------

    def test_a_stale_archive_form_is_refused_and_the_newer_data_kept(self):
        url = reverse("children:edit", args=[self.a1.pk])
        first, second = self.client_as("teacher"), self.client_as("school_admin")
        older = edit_form_data(second.get(url))
        newer = edit_form_data(first.get(url))
        newer["health"] = "哮喘，需随身带药"
        self.assertEqual(first.post(url, newer).status_code, 302)
        older["hobbies"] = "跳绳"
        refused = second.post(url, older)
        self.assertEqual(refused.status_code, 200)
        self.assertContains(refused, "此记录已被他人修改")
        self.assertContains(refused, "哮喘，需随身带药")  # what changed is named
        self.a1.refresh_from_db()
        self.assertEqual((self.a1.health, self.a1.hobbies), ("哮喘，需随身带药", "画画"))
        # Saving again, now knowingly over the newer version, is the clerk's choice.
        again = edit_form_data(refused)
        self.assertEqual(second.post(url, again).status_code, 302)
        self.a1.refresh_from_db()
        self.assertEqual(self.a1.hobbies, "跳绳")

    def test_a_form_without_its_version_is_refused(self):
        url = reverse("children:edit", args=[self.a1.pk])
        client = self.client_as("teacher")
        data = edit_form_data(client.get(url))
        data.pop("version")
        data["health"] = "近视"
        self.assertContains(client.post(url, data), "此记录已被他人修改")
        self.assertEqual(Child.objects.get(pk=self.a1.pk).health, "健康")

    def test_a_stale_api_patch_of_a_care_record_is_412_and_changes_nothing(self):
        record = care_services.record_care(
            child=self.a1, caregiver=self.teacher_cg, kind="talk", on=TODAY, by=self.teacher
        )
        url = reverse("api:care-record-detail", args=[record.pk])
        client = self.client_as("teacher")
        etag = client.get(url)["ETag"]
        body = {"minutes": 25, "reason": "补时长"}
        missing = client.patch(url, body, content_type="application/json")
        self.assertEqual(missing.status_code, 428)
        done = client.patch(url, body, content_type="application/json", headers={"If-Match": etag})
        self.assertEqual(done.status_code, 200, done.content)
        self.assertEqual((done.json()["minutes"], done.json()["version"]), (25, 2))
        stale = client.patch(
            url,
            {"minutes": 5, "reason": "旧"},
            content_type="application/json",
            headers={"If-Match": etag},
        )
        self.assertEqual(stale.status_code, 412)
        self.assertEqual(CareRecord.objects.get(is_current=True).minutes, 25)
        self.assertEqual(CareRecord.objects.count(), 2)

    # --- 5. only the author and the school's managers correct a care record ------------------

    def test_a_volunteer_cannot_withdraw_another_caregivers_record(self):
        record = care_services.record_care(
            child=self.a1, caregiver=self.teacher_cg, kind="home_visit", on=TODAY, by=self.teacher
        )
        url = reverse("care:correct", args=[record.pk])
        data = {"kind": "home_visit", "on": TODAY.isoformat(), "with_whom": "child"}
        data |= {"withdrawn": "on", "reason": "不算"}
        self.assertEqual(self.client_as("volunteer").post(url, data).status_code, 404)
        self.assertEqual(self.client_as("village_director").post(url, data).status_code, 404)
        api = reverse("api:care-record-detail", args=[record.pk])
        patch = self.client_as("volunteer").patch(
            api,
            {"withdrawn": True, "reason": "不算"},
            content_type="application/json",
            headers={"If-Match": f'"care-record-{record.pk}"'},
        )
        self.assertEqual(patch.status_code, 404)
        self.assertEqual(CareRecord.objects.count(), 1)
        # The school's admin may (a record written for the wrong child, say).
        self.assertEqual(self.client_as("school_admin").post(url, data).status_code, 302)
        self.assertTrue(CareRecord.objects.get(is_current=True).withdrawn)

    def test_the_author_corrects_their_own_record(self):
        record = care_services.record_care(
            child=self.a1, caregiver=self.volunteer_cg, kind="talk", on=TODAY, by=self.volunteer
        )
        url = reverse("care:correct", args=[record.pk])
        data = {"kind": "talk", "on": TODAY.isoformat(), "with_whom": "child", "minutes": 15}
        response = self.client_as("volunteer").post(url, data | {"reason": "补时长"})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(CareRecord.objects.get(is_current=True).minutes, 15)

    def test_a_masked_ledger_export_holds_no_digit_of_an_id_the_reader_may_not_see(self):
        out = io.BytesIO()
        export_ledger(org=self.org("school_a"), out=out, by=self.counselor, unmasked=False)
        sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
        text = str([[c.value for c in row] for row in sheet.iter_rows()])
        self.assertIn("甲", text)
        self.assertNotIn(self.a1.id_number[-4:], text)
        self.assertIsNone(ID_FRAGMENT.search(text))
        # Who may unmask it sees it masked, as before.
        out = io.BytesIO()
        export_ledger(org=self.org("school_a"), out=out, by=self.school_admin, unmasked=False)
        sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
        text = str([[c.value for c in row] for row in sheet.iter_rows()])
        self.assertIn("*" * 10 + self.a1.id_number[-4:], text)
