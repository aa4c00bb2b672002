"""A report as a file: DOCX through the region's template (docxtpl, in Jinja's sandbox: an
uploaded template reaches the variables and nothing else), PDF through WeasyPrint from the HTML
template with the CJK fonts embedded."""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import StrictUndefined
from jinja2.exceptions import SecurityError
from jinja2.runtime import LoopContext
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import Namespace

from shouwang.care.models import RecordKind
from shouwang.children.types import LeftBehindType
from shouwang.core.sheets.limits import Limits, TooLarge, inspect_zip
from shouwang.stats.selectors import COUNTED_TYPES

from .charts import bar_chart
from .context import Report

# A Word template is a few hundred kB unpacked; these leave room for pictures in it.
DOCX_LIMITS = Limits(
    max_members=300,
    max_member_bytes=20 * 2**20,
    max_strings_bytes=20 * 2**20,
    max_total_bytes=50 * 2**20,
)
DEFAULT_TEMPLATE = Path(__file__).parent / "docx" / "default.docx"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
# The CSS font stack of the PDF: fonts-noto-cjk (WeasyPrint embeds the subset it uses).
PDF_FONTS = '"Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", serif'


# What an uploaded template may look into: the variables' own plain values. An object handed
# in (docxtpl's InlineImage holds the live DocxTemplate, whose public methods read and write
# files) is rendered where it stands but never opened (a review found ``chart.tpl.save(...)``).
PLAIN = (
    str,
    int,
    float,
    Decimal,
    bool,
    list,
    tuple,
    dict,
    date,
    type(None),
    LoopContext,  # Jinja's own: loop.index, loop.first…
    Namespace,
)
# The largest string or list a template may make by multiplying ({{ "x" * 10**8 }}).
MAX_PRODUCT = 100_000


class TemplateSandbox(SandboxedEnvironment):
    """Jinja's sandbox, narrowed: attributes of plain values only, and no huge products."""

    intercepted_binops = frozenset({"*", "**"})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return isinstance(obj, PLAIN) and super().is_safe_attribute(obj, attr, value)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if abs(right) > 64 or abs(left) > 10**6:
                raise SecurityError(_("The template computes too large a number."))
            return left**right
        for seq, times in ((left, right), (right, left)):
            sized = isinstance(seq, str | list | tuple) and isinstance(times, int)
            if sized and len(seq) * times > MAX_PRODUCT:
                raise SecurityError(_("The template makes too long a text or list."))
        return left * right


def sandbox() -> SandboxedEnvironment:
    """Jinja as an uploaded template gets it (:class:`TemplateSandbox`); a name that is not a
    variable is an error (so a mistyped variable is refused at upload)."""
    return TemplateSandbox(undefined=StrictUndefined, autoescape=True)


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
    """A Word document: a zip holding word/document.xml, whose parts unpack to a sane size
    (its directory read before anything is inflated: no zip bomb reaches python-docx)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inspect_zip(archive, DOCX_LIMITS)
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, TooLarge):
        return False
