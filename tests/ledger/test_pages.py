from __future__ import annotations

import io

import openpyxl
from django.urls import reverse

from shouwang.children.models import Child
from shouwang.ledger.models import ColumnMapping
from tests.personas import PersonaTestCase

from .files import Ledger, child_row


def xlsx(ledger: Ledger, name: str = "花名册.xlsx") -> io.BytesIO:
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / name
    ledger.write_xlsx(path)
    data = io.BytesIO(path.read_bytes())
    data.name = name
    return data


class UploadPagesTests(PersonaTestCase):
    def upload(self, persona: str, ledger: Ledger):
        return self.client_as(persona).post(
            reverse("ledger:upload"), {"org": self.org("school_a").code, "file": xlsx(ledger)}
        )

    def test_upload_preview_then_apply(self):
        response = self.upload("school_admin", Ledger([child_row(n) for n in range(3)]))
        preview = response["Location"]
        page = self.client_as("school_admin").get(preview)
        self.assertContains(page, 'data-testid="ledger-ready"')
        self.assertContains(page, "3")
        self.assertFalse(Child.objects.exists())
        apply_url = preview.rstrip("/") + "/apply/"
        self.assertRedirects(self.client_as("school_admin").post(apply_url), reverse("ledger:done"))
        self.assertEqual(Child.objects.count(), 3)

    def test_errors_give_a_report_of_the_clerks_own_rows(self):
        rows = [child_row(n) for n in range(3)]
        rows[2]["监护人电话"] = "12345"
        preview = self.upload("school_admin", Ledger(rows))["Location"]
        page = self.client_as("school_admin").get(preview)
        self.assertContains(page, 'data-testid="ledger-errors"')
        report = self.client_as("school_admin").get(preview.rstrip("/") + "/errors.xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(b"".join(report.streaming_content))).active
        self.assertEqual(sheet.cell(4, 1).value, rows[2]["姓名"])
        self.assertIn("监护人电话", sheet.cell(4, 28).value)
        self.assertIsNone(sheet.cell(3, 28).value)
        self.assertFalse(Child.objects.exists())

    def test_another_user_cannot_reach_an_upload(self):
        preview = self.upload("school_admin", Ledger([child_row(1)]))["Location"]
        self.assertEqual(self.client_as("county_officer").get(preview).status_code, 404)
        self.assertEqual(
            self.client_as("county_officer").post(preview.rstrip("/") + "/apply/").status_code,
            404,
        )

    def test_an_unknown_column_can_be_taught_once_for_the_unit(self):
        ledger = Ledger(
            [child_row(1)],
            extra_columns={"爱好特长": "舞蹈"},
            headers=[h for h in Ledger([]).headers if h != "兴趣爱好"],
        )
        preview = self.upload("school_admin", ledger)["Location"]
        self.assertContains(self.client_as("school_admin").get(preview), "爱好特长")
        self.client_as("school_admin").post(
            preview.rstrip("/") + "/teach/", {"header": "爱好特长", "column": "hobbies"}
        )
        self.assertTrue(ColumnMapping.objects.filter(header="爱好特长").exists())
        self.client_as("school_admin").post(preview.rstrip("/") + "/apply/")
        self.assertEqual(Child.objects.get().hobbies, "舞蹈")
