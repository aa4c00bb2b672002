"""The 工作总结 / 简报 pages: pick a unit and a period and download the document; a region's
template (upload a new version, download any), the variables a template may use."""

from __future__ import annotations

import io
import re
import time
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from shouwang.accounts.access import acting_user
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.core.sheets.limits import limited_upload, refuse_into
from shouwang.core.views import show_error
from shouwang.orgs.models import Org
from shouwang.stats.flows import BadPeriod

from . import selectors, services
from .context import VARIABLES, build
from .forms import ReportForm, TemplateUploadForm
from .periods import resolve_period, terms_near
from .render import DEFAULT_TEMPLATE, DOCX, PDF, render_docx, render_pdf


def _report_form(request: HttpRequest, *, bind: bool) -> tuple[ReportForm, list[Org]]:
    """The form over the user's units; its terms are those of the chosen unit's calendar (the
    unit in ``?org=``, else the first), so a school following its township's calendar is asked
    for the township's terms. Changing the unit on the page fetches them again (htmx)."""
    scope = scope_of(request.user)
    if not scope.may(Area.REPORTS, Action.VIEW):
        raise Http404
    units = list(selectors.units_reportable_by(request.user))
    if not units:
        raise Http404
    chosen = next((u for u in units if u.code == request.GET.get("org")), units[0])
    form = ReportForm(
        request.GET if bind and "org" in request.GET else None,
        units=units,
        terms=terms_near(chosen),
        terms_url=reverse("reports:index"),
        initial={"org": chosen.code},
    )
    return form, units


def index(request: HttpRequest) -> HttpResponse:
    form, _units = _report_form(request, bind=False)
    return _page(request, form)


def _page(request: HttpRequest, form: ReportForm, status: int = 200) -> HttpResponse:
    scope = scope_of(request.user)
    return render(
        request,
        "reports/index.html",
        {
            "form": form,
            "regions": (
                selectors.regions_templated_by(request.user)[:50]
                if scope.may(Area.SETTINGS, Action.CHANGE)
                else []
            ),
        },
        status=status,
    )


def download(request: HttpRequest) -> HttpResponseBase:
    form, _units = _report_form(request, bind=True)
    if not form.is_bound or not form.is_valid():
        return _page(request, form)
    user = acting_user(request)
    data = form.cleaned_data
    org = selectors.unit_reportable_by(user, data["org"])
    try:
        period = resolve_period(
            org, term=data["term"], year=data["year"], start=data["start"], end=data["end"]
        )
    except BadPeriod as exc:
        form.add_error(None, str(exc))
        return _page(request, form)
    began = time.perf_counter()
    report = build(org, period, user=user)
    if data["format"] == "pdf":
        content, kind, suffix = render_pdf(report, form.sentences()), PDF, "pdf"
    else:
        template = selectors.template_bytes(org)
        content, kind, suffix = render_docx(report, template, form.sentences()), DOCX, "docx"
    services.record_download(
        by=user, org=org, what=f"{report.title}.{suffix}", rows=_rows(report.data)
    )
    response = FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=f"{report.title}.{suffix}",
        content_type=kind,
    )
    response["Server-Timing"] = f"report;dur={(time.perf_counter() - began) * 1000:.0f}"
    return response


def _rows(data: dict[str, Any]) -> int:
    total = data.get("left_behind_total")
    return total if isinstance(total, int) else 0


def variables(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if not (scope.may(Area.REPORTS, Action.VIEW) or scope.may(Area.SETTINGS, Action.CHANGE)):
        raise Http404
    explanation = _(
        "A region's template is a Word document with these variables in double braces, such as "
        "{{ left_behind_total }}. A list is written with a paragraph loop: "
        "{%p for s in basic_sentences %}, then {{ s }}, then {%p endfor %}. Money variables "
        "exist only for readers who may see money: wrap them in {% if with_money %} … "
        "{% endif %}."
    )
    return render(
        request,
        "reports/variables.html",
        {
            "variables": [(name, _as_code(str(meaning))) for name, meaning in VARIABLES],
            "explanation": _as_code(str(explanation)),
        },
    )


# What a template's author types, inside the page's sentences: {{ … }}, {%p … %}, variable_names.
TYPED = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\b[a-z]+(?:_[a-z]+)+\b")


def _as_code(text: str) -> str:
    """The sentence with what is typed set as code (escaped first, then marked literal)."""
    return mark_safe(  # noqa: S308 - every piece is escaped here
        TYPED.sub(lambda m: f'<code translate="no">{m.group(0)}</code>', escape(text))
    )


def default_template(request: HttpRequest) -> HttpResponseBase:
    scope = scope_of(request.user)
    if not (scope.may(Area.REPORTS, Action.VIEW) or scope.may(Area.SETTINGS, Action.CHANGE)):
        raise Http404
    return FileResponse(
        DEFAULT_TEMPLATE.open("rb"),
        as_attachment=True,
        filename=_("work-summary-template.docx"),
        content_type=DOCX,
    )


@limited_upload(services.MAX_TEMPLATE_BYTES, (".docx",))
def templates(request: HttpRequest, code: str) -> HttpResponse:
    """A region's template versions; an upload stops at its size limit as it arrives."""
    user = acting_user(request)
    region = selectors.region_templated_by(user, code)
    form = TemplateUploadForm(request.POST or None, request.FILES or None)
    refuse_into(form, "file", request)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > services.MAX_TEMPLATE_BYTES:
            form.add_error(
                "file",
                _("The template is larger than %(mb)s MB.")
                % {"mb": services.MAX_TEMPLATE_BYTES // 2**20},
            )
        else:
            try:
                found = services.upload_template(
                    region=region, data=upload.read(), filename=upload.name, by=user
                )
            except ValidationError as exc:
                show_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Version %(n)s of the template is in use from now on.")
                    % {"n": found.version},
                )
                return redirect("reports:templates", code=region.code)
    in_force = selectors.template_in_force(region)
    return render(
        request,
        "reports/templates.html",
        {
            "region": region,
            "form": form,
            "versions": selectors.versions_of(region),
            "in_force": in_force,
        },
        status=400 if form.errors else 200,
    )


def template_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    version = selectors.version_visible_to(acting_user(request), pk)
    return FileResponse(
        version.file.open("rb"),
        as_attachment=True,
        filename=f"{version.region.name}-v{version.version}.docx",
        content_type=DOCX,
    )
