"""Counseling is seen by counselors, the school's leadership and region officers only, and
every look is in the audit log; sessions, the mailbox and individual plans."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, timedelta

import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from shouwang.accounts.models import AuditAction, AuditEntry
from shouwang.counseling import services
from shouwang.counseling.models import CounselingSession, MailboxLetter
from shouwang.notices.models import Notification
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

TODAY = date(2026, 11, 24)
SEES = ("counselor", "school_admin", "county_officer", "township_officer", "sysadmin")
NEVER = ("volunteer", "teacher", "teacher_b", "village_director")


@time_machine.travel(TODAY, tick=False)
class CounselingTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.child = make_child(school_class=cls.world.orgs["class_a1"], name="甲一")
        with time_machine.travel(TODAY, tick=False):
            cls.session = services.add_session(
                child=cls.child,
                kind="session",
                on=TODAY,
                topic="想念妈妈",
                notes="孩子说晚上常常哭，约定每周二再谈",
                by=cls.world.users["counselor"],
            )

    def test_only_counselors_leaders_and_officers_see_a_childs_counseling(self):
        url = f"/counseling/child/{self.child.pk}/"
        for persona in SEES:
            page = self.client_as(persona).get(url)
            assert page.status_code == 200, persona
            self.assertContains(page, "晚上常常哭")
        for persona in NEVER:
            assert self.client_as(persona).get(url).status_code == 404, persona
            assert self.client_as(persona).get("/counseling/").status_code == 404, persona

    def test_the_class_teacher_sees_no_link_to_counseling_on_the_archive(self):
        archive = f"/children/{self.child.pk}/"
        self.assertNotContains(self.client_as("teacher").get(archive), "counseling-link")
        self.assertContains(self.client_as("counselor").get(archive), "counseling-link")

    def test_every_look_at_counseling_is_audited(self):
        before = AuditEntry.objects.filter(action=AuditAction.VIEW).count()
        self.client_as("school_admin").get(f"/counseling/child/{self.child.pk}/")
        entry = AuditEntry.objects.filter(action=AuditAction.VIEW).latest("pk")
        assert AuditEntry.objects.filter(action=AuditAction.VIEW).count() == before + 1
        assert entry.actor == self.school_admin
        assert entry.changes == {"what": "counseling"}

    def test_the_audit_says_a_session_was_written_never_what_was_said(self):
        created = AuditEntry.objects.get(
            action=AuditAction.CREATE,
            object_id=str(self.session.pk),
            object_type__endswith="session",
        )
        assert "哭" not in str(created.changes)

    def test_a_counselor_records_a_session_on_the_page(self):
        response = self.client_as("counselor").post(
            f"/counseling/child/{self.child.pk}/session/",
            {"kind": "screening", "on": "2026-11-20", "topic": "心理筛查", "notes": "量表得分正常"},
        )
        assert response.status_code == 302
        assert CounselingSession.objects.filter(child=self.child, kind="screening").exists()

    def test_a_session_in_the_future_is_refused(self):
        with self.assertRaises(ValidationError):
            services.add_session(
                child=self.child,
                kind="session",
                on=TODAY + timedelta(days=1),
                topic="x",
                notes="y",
                by=self.counselor,
            )

    def test_mailbox_letters_are_typed_in_unsigned_and_answered(self):
        school = self.org("school_a")
        response = self.client_as("counselor").post(
            f"/counseling/mailbox/{school.code}/add/",
            {"opened_on": "2026-11-23", "text": "我不想让同学知道我爸妈不在家"},
        )
        assert response.status_code == 302
        letter = MailboxLetter.objects.get(school=school)
        assert letter.child is None
        self.client_as("counselor").post(
            f"/counseling/letter/{letter.pk}/reply/", {"text": "老师会替你保密，欢迎来聊"}
        )
        letter.refresh_from_db()
        assert letter.replied_on == TODAY and "保密" in letter.reply
        assert (
            self.client_as("teacher").get(f"/counseling/letter/{letter.pk}/reply/").status_code
            == 404
        )
        other = self.client_as("school_admin").get(
            f"/counseling/mailbox/{self.org('school_b').code}/add/"
        )
        assert other.status_code == 404

    def test_an_individual_plan_has_a_review_date_that_moves_on_review(self):
        plan = services.start_plan(
            child=self.child,
            problem="厌学、沉迷手机",
            measures="每周两次谈心，与奶奶约定手机时间",
            review_on=TODAY + timedelta(days=14),
            by=self.counselor,
        )
        page = self.client_as("counselor").get("/counseling/")
        self.assertContains(page, 'data-testid="plan-due"', count=1)
        services.review_plan(
            plan=plan,
            progress="按时上学了",
            next_review_on=TODAY + timedelta(days=30),
            by=self.counselor,
        )
        plan.refresh_from_db()
        assert plan.review_on == TODAY + timedelta(days=30)
        with self.assertRaises(ValidationError):
            services.review_plan(plan=plan, progress="x", next_review_on=TODAY, by=self.counselor)

    def test_a_scanned_letter_is_kept_and_shown_only_to_those_who_see_the_mailbox(self):
        school = self.org("school_a")
        media = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, media, True)
        scan = SimpleUploadedFile("王小明的信.png", b"\x89PNG\r\n\x1a\nfake", "image/png")
        with self.settings(MEDIA_ROOT=media):
            response = self.client_as("counselor").post(
                f"/counseling/mailbox/{school.code}/add/",
                {"opened_on": "2026-11-23", "text": "", "scan": scan},
            )
            assert response.status_code == 302
            letter = MailboxLetter.objects.get(school=school)
            assert "王小明" not in letter.scan.name  # the phone's file name is not kept
            url = f"/counseling/letter/{letter.pk}/scan/"
            page = self.client_as("school_admin").get(url)
            assert page.status_code == 200
            assert b"".join(page.streaming_content).startswith(b"\x89PNG")
            assert AuditEntry.objects.filter(
                action=AuditAction.VIEW, changes={"what": "letter scan"}
            ).exists()
            for persona in NEVER:
                assert self.client_as(persona).get(url).status_code == 404, persona

    def test_a_letter_needs_its_words_or_a_scan_and_only_pictures_or_pdfs_are_taken(self):
        school = self.org("school_a")
        client = self.client_as("counselor")
        empty = client.post(f"/counseling/mailbox/{school.code}/add/", {"opened_on": "2026-11-23"})
        assert empty.status_code == 200 and "text" in empty.context["form"].errors
        exe = SimpleUploadedFile("letter.exe", b"MZ", "application/octet-stream")
        bad = client.post(
            f"/counseling/mailbox/{school.code}/add/", {"opened_on": "2026-11-23", "scan": exe}
        )
        assert "scan" in bad.context["form"].errors
        assert not MailboxLetter.objects.filter(school=school).exists()

    def test_a_mention_in_counseling_notes_reaches_only_those_who_may_read_them(self):
        with self.captureOnCommitCallbacks(execute=True):
            services.add_session(
                child=self.child,
                kind="session",
                on=TODAY,
                topic="同学关系",
                notes="@school_admin @teacher 孩子被同学起外号，需要班级层面处理",
                by=self.world.users["counselor"],
            )
        told = Notification.objects.filter(key__startswith="mention-counseling-session-")
        assert [n.user.username for n in told] == ["school_admin"]
        assert "外号" not in told[0].text  # the notification names the child, not the notes
