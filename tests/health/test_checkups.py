"""Recording 体检: typed in one at a time or a class's sheet imported whole; who sees them."""

from __future__ import annotations

import io
import shutil
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from unittest import mock

import openpyxl
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shouwang.audit.models import AuditAction, AuditEntry
from shouwang.health import importer, services
from shouwang.health.models import Checkup
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

TODAY = date(2026, 11, 24)
EXAM = date(2026, 10, 15)
SEES = ("teacher", "school_admin", "counselor", "county_officer", "township_officer", "sysadmin")
NEVER = ("volunteer", "teacher_b")


def sheet_file(path: Path, rows: list[list[object]], *, two_row: bool = True) -> Path:
    """A clinic's class sheet: a title row, 血压 and 视力 over their sub-columns."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["青山镇中心小学三年级（1）班学生体检表"])
    if two_row:
        ws.append(
            ["姓名", "性别", "身高（cm）", "体重(kg)", "血压", None, "视力", None, "肺活量", "五官"]
        )
        ws.append([None, None, None, None, "收缩压", "舒张压", "左", "右", None, None])
        ws.merge_cells("E2:F2")
        ws.merge_cells("G2:H2")
    else:
        ws.append(
            ["学生姓名", "身份证号", "体检日期", "身高", "体重", "血压", "左眼视力", "右眼视力"]
        )
    for row in rows:
        ws.append(row)
    ws.append(["合计", None, None, None])
    book.save(path)
    return path


@time_machine.travel(TODAY, tick=False)
class CheckupTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        klass = cls.world.orgs["class_a1"]
        cls.boy = make_child(school_class=klass, name="甲一", birth=date(2016, 4, 1))
        cls.girl = make_child(school_class=klass, name="乙二", male=False, birth=date(2016, 1, 9))

    def tmp(self) -> str:
        path = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, path, True)
        return path

    def checkup(self, child, height: int, weight: int) -> None:
        services.record_checkup(
            child=child,
            examined_on=EXAM,
            by=self.world.users["teacher"],
            height_cm=Decimal(height),
            weight_kg=Decimal(weight),
        )

    def import_(self, path: Path, *, dry_run: bool = False, persona: str = "teacher"):
        return importer.import_sheet(
            source=path,
            filename=path.name,
            org=self.world.orgs["class_a1"],
            by=self.world.users[persona],
            examined_on=EXAM,
            dry_run=dry_run,
        )

    def test_a_class_sheet_with_title_and_two_header_rows_is_imported(self):
        path = sheet_file(
            Path(self.tmp()) / "体检.xlsx",
            [
                ["甲一", "男", 140, 40.0, 110, 70, 4.7, 5.0, 1500, "龋齿2颗"],
                ["乙二", "女", "138.5", "30.5kg", 100, 65, "1.0", "0.8", 1300, ""],
                ["丙三", "男", 141, 33, 105, 68, 5.0, 5.0, 1400, ""],  # not left behind
            ],
        )
        result = self.import_(path)
        assert result.errors == []
        assert (result.rows, result.created, result.applied) == (3, 2, True)
        assert len(result.not_in_archive) == 1 and "丙三" in result.not_in_archive[0]
        boy = Checkup.objects.get(child=self.boy)
        assert (boy.examined_on, boy.height_cm, boy.systolic, boy.diastolic) == (
            EXAM,
            Decimal("140.0"),
            110,
            70,
        )
        assert boy.vision_left == Decimal("4.7") and boy.ent_notes == "龋齿2颗"
        girl = Checkup.objects.get(child=self.girl)
        assert (girl.vision_left, girl.vision_right) == (Decimal("5.0"), Decimal("4.9"))
        assert girl.source == "体检.xlsx"
        assert (
            AuditEntry.objects.filter(
                action=AuditAction.IMPORT, object_type="health.checkup"
            ).count()
            == 2
        )

    def test_importing_the_same_sheet_again_changes_nothing_and_a_correction_updates(self):
        rows = [["甲一", "男", 140, 40, 110, 70, 4.7, 5.0, 1500, ""]]
        path = sheet_file(Path(self.tmp()) / "a.xlsx", rows)
        self.import_(path)
        again = self.import_(path)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
        rows[0][3] = 41.5
        fixed = self.import_(sheet_file(Path(self.tmp()) / "b.xlsx", rows))
        assert (fixed.created, fixed.updated) == (0, 1)
        assert Checkup.objects.get(child=self.boy).weight_kg == Decimal("41.5")
        entry = AuditEntry.objects.filter(
            action=AuditAction.UPDATE, object_type="health.checkup"
        ).get()
        assert entry.changes["weight_kg"] == ["40", "41.5"]

    def test_a_sheet_with_mistakes_saves_nothing_and_says_what_is_wrong_where(self):
        path = sheet_file(
            Path(self.tmp()) / "bad.xlsx",
            [
                ["甲一", "男", 1.40, 40, 110, 70, 4.7, 5.0, 1500, ""],  # metres, not cm
                ["乙二", "女", 138, 30, 60, 80, 4.9, 4.9, 1300, ""],  # pressures swapped
                ["乙二", "男", 138, 30, 100, 60, 4.9, 4.9, 1300, ""],  # not her gender
            ],
        )
        result = self.import_(path)
        assert not result.applied and Checkup.objects.count() == 0
        said = {(e.row, e.column): e.message for e in result.errors}
        assert (4, "身高（cm）") in said
        assert (5, "血压舒张压") in said  # the pressures are the wrong way round
        assert (6, "") in said  # the gender disagrees with the archive
        out = io.BytesIO()
        importer.write_errors(
            source=path, filename=path.name, result=result, out=out, by=self.world.users["teacher"]
        )
        report = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
        values = [list(row) for row in report.iter_rows(values_only=True)]
        assert values[0][-1]  # the "what is wrong" header
        assert any(row[0] == "甲一" and row[-1] for row in values)

    def test_a_cell_that_cannot_be_read_is_told_once(self):
        path = sheet_file(
            Path(self.tmp()) / "abc.xlsx",
            [["甲一", "男", 140, "abc", 110, 70, 4.7, 5.0, 1500, ""]],
        )
        result = self.import_(path)
        about_weight = [e.message for e in result.errors if e.row == 4 and "体重" in e.column]
        assert len(about_weight) == 1 and "abc" in about_weight[0]

    def test_two_children_of_the_same_name_need_the_id_number(self):
        twin = make_child(
            school_class=self.world.orgs["class_a1"], name="甲一", birth=date(2016, 4, 2)
        )
        path = sheet_file(
            Path(self.tmp()) / "twins.xlsx", [["甲一", "男", 140, 40, 110, 70, 5, 5, 1, ""]]
        )
        result = self.import_(path)
        assert any("身份证" in e.message or "ID" in e.message for e in result.errors)
        by_id = sheet_file(
            Path(self.tmp()) / "ids.xlsx",
            [["甲一", twin.id_number, "2026.10.15", 140, 40, "110/70", 5.0, 5.0]],
            two_row=False,
        )
        result = self.import_(by_id)
        assert result.errors == [] and Checkup.objects.get().child == twin

    def test_a_teacher_of_another_class_cannot_import_into_this_one(self):
        path = sheet_file(
            Path(self.tmp()) / "x.xlsx", [["甲一", "男", 140, 40, 110, 70, 5, 5, 1500, ""]]
        )
        result = self.import_(path, persona="teacher_b")
        assert result.created == 0 and len(result.not_in_archive) == 1

    def test_typing_one_checkup_in_checks_the_values(self):
        teacher = self.world.users["teacher"]
        with self.assertRaises(ValidationError) as caught:
            services.record_checkup(
                child=self.boy,
                examined_on=date(2027, 1, 1),
                by=teacher,
                height_cm=Decimal(140),
                weight_kg=Decimal(400),
                systolic=80,
                diastolic=90,
            )
        errors = caught.exception.message_dict
        assert {"examined_on", "weight_kg", "diastolic"} <= set(errors)
        services.record_checkup(
            child=self.boy,
            examined_on=EXAM,
            by=teacher,
            height_cm=Decimal(140),
            weight_kg=Decimal(40),
        )
        with self.assertRaises(ValidationError):
            services.record_checkup(
                child=self.boy,
                examined_on=EXAM,
                by=teacher,
                height_cm=Decimal(141),
                weight_kg=Decimal(40),
            )

    def test_the_health_record_is_seen_by_the_archive_keepers_never_by_a_volunteer(self):
        self.checkup(self.boy, 140, 40)
        url = f"/health/child/{self.boy.pk}/"
        for persona in SEES:
            page = self.client_as(persona).get(url)
            assert page.status_code == 200, persona
            self.assertContains(page, "20.4")
        for persona in NEVER:
            assert self.client_as(persona).get(url).status_code == 404, persona
            sheet = self.client_as(persona).get(
                f"/health/sheet/{self.world.orgs['class_a1'].code}/"
            )
            assert sheet.status_code == 404, persona

    def test_the_class_sheet_counts_flagged_children(self):
        self.checkup(self.boy, 140, 40)  # overweight
        self.checkup(self.girl, 138, 30)  # 15.8 normal
        page = self.client_as("teacher").get(f"/health/sheet/{self.world.orgs['class_a1'].code}/")
        weights = {line.child.name: line.latest.reading.weight for line in page.context["lines"]}
        assert weights == {"甲一": "overweight", "乙二": "normal"}
        assert page.context["flagged"] == 1

    def test_uploading_a_sheet_through_the_pages(self):
        path = sheet_file(
            Path(self.tmp()) / "web.xlsx", [["甲一", "男", 140, 40, 110, 70, 4.7, 5.0, 1500, ""]]
        )
        client = self.client_as("teacher")
        with path.open("rb") as fh:
            posted = client.post(
                "/health/import/",
                {"org": self.world.orgs["class_a1"].code, "file": fh, "examined_on": "2026-10-15"},
            )
        assert posted.status_code == 302
        preview = client.get(posted["Location"])
        self.assertContains(preview, "sheet-ready")
        done = client.post(posted["Location"] + "apply/")
        assert done.status_code == 302 and Checkup.objects.filter(child=self.boy).exists()
        assert client.get(posted["Location"]).status_code == 404  # the upload is gone

    def test_the_class_teacher_types_a_checkup_in_on_the_phone_form(self):
        url = f"/health/child/{self.boy.pk}/add/"
        client = self.client_as("teacher")
        bad = client.post(url, {"examined_on": "2026-10-15", "height_cm": "1.4", "weight_kg": "40"})
        assert bad.status_code == 200 and "height_cm" in bad.context["form"].errors
        done = client.post(
            url,
            {
                "examined_on": "2026-10-15",
                "height_cm": "140",
                "weight_kg": "40",
                "vision_left": "4.8",
            },
        )
        assert done.status_code == 302 and done["Location"] == f"/health/child/{self.boy.pk}/"
        assert Checkup.objects.get(child=self.boy).vision_left == Decimal("4.8")
        assert self.client_as("counselor").get(url).status_code == 404  # sees, does not record

    def test_a_checkup_typed_wrongly_is_corrected_and_the_audit_keeps_the_old_value(self):
        self.checkup(self.boy, 140, 40)
        checkup = Checkup.objects.get(child=self.boy)
        url = f"/health/checkup/{checkup.pk}/correct/"
        page = self.client_as("teacher").get(f"/health/child/{self.boy.pk}/")
        self.assertContains(page, url)
        # The stored day is in the form, as the phone's date picker reads it.
        self.assertContains(self.client_as("teacher").get(url), f'value="{EXAM.isoformat()}"')
        client = self.client_as("teacher")
        form = {"examined_on": EXAM.isoformat(), "height_cm": "140", "weight_kg": "34"}
        form["version"] = client.get(url).context["form"]["version"].value()
        bad = client.post(url, {**form, "weight_kg": "340"})  # a slip is refused as when typed in
        assert bad.status_code == 200 and "weight_kg" in bad.context["form"].errors
        done = client.post(url, {**form, "vision_right": "4.7"})
        assert done.status_code == 302 and done["Location"] == f"/health/child/{self.boy.pk}/"
        checkup.refresh_from_db()
        assert (checkup.weight_kg, checkup.vision_right) == (Decimal(34), Decimal("4.7"))
        entry = AuditEntry.objects.filter(action=AuditAction.UPDATE).latest("pk")
        assert entry.changes == {"weight_kg": ["40", "34"], "vision_right": [None, "4.7"]}
        assert entry.actor == self.world.users["teacher"]
        before = AuditEntry.objects.count()
        form["version"] = client.get(url).context["form"]["version"].value()
        again = client.post(url, {**form, "vision_right": "4.7"})  # saved again unchanged:
        assert again.status_code == 302  # no entry
        assert AuditEntry.objects.count() == before
        assert Checkup.objects.filter(child=self.boy).count() == 1  # corrected, not added

    def test_a_correction_reads_locks_and_writes_in_one_transaction(self):
        """select_for_update outside a transaction is refused on PostgreSQL (a 500 on every
        correction); the save and its audit must commit together anyway."""
        from django.db import connection

        self.checkup(self.boy, 140, 40)
        checkup = Checkup.objects.get(child=self.boy)
        outside = len(connection.atomic_blocks)
        depth: list[int] = []
        real_diff = services.measure_diff

        def watch(*args, **kwargs):
            depth.append(len(connection.atomic_blocks))
            return real_diff(*args, **kwargs)

        with mock.patch.object(services, "measure_diff", side_effect=watch):
            services.correct_checkup(
                checkup=checkup,
                examined_on=EXAM,
                by=self.teacher,
                height_cm=Decimal(140),
                weight_kg=Decimal(38),
            )
        self.assertEqual(depth, [outside + 1])

    def test_a_correction_over_another_made_meanwhile_is_refused_naming_it(self):
        self.checkup(self.boy, 140, 40)
        checkup = Checkup.objects.get(child=self.boy)
        url = f"/health/checkup/{checkup.pk}/correct/"
        first, second = self.client_as("teacher"), self.client_as("school_admin")
        form = {"examined_on": EXAM.isoformat(), "height_cm": "140", "weight_kg": "40"}
        older = second.get(url).context["form"]["version"].value()
        newer = first.get(url).context["form"]["version"].value()
        assert first.post(url, {**form, "weight_kg": "38", "version": newer}).status_code == 302
        refused = second.post(url, {**form, "height_cm": "141", "version": older})
        self.assertContains(refused, "此记录已被他人修改")
        self.assertContains(refused, "40 → 38")
        checkup.refresh_from_db()
        assert (checkup.height_cm, checkup.weight_kg) == (Decimal(140), Decimal(38))
        # Shown again against the newer version, the clerk may now save knowingly.
        renewed = refused.context["form"]["version"].value()
        again = second.post(url, {**form, "height_cm": "141", "version": renewed})
        assert again.status_code == 302
        checkup.refresh_from_db()
        assert (checkup.height_cm, checkup.weight_kg) == (Decimal(141), Decimal(40))

    def test_a_checkup_typed_in_twice_at_the_same_moment_is_refused_in_words(self):
        self.checkup(self.boy, 140, 40)
        real_check, calls = services._same_day_taken, []

        def check_too_early(*args, **kwargs):  # the first look ran before the other's row was
            calls.append(1)  # written; the look after the refusal sees it
            return None if len(calls) == 1 else real_check(*args, **kwargs)

        with (
            mock.patch.object(services, "_same_day_taken", side_effect=check_too_early),
            self.assertRaises(ValidationError) as caught,
        ):
            self.checkup(self.boy, 141, 41)
        assert "examined_on" in caught.exception.message_dict
        assert Checkup.objects.filter(child=self.boy).count() == 1

    def test_a_correction_audits_what_the_database_held_not_a_stale_copy(self):
        self.checkup(self.boy, 140, 40)
        stale = Checkup.objects.get(child=self.boy)
        Checkup.objects.filter(pk=stale.pk).update(weight_kg=Decimal(38))  # someone else, meanwhile
        services.correct_checkup(
            checkup=stale,
            examined_on=EXAM,
            by=self.world.users["teacher"],
            height_cm=Decimal(140),
            weight_kg=Decimal(34),
        )
        entry = AuditEntry.objects.filter(action=AuditAction.UPDATE).latest("pk")
        assert entry.changes == {"weight_kg": ["38", "34"]}
        assert Checkup.objects.get(pk=stale.pk).weight_kg == Decimal(34)

    def test_a_correction_cannot_move_a_checkup_onto_another_days_and_others_cannot_correct(self):
        self.checkup(self.boy, 140, 40)
        services.record_checkup(
            child=self.boy,
            examined_on=date(2026, 5, 10),
            by=self.world.users["teacher"],
            height_cm=Decimal(136),
            weight_kg=Decimal(37),
        )
        spring = Checkup.objects.get(child=self.boy, examined_on=date(2026, 5, 10))
        with self.assertRaises(ValidationError) as caught:
            services.correct_checkup(
                checkup=spring,
                examined_on=EXAM,
                by=self.world.users["teacher"],
                height_cm=Decimal(136),
                weight_kg=Decimal(37),
            )
        assert "examined_on" in caught.exception.message_dict
        url = f"/health/checkup/{spring.pk}/correct/"
        for persona in ("counselor", "teacher_b", "volunteer"):  # counselor sees, may not write
            assert self.client_as(persona).get(url).status_code == 404, persona
        assert self.client_as("school_admin").get(url).status_code == 200

    def test_the_class_sheet_costs_the_same_queries_for_two_children_or_ten(self):
        url = f"/health/sheet/{self.world.orgs['class_a1'].code}/"
        client = self.client_as("teacher")
        self.checkup(self.boy, 140, 40)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        for n in range(8):
            kid = make_child(
                school_class=self.world.orgs["class_a1"], name=f"丙{n}", birth=date(2016, 5, n + 1)
            )
            self.checkup(kid, 135 + n, 30 + n)
        with CaptureQueriesContext(connection) as many:
            page = client.get(url)
        assert len(page.context["lines"]) == 10
        assert len(many.captured_queries) == len(few.captured_queries)
