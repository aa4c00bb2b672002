"""Files made to hurt a server that reads them, built for the tests (never kept in the tree)."""
# ruff: noqa: E501 - the parts of an .xlsx, written out as Excel writes them

from __future__ import annotations

import os
import zipfile
from pathlib import Path

MB = 1024 * 1024

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "{strings}</Types>"
)
STRINGS_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>{strings}</Relationships>'
)
STRINGS_REL = (
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/>'
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = "</sheetData></worksheet>"


def _frame(book: zipfile.ZipFile, *, shared: bool) -> None:
    book.writestr(
        "[Content_Types].xml", CONTENT_TYPES.format(strings=STRINGS_TYPE if shared else "")
    )
    book.writestr("_rels/.rels", ROOT_RELS)
    book.writestr("xl/workbook.xml", WORKBOOK)
    book.writestr(
        "xl/_rels/workbook.xml.rels", WORKBOOK_RELS.format(strings=STRINGS_REL if shared else "")
    )


def _write_long(member: zipfile.ZipExtFile | object, size: int, *, block: bytes) -> None:
    written = 0
    while written < size:
        part = block[: size - written]
        member.write(part)  # type: ignore[attr-defined]
        written += len(part)


def huge_cell_xlsx(path: Path, *, size: int = 419 * MB, shared: bool = False) -> Path:
    """A workbook of a few hundred KB whose one cell, inline or shared, unpacks to ``size``."""
    block = b"A" * MB
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        _frame(book, shared=shared)
        if shared:
            book.writestr(
                "xl/worksheets/sheet1.xml",
                SHEET_HEAD + '<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + SHEET_TAIL,
            )
            with book.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
                member.write(
                    b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.'
                    b'openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
                    b"<si><t>"
                )
                _write_long(member, size, block=block)
                member.write(b"</t></si></sst>")
        else:
            with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
                member.write((SHEET_HEAD + '<row r="1"><c r="A1" t="inlineStr"><is><t>').encode())
                _write_long(member, size, block=block)
                member.write(("</t></is></c></row>" + SHEET_TAIL).encode())
    return path


def long_text_xlsx(path: Path, *, size: int = 2 * MB) -> Path:
    """A cell of ``size`` bytes that does not compress (no zip limit sees it: the XML guard
    must)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        _frame(book, shared=False)
        text = os.urandom(size).hex()[:size]
        book.writestr(
            "xl/worksheets/sheet1.xml",
            SHEET_HEAD
            + f'<row r="1"><c r="A1" t="inlineStr"><is><t>{text}</t></is></c></row>'
            + SHEET_TAIL,
        )
    return path


def many_members_xlsx(path: Path, *, members: int = 10_000) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        _frame(book, shared=False)
        book.writestr("xl/worksheets/sheet1.xml", SHEET_HEAD + SHEET_TAIL)
        for n in range(members):
            book.writestr(f"xl/media/part{n}.xml", "<x/>")
    return path


def many_rows_xlsx(path: Path, *, rows: int = 1_000_000) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        _frame(book, shared=False)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            member.write(SHEET_HEAD.encode())
            for start in range(1, rows + 1, 10_000):
                member.write(
                    "".join(
                        f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>'
                        for n in range(start, min(start + 10_000, rows + 1))
                    ).encode()
                )
            member.write(SHEET_TAIL.encode())
    return path


def many_rows_csv(path: Path, *, rows: int = 1_000_000) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("姓名,身份证号,学校\n")
        line = "张三,110101201001011234,东镇中心小学\n"
        for _ in range(rows // 10_000):
            fh.write(line * 10_000)
    return path


def one_long_line_csv(path: Path, *, size: int = 40 * MB) -> Path:
    with path.open("wb") as fh:
        fh.write("姓名,备注\n张三,".encode())
        for _ in range(size // MB):
            fh.write(b"x" * MB)
    return path
