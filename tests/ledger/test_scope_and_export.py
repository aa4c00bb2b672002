from __future__ import annotations

import io

import openpyxl
from django.urls import reverse

from shouwang.audit.models import AuditAction, AuditEntry
from shouwang.children.models import Child
from shouwang.core.sheets.writer import neutralise, write_xlsx
from shouwang.ledger.ledgers import export_ledger
from shouwang.ledger.models import ExportJob
from shouwang.ledger.services import import_ledger
from tests.children.factories import make_child
from tests.personas import PersonaTestCase, TempMediaTestCase

from .files import Ledger, child_row


class ImportScopeTests(PersonaTestCase):
    def test_a_school_clerk_cannot_import_into_another_school(self):
        path = Ledger([child_row(1, school="西镇中学", klass="三年级（1）班")]).write_xlsx(
            self.tmp("other.xlsx")
        )
        url = reverse("ledger:upload")
        with path.open("rb") as fh:
            response = self.client_as("school_admin").post(
                url, {"org": self.org("school_b").code, "file": fh}
            )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "errorlist")
        self.assertFalse(Child.objects.exists())

    def test_rows_naming_a_school_outside_the_unit_are_errors(self):
        rows = [child_row(1), child_row(2, school="南镇小学")]
        path = Ledger(rows).write_xlsx(self.tmp("mixed.xlsx"))
        result = import_ledger(
            source=path, filename=path.name, org=self.org("school_a"), by=self.school_admin
        ).result
        self.assertEqual([(e.row, e.column) for e in result.errors], [(3, "学校")])
        self.assertFalse(Child.objects.exists())

    def test_a_county_officer_imports_rows_of_several_schools(self):
        rows = [child_row(1), child_row(2, school="西镇中学")]
        path = Ledger(rows).write_xlsx(self.tmp("county.xlsx"))
        result = import_ledger(
            source=path, filename=path.name, org=self.org("county_a"), by=self.county_officer
        ).result
        self.assertEqual((result.errors, result.created), ([], 2))

    def tmp(self, name):
        import tempfile
        from pathlib import Path

        directory = Path(tempfile.mkdtemp())
        self.addCleanup(lambda: __import__("shutil").rmtree(directory, ignore_errors=True))
        return directory / name


class ExportTests(TempMediaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.child = make_child(school_class=cls.world.orgs["class_a1"], name="=HYPERLINK(1)")

    def exported(self, persona: str | None, unmasked: bool = False) -> list[list]:
        out = io.BytesIO()
        export_ledger(
            org=self.org("school_a"),
            out=out,
            by=self.world.users[persona] if persona else None,
            unmasked=unmasked,
        )
        sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
        return [[c.value for c in row] for row in sheet.iter_rows()]

    def test_export_is_masked_unless_asked_by_someone_allowed(self):
        for persona, unmasked, full in [
            ("school_admin", False, False),
            ("school_admin", True, True),
            ("counselor", True, False),
            (None, True, True),
        ]:
            with self.subTest(persona=persona, unmasked=unmasked):
                text = str(self.exported(persona, unmasked))
                self.assertEqual(self.child.id_number in text, full)
                self.assertEqual("13800000001" in text, full)

    def test_volunteer_export_holds_no_child(self):
        rows = self.exported("volunteer", unmasked=True)
        self.assertEqual(len(rows), 3)  # the title, the watermark and the header only

    def test_formula_like_cells_are_written_as_text(self):
        rows = self.exported("school_admin")
        self.assertIn("'=HYPERLINK(1)", [row[0] for row in rows])
        self.assertEqual(neutralise("@SUM(A1)"), "'@SUM(A1)")
        self.assertEqual(neutralise("-3"), "'-3")
        self.assertEqual(neutralise(-3), -3)

    def test_every_export_is_audited_with_its_row_count(self):
        self.exported("school_admin")
        entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
        self.assertEqual((entry.actor, entry.changes["rows"]), (self.school_admin, 1))
        write_xlsx(io.BytesIO(), sheets=[("s", ["a"], [[1], [2]])], by=None, what="t")
        self.assertEqual(AuditEntry.objects.filter(action=AuditAction.EXPORT).count(), 2)

    def test_the_export_page_asks_for_the_ledger_and_the_exports_page_hands_it_out(self):
        url = reverse("ledger:export", args=[self.org("school_a").code])
        client = self.client_as("school_admin")
        with self.captureOnCommitCallbacks(execute=True):
            response = client.post(url)
        self.assertRedirects(response, reverse("ledger:exports"))
        job = ExportJob.objects.get()
        download = client.get(reverse("ledger:export_download", args=[job.pk]))
        sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
        self.assertEqual(sheet.cell(3, 1).value, "姓名")  # under the title and the watermark
        self.assertEqual(self.client_as("teacher_b").get(url).status_code, 404)

    def test_an_unmasked_export_holds_only_children_whose_id_the_user_may_see(self):
        from shouwang.accounts import services as accounts

        accounts.assign_role(user=self.counselor, role="teacher", org=self.org("class_a2"), by=None)
        own = make_child(school_class=self.org("class_a2"), name="二班")
        text = str(self.exported("counselor", unmasked=True))
        self.assertIn(own.id_number, text)
        self.assertNotIn(self.child.id_number, text)
        self.assertNotIn(self.child.id_number[:4] + "*" * 10, text)  # not even masked
