"""Issue 18: archives of children who left the register more than SHOUWANG_RETENTION_YEARS
years ago are anonymised (PIPL art. 19): by the worker daily and by ``shouwang retention``;
rows stay, identifying fields are blanked, the figures of days gone by do not change."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse
from django_q.models import Schedule
from faker import Faker

from shouwang.audit import chain
from shouwang.audit.models import AuditEntry
from shouwang.children import services, tasks
from shouwang.children.models import Anonymisation, Child, ConsentRecord, RetentionRun
from shouwang.stats import selectors as stats
from tests.personas import TempMediaTestCase

from .factories import make_child

TODAY = date(2026, 11, 24)  # three years back: 2023-11-24
LONG_AGO = date(2022, 7, 1)  # left then: past retention
LATELY = date(2025, 7, 1)  # left then: kept
IN_THE_REGISTER = date(2022, 3, 1)  # a day all of them were counted
PDF = b"%PDF-1.4\n%%EOF\n"
fake = Faker("zh_CN")
Faker.seed(1818)


@time_machine.travel(TODAY, tick=False)
class RetentionTests(TempMediaTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.gone = self.child_who_left("class_a1", LONG_AGO)
        self.gone_b = self.child_who_left("class_b1", LONG_AGO, male=False)
        self.recent = self.child_who_left("class_a1", LATELY)
        self.staying = make_child(
            school_class=self.org("class_a1"), name=fake.name(), on=date(2021, 9, 1)
        )
        self.consent = services.record_consent(
            child=self.gone,
            on=date(2021, 9, 2),
            given_by=fake.name(),
            relation="grandparent",
            scopes=["archive", "photos"],
            by=self.teacher,
            version=services.consent_version(self.gone),
            scan=SimpleUploadedFile("form.pdf", PDF),
        )

    def child_who_left(self, class_key: str, on: date, male: bool = True) -> Child:
        child = make_child(
            school_class=self.org(class_key),
            name=fake.name(),
            male=male,
            on=date(2021, 9, 1),
            note=fake.sentence(),
            contact_name=fake.name(),
            contact_phone="13900000009",
        )
        services.change_status(
            child=child, status="graduated", on=on, reason="小学毕业", by=self.school_admin
        )
        return Child.objects.get(pk=child.pk)

    def run_command(self, *args: str) -> str:
        out = io.StringIO()
        call_command("retention", *args, stdout=out)
        return out.getvalue()

    def test_a_dry_run_reports_what_would_be_done_and_changes_nothing(self):
        names = dict(Child.objects.values_list("pk", "name"))
        entries = AuditEntry.objects.count()
        report = json.loads(self.run_command("--dry-run", "--json"))
        self.assertEqual(
            report,
            {
                "dry_run": True,
                "years": 3,
                "cutoff": "2023-11-24",
                "children": 2,
                "by_unit": {self.org("school_a").code: 1, self.org("school_b").code: 1},
                "run": None,
            },
        )
        self.assertEqual(dict(Child.objects.values_list("pk", "name")), names)
        self.assertFalse(RetentionRun.objects.exists())
        self.assertEqual(AuditEntry.objects.count(), entries)
        text = self.run_command("--dry-run")
        self.assertIn("试运行", text)
        self.assertIn(f"{self.org('school_a').code}: 1", text)

    def test_the_archives_past_retention_are_anonymised_and_the_rows_kept(self):
        scan = Path(settings.MEDIA_ROOT) / self.consent.scan.name
        self.assertTrue(scan.exists())
        before = Child.objects.get(pk=self.gone.pk)
        with self.captureOnCommitCallbacks(execute=True):
            report = json.loads(self.run_command("--json"))
        self.assertEqual(report["children"], 2)
        run = RetentionRun.objects.get()
        self.assertEqual((report["run"], run.via, run.children), (run.pk, "cli", 2))

        child = Child.objects.get(pk=self.gone.pk)
        self.assertEqual(child.name, f"已匿名儿童#{child.pk}")
        blank = ("id_number", "address", "note", "contact_name", "contact_phone", "hobbies")
        self.assertEqual({f: getattr(child, f) for f in blank}, dict.fromkeys(blank, ""))
        kept = ("gender", "birth_date", "school_id", "school_class_id", "left_behind_type")
        self.assertEqual(
            {f: getattr(child, f) for f in kept}, {f: getattr(before, f) for f in kept}
        )
        self.assertEqual(
            set(child.parents.values_list("name", "phone", "work_place")), {("", "", "")}
        )
        self.assertEqual(set(child.parents.values_list("status", flat=True)), {"migrant"})
        guardian = child.guardian
        self.assertEqual((guardian.name, guardian.phone, guardian.age), ("", "", None))
        self.assertEqual(guardian.relation, "grandparent")
        consent = ConsentRecord.objects.get(pk=self.consent.pk)
        self.assertEqual((consent.given_by, consent.scan.name, consent.archive), ("", "", True))
        self.assertFalse(scan.exists())
        self.assertEqual(child.status_changes.count(), 2)  # nothing deleted
        self.assertEqual(Anonymisation.objects.get(child=child).left_on, LONG_AGO)

        # Those who left lately, and those in the register, are untouched.
        for other in (self.recent, self.staying):
            fresh = Child.objects.get(pk=other.pk)
            self.assertEqual((fresh.name, fresh.id_number), (other.name, other.id_number))

        # The log says what was done; what it held before is left as it was (append-only).
        entry = AuditEntry.objects.filter(
            object_type="children.child", object_id=str(child.pk)
        ).latest("id")
        self.assertEqual(entry.changes, {"anonymised": True, "retention_run": run.pk})
        self.assertEqual(entry.object_repr, child.name)
        self.assertTrue(chain.verify().intact)

        # Once done, done: the next run finds nothing.
        again = json.loads(self.run_command("--json"))
        self.assertEqual((again["children"], again["run"]), (0, None))
        self.assertEqual(RetentionRun.objects.count(), 1)

    def test_the_figures_of_a_past_day_are_the_same_after_anonymisation(self):
        county = self.org("county_a")

        def figures():
            result = stats.figures(org=county, on=IN_THE_REGISTER)
            return result.as_json(), result.counts, [(u.org.pk, u.children) for u in result.units]

        before = figures()
        self.assertEqual(before[0]["left_behind_total"], 4)  # gone, gone_b, recent, staying
        self.run_command()
        self.assertEqual(Anonymisation.objects.count(), 2)
        self.assertEqual(figures(), before)

    def test_the_worker_applies_the_setting_and_the_sysadmin_sees_its_runs(self):
        schedule = Schedule.objects.get(func="shouwang.children.tasks.apply_retention")
        self.assertEqual(schedule.schedule_type, Schedule.DAILY)
        with override_settings(SHOUWANG_RETENTION_YEARS=5):
            self.assertEqual(tasks.apply_retention()["children"], 0)
        with override_settings(SHOUWANG_RETENTION_YEARS=1):
            report = tasks.apply_retention()
        self.assertEqual(report["children"], 3)  # a year back: the one who left lately too
        run = RetentionRun.objects.get()
        self.assertEqual((run.via, run.by, run.years), ("worker", None, 1))
        entry = AuditEntry.objects.get(object_type="children.retentionrun", object_id=str(run.pk))
        self.assertEqual((entry.via, entry.changes["children"]), ("worker", 3))

        page = self.client_as("sysadmin").get(reverse("children:retention"))
        self.assertEqual(page.status_code, 200)
        self.assertEqual(list(page.context["runs"]), [run])
        self.assertContains(page, f"{self.org('school_a').code}: 2")
        for persona in ("county_officer", "school_admin", "teacher", "volunteer"):
            with self.subTest(persona):
                got = self.client_as(persona).get(reverse("children:retention"))
                self.assertEqual(got.status_code, 404)

    @override_settings(SHOUWANG_RETENTION_YEARS=0)
    def test_a_period_under_a_year_is_refused(self):
        with self.assertRaises(CommandError) as refused:
            call_command("retention")
        self.assertEqual(refused.exception.returncode, 1)
        self.assertIn("至少为一年", str(refused.exception))
        self.assertFalse(RetentionRun.objects.exists())


@time_machine.travel(TODAY, tick=False)
class RetentionBlanksOtherAppsTextsTests(TempMediaTestCase):
    """What other apps wrote about a child (a visit's findings, counseling notes, an incident)
    goes with the archive: blanked, the rows kept; nothing of a child still kept is touched."""

    def test_care_counseling_and_incident_texts_are_blanked_with_the_archive(self):
        from datetime import datetime

        from django.utils import timezone

        from shouwang.care import services as care
        from shouwang.care.models import CareRecord
        from shouwang.counseling import services as counseling
        from shouwang.counseling.models import CounselingSession
        from shouwang.safety import services as safety
        from shouwang.safety.models import Incident

        with time_machine.travel(IN_THE_REGISTER, tick=False):
            gone = make_child(
                school_class=self.org("class_a1"), name=fake.name(), on=date(2021, 9, 1)
            )
            kept = make_child(
                school_class=self.org("class_a1"), name=fake.name(), on=date(2021, 9, 1)
            )
            caregiver = care.caregiver_for_login(self.teacher)
            for child in (gone, kept):
                care.record_care(
                    child=child,
                    caregiver=caregiver,
                    kind="home_visit",
                    on=IN_THE_REGISTER,
                    by=self.teacher,
                    findings=f"{child.name}手臂有淤青",
                )
                counseling.add_session(
                    child=child,
                    kind="individual",
                    on=IN_THE_REGISTER,
                    topic="想念父母",
                    notes=f"{child.name}说想妈妈",
                    by=self.school_admin,
                )
                safety.report_incident(
                    child=child,
                    kind="injury",
                    place="操场",
                    occurred_at=timezone.make_aware(datetime(2022, 2, 28, 10, 0)),
                    description=f"{child.name}摔伤了膝盖",
                    by=self.teacher,
                )
        services.change_status(
            child=gone, status="graduated", on=LONG_AGO, reason="小学毕业", by=self.school_admin
        )
        services.apply_retention(today=TODAY, years=3, by=None, via="cli")

        def texts(child):
            return (
                list(CareRecord.objects.filter(child=child).values_list("findings", flat=True)),
                [s.notes for s in CounselingSession.objects.filter(child=child)],
                [i.description for i in Incident.objects.filter(child=child)],
            )

        self.assertEqual(texts(gone), ([""], [""], [""]))  # blanked, the rows kept
        self.assertEqual(
            texts(kept),
            ([f"{kept.name}手臂有淤青"], [f"{kept.name}说想妈妈"], [f"{kept.name}摔伤了膝盖"]),
        )
