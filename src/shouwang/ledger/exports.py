"""A unit's 台账 exported as a job (导出任务, issue 18): asked for on the page, approved by a
second person where the law asks for one, written by the worker with its progress on the
exports page (a small one at once, through the same function), downloaded by the one who asked
until it expires, then removed by the worker.

Reads (``jobs_of``, ``awaiting_approval_by``) take the user and apply the gate; writes are the
services below, each audited. An unmasked export of a unit above a school — several schools'
children with their ID numbers and phones in full — needs someone else who may make that same
export (PIPL arts. 28 and 31: minors' information is sensitive; SHOUWANG_EXPORT_APPROVAL).
"""

from __future__ import annotations

import logging
import os
import re
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of, who
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.core.sheets.writer import Watermark
from shouwang.notices import alerts
from shouwang.notices.services import notify
from shouwang.orgs.models import Org, OrgKind

from . import tasks
from .ledgers import export_ledger, ledger_children, new_serial, who_is
from .models import ExportJob, ExportState

if TYPE_CHECKING:
    from shouwang.accounts.models import User

log = logging.getLogger(__name__)

# A school and what lies inside it: one school's children, approved by its own head.
AT_OR_BELOW_A_SCHOOL = frozenset({OrgKind.SCHOOL, OrgKind.GRADE, OrgKind.SCHOOL_CLASS})
# A build that has not said how far it got for this long has stopped (the worker was stopped,
# or the task ran out of time): shown as failed, and so set by the purge.
STALLED_AFTER = timedelta(seconds=tasks.EXPORT_TIMEOUT + 60)


class ExportGone(Exception):
    """The file is no longer there to download: expired, removed, or never written."""


def needs_approval(*, org: Org, unmasked: bool) -> bool:
    return bool(unmasked and settings.SHOUWANG_EXPORT_APPROVAL) and (
        org.kind not in AT_OR_BELOW_A_SCHOOL
    )


def _exports_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "exports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkdir leaves a folder made before (by hand, or under another umask) as it was: the
    # ledgers in it are the server's alone.
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def _file_of(job: ExportJob) -> Path:
    """The job's file: its name was set by :func:`build` from the serial; anything else in the
    column (a hand-edited row) names no file."""
    if job.file != f"{job.serial}.xlsx":
        raise ExportGone
    return _exports_dir() / job.file


def stalled(job: ExportJob, now: datetime | None = None) -> bool:
    seen = job.progress_at or job.created_at
    return job.state == ExportState.BUILDING and (now or timezone.now()) - seen > STALLED_AFTER


# --- reads ----------------------------------------------------------------------------------


def jobs_of(user: User) -> QuerySet[ExportJob]:
    """The exports ``user`` asked for: only the one who asked sees and downloads a job."""
    return ExportJob.objects.filter(requested_by=user).select_related("org", "decided_by")


def job_of(user: User, pk: int) -> ExportJob:
    return get_object_or_404(jobs_of(user), pk=pk)


def job_to_download(user: User, pk: int) -> ExportJob:
    """The one who asked, while they still may make that export: someone whose role over the
    unit ended (moved, left) gets a 404 like anyone else, not the file asked for before."""
    job = job_of(user, pk)
    scope = scope_of(user)
    if not scope.may(Area.LEDGER, Action.EXPORT, job.org) or (
        job.unmasked and not scope.may(Area.ID_NUMBER, Action.REVEAL)
    ):
        raise Http404
    return job


def _decidable_by(user: User) -> QuerySet[ExportJob]:
    """The exports that waited (or wait) for a second person that ``user`` may be: someone
    else's, of a unit over which ``user`` may make the same unmasked export (export the ledger
    and unmask its ID numbers, accounts.policy)."""
    scope = scope_of(user)
    return (
        ExportJob.objects.filter(
            Q(state=ExportState.AWAITING_APPROVAL) | Q(decided_by__isnull=False)
        )
        .exclude(requested_by=user)
        .filter(scope.units_q(Area.LEDGER, Action.EXPORT, "org_path"))
        .filter(scope.units_q(Area.ID_NUMBER, Action.REVEAL, "org_path"))
        .select_related("org", "requested_by")
    )


def awaiting_approval_by(user: User) -> QuerySet[ExportJob]:
    """The exports waiting for a second person that ``user`` may approve (but see
    :func:`same_person`: compared row by row, phones being encrypted)."""
    return _decidable_by(user).filter(state=ExportState.AWAITING_APPROVAL)


def waiting_for(user: User, *, limit: int) -> list[ExportJob]:
    """The exports waiting for ``user``'s approval, as the exports page lists them."""
    jobs = awaiting_approval_by(user)[:limit]
    return [job for job in jobs if not same_person(job.requested_by, user)]


def same_person(one: User, other: User) -> bool:
    """One login, or two logins with one phone: one person, who is not their own second person
    (PIPL art. 31's approval is worth nothing if the asker approves under another name)."""
    if one.pk == other.pk:
        return True
    phone = re.sub(r"\D", "", one.phone or "")
    return bool(phone) and phone == re.sub(r"\D", "", other.phone or "")


def job_to_decide(user: User, pk: int) -> ExportJob:
    """A job ``user`` may approve or refuse, or might have while it waited (a page opened
    before another approver decided: told so by :func:`approve_export`); anything else (their
    own, another unit's, one that never waited) is a 404."""
    job = get_object_or_404(_decidable_by(user), pk=pk)
    if same_person(job.requested_by, user):
        raise Http404
    return job


# --- writes ---------------------------------------------------------------------------------


def request_export(*, org: Org, by: User, unmasked: bool) -> ExportJob:
    """Ask for ``org``'s ledger: queued (built now when small) or, unmasked above a school,
    waiting for a second person, who is told. ``unmasked`` from someone who may not unmask is
    a masked export, as before."""
    _children, full = ledger_children(org=org, by=by, unmasked=unmasked)
    waits = needs_approval(org=org, unmasked=full)
    with transaction.atomic():
        job = ExportJob(
            requested_by=by,
            org=org,
            org_path=org.path,
            unmasked=full,
            serial=new_serial(),
            state=ExportState.AWAITING_APPROVAL if waits else ExportState.QUEUED,
        )
        job.full_clean()
        job.save()
        audit.record(
            actor=by,
            action=AuditAction.CREATE,
            obj=job,
            org_path=org.path,
            changes={"unmasked": full, "serial": job.serial, "state": job.state},
        )
        if waits:
            _tell_approvers(job)
        else:
            transaction.on_commit(partial(_start, job.pk))
    alerts.note(alerts.EXPORTS, by)
    return job


def _tell_approvers(job: ExportJob) -> None:
    approvers = [
        u
        for u in who(Area.LEDGER, Action.EXPORT, job.org)
        if awaiting_approval_by(u).filter(pk=job.pk).exists()
        and not same_person(job.requested_by, u)
    ]
    notify(
        approvers,
        text=_("%(who)s asks to export the ledger of %(unit)s unmasked: approve or refuse it.")
        % {"who": who_is(job.requested_by), "unit": job.org.name},
        url=reverse("ledger:exports"),
        key=f"export-{job.pk}-approve",
    )


def approve_export(*, job: ExportJob, by: User) -> ExportJob:
    return _decide(job=job, by=by, approve=True)


def refuse_export(*, job: ExportJob, by: User) -> ExportJob:
    return _decide(job=job, by=by, approve=False)


def _decide(*, job: ExportJob, by: User, approve: bool) -> ExportJob:
    if same_person(job.requested_by, by):
        raise PermissionDenied("an export is approved by someone else")
    with transaction.atomic():
        locked = ExportJob.objects.select_for_update().get(pk=job.pk)
        if locked.state != ExportState.AWAITING_APPROVAL:
            raise ValidationError(_("This export was approved or refused already."))
        if not awaiting_approval_by(by).filter(pk=job.pk).exists():
            raise PermissionDenied("not theirs to approve")
        before = locked.state
        locked.state = ExportState.QUEUED if approve else ExportState.REFUSED
        locked.decided_by, locked.decided_at = by, timezone.now()
        locked.save(update_fields=["state", "decided_by", "decided_at"])
        audit.record(
            actor=by,
            action=AuditAction.UPDATE,
            obj=locked,
            org_path=locked.org_path,
            changes={
                "state": [before, locked.state],
                "approved": approve,
                "serial": locked.serial,
                "requested_by": locked.requested_by.get_username(),
            },
        )
        told = (
            _("%(who)s approved your export of the ledger of %(unit)s.")
            if approve
            else _("%(who)s refused your export of the ledger of %(unit)s.")
        )
        notify(
            [locked.requested_by],
            text=told % {"who": who_is(by), "unit": locked.org.name},
            url=reverse("ledger:exports"),
            key=f"export-{locked.pk}-decided",
        )
        if approve:
            transaction.on_commit(partial(_start, locked.pk))
    return locked


def _start(job_pk: int) -> None:
    """Written now when small (the request waits a second or so), else by the worker."""
    job = ExportJob.objects.select_related("org", "requested_by").get(pk=job_pk)
    children, _full = ledger_children(org=job.org, by=job.requested_by, unmasked=job.unmasked)
    total = children.count()
    ExportJob.objects.filter(pk=job_pk).update(rows_total=total)
    if total <= settings.SHOUWANG_EXPORT_IN_REQUEST_ROWS:
        build(job_pk=job_pk)
    else:
        tasks.queue_export(job_pk)


def build(*, job_pk: int) -> str:
    """Write the job's file (the worker's task, or the request's for a small one): claimed by
    one conditional update, so a task handed over twice writes once; created 600 under var/,
    written aside and renamed, so a half-written file is never offered."""
    claimed = ExportJob.objects.filter(pk=job_pk, state=ExportState.QUEUED).update(
        state=ExportState.BUILDING, progress_at=timezone.now()
    )
    if not claimed:
        return "not queued"
    job = ExportJob.objects.select_related("org", "requested_by").get(pk=job_pk)
    name = f"{job.serial}.xlsx"
    target = _exports_dir() / name
    aside = target.with_name(f"{name}.part")

    def progress(rows: int) -> None:
        ExportJob.objects.filter(pk=job_pk).update(rows_done=rows, progress_at=timezone.now())

    try:
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            rows = export_ledger(
                org=job.org,
                out=out,
                by=job.requested_by,
                unmasked=job.unmasked,
                watermark=Watermark(
                    who=who_is(job.requested_by), at=timezone.now(), serial=job.serial
                ),
                progress=progress,
            )
        os.replace(aside, target)
    except Exception as exc:  # the job says it failed; the page offers to ask again
        aside.unlink(missing_ok=True)
        log.exception("export %s failed", job.serial)
        ExportJob.objects.filter(pk=job_pk).update(
            state=ExportState.FAILED, error=f"{type(exc).__name__}: {exc}"[:300]
        )
        return "failed"
    now = timezone.now()
    ExportJob.objects.filter(pk=job_pk).update(
        state=ExportState.READY,
        rows_done=rows,
        rows_total=rows,
        file=name,
        finished_at=now,
        progress_at=now,
        expires_at=now + timedelta(hours=settings.SHOUWANG_EXPORT_HOURS),
    )
    notify(
        [job.requested_by],
        text=_("The ledger of %(unit)s is ready: download it within %(hours)s hours.")
        % {"unit": job.org.name, "hours": settings.SHOUWANG_EXPORT_HOURS},
        url=reverse("ledger:exports"),
        key=f"export-{job_pk}-ready",
    )
    return "ready"


def hand_out(*, job: ExportJob, by: User) -> Path:
    """The file, for the one who asked for it: every download counted and on the audit log;
    :class:`ExportGone` once it expired or was removed."""
    if by.pk != job.requested_by_id:
        raise PermissionDenied("only the one who asked downloads an export")
    if job.state != ExportState.READY or job.expired() or not job.file:
        raise ExportGone
    path = _file_of(job)
    if not path.exists():
        raise ExportGone
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(downloads=F("downloads") + 1)
        audit.record(
            actor=by,
            action=AuditAction.EXPORT,
            obj=job,
            org_path=job.org_path,
            changes={"serial": job.serial, "downloaded": job.downloads + 1},
        )
    return path


def purge_expired(*, now: datetime | None = None) -> int:
    """The worker's round: files past their time removed (the job kept, as the record of what
    was handed out), builds that stopped marked failed, leftovers of those removed. Returns
    how many files went."""
    now = now or timezone.now()
    removed = 0
    for job in ExportJob.objects.filter(state=ExportState.READY, expires_at__lte=now):
        with transaction.atomic():
            if not ExportJob.objects.filter(pk=job.pk, state=ExportState.READY).update(
                state=ExportState.EXPIRED, file=""
            ):
                continue
            # The worker's removal of a file of personal data is on the log, like its handing
            # out (actor none: the system), so the log tells when each copy stopped existing.
            audit.record(
                actor=None,
                action=AuditAction.PURGE,
                obj=job,
                org_path=job.org_path,
                changes={
                    "state": [ExportState.READY, ExportState.EXPIRED],
                    "serial": job.serial,
                    "downloads": job.downloads,
                },
            )
        if job.file:
            try:
                _file_of(job).unlink(missing_ok=True)
                removed += 1
            except ExportGone:
                pass  # a name not of this job's making: the sweep below removes its file
    ExportJob.objects.filter(
        state=ExportState.BUILDING, progress_at__lt=now - STALLED_AFTER
    ).update(state=ExportState.FAILED, error="stopped before its end")
    kept = set(
        ExportJob.objects.filter(state__in=[ExportState.READY, ExportState.BUILDING])
        .exclude(file="")
        .values_list("file", flat=True)
    )
    building = set(
        ExportJob.objects.filter(state=ExportState.BUILDING).values_list("serial", flat=True)
    )
    for path in _exports_dir().iterdir():
        serial = path.name.split(".", 1)[0]
        if path.name not in kept and serial not in building:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
