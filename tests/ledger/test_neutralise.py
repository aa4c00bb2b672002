"""No name a clerk types becomes a live formula in any Excel file Shouwang hands out (issue 14.9).

A unit, a class or a child named like a formula reaches titles, headers, data and sheet names;
every cell of every sheet of every export is looked at.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from pathlib import Path

import openpyxl
from django.urls import reverse

from shouwang.children.models import Child
from shouwang.core.sheets.writer import FORMULA_STARTS, neutralise, sheet_name, write_xlsx
from shouwang.health import importer as health_importer
from shouwang.ledger.ledgers import export_ledger
from shouwang.ledger.report import write_error_report
from shouwang.ledger.services import import_ledger
from shouwang.orgs.models import Org
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

from .files import STANDARD, child_row

SRC = Path(__file__).resolve().parents[2] / "src" / "shouwang"
FORMULAS = [
    '=HYPERLINK("http://x","y")',
    "+1+2",
    "-1+2",
    "@SUM(A1:A2)",
    "\t=1+2",
    "\r=1+2",
]
# Excel refuses a sheet name with one of these, longer than 31, or with an apostrophe at an end.
FORBIDDEN_IN_SHEET_NAME = re.compile(r"[\\/?*\[\]:]")


class FormulaNamesTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.child = make_child(school_class=cls.world.orgs["class_a1"])

    def name_everything(self, text: str) -> None:
        """The county, township, school, grade and class, and the child's own words."""
        keys = ["county_a", "township_a1", "school_a", "grade_a1", "class_a1"]
        Org.objects.filter(pk__in=[self.org(k).pk for k in keys]).update(name=text)
        Child.objects.filter(pk=self.child.pk).update(
            name=text, address=text, note=text, hobbies=text
        )

    def assert_no_formula(self, data: bytes, *, holds: str) -> None:
        book = openpyxl.load_workbook(io.BytesIO(data))
        seen = []
        for sheet in book.worksheets:
            self.assertIsNone(FORBIDDEN_IN_SHEET_NAME.search(sheet.title), sheet.title)
            self.assertLessEqual(len(sheet.title), 31)
            for row in sheet.iter_rows():
                for cell in row:
                    where = f"{sheet.title}!{cell.coordinate}: {cell.value!r}"
                    self.assertNotEqual(cell.data_type, "f", where)
                    if isinstance(cell.value, str):
                        self.assertFalse(cell.value.startswith(FORMULA_STARTS), where)
                        seen.append(cell.value)
        # Not vacuous: the name is there, as text.
        self.assertTrue(any(holds.strip() in value for value in seen), holds)

    def csv_file(self, name: str, rows: list[list[str]]) -> Path:
        directory = Path(tempfile.mkdtemp())
        self.addCleanup(lambda: __import__("shutil").rmtree(directory, ignore_errors=True))
        path = directory / name
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)
        return path

    def test_the_ledger_export_title_headers_and_rows_hold_no_formula(self):
        for text in FORMULAS:
            with self.subTest(name=text):
                self.name_everything(text)
                for by, unmasked in [(None, True), (self.school_admin, False)]:
                    out = io.BytesIO()
                    school = Org.objects.get(pk=self.org("school_a").pk)
                    export_ledger(org=school, out=out, by=by, unmasked=unmasked)
                    self.assert_no_formula(out.getvalue(), holds=text)
                    title = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active["A1"]
                    self.assertEqual((title.data_type, title.value[:1]), ("s", "'"))

    def test_the_statistics_export_holds_no_formula(self):
        for text in FORMULAS:
            with self.subTest(name=text):
                self.name_everything(text)
                response = self.client_as("county_officer").get(
                    reverse("stats:export"), {"org": self.org("county_a").code}
                )
                self.assertEqual(response.status_code, 200)
                self.assert_no_formula(b"".join(response.streaming_content), holds=text)

    def test_the_ledger_error_report_holds_no_formula(self):
        for text in FORMULAS:
            with self.subTest(name=text):
                row = child_row(1)
                row |= {"姓名": text, "性别": "?", "家庭住址": text}
                path = self.csv_file(
                    "ledger.csv",
                    [[text], [*STANDARD, text], [*(str(row[h]) for h in STANDARD), text]],
                )
                plan = import_ledger(
                    source=path, filename=path.name, org=self.org("school_a"), by=None
                )
                self.assertTrue(plan.result.errors)
                out = io.BytesIO()
                write_error_report(plan, out, by=None)
                self.assert_no_formula(out.getvalue(), holds=text)

    def test_the_check_up_error_report_holds_no_formula(self):
        header = [
            "学生姓名",
            "身份证号",
            "体检日期",
            "身高",
            "体重",
            "血压",
            "左眼视力",
            "右眼视力",
        ]
        for text in FORMULAS:
            with self.subTest(name=text):
                path = self.csv_file(
                    "体检.csv",
                    [[text], [*header, text], [text, "", "2026-10-15", "abc", "40", "", ""]],
                )
                result = health_importer.import_sheet(
                    source=path,
                    filename=path.name,
                    org=self.org("class_a1"),
                    by=self.teacher,
                    dry_run=True,
                )
                self.assertTrue(result.errors)
                out = io.BytesIO()
                health_importer.write_errors(
                    source=path, filename=path.name, result=result, out=out, by=self.teacher
                )
                self.assert_no_formula(out.getvalue(), holds=text)

    def test_sheet_names_titles_and_headers_pass_the_same_writer(self):
        text = FORMULAS[0]
        out = io.BytesIO()
        write_xlsx(
            out,
            sheets=[(text, [text], [[text]]), (text, ["-"], [[-3]]), ("History", [], [])],
            by=None,
            what="test",
            title_rows=[text],
        )
        book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
        self.assertEqual(len(set(book.sheetnames)), 3)
        first = book.worksheets[0]
        self.assertEqual([c.value for c in first["A"]], ["'" + text] * 3)
        self.assertEqual(book.worksheets[1]["A3"].value, -3)  # a number stays a number
        self.assert_no_formula(out.getvalue(), holds=text)


def test_a_sheet_name_is_one_excel_opens():
    name = sheet_name('=HYPERLINK("http://x","y")')
    assert not FORBIDDEN_IN_SHEET_NAME.search(name) and len(name) <= 31
    assert sheet_name("'三(1)班'") == "三(1)班"
    assert sheet_name("") == sheet_name("''") == "Sheet"
    assert sheet_name("history").lower() != "history"
    long = "甲" * 40
    assert sheet_name(long) == "甲" * 31
    assert sheet_name(long, ["甲" * 31]) == "甲" * 27 + " (2)"
    assert sheet_name("Sheet", ["sheet", "Sheet (2)"]) == "Sheet (3)"


def test_neutralise_keeps_numbers_and_plain_text():
    assert neutralise(-3) == -3
    assert neutralise("三年级") == "三年级"
    assert neutralise("a\x01b") == "ab"  # Excel refuses control characters
    assert neutralise("x" * 40_000) == "x" * 32_767
    for text in FORMULAS:
        assert neutralise(text) == "'" + text


def test_no_module_but_the_one_writer_makes_a_workbook():
    """Every Excel file goes through core/sheets/writer.py: nothing else may build one."""
    writers = re.compile(r"\bWorkbook\(|WriteOnlyCell|xlsxwriter|\bcreate_sheet\(")
    # openpyxl's sheet.cell(…) where openpyxl is at hand; not a figure's own cell() that hides
    # small counts, nor a Word table's cell (python-docx, the reports' documents).
    cells = re.compile(r"(?<!self)\.cell\(")
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path != SRC / "core" / "sheets" / "writer.py"
        and (
            writers.search(text := path.read_text()) or ("openpyxl" in text and cells.search(text))
        )
    ]
    assert offenders == []
