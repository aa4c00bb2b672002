"""Upload bombs (issue 18): a workbook of a few hundred KB holding a 419 MB cell, a zip of
10,000 parts, a million rows. Each is refused within a second with a message saying what was too
big, and the process reading it grows by a few MB at most: measured in a process of its own
(its peak resident size before and after), so the test runner's memory does not blur it."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.test import SimpleTestCase, override_settings

from shouwang.core.sheets.limits import Limits
from shouwang.core.sheets.reader import UnreadableFile, read_sheets

from . import bombs

PROJECT = Path(__file__).resolve().parents[2]
READ_IN_A_PROCESS = """
import json, resource, sys, time
import django
django.setup()
from django.utils import translation
from shouwang.core.sheets.reader import UnreadableFile, read_sheets
import openpyxl.reader.excel, charset_normalizer  # imported before the baseline
translation.activate("zh-hans")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.monotonic()
message = None
try:
    for sheet in read_sheets(sys.argv[1]):
        for row in sheet.rows:
            pass
except UnreadableFile as exc:
    message = str(exc)
took = time.monotonic() - start
grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps({"message": message, "seconds": took, "grew_mb": grew}, ensure_ascii=False))
"""


def read_in_a_process(path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", READ_IN_A_PROCESS, str(path)],
        cwd=PROJECT,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


BOMBS = {
    "one inline cell of 419 MB": (
        lambda d: bombs.huge_cell_xlsx(d / "台账.xlsx"),
        "解压后",
    ),
    "one shared string of 419 MB": (
        lambda d: bombs.huge_cell_xlsx(d / "台账.xlsx", shared=True),
        "解压后",
    ),
    "a zip of 10,000 parts": (lambda d: bombs.many_members_xlsx(d / "台账.xlsx"), "最多读取 1000"),
    "a workbook of a million rows": (lambda d: bombs.many_rows_xlsx(d / "台账.xlsx"), "200,000"),
    "a CSV of a million rows": (lambda d: bombs.many_rows_csv(d / "台账.csv"), "200,000"),
    "a CSV line of 40 MB": (lambda d: bombs.one_long_line_csv(d / "台账.csv"), "1,000,000"),
    "a cell of 2 MB that does not compress": (
        lambda d: bombs.long_text_xlsx(d / "台账.xlsx"),
        "32,767",
    ),
}


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_a_bomb_is_refused_within_a_second_and_the_reader_stays_small(bomb, folder):
    make, words = BOMBS[bomb]
    path = make(folder)
    assert path.stat().st_size < 50 * 1024 * 1024
    found = read_in_a_process(path)
    path.unlink()
    assert found["message"] is not None, bomb  # refused, not read
    assert words in found["message"], found["message"]
    assert found["seconds"] < 1.0, found
    assert found["grew_mb"] < 30, found


def test_a_huge_cell_bomb_is_small_on_disk(folder):
    """What issue 18 found: a file that passes any upload limit."""
    path = bombs.huge_cell_xlsx(folder / "小.xlsx")
    assert path.stat().st_size < 1024 * 1024
    path.unlink()


class LimitsTests(SimpleTestCase):
    def read_all(self, path: Path, limits: Limits) -> int:
        rows = 0
        for sheet in read_sheets(path, limits=limits):
            rows += sum(1 for _row in sheet.rows)
        return rows

    def test_each_limit_refuses_just_past_it_and_reads_at_it(self):
        folder = Path(tempfile.mkdtemp())
        small = bombs.many_rows_csv(folder / "a.csv", rows=10_000)  # 10,001 lines
        self.assertEqual(self.read_all(small, Limits(max_rows=10_001)), 10_001)
        with self.assertRaises(UnreadableFile):
            self.read_all(small, Limits(max_rows=10_000))
        with self.assertRaises(UnreadableFile):
            self.read_all(small, Limits(max_bytes=small.stat().st_size - 1))
        wide = folder / "wide.csv"
        wide.write_text(",".join(["x"] * 11) + "\n", encoding="utf-8")
        self.assertEqual(self.read_all(wide, Limits(max_columns=11)), 1)
        with self.assertRaises(UnreadableFile):
            self.read_all(wide, Limits(max_columns=10))
        long = folder / "long.csv"
        long.write_text("姓名\n" + "字" * 101 + "\n", encoding="utf-8")
        self.assertEqual(self.read_all(long, Limits(max_cell=101)), 2)
        with self.assertRaises(UnreadableFile):
            self.read_all(long, Limits(max_cell=100))

    def test_a_workbook_with_more_sheets_than_allowed_is_refused(self):
        import openpyxl

        path = Path(tempfile.mkdtemp()) / "sheets.xlsx"
        book = openpyxl.Workbook()
        for n in range(4):
            book.create_sheet(f"S{n}")
        book.save(path)
        self.assertEqual(self.read_all(path, Limits(max_sheets=5)), 0)
        with override_settings(LANGUAGE_CODE="zh-hans"), self.assertRaises(UnreadableFile):
            self.read_all(path, Limits(max_sheets=4))
