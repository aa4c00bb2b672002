"""Uploading a ledger: read and check it, show how it was understood, then apply it whole."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shouwang.accounts.access import acting_user
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.care.selectors import children_pairable_by
from shouwang.children.selectors import children_editable_by, children_visible_to
from shouwang.core.concurrency import StaleEdit
from shouwang.core.sheets import encodings, uploads
from shouwang.core.sheets.limits import limited_upload, refuse_into
from shouwang.core.sheets.reader import EncodingUnsure, UnreadableFile, first_lines, precheck
from shouwang.core.sheets.writer import XLSX
from shouwang.orgs.models import REGION_KINDS, OrgKind
from shouwang.units.selectors import org_manageable_by, org_visible_to, orgs_manageable_by

from . import exports, layouts, services, tasks
from .forms import MAX_UPLOAD, SUFFIXES, EncodingForm, LayoutForm, TeachForm, UploadForm
from .models import ExportState
from .report import write_error_report
from .roster import ROSTER_KINDS, export_roster

BUCKET = "ledger_uploads"


def _pending(request: HttpRequest, token: str) -> tuple[Path, dict[str, Any], Any]:
    """The file this user uploaded under ``token`` (kept in their session), or 404."""
    path, entry = uploads.pending(request, token, bucket=BUCKET)
    return path, entry, org_manageable_by(request.user, entry["org"])


def _plan(request: HttpRequest, token: str, *, dry_run: bool) -> tuple[services.Plan, Any]:
    path, entry, org = _pending(request, token)
    plan = services.import_ledger(
        source=path,
        filename=entry["filename"],
        org=org,
        by=acting_user(request),
        dry_run=dry_run,
        mapping=services.mapping_for(org),
        encoding=entry.get("encoding"),
    )
    return plan, org


def _import_units(request: HttpRequest) -> Any:
    """School admins and region officers import into the units they manage; others: 404."""
    units = orgs_manageable_by(request.user).filter(kind__in=[OrgKind.SCHOOL, *REGION_KINDS])
    if not units.exists():
        raise Http404
    return units


@limited_upload(MAX_UPLOAD, SUFFIXES)
def upload(request: HttpRequest) -> HttpResponse:
    units = _import_units(request)
    form = UploadForm(request.POST or None, request.FILES or None, orgs=units)
    refuse_into(form, "file", request)
    if request.method == "POST" and form.is_valid():
        token = uploads.keep(
            request, form.cleaned_data["file"], bucket=BUCKET, org=form.cleaned_data["org"].code
        )
        _read(request, token)
        return redirect("ledger:preview", token=token)
    return render(request, "ledger/upload.html", {"form": form})


def _read(request: HttpRequest, token: str) -> dict[str, Any]:
    """Read the upload once, and keep what was found: a small file now, a big one by the
    worker (its state says how far it got)."""
    path, entry, org = _pending(request, token)
    state: dict[str, Any]
    try:  # a bomb, a CSV to ask about: told here, in a fraction of a second
        precheck(path, entry["filename"], encoding=entry.get("encoding"))
    except EncodingUnsure as exc:
        state = {
            "state": "ask",
            "message": str(exc),
            "candidates": list(exc.candidates),
            # How the first lines read in each: the user sees which one is right.
            "samples": [(encodings.label(e), first_lines(path, e)) for e in exc.candidates],
        }
        uploads.save_state(path, state)
        return state
    except UnreadableFile as exc:
        state = {"state": "unreadable", "message": str(exc)}
        uploads.save_state(path, state)
        return state
    if path.stat().st_size > tasks.READ_IN_REQUEST:
        tasks.queue_reading(
            path,
            filename=entry["filename"],
            org=org.code,
            user=acting_user(request).pk,
            encoding=entry.get("encoding"),
        )
        return uploads.state(path) or {"state": "queued"}
    state = services.reading_state(lambda: _plan(request, token, dry_run=True)[0])
    uploads.save_state(path, state)
    return state


def preview(request: HttpRequest, token: str) -> HttpResponse:
    """How the file was read, drawn from what reading it found (never from the file again);
    while the worker reads, how far it got (the page asks again each second); a CSV of an
    uncertain encoding, the question which one it is."""
    path, entry, org = _pending(request, token)
    if request.method == "POST":  # the encoding of a CSV, chosen
        form = EncodingForm(request.POST, candidates=tuple(encodings.ENCODINGS))
        if form.is_valid():
            uploads.update(request, token, bucket=BUCKET, encoding=form.cleaned_data["encoding"])
            uploads.clear_state(path)
            _read(request, token)
        return redirect("ledger:preview", token=token)
    state = uploads.state(path) or _read(request, token)
    if tasks.stalled(state):
        state = {
            "state": "unreadable",
            "message": _("Reading the file stopped before its end: upload it again, or split it."),
        }
        uploads.save_state(path, state)
    if state["state"] in ("queued", "reading"):
        context = {"token": token, "org": org, "file": entry["filename"], "state": state}
        if request.headers.get("HX-Request"):
            return render(request, "ledger/reading.html", context)
        return render(request, "ledger/preview_wait.html", context)
    if request.headers.get("HX-Request"):  # the reading is over: the whole page again
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    if state["state"] == "ask":
        return render(
            request,
            "ledger/encoding.html",
            {
                "token": token,
                "file": entry["filename"],
                "message": state["message"],
                "samples": state.get("samples", []),
                "form": EncodingForm(
                    candidates=tuple(state["candidates"]),
                    initial={"encoding": state["candidates"][0]},
                ),
            },
        )
    if state["state"] == "unreadable":
        return render(
            request,
            "ledger/upload.html",
            {
                "form": UploadForm(orgs=orgs_manageable_by(request.user)),
                "unreadable": state["message"],
            },
        )
    return render(
        request,
        "ledger/preview.html",
        {
            "token": token,
            "org": org,
            "result": state["result"],
            "error_count": state["error_count"],
            "columns": state["columns"],
            "first_rows": state["first_rows"],
            "teach_forms": [
                TeachForm(initial={"header": h}) for h in state["result"]["unknown_columns"]
            ],
            "errors": state["result"]["errors"],
            "not_in_file": state["not_in_file"],
            "encoding": encodings.label(entry["encoding"]) if entry.get("encoding") else "",
        },
    )


@require_POST
def teach(request: HttpRequest, token: str) -> HttpResponse:
    path, _entry, org = _pending(request, token)
    form = TeachForm(request.POST)
    if form.is_valid():
        services.teach_column(org=org, by=acting_user(request), **form.cleaned_data)
        messages.success(request, _("Saved: this unit's files will be read this way from now on."))
        uploads.clear_state(path)  # read again, the new way
        _read(request, token)
    return redirect("ledger:preview", token=token)


@require_POST
def apply(request: HttpRequest, token: str) -> HttpResponse:
    """The file read once more, against the register as it is now, and saved if still clean."""
    path, _entry, _org = _pending(request, token)
    try:
        plan, _org = _plan(request, token, dry_run=False)
    except UnreadableFile:
        uploads.clear_state(path)
        return redirect("ledger:preview", token=token)
    if plan.result.errors:  # the register changed since the preview: show it as it is now
        uploads.clear_state(path)
        return redirect("ledger:preview", token=token)
    uploads.forget(request, token, bucket=BUCKET)
    r = plan.result
    messages.success(
        request,
        _(
            "%(rows)s children imported: %(created)s new, %(updated)s changed, %(unchanged)s "
            "unchanged."
        )
        % {"rows": r.rows, "created": r.created, "updated": r.updated, "unchanged": r.unchanged},
    )
    if r.waiting_for_review:
        messages.info(
            request,
            _(
                "%(count)s new or changed archives wait for review by the level above: they "
                "count once confirmed."
            )
            % {"count": r.waiting_for_review},
        )
    if r.classes_created:
        messages.info(
            request,
            _("New classes: %(classes)s.") % {"classes": "、".join(r.classes_created)},
        )
    # The next steps are the new children's (pair them, assess them), not the whole register.
    request.session[DONE_KEY] = plan.created_ids[:NEXT_STEPS]
    return redirect("ledger:done")


# The new children a finished import lists with their next steps.
DONE_KEY = "ledger_import_created"
NEXT_STEPS = 500


def done(request: HttpRequest) -> HttpResponse:
    """After an import: the children it added, each to pair and to assess."""
    _import_units(request)
    ids = request.session.get(DONE_KEY) or []
    children = list(
        children_visible_to(request.user)
        .filter(pk__in=ids)
        .select_related("school_class")
        .order_by("school_class__path", "name_initials", "pk")
    )
    return render(
        request,
        "ledger/done.html",
        {
            "children": children,
            "may_pair": children_pairable_by(request.user).filter(pk__in=ids).exists(),
            "may_assess": children_editable_by(request.user).filter(pk__in=ids).exists(),
        },
    )


def error_report(request: HttpRequest, token: str) -> FileResponse:
    plan, _org = _plan(request, token, dry_run=True)
    if not plan.result.errors:
        raise Http404
    out = io.BytesIO()
    write_error_report(plan, out, by=acting_user(request))
    out.seek(0)
    name = Path(plan.result.file).stem + "-错误报告.xlsx"
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX)


# --- exports (ledger.exports) ------------------------------------------------------------


def export(request: HttpRequest, code: str) -> HttpResponse:
    """Ask for the unit's ledger: masked, or (for who may unmask) in full. The file is written
    by the worker (a small one at once) and waits on the exports page."""
    org = org_visible_to(request.user, code)
    user = acting_user(request)
    scope = scope_of(user)
    if not scope.may(Area.LEDGER, Action.EXPORT, org):
        raise Http404
    may_unmask = scope.may(Area.ID_NUMBER, Action.REVEAL)
    if request.method == "POST":
        unmasked = may_unmask and request.POST.get("unmasked") == "1"
        job = exports.request_export(org=org, by=user, unmasked=unmasked)
        if job.state == ExportState.AWAITING_APPROVAL:
            messages.info(
                request,
                _(
                    "An unmasked export of a unit above a school needs a second person's "
                    "approval: they were told, and the file is written once they approve."
                ),
            )
        else:
            messages.success(request, _("The export was started: it waits for you below."))
        return redirect("ledger:exports")
    return render(
        request,
        "ledger/export.html",
        {
            "org": org,
            "may_unmask": may_unmask,
            "needs_approval": exports.needs_approval(org=org, unmasked=True),
            "hours": settings.SHOUWANG_EXPORT_HOURS,
            "has_roster": org.kind in ROSTER_KINDS,
            "layout": layouts.layout_for(org),
            # A region's officers set the layout its units' ledgers are written in.
            "may_set_layout": org.kind in REGION_KINDS
            and scope.may(Area.SETTINGS, Action.CHANGE, org),
        },
    )


@never_cache
def roster(request: HttpRequest, code: str) -> HttpResponse | FileResponse:
    """花名册 of a school, grade or class, one sheet per grade: masked as the unit's 台账 would
    be for this user (in full only when asked by someone who may unmask)."""
    org = org_visible_to(request.user, code)
    user = acting_user(request)
    scope = scope_of(user)
    if org.kind not in ROSTER_KINDS or not scope.may(Area.LEDGER, Action.EXPORT, org):
        raise Http404
    may_unmask = scope.may(Area.ID_NUMBER, Action.REVEAL)
    if request.method == "POST":
        out = io.BytesIO()
        export_roster(
            org=org, out=out, by=user, unmasked=may_unmask and request.POST.get("unmasked") == "1"
        )
        out.seek(0)
        name = f"{download_name(org.name)}留守儿童花名册{timezone.localdate():%Y%m%d}.xlsx"
        return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX)
    return render(request, "ledger/roster.html", {"org": org, "may_unmask": may_unmask})


def layout(request: HttpRequest, code: str) -> HttpResponse:
    """A region officer's ledger layout for the region (本县台账格式): used by every ledger
    export of its units; a new version with each save."""
    region = org_visible_to(request.user, code)
    user = acting_user(request)
    if region.kind not in REGION_KINDS or not scope_of(user).may(
        Area.SETTINGS, Action.CHANGE, region
    ):
        raise Http404
    in_use = layouts.layout_for(region)
    form = LayoutForm(
        request.POST or None,
        columns=list(in_use.columns),
        initial={
            "title": in_use.title,
            "unit_and_date": in_use.unit_and_date,
            "version": layouts.layout_version(region),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            layouts.save_layout(
                region=region,
                by=user,
                columns=form.layout_columns(),
                title=data["title"],
                unit_and_date=data["unit_and_date"],
                standard=data["standard"],
                version=data["version"],
            )
        except StaleEdit as exc:
            # Shown again against the version saved meanwhile: saved again, knowingly.
            exc.renew(form)
            form.add_error(None, exc)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The ledger layout was saved: exports use it from now on."))
            return redirect("ledger:layout", code=region.code)
    return render(
        request,
        "ledger/layout.html",
        {"region": region, "form": form, "in_use": in_use, "own": layouts.current_layout(region)},
    )


# At most this many jobs of one's own, and waiting for one's approval, on the page.
JOBS_SHOWN = 50


# A ledger of children's ID numbers, and the page listing who asked for which, are never kept
# by the browser's or a proxy's cache (a shared township computer).
@never_cache
def export_jobs(request: HttpRequest) -> HttpResponse:
    """One's exports with their progress (the page asks again while one is being written) and
    the exports waiting for one's approval."""
    user = acting_user(request)
    if not scope_of(user).may(Area.LEDGER, Action.EXPORT):
        raise Http404
    now = timezone.now()
    # Each job with whether its build stopped and whether its download expired.
    jobs = [
        (job, exports.stalled(job, now), job.expired(now))
        for job in exports.jobs_of(user)[:JOBS_SHOWN]
    ]
    context = {
        "jobs": jobs,
        "waiting": exports.waiting_for(user, limit=JOBS_SHOWN),
        "polling": any(job.active and not stalled for job, stalled, _gone in jobs),
        "hours": settings.SHOUWANG_EXPORT_HOURS,
    }
    if request.headers.get("HX-Request"):
        return render(request, "ledger/export_jobs_list.html", context)
    return render(request, "ledger/export_jobs.html", context)


@never_cache
def export_download(request: HttpRequest, pk: int) -> HttpResponse | FileResponse:
    """The file, for the one who asked, until it expires (then 410 with the reason)."""
    user = acting_user(request)
    job = exports.job_to_download(user, pk)
    try:
        path = exports.hand_out(job=job, by=user)
    except exports.ExportGone:
        return render(request, "ledger/export_gone.html", {"job": job}, status=410)
    day = timezone.localtime(job.finished_at)
    name = f"{download_name(job.org.name)}留守儿童台账{day:%Y%m%d}.xlsx"
    return FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type=XLSX)


def download_name(unit: str) -> str:
    """A unit's name as part of a file name: letters and digits (Chinese ones too) kept, any
    run of anything else (slashes, dots, quotes, line breaks) one "_", so a name typed on the
    organisations page never shapes the download's header or where the browser saves it."""
    return re.sub(r"[\W_]+", "_", unit).strip("_")[:60] or "ledger"


def _decide(request: HttpRequest, pk: int, *, approve: bool) -> HttpResponse:
    user = acting_user(request)
    job = exports.job_to_decide(user, pk)
    try:
        if approve:
            exports.approve_export(job=job, by=user)
            messages.success(request, _("Approved: the export is being written for them."))
        else:
            exports.refuse_export(job=job, by=user)
            messages.success(request, _("Refused: they were told."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("ledger:exports")


@require_POST
def export_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=True)


@require_POST
def export_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=False)
