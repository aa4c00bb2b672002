"""花名册 by grade (issue 22): a school's, a grade's or a class's left-behind children, one sheet
per grade in the grades' order, numbered class by class; the same children and masking as the unit's
台账 for the same user; on the audit log like a ledger; formulas written as text; out of scope a
404."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse

from shouwang.audit.models import AuditAction, AuditEntry
from shouwang.children.types import ParentStatus
from shouwang.ledger.roster import HEADERS, export_roster
from shouwang.orgs.models import OrgKind
from shouwang.orgs.services import add_org
from tests.children.factories import make_child
from tests.personas import TempMediaTestCase

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=CST)


def sheets_of(content: bytes | Path) -> dict[str, list[list]]:
    book = openpyxl.load_workbook(io.BytesIO(content) if isinstance(content, bytes) else content)
    return {s.title: [list(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets}


def data_rows(rows: list[list]) -> list[list]:
    at = rows.index(HEADERS)
    return rows[at + 1 :]


@time_machine.travel(NOW, tick=False)
class RosterTestCase(TempMediaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        orgs = cls.world.orgs
        # A first grade made after the third: the roster still lists 一年级 first.
        grade1 = add_org(name="一年级", kind=OrgKind.GRADE, parent=orgs["school_a"], by=None)
        cls.class_11 = add_org(
            name="一年级（1）班", kind=OrgKind.SCHOOL_CLASS, parent=grade1, by=None
        )
        cls.three_2 = make_child(school_class=orgs["class_a2"], name="三二班孩子", male=False)
        cls.three_1 = make_child(school_class=orgs["class_a1"], name="三一班孩子")
        cls.one_1 = make_child(
            school_class=cls.class_11, name="=HYPERLINK(1)", birth=date(2019, 5, 6)
        )
        # Parents at home: in the ledger's register, not on the left-behind roster.
        cls.at_home = make_child(
            school_class=orgs["class_a1"],
            name="父母在家",
            father=ParentStatus.AT_HOME,
            mother=ParentStatus.AT_HOME,
        )
        cls.other_school = make_child(school_class=orgs["class_b1"], name="西镇孩子")

    def roster(self, org: str, by: str | None = "school_admin", unmasked: bool = False):
        out = io.BytesIO()
        export_roster(
            org=self.org(org),
            out=out,
            by=self.world.users[by] if by else None,
            unmasked=unmasked,
        )
        return sheets_of(out.getvalue())


class RosterTests(RosterTestCase):
    def test_one_sheet_per_grade_in_the_grades_order_with_the_right_children(self):
        sheets = self.roster("school_a")
        self.assertEqual(list(sheets), ["一年级", "三年级"])
        one = data_rows(sheets["一年级"])
        three = data_rows(sheets["三年级"])
        # 序号 from 1 on each sheet; class by class; the formula written as text.
        self.assertEqual(
            [(r[0], r[1], r[5]) for r in one], [(1, "'=HYPERLINK(1)", "一年级（1）班")]
        )
        self.assertEqual(
            [(r[0], r[1], r[5]) for r in three],
            [(1, "三一班孩子", "三年级（1）班"), (2, "三二班孩子", "三年级（2）班")],
        )
        self.assertEqual(three[1][2], "女")
        self.assertEqual(three[0][6], "父母双方外出")  # the left-behind type, in Chinese
        self.assertTrue(sheets["三年级"][0][0].startswith("东镇中心小学留守儿童花名册"))
        text = str(sheets)
        self.assertNotIn("父母在家", text)  # not left behind
        self.assertNotIn("西镇孩子", text)  # another school

    def test_masked_as_the_ledger_is_for_the_same_user(self):
        for persona, unmasked, full in (
            ("school_admin", False, False),
            ("school_admin", True, True),
            ("county_officer", True, True),
            ("counselor", True, False),  # may not unmask: masked whatever was asked
        ):
            with self.subTest(persona=persona, unmasked=unmasked):
                [row, _second] = data_rows(self.roster("school_a", persona, unmasked)["三年级"])
                phone = self.three_1.guardian.phone
                if full:
                    self.assertEqual((row[4], row[9]), (self.three_1.id_number, phone))
                else:
                    self.assertNotIn(self.three_1.id_number, str(row))
                    self.assertNotEqual(row[9], phone)
                    self.assertIn("*", row[9])
        # Who may not see a child's number at all gets none of it, not a mask of it.
        [row, _] = data_rows(self.roster("school_a", "counselor")["三年级"])
        self.assertIsNone(row[4])

    def test_a_class_and_a_grade_have_their_own_roster(self):
        self.assertEqual(
            [r[1] for r in data_rows(self.roster("class_a1", "teacher")["三年级"])], ["三一班孩子"]
        )
        sheets = self.roster("grade_a1")
        self.assertEqual(list(sheets), ["三年级"])
        self.assertEqual(len(data_rows(sheets["三年级"])), 2)

    def test_on_the_audit_log_like_a_ledger_export(self):
        self.roster("school_a")
        entry = AuditEntry.objects.filter(action=AuditAction.EXPORT).latest("pk")
        self.assertEqual((entry.actor, entry.changes["rows"]), (self.school_admin, 3))
        self.assertIn("花名册", entry.object_repr)
        self.assertEqual(entry.changes["masked"], ["监护人电话", "身份证号"])
        self.assertTrue(entry.changes["serial"])


class RosterPageTests(RosterTestCase):
    def test_reached_from_the_ledger_page_and_downloaded(self):
        code = self.org("school_a").code
        page = self.client_as("school_admin").get(reverse("ledger:export", args=[code]))
        self.assertContains(page, reverse("ledger:roster", args=[code]))
        response = self.client_as("school_admin").post(reverse("ledger:roster", args=[code]))
        self.assertEqual(response.status_code, 200)
        sheets = sheets_of(b"".join(response.streaming_content))
        self.assertEqual(list(sheets), ["一年级", "三年级"])
        self.assertNotIn(self.three_1.id_number, str(sheets))

    def test_out_of_scope_and_not_a_school_is_404(self):
        for persona, org in (
            ("school_admin", "school_b"),  # another school
            ("teacher", "class_a2"),  # another class
            ("teacher", "school_a"),
            ("volunteer", "school_a"),
            ("county_officer", "county_a"),  # a county's roster: by school
        ):
            with self.subTest(persona=persona, org=org):
                url = reverse("ledger:roster", args=[self.org(org).code])
                client = self.client_as(persona)
                self.assertEqual(client.get(url).status_code, 404)
                self.assertEqual(client.post(url).status_code, 404)
        self.assertFalse(AuditEntry.objects.filter(action=AuditAction.EXPORT).exists())


class RosterCommandTests(RosterTestCase):
    def test_export_ledger_roster(self):
        out = Path(self.staged.parent) / "roster.xlsx"
        out.parent.mkdir(parents=True, exist_ok=True)
        call_command(
            "export_ledger", "--org", self.org("school_a").code, "--out", str(out), "--roster"
        )
        sheets = sheets_of(out)
        self.assertEqual(list(sheets), ["一年级", "三年级"])
        self.assertNotIn(self.three_1.id_number, str(sheets))  # masked without --unmasked

    def test_a_roster_of_a_county_is_bad_input(self):
        out = Path(self.staged.parent) / "county.xlsx"
        with self.assertRaises(CommandError) as refused:
            call_command(
                "export_ledger", "--org", self.org("county_a").code, "--out", str(out), "--roster"
            )
        self.assertEqual(refused.exception.returncode, 1)
        self.assertFalse(out.exists())


class RosterCostTests(RosterTestCase):
    def test_a_roster_costs_the_same_for_few_children_or_many(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        def cost() -> int:
            with CaptureQueriesContext(connection) as ctx:
                self.roster("school_a")
            return len(ctx.captured_queries)

        cost()  # the first export also starts the audit log's chain
        few = cost()
        for i in range(4):
            make_child(school_class=self.org("class_a2"), name=f"多{i}")
        self.assertEqual(cost(), few)
        # (PostgreSQL: one more, the audit chain's advisory lock.)
        self.assertLessEqual(few, 9 if connection.vendor == "postgresql" else 8)
