"""比对核实: a list matched to the archive by ID number, within the checker's scope, never
twice; disagreements and children outside the scope change nothing and name nobody outside."""

from __future__ import annotations

import io
import json
from datetime import date

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import Workbook

from shouwang.audit.models import AuditEntry
from shouwang.children.models import Child
from shouwang.crosschecks import selectors, services
from shouwang.crosschecks.models import CrossCheck, DifficultyFlag
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

DAY = date(2026, 11, 24)
HEADER = "序号,姓名,身份证号,出生日期,户主姓名"


def csv_of(rows: list[tuple[str, str, str]], header: str = HEADER) -> bytes:
    lines = [header] + [
        f"{i},{n},{number},{born},某户主" for i, (n, number, born) in enumerate(rows, 1)
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def row_of(child: Child, *, name: str = "", born: str = "") -> tuple[str, str, str]:
    return (name or child.name, child.id_number, born or child.birth_date.isoformat())


@time_machine.travel(DAY, tick=False)
class CrossCheckTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        orgs = cls.world.orgs
        cls.a1 = make_child(
            school_class=orgs["class_a1"], home_village=orgs["village_a1"], name="王小明"
        )
        cls.a2 = make_child(school_class=orgs["class_a2"], name="李小红", male=False)
        cls.b1 = make_child(school_class=orgs["class_b1"], name="赵小刚")  # school B, county A
        cls.c1 = make_child(school_class=orgs["class_c1"], name="孙丙丁")  # county B

    def check(
        self,
        rows: list[tuple[str, str, str]],
        *,
        by: str = "school_admin",
        org: str = "school_a",
        kind: str = "dibao",
    ):
        user, unit = self.world.users[by], self.org(org)
        return services.cross_check(
            source=io.BytesIO(csv_of(rows)),
            filename="低保名单.csv",
            org=unit,
            list_kind=kind,
            scope=selectors.scope_for(user, unit),
            by=user,
        )

    # --- matching ---------------------------------------------------------------------------

    def test_a_school_admin_flags_only_the_children_of_the_school_and_counts_the_rest(self):
        rows = [
            row_of(self.a1),
            row_of(self.a2),
            row_of(self.b1),
            row_of(self.c1),
            ("外人", "110101199001011237", ""),  # a valid ID number that is nobody's
            ("错号", "11010119900101123X", ""),  # a bad check digit (7 it would be)
        ]
        check, result = self.check(rows)
        self.assertEqual(result.rows, 6)
        self.assertEqual(result.matched, 2)
        self.assertEqual(result.flags_added, 2)
        self.assertEqual(result.outside_scope, 2)  # b1 and c1: in the archive, not the school's
        self.assertEqual(
            set(DifficultyFlag.objects.values_list("child_id", flat=True)), {self.a1.pk, self.a2.pk}
        )
        flag = DifficultyFlag.objects.get(child=self.a1)
        self.assertEqual(
            (flag.source, flag.on, flag.by, flag.list_kind),
            ("低保名单.csv", DAY, self.school_admin, "dibao"),
        )
        # Rows outside the scope are counted, never named.
        said = json.dumps(check.disagreements, ensure_ascii=False)
        self.assertNotIn(self.b1.name, said)
        self.assertNotIn(self.c1.name, said)
        # The ID number that is nobody's is counted; the bad check digit is listed for checking,
        # at its row (the CSV's one table is its sheet "csv"; row 7: the header is row 1).
        self.assertEqual(result.not_in_archive, 1)
        (bad,) = result.disagreements
        self.assertEqual((bad.sheet, bad.row), ("csv", 7))
        self.assertIn("校验码", bad.message)
        self.assertEqual(check.not_in_archive, 1)
        self.assertEqual(check.disagreements, [{"sheet": "csv", "row": 7, "message": bad.message}])

    def test_a_flag_already_present_is_not_added_twice(self):
        self.check([row_of(self.a1)])
        _check, again = self.check([row_of(self.a1), row_of(self.a1)])
        self.assertEqual((again.flags_added, again.already_flagged, again.matched), (0, 2, 2))
        self.assertEqual(DifficultyFlag.objects.filter(child=self.a1).count(), 1)
        # Another list is another flag.
        self.check([row_of(self.a1)], kind="orphan")
        self.assertEqual(DifficultyFlag.objects.filter(child=self.a1).count(), 2)

    def test_a_disagreement_is_listed_and_changes_nothing(self):
        before = Child.objects.get(pk=self.a1.pk)
        _check, result = self.check([row_of(self.a1, name="王晓明", born="2016-03-05")])
        self.assertEqual((result.matched, result.flags_added), (1, 0))
        (d,) = result.disagreements
        self.assertEqual((d.sheet, d.row), ("csv", 2))
        self.assertIn("王晓明", d.message)
        self.assertIn("2016-03-05", d.message)
        self.assertFalse(DifficultyFlag.objects.exists())
        after = Child.objects.get(pk=self.a1.pk)
        self.assertEqual((after.name, after.birth_date), (before.name, before.birth_date))

    def test_a_county_officer_reaches_every_school_of_the_county_and_no_other(self):
        _check, result = self.check(
            [row_of(self.a1), row_of(self.b1), row_of(self.c1)], by="county_officer", org="county_a"
        )
        self.assertEqual((result.flags_added, result.outside_scope), (2, 1))

    def test_flag_figures_count_distinct_children_among_those_given(self):
        self.check([row_of(self.a1), row_of(self.a2)])
        self.check([row_of(self.a1)], kind="orphan")
        figures = selectors.flag_figures(children=Child.objects.filter(school=self.org("school_a")))
        self.assertEqual(
            figures,
            {"difficulty_flags": {"dibao": 2, "poverty_registered": 0, "disabled": 0, "orphan": 1}},
        )
        only_a2 = selectors.flag_figures(children=Child.objects.filter(pk=self.a2.pk))
        self.assertEqual(only_a2["difficulty_flags"]["dibao"], 1)

    def test_the_statistics_count_the_flags_a_cross_check_sets(self):
        """`shouwang stats --json` and GET /api/v1/stats/ before and after a cross-check: the
        flags it sets are in `difficulty_flags` at once, only within the unit asked about."""

        def by_command(org: str) -> dict[str, int]:
            out = io.StringIO()
            call_command("stats", "--org", self.org(org).code, "--json", stdout=out)
            return json.loads(out.getvalue())["difficulty_flags"]

        def by_api(org: str) -> dict[str, int]:
            response = self.client_as("county_officer").get(
                "/api/v1/stats/", {"org": self.org(org).code}
            )
            self.assertEqual(response.status_code, 200)
            return response.json()["difficulty_flags"]

        none = {"dibao": 0, "poverty_registered": 0, "disabled": 0, "orphan": 0}
        self.assertEqual(by_command("school_a"), none)
        self.assertEqual(by_api("county_a"), none)
        self.check([row_of(self.a1), row_of(self.a2)])
        self.check([row_of(self.b1)], by="county_officer", org="county_a", kind="orphan")
        self.assertEqual(by_command("school_a"), none | {"dibao": 2})
        self.assertEqual(by_command("school_b"), none | {"orphan": 1})
        self.assertEqual(by_api("county_a"), none | {"dibao": 2, "orphan": 1})
        self.assertEqual(by_api("school_b"), none | {"orphan": 1})

    def test_clearing_a_flag_voids_it_with_a_reason_and_keeps_the_row(self):
        self.check([row_of(self.a1)])
        flag = DifficultyFlag.objects.get()
        client = self.client_as("school_admin")
        url = reverse("crosschecks:clear", args=[flag.pk])
        self.assertEqual(self.client_as("teacher").post(url, {"reason": "x"}).status_code, 404)
        response = client.post(url, {"reason": "已退出低保"})
        self.assertEqual(response.status_code, 302)
        flag.refresh_from_db()
        self.assertIsNotNone(flag.voided_at)
        self.assertEqual(flag.void_reason, "已退出低保")
        self.assertEqual(DifficultyFlag.objects.count(), 1)
        self.assertTrue(
            AuditEntry.objects.filter(
                object_type="crosschecks.difficultyflag", action="update"
            ).exists()
        )
        self.assertEqual(
            selectors.flag_figures(children=Child.objects.all())["difficulty_flags"]["dibao"], 0
        )
        # Cleared once: the stale page is refused (404, it is no longer an active flag).
        self.assertEqual(client.post(url, {"reason": "again"}).status_code, 404)
        # A later list may flag the child again: a new row.
        _check, result = self.check([row_of(self.a1)])
        self.assertEqual(result.flags_added, 1)

    # --- the page ---------------------------------------------------------------------------

    def post(self, persona: str, content: bytes, name: str = "低保名单.csv", org: str = "school_a"):
        return self.client_as(persona).post(
            reverse("crosschecks:upload"),
            {
                "org": self.org(org).code,
                "list_kind": "dibao",
                "file": SimpleUploadedFile(name, content),
            },
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )

    def test_the_page_uploads_and_shows_the_counts_and_the_disagreements(self):
        response = self.post(
            "school_admin",
            csv_of([row_of(self.a1), row_of(self.a2, name="李晓红"), row_of(self.c1)]),
        )
        self.assertEqual(response.status_code, 302)
        check = CrossCheck.objects.get()
        page = self.client_as("school_admin").get(
            response["Location"], HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
        self.assertContains(page, "李晓红")
        self.assertNotContains(page, self.c1.name)
        self.assertEqual(page.context["check"].pk, check.pk)
        self.assertEqual((check.flags_added, check.outside_scope), (1, 1))
        self.assertTrue(AuditEntry.objects.filter(object_type="crosschecks.crosscheck").exists())
        # The child's page shows the flag to its keepers.
        child_page = self.client_as("school_admin").get(
            reverse("children:detail", args=[self.a1.pk])
        )
        self.assertContains(child_page, 'data-testid="list-flag"')

    def test_the_page_reads_an_excel_list_with_its_title_row_and_names_sheet_and_row(self):
        book = Workbook()
        sheet = book.active
        sheet.title = "残疾儿童"
        sheet.append(["某县残疾人名册（2026年）"])  # a title row above the header
        sheet.append(["序号", "姓名", "身份证号码", "出生日期", "残疾类别"])
        sheet.append([1, self.a1.name, self.a1.id_number, self.a1.birth_date, "视力"])
        sheet.append([2, "李晓红", self.a2.id_number, None, "听力"])  # another name
        sheet.append([3, self.c1.name, self.c1.id_number, None, "肢体"])  # county B
        second = book.create_sheet("补充")
        second.append(["姓名", "身份证号码"])
        second.append([self.a1.name, self.a1.id_number])  # the same child again
        content = io.BytesIO()
        book.save(content)
        response = self.client_as("school_admin").post(
            reverse("crosschecks:upload"),
            {
                "org": self.org("school_a").code,
                "list_kind": "disabled",
                "file": SimpleUploadedFile("残疾人名册.xlsx", content.getvalue()),
            },
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
        self.assertEqual(response.status_code, 302, getattr(response, "context", None))
        check = CrossCheck.objects.get()
        self.assertEqual(
            (
                check.list_kind,
                check.rows,
                check.matched,
                check.flags_added,
                check.already_flagged,
                check.outside_scope,
                check.not_in_archive,
            ),
            ("disabled", 4, 3, 1, 1, 1, 0),
        )
        (d,) = check.disagreements
        self.assertEqual((d["sheet"], d["row"]), ("残疾儿童", 4))
        self.assertIn("李晓红", d["message"])
        flag = DifficultyFlag.objects.get()
        self.assertEqual(
            (flag.child_id, flag.list_kind, flag.source, flag.on),
            (self.a1.pk, "disabled", "残疾人名册.xlsx", DAY),
        )
        page = self.client_as("school_admin").get(
            response["Location"], HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
        self.assertContains(page, "残疾儿童")
        self.assertContains(page, "李晓红")
        self.assertNotContains(page, self.c1.name)

    def test_an_unusable_file_is_refused_on_the_page_in_chinese_and_writes_nothing(self):
        response = self.post("school_admin", b"MZ\x90\x00 not a workbook", name="名单.xlsx")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "内容与其文件类型不符")
        no_header = self.post("school_admin", "甲,乙\n1,2\n".encode())
        self.assertContains(no_header, "没有")
        self.assertFalse(CrossCheck.objects.exists())
        self.assertFalse(DifficultyFlag.objects.exists())

    def test_a_csv_of_unsure_encoding_is_asked_about_and_read_as_the_clerk_says(self):
        a1 = self.a1
        rows = [("陳曉華", a1.id_number, ""), ("黃國強", self.a2.id_number, "")]
        content = csv_of(rows, header="序號,姓名,身份證號碼,出生日期,戶主姓名").decode()
        big5 = content.encode("big5", errors="replace")
        asked = self.post("school_admin", big5)
        self.assertEqual(asked.status_code, 200)
        self.assertContains(asked, '<option value="cp950"')
        self.assertFalse(CrossCheck.objects.exists())
        chosen = self.client_as("school_admin").post(
            reverse("crosschecks:upload"),
            {
                "org": self.org("school_a").code,
                "list_kind": "dibao",
                "encoding": "cp950",
                "file": SimpleUploadedFile("低保名单.csv", big5),
            },
        )
        self.assertEqual(chosen.status_code, 302)
        check = CrossCheck.objects.get()
        self.assertEqual(check.matched, 2)  # both found; the names differ: listed to check
        self.assertIn("陳曉華", check.disagreements[0]["message"])

    def test_who_may_upload(self):
        for persona in (
            "teacher",
            "volunteer",
            "counselor",
            "village_director",
            "teacher_b",
            "sysadmin",
        ):
            with self.subTest(persona=persona):
                self.assertEqual(
                    self.client_as(persona).get(reverse("crosschecks:upload")).status_code, 404
                )
                self.assertEqual(self.post(persona, csv_of([row_of(self.a1)])).status_code, 404)
        self.assertFalse(DifficultyFlag.objects.exists())
        for persona in ("school_admin", "county_officer", "township_officer", "federation_officer"):
            with self.subTest(persona=persona):
                self.assertEqual(
                    self.client_as(persona).get(reverse("crosschecks:upload")).status_code, 200
                )

    def test_a_unit_outside_the_users_scope_is_not_a_choice(self):
        response = self.post("school_admin", csv_of([row_of(self.c1)]), org="school_c")
        self.assertEqual(response.status_code, 200)
        self.assertIn("org", response.context["form"].errors)
        self.assertFalse(CrossCheck.objects.exists())

    def test_a_result_is_seen_only_over_its_unit(self):
        check, _result = self.check([row_of(self.a1)])
        url = reverse("crosschecks:result", args=[check.pk])
        self.assertEqual(self.client_as("county_officer").get(url).status_code, 200)
        self.assertEqual(self.client_as("teacher").get(url).status_code, 404)


@time_machine.travel(DAY, tick=False)
class CommandTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        orgs = cls.world.orgs
        cls.a1 = make_child(school_class=orgs["class_a1"], name="王小明")
        cls.c1 = make_child(school_class=orgs["class_c1"], name="孙丙丁")

    def run_command(self, path: str, *args: str) -> dict:
        out = io.StringIO()
        call_command("cross_check", path, *args, "--json", stdout=out, stderr=io.StringIO())
        return json.loads(out.getvalue())

    def test_the_json_of_a_cross_check(self):
        tmp = self.tmp_file("名单.xlsx")
        book = Workbook()
        sheet = book.active
        sheet.title = "低保"
        sheet.append(["某县低保对象花名册"])
        sheet.append(["姓名", "身份证号码", "出生日期", "保障金额"])
        sheet.append(["王小明", self.a1.id_number, self.a1.birth_date, 300])
        sheet.append(["孙丙丁", self.c1.id_number, None, 300])
        sheet.append(["王小明", self.a1.id_number, "2015.1.1", 300])
        book.save(tmp)
        data = self.run_command(tmp, "--org", self.org("school_a").code, "--list", "dibao")
        self.assertEqual(
            set(data),
            {
                "file",
                "org",
                "list",
                "rows",
                "matched",
                "flags_added",
                "already_flagged",
                "not_in_archive",
                "outside_scope",
                "disagreements",
            },
        )
        self.assertEqual(data["file"], "名单.xlsx")
        self.assertEqual((data["rows"], data["matched"], data["flags_added"]), (3, 2, 1))
        self.assertEqual((data["outside_scope"], data["not_in_archive"]), (1, 0))
        (d,) = data["disagreements"]
        self.assertEqual((d["sheet"], d["row"]), ("低保", 5))
        again = self.run_command(tmp, "--org", self.org("school_a").code, "--list", "dibao")
        self.assertEqual((again["flags_added"], again["already_flagged"]), (0, 1))

    def test_bad_input_is_1_and_an_unusable_file_is_2(self):
        bad = self.tmp_file("名单.xlsx")
        with open(bad, "wb") as f:
            f.write(b"not a workbook")
        with self.assertRaises(CommandError) as unusable:
            self.run_command(bad, "--org", self.org("school_a").code, "--list", "dibao")
        self.assertEqual(unusable.exception.returncode, 2)
        with self.assertRaises(CommandError) as unknown:
            self.run_command(bad, "--org", "nowhere", "--list", "dibao")
        self.assertEqual(unknown.exception.returncode, 1)
        self.assertFalse(CrossCheck.objects.exists())

    def tmp_file(self, name: str) -> str:
        import tempfile
        from pathlib import Path

        folder = Path(tempfile.mkdtemp())
        return str(folder / name)
