"""Every page, as every persona, reads as words (issue 19): no key of the code, no Python value.

The walk is the URL matrix's (tests/web/test_url_matrix.py): every page each persona may open,
in a world where child a1's archive has a history (a parent who died, a school move, a heart
assessment, an incident), so the 变更记录, the audit page and assessment reasons have something
to show. The visible text (no script, no style, no attribute) must hold none of: a dotted key
(``father.status:``), ``None``/``True``/``False``, a dict or list written by Python, a code in
snake_case (``school_leadership``), ``key: value`` in lowercase English, a model's English name,
or a seed cited as in a code comment.
"""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import time_machine
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from shouwang.audit.describe import describe
from shouwang.care.models import CaregiverKind
from shouwang.children import services as child_services
from shouwang.children.models import ParentStatus
from tests.children.factories import make_child
from tests.personas import TempMediaTestCase
from tests.web.test_url_matrix import MATRIX, MatrixWorld

RAW = {
    "dotted key": re.compile(
        r"\b[A-Za-z_]\w*\.[A-Za-z_]\w*\s*[:=]|\b(?:father|mother|guardian)\.\w+"
    ),
    "Python None/True/False": re.compile(r"\b(?:None|True|False)\b"),
    "dict or list repr": re.compile(r"[{\[]\s*(?:'|\"|None\b|True\b|False\b)|'\s*:\s"),
    "code in snake_case": re.compile(r"\b[a-z]+_[a-z_]+\b"),
    "lowercase key: value": re.compile(r"\b[a-z]{3,}: "),
    "seed cited as in code": re.compile(r"\bseed \d{3}\b"),
}


# Pages that still show raw text, each with its owner: the walk checks they still do, so the
# entry must go when the page is fixed (a strict "expected failure").
KNOWN_RAW: dict[str, str] = {}
# Pages whose job is to show logins (the user list and a user's page): logins are not keys.
SHOWS_LOGINS = frozenset(
    {"accounts:users", "accounts:user_detail", "accounts:reset_list", "accounts:reset"}
)


def _english_model_names() -> re.Pattern[str]:
    with translation.override("en"):
        names = {
            str(name)
            for model in apps.get_models()
            for name in (model._meta.verbose_name, model._meta.verbose_name_plural)
        }
    words = sorted((n for n in names if re.fullmatch(r"[A-Za-z][A-Za-z ']+", n)), key=len)
    return re.compile(r"\b(?:" + "|".join(re.escape(n) for n in reversed(words)) + r")\b", re.I)


class VisibleText(HTMLParser):
    """The text a reader sees: no script, style or template, no attributes."""

    HIDDEN = frozenset({"script", "style", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0
        self._codes: list[bool] = []  # each open <code>: whether it is a literal let off

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <code translate="no">: a literal the reader types (a report template's variables),
        # marked so by the page itself; no other element is let off.
        if tag == "code":
            self._codes.append(("translate", "no") in attrs)
            self._hidden += self._codes[-1]
        elif tag in self.HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "code" and self._codes:
            self._hidden -= self._codes.pop()
        elif tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def raw_keys_in(text: str, english_models: re.Pattern[str]) -> list[str]:
    found = [f"{what}: {m.group(0)!r}" for what, rx in RAW.items() for m in rx.finditer(text)]
    found += [f"English model name: {m.group(0)!r}" for m in english_models.finditer(text)]
    return found


class HistoryWorld(MatrixWorld):
    """The matrix's world, with a history on a1 that every kind of key shows up in."""

    @classmethod
    def setUpTestData(cls):
        with time_machine.travel(date(2026, 11, 20), tick=False):
            super().setUpTestData()
            orgs, users = cls.world.orgs, cls.world.users
            a1 = cls.children["a1"]
            child_services.update_child(
                child=a1,
                data={"hobbies": "篮球", "boarding": True},
                father={"status": ParentStatus.DECEASED},
                mother={},
                guardian={},
                by=users["school_admin"],
                note="家访核实",
            )
            child_services.assess_heart_level(
                child=a1,
                ratings={"心理": 1, "身体": 0, "学业": 2, "监护": 3, "安全": 0},
                on=date(2026, 11, 20),
                by=users["teacher"],
            )
            # A child who came to school A from school B: the move is on its archive.
            moved = make_child(school_class=orgs["class_b1"], name="李小红", male=False)
            child_services.transfer_child(
                child=moved,
                to_school=orgs["school_a"],
                to_class=orgs["class_a2"],
                on=date(2026, 11, 20),
                reason="随父母搬家",
                by=users["county_officer"],
            )
            cls.children["moved"] = moved


@time_machine.travel(date(2026, 11, 24), tick=False)
class NoRawKeysTests(HistoryWorld):
    def test_no_page_shows_a_raw_key_to_any_persona(self):
        english_models = _english_model_names()
        pages = [(name, arg, allowed) for name, arg, allowed in MATRIX if allowed]
        pages.append(("children:detail", "child:moved", frozenset({"county_officer"})))
        walked = 0
        for name, arg, allowed in pages:
            url = reverse(name, args=self.args_for(arg))
            if url.startswith("/api/"):
                continue  # the API speaks keys to programs, by design
            for persona in sorted(allowed):
                with self.subTest(url=url, persona=persona):
                    response = self.client_as(persona).get(url)
                    self.assertEqual(response.status_code, 200)
                    if not response["Content-Type"].startswith("text/html"):
                        continue
                    text = visible_text(response.content.decode())
                    if name in SHOWS_LOGINS:
                        for user in self.world.users.values():
                            text = text.replace(user.username, "")
                    found = raw_keys_in(text, english_models)
                    if name in KNOWN_RAW:
                        self.assertNotEqual(found, [], f"{name} is fixed: remove it from KNOWN_RAW")
                    else:
                        self.assertEqual(found, [])
                    walked += 1
        self.assertGreater(walked, 150)

    def test_the_childs_history_reads_as_sentences(self):
        page = self.client_as("school_admin").get(
            reverse("children:detail", args=[self.children["a1"].pk])
        )
        text = visible_text(page.content.decode())
        self.assertIn("父亲状态：外出务工 → 去世", text)
        self.assertIn("住校：否 → 是", text)
        self.assertIn("备注：家访核实", text)
        ratings = re.search(r"五项评分：([^，]+：\d，?){5}", text)
        self.assertIsNotNone(ratings, "the five ratings in words")
        for rating in ("心理：1", "身体：0", "学业：2", "监护：3", "安全：0"):
            self.assertIn(rating, ratings.group(0))  # in any order: PostgreSQL orders keys

    def test_a_school_move_names_both_schools(self):
        page = self.client_as("county_officer").get(
            reverse("children:detail", args=[self.children["moved"].pk])
        )
        self.assertIn(
            "学校或村（社区）：西镇中学 → 东镇中心小学", visible_text(page.content.decode())
        )

    def test_the_audit_page_names_the_person_and_their_unit(self):
        text = visible_text(
            self.client_as("sysadmin").get(reverse("accounts:audit")).content.decode()
        )
        self.assertIn("测试school_admin", text)
        self.assertIn("东镇中心小学", text)
        self.assertIn("父亲状态：外出务工 → 去世", text)

    def test_the_walk_fails_on_a_raw_history(self):
        """The check itself: what the timeline showed before issue 19 is caught."""
        english_models = _english_model_names()
        before = "father.status: [None, 'deceased']；school: 21；late: False；counseling overview"
        self.assertEqual(len(raw_keys_in(before, english_models)), 7)


class DescribeTests(HistoryWorld):
    def test_the_rows_keys_point_at_are_read_once_per_model(self):
        orgs = self.world.orgs
        changes = [
            ("children.child", {"school": [orgs[f"school_{a}"].pk, orgs[f"school_{b}"].pk]})
            for a, b in (("a", "b"), ("b", "c"), ("c", "a"))
        ]
        from shouwang.audit.describe import describe_many

        with self.assertNumQueries(1):  # the units (schools: no class to name a school for)
            lines = describe_many(changes)
        self.assertEqual(str(lines[1][0]), "学校或村（社区）：西镇中学 → 南镇小学")

    def test_a_class_is_named_with_its_school(self):
        line = describe({"school_class": self.world.orgs["class_b1"].pk}, model="children.child")
        self.assertEqual(str(line[0]), "班级：西镇中学 三年级（1）班")

    def test_values_in_words(self):
        lines = describe(
            {
                "late": False,
                "role": CaregiverKind.VOLUNTEER,
                "occurred_at": "2026-11-26T01:02:47+00:00",
                "guardian.relation": [None, "grandparent"],
                "mother.phone": ["", "138****0000"],
            },
            model="care.pairing",
        )
        text = "；".join(map(str, lines))
        self.assertIn("超时：否", text)
        self.assertIn("2026年11月26日 09:02", text)  # Asia/Shanghai
        self.assertIn("母亲电话：空 → 138****0000", text)
        self.assertNotIn("volunteer", text)
        self.assertNotIn("grandparent", text)

    def test_opening_hours_name_the_day(self):
        slots = [{"weekday": 0, "start": "16:00", "end": "17:30"}]
        lines = describe({"slots": slots}, model="family.contactroom")
        self.assertEqual(str(lines[0]), "开放时间：星期：周一，开始：16:00，结束：17:30")


class LedgerPreviewInWordsTests(TempMediaTestCase):
    def test_the_preview_names_columns_and_values_in_words(self):
        from tests.ledger.files import Ledger, child_row
        from tests.ledger.test_pages import xlsx

        client = self.client_as("school_admin")
        response = client.post(
            reverse("ledger:upload"),
            {"org": self.org("school_a").code, "file": xlsx(Ledger([child_row(0)]))},
        )
        page = client.get(response["Location"])
        self.assertContains(page, 'data-testid="ledger-ready"')
        text = visible_text(page.content.decode())
        self.assertEqual(raw_keys_in(text, _english_model_names()), [])
        self.assertIn("→ 父亲状态", text)
        self.assertIn("父亲状态：外出务工", text)


class IncidentNameTests(MatrixWorld):
    def test_an_incidents_name_gives_its_time_in_asia_shanghai(self):
        from datetime import UTC, datetime

        incident = self.care["incident:a1"]
        incident.occurred_at = datetime(2026, 11, 26, 0, 47, tzinfo=UTC)
        self.assertEqual(str(incident), "意外受伤 2026-11-26 08:47")
