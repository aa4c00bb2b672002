"""Counseling is seen by counselors, the school's leadership and region officers only, and
every look is in the audit log; sessions, the mailbox and individual plans."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, timedelta

import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django_q.models import Schedule

from shouwang.accounts import services as accounts
from shouwang.audit import reads
from shouwang.audit.models import AuditAction, AuditEntry
from shouwang.counseling import services
from shouwang.counseling.models import CounselingSession, MailboxLetter, MailboxOpening
from shouwang.notices.models import Notification
from shouwang.orgs.models import Org
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
        reads.flush()
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

    def test_a_reply_once_given_is_kept_and_reading_a_letter_is_audited(self):
        letter = services.add_letter(
            school=self.org("school_a"), opened_on=TODAY, text="我想妈妈", by=self.counselor
        )
        client = self.client_as("counselor")
        url = f"/counseling/letter/{letter.pk}/reply/"
        client.get(url)
        reads.flush()
        seen = AuditEntry.objects.filter(action=AuditAction.VIEW).latest("pk")
        assert (seen.object_id, seen.changes) == (str(letter.pk), {"what": "letter"})
        client.post(url, {"text": "妈妈也想你"})
        again = client.post(url, {"text": "写错了，重写一遍"})  # the link is gone; typed by hand
        assert again.status_code == 302
        letter.refresh_from_db()
        assert letter.reply == "妈妈也想你"
        with self.assertRaises(ValidationError):
            services.reply(letter=letter, text="又一遍", by=self.counselor)

    def test_the_overview_is_audited_naming_the_letters_and_plans_it_showed(self):
        letter = services.add_letter(
            school=self.org("school_a"), opened_on=TODAY, text="我想妈妈", by=self.counselor
        )
        self.client_as("school_admin").get("/counseling/")
        reads.flush()
        seen = AuditEntry.objects.filter(action=AuditAction.VIEW).latest("pk")
        assert seen.actor == self.school_admin
        assert seen.changes["what"] == "counseling overview"
        assert seen.changes["letters"] == [letter.pk]
        assert seen.org_path == self.org("school_a").path

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
        with self.assertRaises(ValidationError) as caught:  # 2099: a slip, not a plan
            services.review_plan(
                plan=plan, progress="x", next_review_on=date(2099, 12, 31), by=self.counselor
            )
        assert "next_review_on" in caught.exception.message_dict

    def test_the_letter_form_opens_on_today_in_the_pickers_format(self):
        page = self.client_as("counselor").get(
            f"/counseling/mailbox/{self.org('school_a').code}/add/"
        )
        self.assertContains(page, f'value="{TODAY.isoformat()}"')

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
            reads.flush()
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


@time_machine.travel(TODAY, tick=False)
class MailboxOpeningTests(PersonaTestCase):
    """The 悄悄话信箱 is opened weekly: each opening is recorded, with letters or empty; a box
    left longer than a week is red on the page and its school's counselors are reminded."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.school = cls.world.orgs["school_a"]
        with time_machine.travel(TODAY, tick=False):
            services.add_letter(
                school=cls.school,
                opened_on=TODAY - timedelta(days=10),
                text="我想妈妈",
                by=cls.world.users["counselor"],
            )

    def boxes(self, persona: str) -> dict[str, object]:
        page = self.client_as(persona).get("/counseling/")
        return {box.school.code: box for box in page.context["mailboxes"]}

    def test_typing_in_a_letter_records_the_opening_and_ten_days_is_late(self):
        box = self.boxes("counselor")[self.school.code]
        assert (box.last_opened, box.days, box.late) == (TODAY - timedelta(days=10), 10, True)
        self.assertContains(self.client_as("counselor").get("/counseling/"), "mailbox-late")

    def test_an_empty_opening_is_recorded_once_a_day_and_the_box_is_no_longer_late(self):
        url = f"/counseling/mailbox/{self.school.code}/opened/"
        client = self.client_as("counselor")
        assert client.get(url).status_code == 405  # a button, not a link
        assert client.post(url).status_code == 302
        client.post(url)  # pressed twice: one opening
        assert MailboxOpening.objects.filter(school=self.school, opened_on=TODAY).count() == 1
        box = self.boxes("counselor")[self.school.code]
        assert (box.days, box.late) == (0, False)
        entries = AuditEntry.objects.filter(object_type__endswith="mailboxopening")
        assert entries.count() == 2  # the opening with the letter ten days ago, and today's
        latest = entries.latest("pk")
        assert latest.actor == self.world.users["counselor"]
        assert latest.changes == {"opened_on": str(TODAY)}
        for persona in NEVER:
            assert self.client_as(persona).post(url).status_code == 404, persona
        other = self.world.orgs["school_b"].code
        assert client.post(f"/counseling/mailbox/{other}/opened/").status_code == 404

    def test_the_worker_reminds_the_schools_counselors_once_a_week_and_not_when_opened(self):
        assert services.remind_unopened_mailboxes(TODAY) == 2  # the counselor and the head
        for persona in ("counselor", "school_admin"):
            [note] = Notification.objects.filter(user=self.world.users[persona])
            assert self.school.name in note.text and note.url == "/counseling/"
        for persona in ("teacher", "teacher_b", "volunteer", "county_officer", "township_officer"):
            assert not Notification.objects.filter(user=self.world.users[persona]).exists()
        assert services.remind_unopened_mailboxes(TODAY) == 0  # run twice the same day
        assert services.remind_unopened_mailboxes(TODAY + timedelta(days=2)) == 0  # same week
        services.open_mailbox(school=self.school, on=TODAY, by=None)
        with time_machine.travel(TODAY + timedelta(days=7), tick=False):
            assert services.remind_unopened_mailboxes(TODAY + timedelta(days=7)) == 0  # opened

    def test_a_leader_who_is_also_a_counselor_is_reminded_once(self):
        accounts.assign_role(
            user=self.world.users["school_admin"], role="counselor", org=self.school, by=None
        )
        assert services.remind_unopened_mailboxes(TODAY) == 2
        assert Notification.objects.filter(user=self.world.users["school_admin"]).count() == 1
        assert Notification.objects.count() == 2

    def test_a_closed_school_is_not_reminded(self):
        Org.objects.filter(pk=self.school.pk).update(is_active=False)
        assert services.remind_unopened_mailboxes(TODAY) == 0
        assert not Notification.objects.exists()

    def test_the_worker_looks_at_the_mailboxes_every_day(self):
        schedule = Schedule.objects.get(func="shouwang.counseling.tasks.remind_unopened_mailboxes")
        assert schedule.schedule_type == Schedule.DAILY
