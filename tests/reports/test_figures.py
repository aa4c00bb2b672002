"""Every figure of the 工作总结 is the one key it comes from (issue 22): the statistics JSON's
(``shouwang stats --json`` for the same unit, day and period) or, for the problems found, what
counts them (the duty engine's compliance, the pairings, the round's statuses, family's
silences, inspections' open rectifications).

The document is read back paragraph by paragraph and table row by table row, in its order, and
each line's numbers are compared, in place, with the keys :func:`layout` says the line carries.
Twice: with the real figures of a small world (a school over a term, the county over dates), and
with every figure of the JSON and of the problems replaced by a marker of its own (no two alike),
so that a figure read from a wrong key shows as the wrong marker even where the two keys happen
to hold the same number in the world.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date, datetime
from decimal import Decimal
from itertools import count
from types import SimpleNamespace
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import time_machine
from django.core.management import call_command
from docx import Document
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from shouwang.activities import services as activities
from shouwang.assistance import services as assistance
from shouwang.assistance.models import Payment, Programme
from shouwang.care import selectors as care_selectors
from shouwang.care import services as care
from shouwang.care.models import DutyPolicy, RecordKind
from shouwang.children.types import ParentStatus
from shouwang.core.concurrency import version_token
from shouwang.family import services as family
from shouwang.family.selectors import silence_days_of, silent_parents
from shouwang.inspections import services as inspections
from shouwang.inspections.selectors import open_rectifications
from shouwang.orgs import services as orgs
from shouwang.orgs.models import Org
from shouwang.oversight import services as rounds
from shouwang.reports import context, services
from shouwang.reports.render import DEFAULT_TEMPLATE, render_docx
from shouwang.safety import services as safety
from shouwang.stats.flows import Period, children_of
from tests.children.factories import make_child

from .test_reports import TERM, TODAY, ReportCase, _template

SHANGHAI = ZoneInfo("Asia/Shanghai")
NUMBER = re.compile(r"\d+(?:\.\d+)?%?")
HEADING = re.compile(r"^[一二三四]、")


# --- reading the document ---------------------------------------------------------------------


def body(data: bytes) -> list[str]:
    """The document's paragraphs and table rows in their order (a row: its cells, tab-joined)."""
    document = Document(io.BytesIO(data))
    out = []
    for element in document.element.body.iterchildren():
        if element.tag == qn("w:p"):
            out.append(Paragraph(element, document).text)
        elif element.tag == qn("w:tbl"):
            out.extend(
                "\t".join(c.text for c in row.cells) for row in Table(element, document).rows
            )
    return out


def figure_lines(lines: list[str]) -> list[str]:
    """The lines of 一、基本情况 (its table too), 二 and 三: every line that may carry a figure,
    headings and empty paragraphs (a chart's, a loop's) left out."""
    start = lines.index("一、基本情况")
    end = next(i for i, line in enumerate(lines) if line.startswith("四、"))
    return [line for line in lines[start:end] if line.strip() and not HEADING.match(line)]


# --- which key each figure comes from ---------------------------------------------------------


def layout(src: dict[str, Any]) -> list[list[str]]:
    """The keys each figure line carries, in the document's order: paths into ``src``, which
    holds the statistics JSON at ``json``, the problems found at ``problems`` and the goods given
    (item, quantity; the JSON carries money only) at ``goods``."""
    d = src["json"]
    j = "json."
    lines: list[list[str]] = []
    stages = list(d["students_by_stage"])
    # 一、基本情况
    if d["students_total"]:
        lines.append(
            [j + "students_total"]
            + [f"{j}students_by_stage.{s}" for s in stages if d["students_by_stage"][s]]
        )
        lines.append(
            [j + p for p in ("left_behind_total", "left_behind_ratio")]
            + [j + "by_gender.female", j + "by_gender.male"]
        )
    else:
        lines.append([j + "left_behind_total", j + "by_gender.female", j + "by_gender.male"])
    lines.append([f"{j}by_type.{k}" for k in d["by_type"]])
    lines.append([f"{j}by_stage.{k}" for k in d["by_stage"]])
    lines.append([f"{j}by_guardian_class.{k}" for k in d["by_guardian_class"]])
    lines.append([f"{j}by_living_with.{k}" for k in d["by_living_with"]] + [j + "boarding"])
    flags = [f"{j}difficulty_flags.{k}" for k, n in d["difficulty_flags"].items() if n]
    if flags:
        lines.append(flags)
    # The table of the main figures (its header row carries none).
    lines.append([])
    lines += [
        [j + p]
        for p in (
            "students_total",
            "left_behind_total",
            "left_behind_ratio",
            "pairing_coverage",
            "activities.person_times",
            "guardians_trained",
            "emergencies.reported",
        )
    ]
    if "assistance" in d:
        lines.append([j + "assistance.amount_total"])
    # 二、主要工作措施及成效
    lines.append(
        [f"{j}pairings_by_mode.{k}" for k in d["pairings_by_mode"]]
        + [j + "pairing_coverage"]
        + [f"{j}caregivers_by_kind.{k}" for k, n in d["caregivers_by_kind"].items() if n]
    )
    lines.append([f"{j}care_person_times.{k}" for k in d["care_person_times"]])
    lines.append([j + "family_calls"])
    lines.append([f"{j}activities.{k}" for k in ("count", "person_times", "children_reached")])
    lines.append([j + "guardians_trained"])
    if "assistance" in d:
        lines.append(
            [f"{j}assistance.{k}" for k in ("payments", "amount_total")]
            + [f"goods.{i}.quantity" for i in range(len(src["goods"]))]
            + [j + "assistance.children_helped"]
        )
    lines.append([j + "emergencies.reported", j + "emergencies.steps_late"])
    lines.append([j + "commendations.children", j + "commendations.adults"])
    # 三、存在的问题: a sentence for each problem found, or one saying there is none.
    p = src["problems"]
    problems = [
        ["problems.overdue_duties"] if p["overdue_duties"] else None,
        ["problems.unpaired"] if p["unpaired"] else None,
        ["problems.late_rounds"] if p["late_rounds"] else None,
        ["problems.silent_children", "problems.silence_days"] if p["silent_children"] else None,
        ["problems.open_rectifications"] if p["open_rectifications"] else None,
    ]
    lines += [keys for keys in problems if keys] or [[]]
    return lines


def at(src: dict[str, Any], path: str) -> Any:
    value: Any = src
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def written(value: Any) -> str:
    """A figure as the document writes it: a ratio as a percentage with two places."""
    if isinstance(value, float):
        return f"{value * 100:.2f}%"
    return str(value)


def expected_and_found(src: dict[str, Any], docx: bytes) -> tuple[list[Any], list[Any]]:
    lines = figure_lines(body(docx))
    keys = layout(src)
    expected = [[written(at(src, k)) for k in line] for line in keys]
    found = [NUMBER.findall(line) for line in lines]
    # Each line with its keys, so that a difference names the key it is about.
    return (
        list(zip(lines, keys, expected, strict=False)),
        list(zip(lines, keys, found, strict=False)),
    )


# --- the world --------------------------------------------------------------------------------


def stats_json(code: str, on: date, start: str, end: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command(
        "stats",
        "--org",
        code,
        "--on",
        on.isoformat(),
        "--from",
        start,
        "--to",
        end,
        "--json",
        stdout=out,
    )
    return json.loads(out.getvalue())


def round_late(org: Org, round_id: int, on: date) -> int:
    """Units under ``org`` in or still out after the deadline, as ``round show --json`` says."""
    out = io.StringIO()
    call_command("round", "show", str(round_id), "--json", stdout=out)
    shown = json.loads(out.getvalue())
    due = date.fromisoformat(shown["due"])
    under = set(Org.objects.filter(path__startswith=org.path).values_list("code", flat=True))
    return sum(
        1
        for unit in shown["units"]
        if unit["org"] in under
        and (unit["status"] == "submitted_late" or (unit["status"] != "submitted" and on > due))
    )


@time_machine.travel(TODAY, tick=False)
class FiguresCase(ReportCase):
    """ReportCase's school A, with every measure and problem of the document at work, and a
    second school in the county."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        o, users = cls.world.orgs, cls.world.users
        admin, teacher = users["school_admin"], users["teacher"]
        orgs.record_enrolment(
            school=o["school_b"],
            grade=o["grade_b1"],
            male=120,
            female=101,
            on=date(2026, 9, 1),
            by=None,
        )
        cls.kids_b = [
            make_child(
                school_class=o["class_b1"],
                name=f"乙生{i}",
                birth=date(2014, 5, 1 + i),
                mother=ParentStatus.AT_HOME,
            )
            for i in range(6)
        ]
        # Duties under the county's 三个一: the children without records are overdue.
        care.apply_preset(
            preset=DutyPolicy.objects.get(org=None, code="three_ones"), org=o["county_a"], by=None
        )
        mother = care.add_caregiver(name="吴爱心", kind="caring_mother", org=o["school_b"], by=None)
        for child in cls.kids_b[:4]:
            care.pair(
                child=child,
                caregiver=mother,
                role="caring_mother",
                starts_on=date(2026, 9, 1),
                by=None,
            )
            for day in (date(2026, 10, 12), date(2026, 11, 9)):
                care.record_care(
                    child=child, caregiver=mother, kind=RecordKind.PARENT_CALL, on=day, by=admin
                )
        # 亲情电话.
        kid = cls.kids[0]
        for day in (5, 19):
            family.log_call(
                child=kid,
                parent=kid.parents.get(relation="father"),
                at=datetime(2026, 10, day, 19, tzinfo=SHANGHAI),
                by=admin,
            )
        # An activity with its attendance, a training with its guardians.
        activity = activities.plan_activity(
            unit=o["school_a"],
            kind="reading",
            title="读书分享会",
            starts_on=date(2026, 10, 20),
            in_charge=[teacher],
            by=admin,
        )
        session = activity.sessions.get()
        activities.take_attendance(
            session=session,
            group=o["class_a1"],
            present=cls.kids[:7],
            by=teacher,
            version=activities.attendance_version(session, o["class_a1"]),
        )
        training = activities.add_training(
            unit=o["school_a"],
            kind="parent_school",
            title="家庭教育",
            on=date(2026, 10, 9),
            by=admin,
        )
        activities.add_trainees(
            session=training, guardians=[k.guardian for k in cls.kids[:3]], by=admin
        )
        # An emergency whose chain was never ticked: every step late.
        with time_machine.travel(datetime(2026, 11, 2, 9, tzinfo=SHANGHAI), tick=False):
            safety.report_incident(
                child=cls.kids[1],
                kind="injury",
                occurred_at=datetime(2026, 11, 2, 8, 55, tzinfo=SHANGHAI),
                place="操场",
                description="摔伤",
                by=teacher,
            )
        # A reporting round nobody answered.
        with time_machine.travel(date(2026, 10, 1), tick=False):
            cls.round = rounds.open_round(
                org=o["county_a"], title="秋季排查", due=date(2026, 10, 15), by=None
            )
        # Goods: school bags to three children, stationery to two (one more voided).
        goods = Programme.objects.get(region=o["county_a"], code="goods")
        for child, item, quantity in [
            *((k, "书包", 2) for k in cls.kids[6:9]),
            *((k, "文具", 1) for k in cls.kids[9:11]),
            (cls.kids[11], "文具", 5),
        ]:
            paid = assistance.pay(
                child=child,
                programme=goods,
                paid_on=date(2026, 10, 20),
                item=item,
                quantity=quantity,
                signed=True,
                by=admin,
            )
        assistance.void_payment(
            payment=paid,
            reason="重复登记",
            by=admin,
            version=version_token(assistance.payment_state(paid)),
        )
        # An inspection's finding not yet rectified.
        inspection = inspections.record_inspection(
            unit=o["school_a"],
            on=date(2026, 11, 3),
            kind="routine",
            inspectors="县督导组",
            by=users["township_officer"],
        )
        inspections.add_rectification(
            inspection=inspection,
            finding_text="帮扶记录不全",
            deadline=date(2026, 11, 20),
            responsible_name="张老师",
            by=users["township_officer"],
        )

    @staticmethod
    def goods(org: Org, period: Period) -> list[dict[str, Any]]:
        """The goods the payments of the period carry, counted here one payment at a time."""
        given: dict[str, tuple[int, set[int]]] = {}
        for paid in Payment.objects.filter(
            voided=False,
            paid_on__gte=period.start,
            paid_on__lte=period.end,
            unit__path__startswith=org.path,
        ).exclude(item=""):
            quantity, children = given.get(paid.item, (0, set()))
            given[paid.item] = (quantity + (paid.quantity or 0), children | {paid.child_id})
        rows = [{"item": k, "quantity": q, "children": len(c)} for k, (q, c) in given.items()]
        return sorted(rows, key=lambda g: (-g["quantity"], g["item"]))

    def problems(self, org: Org, period: Period, data: dict[str, Any]) -> dict[str, Any]:
        """The problems found, each counted by what counts it on its own page."""
        on = date.fromisoformat(data["on"])
        compliance = care_selectors.compliance(self.county_officer, org, on)
        children = children_of(org)
        silent = {child.pk for child, _p, _s in silent_parents(children, on, 30)}
        return {
            "overdue_duties": compliance.total.overdue,
            "unpaired": data["left_behind_total"] - sum(data["pairings_by_mode"].values()),
            "late_rounds": round_late(org, self.round.pk, on),
            "silent_children": len(silent),
            "silence_days": silence_days_of(self.org("school_a"), on),
            "open_rectifications": open_rectifications(org, period),
        }


class EveryFigureIsItsKeyTests(FiguresCase):
    def check(self, docx: bytes, src: dict[str, Any]) -> None:
        expected, found = expected_and_found(src, docx)
        self.assertEqual(len(found), len(expected), [line for line, *_ in found])
        for (line, keys, want), (_line, _keys, got) in zip(expected, found, strict=True):
            self.assertEqual(got, want, f"{line!r} should carry {keys}")

    def test_a_school_over_a_term_writes_each_figure_from_its_key(self):
        school = self.org("school_a")
        data = stats_json(school.code, TODAY, "2026-09-01", "2027-01-22")
        docx = self.report_file("--org", school.code, "--term", TERM)
        period = Period(date(2026, 9, 1), date(2027, 1, 22), TERM)
        problems = self.problems(school, period, data)
        # The world is what the test says: every problem is there to be read.
        shown = ("unpaired", "late_rounds", "silence_days", "open_rectifications")
        self.assertEqual([problems[k] for k in shown], [4, 1, 30, 1])
        self.assertGreater(problems["overdue_duties"], 0)
        self.assertGreater(problems["silent_children"], 0)
        self.assertTrue(data["family_calls"] and data["activities"]["count"])
        self.assertTrue(data["guardians_trained"] and data["emergencies"]["steps_late"])
        goods = self.goods(school, period)
        self.assertEqual([(g["item"], g["quantity"]) for g in goods], [("书包", 6), ("文具", 2)])
        self.check(docx, {"json": data, "problems": problems, "goods": goods})
        self.assertIn(
            "统计时段：2026-09-01 至 2027-01-22（2026年秋季学期）；基本情况统计日：2026-11-24；"
            f"统计口径：{data['profile']}",
            body(docx),
        )

    def test_the_county_over_dates_writes_each_figure_from_its_key(self):
        county = self.org("county_a")
        start, end = "2026-10-01", "2026-11-20"  # before today: counted on its last day
        on = date(2026, 11, 20)
        data = stats_json(county.code, on, start, end)
        docx = self.report_file("--org", county.code, "--from", start, "--to", end)
        period = Period(date(2026, 10, 1), on)
        problems = self.problems(county, period, data)
        self.assertEqual(data["students_total"], 314 + 221)
        self.assertEqual(data["left_behind_total"], 13 + 6)
        self.assertGreater(problems["late_rounds"], 1)  # both schools and the village
        goods = self.goods(county, period)
        self.assertTrue(goods)
        self.check(docx, {"json": data, "problems": problems, "goods": goods})
        self.assertIn(
            f"统计时段：{start} 至 {end}（{start} — {end}）；基本情况统计日：{end}；"
            f"统计口径：{data['profile']}",
            body(docx),
        )

    def marked_docx(self) -> tuple[bytes, dict[str, Any]]:
        """School A's document with every figure a marker of its own (:func:`markers`), built
        by the one context builder as the command builds it, through the default template."""
        school = self.org("school_a")
        period = Period(date(2026, 9, 1), date(2027, 1, 22), TERM)
        real, _result = context.stats_json(school, period, TODAY, None)
        marked, problems = markers(real)
        goods = [
            {"item": item, "quantity": problems.pop(f"goods_{i}"), "children": 1}
            for i, item in enumerate(("书包", "文具"))
        ]
        result = SimpleNamespace(counts={"paired": {"no": problems["unpaired"]}}, cell=lambda v: v)
        silences = (problems["silent_children"], problems["silence_days"])
        with (
            mock.patch.object(context, "stats_json", return_value=(marked, result)),
            mock.patch.object(context, "_overdue_duties", return_value=problems["overdue_duties"]),
            mock.patch.object(context, "_late_rounds", return_value=problems["late_rounds"]),
            mock.patch.object(context, "_silences", return_value=silences),
            mock.patch.object(
                context, "open_rectifications", return_value=problems["open_rectifications"]
            ),
            mock.patch.object(context.assistance, "goods_given", return_value=goods),
        ):
            report = context.build(school, period)
        return render_docx(report, DEFAULT_TEMPLATE.read_bytes()), {
            "json": marked,
            "problems": problems,
            "goods": goods,
        }

    def test_a_figure_read_from_a_wrong_key_is_seen(self):
        """The document's numbers name the keys they were read from: each must be its place's."""
        docx, src = self.marked_docx()
        self.check(docx, src)
        # The girls written from the boys' key: the check fails, though the world has both.
        sentences = context.basic_sentences
        with mock.patch.object(
            context, "basic_sentences", lambda r, v: sentences(r, v | {"girls": v["boys"]})
        ):
            wrong, _src = self.marked_docx()
        with self.assertRaisesRegex(AssertionError, "by_gender.female"):
            self.check(wrong, src)


def markers(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``data`` with each count, ratio and sum of money replaced by a value no other holds, and
    problems alike."""
    numbers = count(101)

    def mark(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int):
            return next(numbers)
        if isinstance(value, float):
            return next(numbers) / 10000  # 0.0123 → 1.23%
        if isinstance(value, str) and re.fullmatch(r"\d+\.\d\d", value):
            return f"{Decimal(next(numbers)) + Decimal('0.37')}"
        return value

    marked = {
        k: v if k in ("org", "org_name", "on", "profile", "period") else mark(v)
        for k, v in data.items()
    }
    problems = {
        k: next(numbers)
        for k in (
            "overdue_duties",
            "unpaired",
            "late_rounds",
            "silent_children",
            "silence_days",
            "open_rectifications",
            "goods_0",
            "goods_1",
        )
    }
    leaves: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, int | float | str) and not isinstance(value, bool):
            leaves.append(written(value))

    walk(
        {k: v for k, v in marked.items() if k not in ("org", "org_name", "on", "profile", "period")}
    )
    walk(problems)
    assert len(leaves) == len(set(leaves)), "two markers alike"
    return marked, problems


class GoodsTests(FiguresCase):
    def test_the_money_sentence_names_the_goods_given_and_how_many(self):
        school = self.org("school_a")
        lines = body(self.report_file("--org", school.code, "--term", TERM))
        # Eleven payments (six allowances, five of goods; the voided one is none), eleven
        # children, and the goods by item, the most given first.
        self.assertIn(
            "发放资助11笔，共计2250.00元，并发放物资（书包6件、文具2件），帮助留守儿童11人。",
            lines,
        )
        period = Period(date(2026, 9, 1), date(2027, 1, 22), TERM)
        report = context.build(school, period, user=self.world.users["school_admin"])
        self.assertEqual(
            report.values["assistance_goods"],
            [
                {"item": "书包", "quantity": "6", "children": "3"},
                {"item": "文具", "quantity": "2", "children": "2"},
            ],
        )
        self.assertEqual(report.values["assistance_goods_quantity"], "8")
        # Goods are help given: not for a reader who may not see it.
        teacher = context.build(self.org("class_a1"), period, user=self.world.users["teacher"])
        self.assertEqual(teacher.goods, [])
        self.assertNotIn("assistance_goods", teacher.values)
        self.assertNotIn("物资（", "\n".join(teacher.values["measure_sentences"]))
        # Before October nothing was given: the plain sentence.
        september = context.build(school, Period(date(2026, 9, 1), date(2026, 9, 30)))
        self.assertEqual(september.goods, [])
        self.assertIn(
            "发放资助0笔，共计0.00元，帮助留守儿童0人。", september.values["measure_sentences"]
        )

    def test_a_county_template_lists_the_goods(self):
        own = _template(
            "{% if with_money %}{% for g in assistance_goods %}{{ g.item }}{{ g.quantity }}件"
            "（{{ g.children }}人）；{% endfor %}共{{ assistance_goods_quantity }}件{% endif %}"
        )
        services.upload_template(region=self.org("county_a"), data=own, filename="x.docx", by=None)
        lines = body(self.report_file("--org", self.org("school_a").code, "--term", TERM))
        self.assertEqual(lines[0], "书包6件（3人）；文具2件（2人）；共8件")
