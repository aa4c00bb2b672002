"""A report as a file: DOCX through the region's template (docxtpl, in Jinja's sandbox: an
uploaded template reaches the variables and nothing else), PDF through WeasyPrint from the HTML
template with the CJK fonts embedded."""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from shouwang.care.models import RecordKind
from shouwang.children.types import LeftBehindType
from shouwang.stats.selectors import COUNTED_TYPES

from .charts import bar_chart
from .context import Report

DEFAULT_TEMPLATE = Path(__file__).parent / "docx" / "default.docx"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
# The CSS font stack of the PDF: fonts-noto-cjk (WeasyPrint embeds the subset it uses).
PDF_FONTS = '"Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", serif'


def sandbox() -> SandboxedEnvironment:
    """Jinja as an uploaded template gets it: no attribute of Python's internals, and a name
    that is not a variable is an error (so a mistyped variable is refused at upload)."""
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)


def charts(report: Report) -> dict[str, bytes]:
    """The charts as PNG: left-behind children by type, care given by kind (人次). A hidden
    small count (<5) has no bar."""
    types = dict(LeftBehindType.choices)
    care = dict(RecordKind.choices)
    by_type = [
        (str(types[k]), n) for k in COUNTED_TYPES if isinstance(n := report.data["by_type"][k], int)
    ]
    by_care = [
        (str(care[k]), n)
        for k, n in report.data["care_person_times"].items()
        if isinstance(n, int) and n
    ]
    return {
        "chart_types": bar_chart(_("Left-behind children by type"), by_type),
        "chart_care": bar_chart(_("Care given (person-times)"), by_care or [(_("none"), 0)]),
    }


def render_docx(report: Report, template: bytes, next_steps: list[str] | None = None) -> bytes:
    return render_docx_context(_context(report, next_steps), template, charts(report))


def render_docx_context(
    context: dict[str, Any], template: bytes, pictures: dict[str, bytes]
) -> bytes:
    document = DocxTemplate(io.BytesIO(template))
    full = dict(context)
    for name, png in pictures.items():
        full[name] = InlineImage(document, io.BytesIO(png), width=Mm(150))
    document.render(full, jinja_env=sandbox(), autoescape=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def render_pdf(report: Report, next_steps: list[str] | None = None) -> bytes:
    # WeasyPrint is imported when a PDF is made: it loads pango and its fonts (a second or so).
    import weasyprint

    context = _context(report, next_steps)
    context["charts"] = {
        name: "data:image/png;base64," + base64.b64encode(png).decode()
        for name, png in charts(report).items()
    }
    context["fonts"] = PDF_FONTS
    html = render_to_string("reports/document.html", context)
    return weasyprint.HTML(string=html).write_pdf()


def _context(report: Report, next_steps: list[str] | None) -> dict[str, Any]:
    context = dict(report.values)
    if next_steps is not None:
        context["next_steps"] = next_steps
    return context


def is_docx(data: bytes) -> bool:
    """A Word document: a zip holding word/document.xml."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False
