"""A CSV's encoding is found when it is certain and asked when it is not, never guessed wrong
(issue 18: Big5 and Shift-JIS files were read as GB18030). Property: for Chinese names written
in each encoding a clerk's office uses, detection either reads them back exactly or asks, the
file's own encoding among the choices offered."""

from __future__ import annotations

import codecs

from django.test import SimpleTestCase
from faker import Faker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shouwang.core.sheets.encodings import MAINLAND, detect

_faker = Faker("zh_CN")
_faker.seed_instance(18)
NAMES = sorted({_faker.name() for _ in range(400)})
TRADITIONAL = ["陳曉華", "黃國強", "劉書瑋", "張雅婷", "楊志豪", "吳佩君", "蔡宗翰", "許淑芬"]
JAPANESE = ["山田太郎", "佐藤花子", "鈴木一郎", "高橋美咲", "田中健太", "渡辺直子"]


def ledger_text(names: list[str]) -> str:
    lines = ["姓名,身份证号,备注"]
    lines += [f"{name},11010120100101123{n % 10}," for n, name in enumerate(names)]
    return "\r\n".join(lines) + "\r\n"


def encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def read_back_or_asked(text: str, encoding: str, python_names: tuple[str, ...]) -> None:
    data = text.encode(encoding)
    found = detect(data, complete=True)
    if found.encoding is not None:
        assert codecs.decode(data, found.encoding).lstrip("\ufeff") == text, (
            found,
            encoding,
        )
        assert found.encoding in MAINLAND or found.encoding == "utf-8-sig"
    else:
        assert any(c in python_names for c in found.candidates), (found, encoding)
        for candidate in found.candidates:
            assert data.decode(candidate) is not None  # every choice offered reads the file


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class EncodingDetectionTests(SimpleTestCase):
    @SETTINGS
    @given(st.lists(st.sampled_from(NAMES), min_size=1, max_size=30))
    def test_utf8_with_or_without_its_mark_is_read_back(self, names):
        text = ledger_text(names)
        self.assertEqual(detect(text.encode("utf-8"), complete=True).encoding, "utf-8")
        self.assertEqual(detect(text.encode("utf-8-sig"), complete=True).encoding, "utf-8-sig")

    @SETTINGS
    @given(st.lists(st.sampled_from(NAMES), min_size=1, max_size=30))
    def test_utf16_is_read_back(self, names):
        text = ledger_text(names)
        for encoding in ("utf-16", "utf-16-le", "utf-16-be"):
            data = text.encode(encoding)
            found = detect(data, complete=True)
            self.assertEqual(codecs.decode(data, found.encoding).lstrip("\ufeff"), text)

    @SETTINGS
    @given(st.lists(st.sampled_from(NAMES), min_size=1, max_size=30))
    def test_gb18030_and_gbk_are_read_back_or_asked(self, names):
        text = ledger_text(names)
        for encoding in ("gb18030", "gbk"):
            read_back_or_asked(text, encoding, ("gb18030",))

    @SETTINGS
    @given(st.lists(st.sampled_from(TRADITIONAL), min_size=1, max_size=30))
    def test_big5_is_always_asked_with_big5_offered(self, names):
        text = ledger_text(names).replace("姓名", "姓名").replace("备注", "備註")
        text = text.replace("身份证号", "身份證號")
        data = text.encode("big5")
        found = detect(data, complete=True)
        self.assertIsNone(found.encoding)
        self.assertIn("cp950", found.candidates)
        self.assertEqual(data.decode("cp950"), text)

    @SETTINGS
    @given(st.lists(st.sampled_from(JAPANESE), min_size=1, max_size=30))
    def test_shift_jis_is_always_asked_with_shift_jis_offered(self, names):
        text = "氏名,番号\r\n" + "".join(f"{n},{i}\r\n" for i, n in enumerate(names))
        data = text.encode("shift_jis")
        found = detect(data, complete=True)
        self.assertIsNone(found.encoding)
        self.assertIn("cp932", found.candidates)
        self.assertEqual(data.decode("cp932"), text)

    def test_a_few_mainland_names_in_gbk_are_read_without_asking(self):
        text = ledger_text(NAMES[:20])
        self.assertEqual(detect(text.encode("gbk"), complete=True).encoding, "gb18030")
