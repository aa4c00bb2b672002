"""Ledgers as clerks really make them: a generator of messy files for the importer's tests."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Alignment

from shouwang.core.validators import id_check_digit

# The columns of interfaces.md, in the order of our own exports.
STANDARD = [
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "身份证号",
    "学校",
    "年级",
    "班级",
    "是否住校",
    "家庭住址",
    "父亲姓名",
    "父亲电话",
    "父亲状况",
    "父亲务工地",
    "母亲姓名",
    "母亲电话",
    "母亲状况",
    "母亲务工地",
    "监护人姓名",
    "与儿童关系",
    "监护人年龄",
    "监护人电话",
    "监护人健康状况",
    "健康状况",
    "性格特征",
    "兴趣爱好",
    "备注",
]
TRADITIONAL = {
    "监护人姓名": "監護人姓名",
    "监护人电话": "監護人電話",
    "学校": "學校",
    "身份证号": "身份證號",
    "与儿童关系": "與兒童關係",
    "监护人年龄": "監護人年齡",
    "兴趣爱好": "興趣愛好",
    "父亲电话": "父親電話",
    "母亲电话": "母親電話",
}
FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def id_number(birth: date, seq: int, *, male: bool) -> str:
    n = (seq % 499) * 2 + (1 if male else 0)
    first17 = f"110101{birth:%Y%m%d}{n:03d}"
    return first17 + id_check_digit(first17)


def child_row(
    seq: int, *, school: str = "东镇中心小学", klass: str = "三年级（1）班", grade: str = "三年级"
) -> dict[str, Any]:
    rng = random.Random(seq)
    male = seq % 2 == 0
    birth = date(2016, 1 + seq % 12, 1 + seq % 28)
    return {
        "姓名": ("张" if male else "李") + "小" + "明红华丽强芳"[seq % 6] + str(seq),
        "性别": "男" if male else "女",
        "民族": "汉族",
        "出生日期": birth,
        "身份证号": id_number(birth, seq, male=male),
        "学校": school,
        "年级": grade,
        "班级": klass,
        "是否住校": "否",
        "家庭住址": f"东村{seq}号",
        "父亲姓名": "张父",
        "父亲电话": f"138{seq % 10**8:08d}",
        "父亲状况": "外出务工",
        "父亲务工地": "广东省东莞市",
        "母亲姓名": "王母",
        "母亲电话": f"139{seq % 10**8:08d}",
        "母亲状况": rng.choice(["外出务工", "在家"]),
        "母亲务工地": "",
        "监护人姓名": "张奶奶",
        "与儿童关系": "祖父母",
        "监护人年龄": 66,
        "监护人电话": f"137{seq % 10**8:08d}",
        "监护人健康状况": "良好",
        "健康状况": "健康",
        "性格特征": "活泼",
        "兴趣爱好": "画画",
        "备注": "",
    }


@dataclass
class Ledger:
    rows: list[dict[str, Any]]
    headers: list[str] = field(default_factory=lambda: list(STANDARD))
    title_rows: list[str] = field(default_factory=list)
    two_row_header: bool = False
    traditional: bool = False
    spaced: bool = False
    sheets: int = 1
    blank_rows: bool = False
    total_row: bool = False
    extra_columns: dict[str, str] = field(default_factory=dict)

    def header_text(self, header: str) -> str:
        text = TRADITIONAL.get(header, header) if self.traditional else header
        if self.spaced:
            text = " ".join(text) + "（必填）" if header == "姓名" else f" {text} "
        return text

    def _matrix(self) -> list[list[list[Any]]]:
        """Rows per sheet, header included, values as written."""
        per_sheet = [self.rows[i :: self.sheets] for i in range(self.sheets)]
        headers = [*self.headers, *self.extra_columns]
        out = []
        for rows in per_sheet:
            matrix: list[list[Any]] = [[t] for t in self.title_rows]
            matrix.append([self.header_text(h) for h in headers])
            for n, row in enumerate(rows):
                if self.blank_rows and n == 1:
                    matrix.append([None] * len(headers))
                matrix.append([row.get(h, self.extra_columns.get(h)) for h in headers])
            if self.total_row:
                matrix.append(["合计", f"{len(rows)}人"])
            out.append(matrix)
        return out

    def write_xlsx(self, path: Path) -> Path:
        book = openpyxl.Workbook()
        book.remove(book.active)
        for index, matrix in enumerate(self._matrix()):
            sheet = book.create_sheet(f"三({index + 1})班")
            if self.two_row_header:
                self._two_row(sheet, matrix)
            else:
                for row in matrix:
                    sheet.append(row)
            if self.title_rows:
                width = len(self.headers) + len(self.extra_columns)
                sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
                sheet.cell(1, 1).alignment = Alignment(horizontal="center")
        book.save(path)
        return path

    def _two_row(self, sheet: Any, matrix: list[list[Any]]) -> None:
        """父亲 / 母亲 / 监护人 as merged group cells over 姓名 / 电话 / …; the other headers
        merged down over both rows."""
        titles = len(self.title_rows)
        for row in matrix[:titles]:
            sheet.append(row)
        header = matrix[titles]
        top, bottom = [], []
        for text in header:
            for group in ("父亲", "母亲", "监护人"):
                if text.startswith(group) and text != group:
                    top.append(group)
                    bottom.append(text.removeprefix(group))
                    break
            else:
                top.append(text)
                bottom.append(None)
        sheet.append(top)
        sheet.append(bottom)
        r = titles + 1
        start = 0
        while start < len(top):
            end = start
            while end + 1 < len(top) and top[end + 1] == top[start] and bottom[start] is not None:
                end += 1
            if bottom[start] is None:
                sheet.merge_cells(
                    start_row=r, start_column=start + 1, end_row=r + 1, end_column=start + 1
                )
            elif end > start:
                sheet.merge_cells(
                    start_row=r, start_column=start + 1, end_row=r, end_column=end + 1
                )
            start = end + 1
        for row in matrix[titles + 1 :]:
            sheet.append(row)

    def write_csv(self, path: Path, encoding: str = "utf-8") -> Path:
        with path.open("w", encoding=encoding, newline="") as fh:
            writer = csv.writer(fh)
            for row in self._matrix()[0]:
                writer.writerow(["" if v is None else v for v in row])
        return path

    def write_xls(self, path: Path) -> Path:
        import xlwt

        book = xlwt.Workbook(encoding="utf-8")
        date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
        for index, matrix in enumerate(self._matrix()):
            sheet = book.add_sheet(f"Sheet{index + 1}")
            for r, row in enumerate(matrix):
                for c, value in enumerate(row):
                    if isinstance(value, date):
                        sheet.write(r, c, value, date_style)
                    elif value is not None:
                        sheet.write(r, c, value)
        book.save(str(path))
        return path
