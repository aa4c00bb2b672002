"""The 工作总结 / 简报 (issue 22): every number of the document is the statistics JSON's for the
same unit and period; a unit outside the reader's scope is refused; the PDF carries its fonts;
an uploaded template is sandboxed; no money for a reader who may not see it; exit codes."""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from docx import Document
from PIL import Image
from pypdf import PdfReader

from shouwang.activities import services as activities
from shouwang.assistance import services as assistance
from shouwang.assistance.models import Programme
from shouwang.audit.models import AuditEntry
from shouwang.care import services as care
from shouwang.care.models import RecordKind
from shouwang.children.types import ParentStatus
from shouwang.family import services as family
from shouwang.family.selectors import silent_parents
from shouwang.orgs import services as orgs
from shouwang.reports import context, services
from shouwang.reports.models import ReportTemplate
from shouwang.reports.periods import resolve_period
from shouwang.reports.render import DEFAULT_TEMPLATE, charts, render_docx
from shouwang.reports.selectors import template_bytes
from shouwang.stats.flows import Period, children_of
from tests.children.factories import make_child
from tests.personas import TempMediaTestCase

TODAY = date(2026, 11, 24)
TERM = "2026年秋季学期"
TERM_FROM, TERM_TO = "2026-09-01", "2027-01-22"


def stats_json(code: str) -> dict:
    out = io.StringIO()
    call_command(
        "stats",
        "--org",
        code,
        "--on",
        TODAY.isoformat(),
        "--from",
        TERM_FROM,
        "--to",
        TERM_TO,
        "--json",
        stdout=out,
    )
    return json.loads(out.getvalue())


def docx_text(data: bytes) -> list[str]:
    document = Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" ".join(cell.text for cell in row.cells))
    return lines


@time_machine.travel(TODAY, tick=False)
class ReportCase(TempMediaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        o, users = cls.world.orgs, cls.world.users
        orgs.record_enrolment(
            school=o["school_a"],
            grade=o["grade_a1"],
            male=160,
            female=154,
            on=date(2026, 9, 1),
            by=None,
        )
        cls.kids = [
            make_child(school_class=o["class_a1"], name=f"男孩{i}", birth=date(2016, 1, 1 + i))
            for i in range(7)
        ]
        cls.kids += [
            make_child(
                school_class=o["class_a2"],
                name=f"女孩{i}",
                male=False,
                birth=date(2016, 2, 1 + i),
                father=ParentStatus.AT_HOME,
            )
            for i in range(6)
        ]
        teacher = care.caregiver_for_login(users["teacher"])
        for child in cls.kids[:9]:
            care.pair(
                child=child, caregiver=teacher, role="teacher", starts_on=date(2026, 9, 2), by=None
            )
            for week, kind in enumerate([RecordKind.TALK, RecordKind.HOME_VISIT, RecordKind.TALK]):
                care.record_care(
                    child=child,
                    caregiver=teacher,
                    kind=kind,
                    on=date(2026, 9, 10 + week * 7),
                    by=users["teacher"],
                )
        assistance.apply_presets(region=o["county_a"], by=None)
        programme = Programme.objects.get(region=o["county_a"], code="living_allowance")
        for child in cls.kids[:6]:
            assistance.pay(
                child=child,
                programme=programme,
                paid_on=date(2026, 10, 8),
                signed=True,
                by=users["school_admin"],
                amount=Decimal(375),
            )
        activities.commend(
            unit=o["school_a"],
            on=date(2026, 11, 20),
            occasion="关爱留守儿童先进表彰",
            honour="自强之星",
            recipient_kind="child",
            children=cls.kids[:5],
            by=users["school_admin"],
        )

    def report_file(self, *args: str, fmt: str = "docx") -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / f"r.{fmt}"
            call_command("report", *args, "--format", fmt, "--out", str(out))
            return out.read_bytes()


class EveryNumberIsTheStatisticsTests(ReportCase):
    def test_school_as_summary_says_its_figures_in_the_seeds_register(self):
        school = self.org("school_a")
        data = stats_json(school.code)
        self.assertEqual(data["left_behind_total"], 13)  # the world is what the test says
        lines = docx_text(self.report_file("--org", school.code, "--term", TERM))
        text = "\n".join(lines)
        # Seed 000's own sentence, with this school's figures.
        found = re.search(
            r"留守儿童(\d+)人，占学生总数的([\d.]+)%；其中女生(\d+)人，男生(\d+)人", text
        )
        self.assertIsNotNone(found, text)
        self.assertEqual(int(found[1]), data["left_behind_total"])
        self.assertEqual(found[2], f"{data['left_behind_ratio'] * 100:.2f}")
        self.assertEqual(int(found[3]), data["by_gender"]["female"])
        self.assertEqual(int(found[4]), data["by_gender"]["male"])
        self.assertIn(f"谈心{data['care_person_times']['talk']}人次", text)
        self.assertIn(f"家访{data['care_person_times']['home_visit']}人次", text)
        self.assertIn(f"{data['assistance']['amount_total']}元", text)
        self.assertEqual(data["assistance"]["amount_total"], "2250.00")
        # Problems found: the 4 children without a caregiver (13 counted, 9 paired).
        self.assertIn("尚有4名留守儿童未落实结对帮扶。", text)
        # Each figure in its place against the key it comes from: tests/reports/test_figures.py.

    def test_a_term_a_period_and_the_default_are_the_same_period(self):
        school = self.org("school_a")
        term = Period(date(2026, 9, 1), date(2027, 1, 22), TERM)
        # Nothing asked: the current term, as by its name.
        self.assertEqual(resolve_period(school), term)
        self.assertEqual(resolve_period(school, term=TERM), term)
        dates = resolve_period(school, start=date(2026, 9, 1), end=date(2027, 1, 22))
        self.assertEqual((dates.start, dates.end), (term.start, term.end))
        by_term = context.build(school, term)
        self.assertEqual(by_term.values["period_name"], TERM)
        self.assertEqual(by_term.data, stats_json(school.code))
        self.assertEqual(context.build(school, dates).data, by_term.data)
        # The command without a period writes the document of the current term.
        default = docx_text(self.report_file("--org", school.code))
        self.assertEqual(default, docx_text(self.report_file("--org", school.code, "--term", TERM)))
        self.assertIn("统计时段：2026-09-01 至 2027-01-22（2026年秋季学期）", "\n".join(default))
        # So does the page with the term left to its default (“the current term”).
        page = self.client_as("school_admin").get(
            "/reports/download/", {"org": school.code, "format": "docx"}
        )
        self.assertEqual(docx_text(b"".join(page.streaming_content)), default)


class ProblemsTests(ReportCase):
    def test_open_rectifications_come_from_inspections_and_ask_for_a_next_step(self):
        period = Period(date(2026, 9, 1), date(2027, 1, 22), TERM)
        with mock.patch.object(context, "open_rectifications", return_value=3) as asked:
            report = context.build(self.org("school_a"), period)
        asked.assert_called_once()
        self.assertEqual(asked.call_args.args[0], self.org("school_a"))
        self.assertIn("督查发现的问题尚有3项未整改到位。", report.values["problem_sentences"])
        self.assertIn("对发现的问题逐项整改，明确责任人和完成时限，按时报送。", report.next_steps)

    def test_the_page_s_next_steps_replace_the_default_sentences(self):
        period = Period(date(2026, 9, 1), date(2027, 1, 22), TERM)
        report = context.build(self.org("school_a"), period)
        text = "\n".join(
            docx_text(render_docx(report, DEFAULT_TEMPLATE.read_bytes(), ["办好家长学校。"]))
        )
        self.assertIn("1、办好家长学校。", text)
        self.assertNotIn(report.next_steps[0], text)


class SilenceTests(ReportCase):
    def test_long_silences_are_counted_as_family_silent_parents_walks_them(self):
        teacher = self.world.users["school_admin"]
        at = datetime(2026, 11, 20, 19, tzinfo=ZoneInfo("Asia/Shanghai"))
        girl = self.kids[7]  # father at home, mother away: a reached call ends her silence
        family.log_call(child=girl, parent=girl.parents.get(status="migrant"), at=at, by=teacher)
        boy = self.kids[0]  # both away: one parent called, the other still silent
        family.log_call(child=boy, parent=boy.parents.get(relation="father"), at=at, by=teacher)
        other = self.kids[8]  # a call that did not reach the mother is no contact
        family.log_call(
            child=other,
            parent=other.parents.get(status="migrant"),
            at=at,
            by=teacher,
            reached=False,
        )
        school = self.org("school_a")
        walked = {c.pk for c, _p, _s in silent_parents(children_of(school), TODAY, 30)}
        counted, days = context._silences(school, children_of(school), TODAY)
        self.assertEqual((counted, days), (len(walked), 30))
        self.assertEqual(counted, 12)
        self.assertNotIn(girl.pk, walked)


class ScopeTests(ReportCase):
    def test_school_c_is_not_among_school_admin_s_units_and_asked_for_is_refused(self):
        """The unit is chosen in the report form (a GET form): outside the scope it is not among
        the choices, so asking for it is the form again with the field's error — the same
        answer as for a code that does not exist (the write matrix's rule for chosen things)."""
        client = self.client_as("school_admin")
        form = client.get("/reports/").context["form"]
        self.assertEqual([c for c, _n in form.fields["org"].choices], [self.org("school_a").code])
        answers = []
        for code in (self.org("school_c").code, "9999999999"):
            page = client.get("/reports/download/", {"org": code, "format": "docx"})
            self.assertEqual(page.status_code, 200)
            self.assertFalse(page.has_header("Content-Disposition"))
            answers.append(page.context["form"].errors["org"][0].replace(code, "CODE"))
        self.assertEqual(answers[0], answers[1])
        self.assertFalse(AuditEntry.objects.filter(action="export").exists())

    def test_the_terms_offered_are_the_chosen_unit_s(self):
        """School B follows its township's own calendar: chosen, its terms are offered and
        taken, the county's are not."""
        township = self.org("township_a2")
        orgs.add_term(
            region=township,
            name="2026学年第一学期",
            start=date(2026, 9, 7),
            midterm=date(2026, 11, 16),
            end=date(2027, 1, 29),
            by=None,
        )
        client = self.client_as("county_officer")
        school_b = self.org("school_b").code

        def terms(page):
            return [c for c, _n in page.context["form"].fields["term"].choices if c]

        first = client.get("/reports/")
        self.assertEqual(terms(first), [TERM])  # the county, first of the units
        # The unit's select asks the page again for that unit's term list (htmx).
        self.assertContains(first, 'hx-get="/reports/"')
        self.assertContains(first, 'hx-select="#id_term"')
        chosen = client.get("/reports/", {"org": school_b})
        self.assertEqual(terms(chosen), ["2026学年第一学期"])
        self.assertEqual(chosen.context["form"].initial["org"], school_b)
        page = client.get(
            "/reports/download/", {"org": school_b, "term": "2026学年第一学期", "format": "docx"}
        )
        self.assertEqual(
            page.status_code, 200, getattr(page, "context", None) and page.context["form"].errors
        )
        text = "\n".join(docx_text(b"".join(page.streaming_content)))
        self.assertIn("统计时段：2026-09-07 至 2027-01-29（2026学年第一学期）", text)
        # The county's term is not school B's.
        wrong = client.get("/reports/download/", {"org": school_b, "term": TERM, "format": "docx"})
        self.assertFalse(wrong.has_header("Content-Disposition"))
        self.assertIn("term", wrong.context["form"].errors)

    def test_teacher_has_no_reports_page(self):
        self.assertEqual(self.client_as("teacher").get("/reports/").status_code, 404)

    def test_the_command_refuses_a_user_outside_the_unit(self):
        with self.assertRaises(CommandError) as caught:
            self.report_file("--org", self.org("school_c").code, "--user", "school_admin")
        self.assertEqual(caught.exception.returncode, 1)

    def test_school_admin_downloads_school_as_docx_and_it_is_audited(self):
        client = self.client_as("school_admin")
        page = client.get(
            "/reports/download/",
            {
                "org": self.org("school_a").code,
                "format": "docx",
                "next_steps": "一、加强家访。\n二、办好家长学校。",
            },
        )
        self.assertEqual(page.status_code, 200)
        self.assertIn("attachment", page["Content-Disposition"])
        text = "\n".join(docx_text(b"".join(page.streaming_content)))
        self.assertIn("一、加强家访。", text)
        self.assertTrue(
            AuditEntry.objects.filter(action="export", object_repr__contains="工作").exists()
        )


class MoneyTests(ReportCase):
    def test_a_reader_who_may_not_see_money_gets_no_money_section(self):
        teacher = self.world.users["teacher"]
        period = Period(date(2026, 9, 1), date(2027, 1, 22), TERM)
        report = context.build(self.org("class_a1"), period, user=teacher)
        self.assertNotIn("assistance", report.data)
        self.assertNotIn("assistance_amount", report.values)
        text = "\n".join(docx_text(render_docx(report, DEFAULT_TEMPLATE.read_bytes())))
        self.assertNotIn("元", text)
        self.assertNotIn("资助", text)
        officer = context.build(self.org("class_a1"), period, user=self.world.users["school_admin"])
        self.assertIn("资助", "\n".join(officer.values["measure_sentences"]))


class PdfTests(ReportCase):
    def test_the_pdf_embeds_its_cjk_fonts(self):
        pdf = PdfReader(io.BytesIO(self.report_file("--org", self.org("school_a").code, fmt="pdf")))
        fonts = []
        for page in pdf.pages:
            for font in page["/Resources"]["/Font"].values():
                font = font.get_object()
                descendants = font.get("/DescendantFonts")
                target = descendants[0].get_object() if descendants else font
                fonts.append(target["/FontDescriptor"].get_object())
        self.assertTrue(fonts)
        for descriptor in fonts:
            self.assertTrue(
                any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")),
                descriptor["/FontName"],
            )
        self.assertTrue(any("CJK" in str(d["/FontName"]) for d in fonts))
        self.assertIn("留守儿童", "".join(p.extract_text() for p in pdf.pages))


class ChartTests(ReportCase):
    """The charts (children by type, care by kind) are pictures inside both files, drawn from
    the report's own figures."""

    def test_the_docx_carries_both_charts_as_pictures_in_word_media(self):
        school = self.org("school_a")
        data = self.report_file("--org", school.code, "--term", TERM)
        period = Period(date(2026, 9, 1), date(2027, 1, 22), TERM)
        drawn = set(charts(context.build(school, period)).values())
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            media = [n for n in archive.namelist() if n.startswith("word/media/")]
            pictures = {archive.read(n) for n in media}
            rels = archive.read("word/_rels/document.xml.rels").decode()
            xml = archive.read("word/document.xml").decode()
        self.assertEqual(len(media), 2, media)
        for picture in pictures:
            self.assertTrue(picture.startswith(b"\x89PNG\r\n\x1a\n"))
        self.assertEqual(pictures, drawn)
        # Each picture is placed in the body, not only packed: its relationship is embedded.
        embedded = re.findall(r'r:embed="([^"]+)"', xml)
        self.assertEqual(len(embedded), 2)
        for rid in embedded:
            self.assertRegex(rels, rf'Id="{rid}"[^>]*Target="media/')
        self.assertEqual(len(Document(io.BytesIO(data)).inline_shapes), 2)

    def test_the_pdf_carries_both_charts_as_images(self):
        school = self.org("school_a")
        pdf = PdfReader(io.BytesIO(self.report_file("--org", school.code, fmt="pdf")))
        # (WeasyPrint hands every page the document's images: each counted once, by name.)
        images = {image.name: image.image for page in pdf.pages for image in page.images}
        period = Period(date(2026, 9, 1), date(2027, 1, 22), TERM)
        drawn = [
            Image.open(io.BytesIO(png)) for png in charts(context.build(school, period)).values()
        ]
        self.assertEqual(len(images), 2, list(images))
        self.assertEqual(
            sorted(image.size for image in images.values()), sorted(d.size for d in drawn)
        )
        for image in images.values():
            self.assertGreater(
                len(image.convert("RGB").getcolors(maxcolors=2**16) or ()), 2
            )  # not blank


def _template(*paragraphs: str) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


class TemplateTests(ReportCase):
    def test_a_hostile_template_is_refused(self):
        secret = Path(settings.PROJECT_DIR) / "pyproject.toml"
        written = Path(tempfile.gettempdir()) / "shouwang-template-wrote-this.xml"
        for hostile in (
            "{{ ''.__class__.__mro__ }}",
            "{{ unit_name.__class__ }}",
            "{{ cycler.__init__.__globals__ }}",
            # A chart is an object holding the live document: its methods read and write files.
            f"{{{{ chart_types.tpl.replace_zipname('docProps/app.xml', '{secret}') }}}}",
            f"{{{{ chart_types.tpl.write_xml('{written}') }}}}",
            "{{ 'x' * 100000000 }}",
            "{{ 10 ** 100000 }}",
        ):
            with self.subTest(hostile), self.assertRaises(services.ValidationError):
                services.upload_template(
                    region=self.org("county_a"),
                    data=_template(hostile),
                    filename="x.docx",
                    by=None,
                )
        self.assertFalse(written.exists())
        self.assertFalse(ReportTemplate.objects.exists())

    def test_a_zip_bomb_is_not_a_word_document(self):
        bomb = io.BytesIO()
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("word/document.xml", b"<a>" + b" " * (60 * 2**20) + b"</a>")
        with self.assertRaises(services.ValidationError):
            services.upload_template(
                region=self.org("county_a"), data=bomb.getvalue(), filename="x.docx", by=None
            )

    def test_not_a_docx_an_unknown_variable_and_unguarded_money_are_refused(self):
        for data in (
            b"PK not really",
            _template("{{ no_such_variable }}"),
            _template("{{ assistance_amount }}"),  # money unguarded: fails for some readers
            _template("{% if %}"),
        ):
            with self.subTest(data[:20]), self.assertRaises(services.ValidationError):
                services.upload_template(
                    region=self.org("county_a"), data=data, filename="x.docx", by=None
                )

    def test_the_county_officer_uploads_and_school_a_uses_the_nearest_region_version(self):
        client = self.client_as("county_officer")
        county = self.org("county_a")
        own = _template(
            "本县模板：{{ unit_name }}留守儿童{{ left_behind_total }}人",
            "{% if with_money %}资助{{ assistance_amount }}元{% endif %}",
        )
        for _n in (1, 2):
            page = client.post(
                f"/reports/templates/{county.code}/",
                {"file": SimpleUploadedFile("county.docx", own)},
            )
            self.assertEqual(
                page.status_code,
                302,
                getattr(page, "context", None) and page.context["form"].errors,
            )
        self.assertEqual(list(ReportTemplate.objects.values_list("version", flat=True)), [2, 1])
        self.assertEqual(template_bytes(self.org("school_a")), own)
        self.assertEqual(template_bytes(self.org("school_c")), DEFAULT_TEMPLATE.read_bytes())
        text = docx_text(self.report_file("--org", self.org("school_a").code))
        self.assertEqual(text[0], "本县模板：东镇中心小学留守儿童13人")
        self.assertEqual(text[1], "资助2250.00元")

    def test_school_admin_may_not_upload_a_template(self):
        page = self.client_as("school_admin").post(
            f"/reports/templates/{self.org('county_a').code}/",
            {"file": SimpleUploadedFile("x.docx", _template("x"))},
        )
        self.assertEqual(page.status_code, 404)

    def test_the_hostile_upload_on_the_page_says_why_in_chinese(self):
        page = self.client_as("county_officer").post(
            f"/reports/templates/{self.org('county_a').code}/",
            {"file": SimpleUploadedFile("x.docx", _template("{{ ''.__class__ }}"))},
        )
        self.assertEqual(page.status_code, 400)
        self.assertContains(page, "模板不能使用", status_code=400)


class CommandTests(ReportCase):
    def test_exit_codes(self):
        code = self.org("school_a").code
        self.assertTrue(
            self.report_file("--org", code, "--from", "2026-09-01", "--to", "2026-10-31")
        )
        for bad in (
            ("--org", "000000"),
            ("--org", code, "--term", "2099年春季学期"),
            ("--org", code, "--from", "2026-09-01"),
            ("--org", code, "--from", "2026-10-01", "--to", "2026-09-01"),
            ("--org", code, "--term", TERM, "--from", "2026-09-01", "--to", "2026-10-01"),
            ("--org", self.org("federation_a").code),
        ):
            with self.subTest(bad), self.assertRaises(CommandError) as caught:
                self.report_file(*bad)
            self.assertEqual(caught.exception.returncode, 1)


class VariablesPageTests(ReportCase):
    def test_the_variables_page_lists_every_variable_in_chinese(self):
        page = self.client_as("county_officer").get("/reports/variables/")
        for name, _meaning in context.VARIABLES:
            self.assertContains(
                page,
                f'<code translate="no">{name.replace("<", "&lt;").replace(">", "&gt;")}</code>',
            )
        self.assertContains(page, "留守儿童人数")
        self.assertContains(page, "{% if with_money %}")
