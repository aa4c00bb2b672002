"""The default 工作总结 template that ships in the app (docx/default.docx), written by this
module so its source can be read and changed: ``python -m shouwang.reports.default_template``
writes the file again. The order is the seeds' own: 基本情况, 主要工作措施及成效, 存在的问题,
下一步工作打算 (seed 000 篇一, seed 001 篇1)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

BODY_FONT = "宋体"
TITLE_FONT = "黑体"


def _east_asian(style_or_run: object, name: str) -> None:
    element = style_or_run.element  # type: ignore[attr-defined]
    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def build() -> bytes:
    document = Document()
    normal = document.styles["Normal"]
    normal.font.size = Pt(12)  # 小四
    _east_asian(normal, BODY_FONT)
    for level in (1, 2):
        _east_asian(document.styles[f"Heading {level}"], TITLE_FONT)

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run("{{ title }}")
    run.bold = True
    run.font.size = Pt(18)
    _east_asian(run, TITLE_FONT)
    note = document.add_paragraph(
        "统计时段：{{ period_from }} 至 {{ period_to }}（{{ period_name }}）；"
        "基本情况统计日：{{ as_of }}；统计口径：{{ profile_name }}"
    )
    note.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def sentences(heading: str, variable: str, numbered: bool = False) -> None:
        document.add_heading(heading, level=2)
        document.add_paragraph(f"{{%p for s in {variable} %}}")
        text = "{{ loop.index }}、{{ s }}" if numbered else "{{ s }}"
        paragraph = document.add_paragraph(text)
        paragraph.paragraph_format.first_line_indent = Pt(24)
        document.add_paragraph("{%p endfor %}")

    sentences("一、基本情况", "basic_sentences")
    document.add_paragraph("{{ chart_types }}").alignment = WD_ALIGN_PARAGRAPH.CENTER
    table = document.add_table(rows=4, cols=2)
    table.style = "Table Grid"
    table.cell(0, 0).text = "项目"
    table.cell(0, 1).text = "数据"
    table.cell(1, 0).text = "{%tr for r in figures_table %}"
    table.cell(2, 0).text = "{{ r.label }}"
    table.cell(2, 1).text = "{{ r.value }}"
    table.cell(3, 0).text = "{%tr endfor %}"

    sentences("二、主要工作措施及成效", "measure_sentences")
    document.add_paragraph("{{ chart_care }}").alignment = WD_ALIGN_PARAGRAPH.CENTER
    sentences("三、存在的问题", "problem_sentences")
    sentences("四、下一步工作打算", "next_steps", numbered=True)

    document.add_paragraph("")
    for text in ("{{ unit_name }}", "{{ generated_on }}"):
        document.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


if __name__ == "__main__":
    target = Path(__file__).parent / "docx" / "default.docx"
    target.write_bytes(build())
    sys.stdout.write(f"{target}\n")
