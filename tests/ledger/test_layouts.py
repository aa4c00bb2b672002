"""A county's own 台账 layout (issue 22): saved by its officer as data, used by every ledger export
of its units — the page's export job, ``shouwang export-ledger``, a round's submission — and
read back by the importer with no change; other counties keep the standard layout; a layout
never unmasks."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from shouwang.audit.models import AuditAction, AuditEntry
from shouwang.core.concurrency import StaleEdit
from shouwang.ledger import exports, layouts
from shouwang.ledger.columns import COLUMNS
from shouwang.ledger.ledgers import MASKED, export_ledger
from shouwang.ledger.models import ExportJob, LedgerLayout
from shouwang.ledger.services import import_ledger
from shouwang.oversight import services as rounds
from tests.children.factories import make_child
from tests.personas import TempMediaTestCase

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=CST)
TITLE = "甲县农村留守儿童信息台账"
# The county's own words and order: the child, the guardian's phone early, the ID number last.
COUNTY_COLUMNS = [
    ("name", "学生姓名"),
    ("gender", "性别"),
    ("school", "学校"),
    ("grade", "年级"),
    ("school_class", "班级"),
    ("guardian.name", "监护人"),
    ("guardian.phone", "联系方式"),
    ("father.phone", "爸爸手机号"),
    ("home_village", "村（社区）"),
    ("id_number", "公民身份号码"),
]
COUNTY_HEADERS = [h for _k, h in COUNTY_COLUMNS]


def rows_of(content: bytes | io.BytesIO | Path) -> list[list]:
    source = io.BytesIO(content) if isinstance(content, bytes) else content
    sheet = openpyxl.load_workbook(source).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def header_and_data(rows: list[list]) -> tuple[list, list[list]]:
    """The header row (the first naming 性别) and the rows under it."""
    at = next(i for i, row in enumerate(rows) if "性别" in row)
    return rows[at], rows[at + 1 :]


@time_machine.travel(NOW, tick=False)
class LayoutTestCase(TempMediaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        orgs = cls.world.orgs
        cls.a1 = make_child(
            school_class=orgs["class_a1"], name="甲一", home_village=orgs["village_a1"]
        )
        cls.c1 = make_child(school_class=orgs["class_c1"], name="丙一")

    def save_county_layout(self, columns=COUNTY_COLUMNS, **kwargs) -> LedgerLayout:
        region = self.org("county_a")
        return layouts.save_layout(
            region=region,
            by=self.county_officer,
            columns=list(columns),
            title=kwargs.pop("title", TITLE),
            unit_and_date=kwargs.pop("unit_and_date", True),
            version=layouts.layout_version(region),
            **kwargs,
        )

    def ledger(self, org: str, by: str | None = "school_admin", unmasked: bool = False):
        out = io.BytesIO()
        export_ledger(
            org=self.org(org),
            out=out,
            by=self.world.users[by] if by else None,
            unmasked=unmasked,
        )
        return rows_of(out.getvalue())


class SavedLayoutTests(LayoutTestCase):
    def test_the_page_export_is_written_in_the_county_layout(self):
        self.save_county_layout()
        with self.captureOnCommitCallbacks(execute=True):
            self.client_as("school_admin").post(
                reverse("ledger:export", args=[self.org("school_a").code])
            )
        job = ExportJob.objects.get()
        rows = rows_of(exports._file_of(job))
        self.assertEqual(rows[0][0], TITLE)
        self.assertIn("东镇中心小学", rows[1][0])  # 填报单位
        self.assertIn("2026-11-24", rows[1][0])  # 填报日期
        header, data = header_and_data(rows)
        self.assertEqual(header, COUNTY_HEADERS)
        [row] = data
        self.assertEqual(row[0], "甲一")
        self.assertEqual(row[-2], "东村")
        # Masked under the county's own headers: the guardian's and father's phones, the number.
        self.assertNotIn(self.a1.id_number, str(rows))
        self.assertNotIn("13800000001", str(rows))
        self.assertIn("*", row[-1])

    def test_the_command_writes_the_county_layout(self):
        self.save_county_layout()
        out = Path(self.staged.parent) / "cli.xlsx"
        out.parent.mkdir(parents=True, exist_ok=True)
        call_command("export_ledger", "--org", self.org("school_a").code, "--out", str(out))
        header, data = header_and_data(rows_of(out))
        self.assertEqual(header, COUNTY_HEADERS)
        self.assertEqual([r[0] for r in data], ["甲一"])

    def test_a_round_submission_freezes_the_ledger_in_the_county_layout(self):
        self.save_county_layout()
        round_ = rounds.open_round(
            org=self.org("county_a"),
            title="2026年冬季留守儿童排查",
            due=date(2026, 12, 10),
            due_upward=date(2026, 12, 15),
            by=self.county_officer,
        )
        submission = rounds.submit(
            unit=round_.units.get(org=self.org("school_a")), by=self.school_admin
        )
        with submission.ledger.open("rb") as fh:
            rows = rows_of(fh.read())
        self.assertEqual(rows[0][0], TITLE)
        header, data = header_and_data(rows)
        self.assertEqual(header, COUNTY_HEADERS)
        self.assertEqual([r[0] for r in data], ["甲一"])

    def test_a_unit_of_another_county_keeps_the_standard_layout(self):
        self.save_county_layout()
        rows = self.ledger("school_c", by=None)
        header, data = header_and_data(rows)
        self.assertEqual(header, [c.header for c in COLUMNS])
        self.assertTrue(rows[0][0].startswith("南镇小学留守儿童台账"))
        self.assertEqual([r[0] for r in data], ["丙一"])
        self.assertEqual(layouts.layout_for(self.org("school_c")), layouts.STANDARD)

    def test_the_standard_layout_masks_what_it_always_did(self):
        self.assertEqual(layouts.STANDARD.masked, MASKED)

    def test_a_townships_own_layout_is_nearer_than_the_countys(self):
        self.save_county_layout()
        township = self.org("township_a1")
        layouts.save_layout(
            region=township,
            by=self.county_officer,
            columns=[*COUNTY_COLUMNS[:5], ("id_number", "身份证")],
            title="东镇台账",
            version=layouts.layout_version(township),
        )
        self.assertEqual(layouts.layout_for(self.org("school_a")).title, "东镇台账")
        self.assertEqual(layouts.layout_for(self.org("school_b")).title, TITLE)

    def test_back_to_the_standard_layout_is_a_new_version_and_the_old_one_is_kept(self):
        first = self.save_county_layout()
        self.save_county_layout(columns=[], standard=True)
        self.assertEqual(layouts.layout_for(self.org("school_a")), layouts.STANDARD)
        self.assertEqual(
            list(LedgerLayout.objects.order_by("version").values_list("version", flat=True)),
            [1, 2],
        )
        first.refresh_from_db()
        self.assertEqual(first.columns, [list(c) for c in COUNTY_COLUMNS])
        entries = AuditEntry.objects.filter(
            action=AuditAction.CREATE, object_type="ledger.ledgerlayout"
        )
        self.assertEqual(entries.count(), 2)


class LayoutNeverUnmasksTests(LayoutTestCase):
    def test_a_masked_column_stays_masked_whatever_it_is_called_or_where_it_stands(self):
        # The ID number first, called 证件, and every phone renamed.
        self.save_county_layout(
            columns=[
                ("id_number", "证件"),
                ("name", "学生"),
                ("gender", "性别"),
                ("school", "学校"),
                ("grade", "年级"),
                ("school_class", "班级"),
                ("mother.phone", "妈妈的号码"),
                ("guardian.phone", "电话"),
            ]
        )
        for persona in ("school_admin", "counselor", "teacher"):
            with self.subTest(persona=persona):
                rows = self.ledger("school_a", by=persona)
                text = str(rows)
                self.assertNotIn(self.a1.id_number, text)
                self.assertNotIn("13800000002", text)  # the mother's phone
                self.assertNotIn(self.a1.guardian.phone, text)
        # The counselor may not unmask ID numbers at all: not even the mask's ends.
        _header, [row] = header_and_data(self.ledger("school_a", by="counselor", unmasked=True))
        self.assertIsNone(row[0])  # left out whole

    def test_unmasked_only_for_who_may_unmask_as_before(self):
        self.save_county_layout()
        _header, [row] = header_and_data(self.ledger("school_a", unmasked=True))
        self.assertEqual(row[-1], self.a1.id_number)

    def test_a_header_the_importer_reads_as_another_column_is_refused(self):
        # 身份证号 over the guardian's phone: read back, the phone would be taken for the number.
        bad = [*COUNTY_COLUMNS[:6], ("guardian.phone", "身份证号"), ("id_number", "证件号")]
        with self.assertRaises(ValidationError):
            self.save_county_layout(columns=bad)
        with self.assertRaises(ValidationError):  # the ID number left out: cannot be read back
            self.save_county_layout(columns=[c for c in COUNTY_COLUMNS if c[0] != "id_number"])
        with self.assertRaises(ValidationError):  # a header that would be a formula
            self.save_county_layout(columns=[*COUNTY_COLUMNS[:9], ("id_number", "=1+1")])
        with self.assertRaises(ValidationError):  # two columns under one header
            self.save_county_layout(columns=[*COUNTY_COLUMNS[:9], ("id_number", "学 生姓名")])
        self.assertFalse(LedgerLayout.objects.exists())


class ReimportTests(LayoutTestCase):
    def test_an_export_in_the_county_layout_reimports_with_zero_changes(self):
        self.save_county_layout()
        for persona, org in (("school_admin", "school_a"), ("county_officer", "county_a")):
            with self.subTest(persona=persona):
                out = io.BytesIO()
                user = self.world.users[persona]
                export_ledger(org=self.org(org), out=out, by=user, unmasked=True)
                header, _data = header_and_data(rows_of(out.getvalue()))
                self.assertEqual(header, COUNTY_HEADERS)
                path = Path(self.staged.parent) / f"{persona}.xlsx"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(out.getvalue())
                from shouwang.ledger.services import mapping_for

                result = import_ledger(
                    source=path,
                    filename=path.name,
                    org=self.org(org),
                    by=user,
                    dry_run=True,
                    mapping=mapping_for(self.org(org)),
                ).result
                self.assertEqual(result.errors, [])
                self.assertEqual(result.unknown_columns, [])
                self.assertEqual((result.created, result.updated, result.unchanged), (0, 0, 1))

    def test_without_the_layouts_words_the_same_file_would_not_read_back(self):
        """The test above can fail: the county's words are not the importer's own."""
        self.save_county_layout()
        out = io.BytesIO()
        export_ledger(org=self.org("school_a"), out=out, by=self.school_admin, unmasked=True)
        path = Path(self.staged.parent) / "no-words.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(out.getvalue())
        result = import_ledger(
            source=path,
            filename=path.name,
            org=self.org("school_a"),
            by=self.school_admin,
            dry_run=True,
        ).result
        self.assertEqual(result.unknown_columns, ["爸爸手机号", "联系方式"])


class LayoutPageTests(LayoutTestCase):
    def form_data(self, version: str, headers: dict[str, str] | None = None) -> dict[str, str]:
        headers = headers or {}
        data = {"title": TITLE, "unit_and_date": "on", "version": version}
        for i, column in enumerate(COLUMNS):
            data[f"use_{i}"] = "on"
            data[f"order_{i}"] = str(len(COLUMNS) - i)  # reversed
            data[f"header_{i}"] = headers.get(column.key, column.header)
        return data

    def test_a_county_officer_saves_the_layout_on_the_page(self):
        url = reverse("ledger:layout", args=[self.org("county_a").code])
        client = self.client_as("county_officer")
        page = client.get(url)
        self.assertContains(page, 'data-testid="layout-columns"')
        version = page.context["form"]["version"].value()
        response = client.post(url, self.form_data(version, {"id_number": "公民身份号码"}))
        self.assertRedirects(response, url)
        layout = layouts.layout_for(self.org("school_a"))
        self.assertEqual(layout.headers[0], "村（社区）")  # reversed
        self.assertEqual(layout.headers[-1], "姓名")
        self.assertIn("公民身份号码", layout.headers)
        self.assertEqual(layout.title, TITLE)

    def test_a_stale_form_is_refused(self):
        url = reverse("ledger:layout", args=[self.org("county_a").code])
        client = self.client_as("county_officer")
        version = client.get(url).context["form"]["version"].value()
        self.save_county_layout()  # someone else saved meanwhile
        response = client.post(url, self.form_data(version))
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["form"].non_field_errors())
        self.assertEqual(LedgerLayout.objects.count(), 1)
        with self.assertRaises(StaleEdit):
            layouts.save_layout(
                region=self.org("county_a"),
                by=self.county_officer,
                columns=COUNTY_COLUMNS,
                version=version,
            )

    def test_out_of_scope_is_404(self):
        for persona, org in (
            ("county_officer", "county_b"),  # another county
            ("township_officer", "county_a"),  # the county above
            ("school_admin", "township_a1"),  # no settings of a region
            ("county_officer", "school_a"),  # a school has no layout of its own
        ):
            with self.subTest(persona=persona, org=org):
                url = reverse("ledger:layout", args=[self.org(org).code])
                self.assertEqual(self.client_as(persona).get(url).status_code, 404)
                self.assertEqual(self.client_as(persona).post(url, {}).status_code, 404)
        self.assertFalse(LedgerLayout.objects.exists())


class PartOfASchoolTests(LayoutTestCase):
    def test_a_class_or_grade_ledger_holds_its_classes_children(self):
        make_child(school_class=self.org("class_a2"), name="甲二")
        for org, persona, names in (
            ("class_a1", "teacher", ["甲一"]),
            ("class_a2", "school_admin", ["甲二"]),
            ("grade_a1", "school_admin", ["甲一", "甲二"]),
            ("school_a", "school_admin", ["甲一", "甲二"]),
        ):
            with self.subTest(org=org):
                _header, data = header_and_data(self.ledger(org, by=persona))
                self.assertEqual([r[0] for r in data], names)

    def test_the_export_page_names_the_layout_in_use(self):
        self.save_county_layout()
        page = self.client_as("school_admin").get(
            reverse("ledger:export", args=[self.org("school_a").code])
        )
        self.assertContains(page, "按甲县的台账格式导出")
        self.assertContains(page, reverse("ledger:roster", args=[self.org("school_a").code]))
        other = self.client_as("sysadmin").get(
            reverse("ledger:export", args=[self.org("school_c").code])
        )
        self.assertNotContains(other, "台账格式导出")
        layout = reverse("ledger:layout", args=[self.org("county_a").code])
        county = reverse("ledger:export", args=[self.org("county_a").code])
        self.assertContains(self.client_as("county_officer").get(county), layout)
        self.assertNotContains(page, "ledger/layout/")  # a school sets no layout
