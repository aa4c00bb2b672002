"""Health pages: a child's 健康档案, a class's check-up sheet with flags, typing one 体检 in,
importing a class's sheet, and the screening tables the flags are read against."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from django.contrib import messages
from django.forms.models import model_to_dict
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shouwang.accounts.access import acting_user
from shouwang.core.concurrency import version_token
from shouwang.core.sheets import uploads
from shouwang.core.sheets.limits import LIMITS, SHEET_SUFFIXES, limited_upload, refuse_into
from shouwang.core.sheets.reader import UnreadableFile
from shouwang.core.sheets.writer import XLSX
from shouwang.core.views import form_page
from shouwang.orgs.models import Org

from . import importer, selectors, services
from .forms import CheckupForm, CorrectCheckupForm, SheetUploadForm
from .models import BmiReference

BUCKET = "health_uploads"


def child(request: HttpRequest, pk: int) -> HttpResponse:
    kid = selectors.child_for_health(request.user, pk)
    may_record = selectors.may_record_for(request.user, kid)
    return render(
        request,
        "health/child.html",
        {"child": kid, "rows": selectors.checkups_of(kid), "may_record": may_record},
    )


def add(request: HttpRequest, pk: int) -> HttpResponse:
    kid = selectors.child_for_recording(request.user, pk)
    return form_page(
        request,
        form=CheckupForm(request.POST or None, initial={"examined_on": timezone.localdate()}),
        save=lambda d: services.record_checkup(child=kid, by=acting_user(request), **d),
        done=_("The check-up was recorded."),
        back=reverse("health:child", args=[kid.pk]),
        template="web/form.html",
        context={"title": _("Record a check-up"), "child": kid},
    )


def correct(request: HttpRequest, pk: int) -> HttpResponse:
    checkup = selectors.checkup_for_correcting(request.user, pk)
    kid = checkup.child
    return form_page(
        request,
        # The form starts from the stored values but does not write into ``checkup``: the
        # service compares against it to audit what changed.
        form=CorrectCheckupForm(
            request.POST or None,
            initial=model_to_dict(checkup)
            | {"version": version_token(services.checkup_state(checkup))},
        ),
        save=lambda d: services.correct_checkup(
            checkup=checkup, by=acting_user(request), **(d | {"version": d.get("version") or ""})
        ),
        done=_("The check-up was corrected."),
        back=reverse("health:child", args=[kid.pk]),
        template="web/form.html",
        context={"title": _("Correct a check-up"), "child": kid},
    )


def sheet(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_object_or_404(selectors.sheet_units(request.user), code=code)
    lines = selectors.sheet_of(request.user, unit)
    return render(
        request,
        "health/sheet.html",
        {
            "unit": unit,
            "lines": lines,
            "flagged": sum(1 for line in lines if line.latest and line.latest.reading.flagged),
            "missing": sum(1 for line in lines if line.latest is None),
        },
    )


def overview(request: HttpRequest) -> HttpResponse:
    units = selectors.sheet_units(request.user)
    if not selectors.may_see_health(request.user):
        raise Http404
    return render(request, "health/overview.html", {"units": units[:300]})


def references(request: HttpRequest) -> HttpResponse:
    if not selectors.may_see_health(request.user):
        raise Http404
    return render(request, "health/references.html", {"rows": BmiReference.objects.all()})


@limited_upload(LIMITS.max_bytes, SHEET_SUFFIXES)
def upload(request: HttpRequest) -> HttpResponse:
    """The body stops at the ledger's byte limit as it arrives, and the sheet is read within the
    toolkit's limits (core.sheets.limits), like a ledger."""
    units = selectors.import_units(request.user)
    if not units.exists():
        raise Http404
    form = SheetUploadForm(
        request.POST or None,
        request.FILES or None,
        orgs=units,
        initial={"org": request.GET.get("unit")},
    )
    refuse_into(form, "file", request)
    if request.method == "POST" and form.is_valid():
        on = form.cleaned_data["examined_on"]
        token = uploads.keep(
            request,
            form.cleaned_data["file"],
            bucket=BUCKET,
            org=form.cleaned_data["org"].code,
            examined_on=on.isoformat() if on else "",
        )
        return redirect("health:preview", token=token)
    return render(request, "health/upload.html", {"form": form})


def _run(request: HttpRequest, token: str, *, dry_run: bool) -> tuple[importer.SheetResult, Org]:
    path, entry = uploads.pending(request, token, bucket=BUCKET)
    unit = get_object_or_404(selectors.import_units(request.user), code=entry["org"])
    on = entry.get("examined_on")
    result = importer.import_sheet(
        source=path,
        filename=entry["filename"],
        org=unit,
        by=acting_user(request),
        examined_on=date.fromisoformat(on) if on else None,
        dry_run=dry_run,
    )
    return result, unit


def preview(request: HttpRequest, token: str) -> HttpResponse:
    try:
        result, unit = _run(request, token, dry_run=True)
    except UnreadableFile as exc:
        form = SheetUploadForm(orgs=selectors.import_units(request.user))
        return render(request, "health/upload.html", {"form": form, "unreadable": str(exc)})
    return render(
        request,
        "health/preview.html",
        {"token": token, "unit": unit, "result": result, "errors": result.errors[:200]},
    )


@require_POST
def apply(request: HttpRequest, token: str) -> HttpResponse:
    result, unit = _run(request, token, dry_run=False)
    if not result.applied:
        return redirect("health:preview", token=token)
    uploads.forget(request, token, bucket=BUCKET)
    messages.success(
        request,
        _("Check-ups saved: %(created)s new, %(updated)s corrected, %(unchanged)s unchanged.")
        % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
    )
    return redirect("health:sheet", code=unit.code)


def error_report(request: HttpRequest, token: str) -> FileResponse:
    result, _unit = _run(request, token, dry_run=True)
    if not result.errors:
        raise Http404
    path, entry = uploads.pending(request, token, bucket=BUCKET)
    out = io.BytesIO()
    importer.write_errors(
        source=path, filename=entry["filename"], result=result, out=out, by=acting_user(request)
    )
    out.seek(0)
    name = Path(result.file).stem + "-错误报告.xlsx"
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX)
