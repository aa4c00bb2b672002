"""Reporting rounds' pages: the rounds, a round's units and summed figures (compared with another
round), opening a round, a unit's submit page with its versions, returning a submission."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.access import acting_user
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.children.models import Gender
from shouwang.children.selectors import unconfirmed_under
from shouwang.children.types import LeftBehindType
from shouwang.core.concurrency import StaleEdit
from shouwang.core.views import form_page, show_error
from shouwang.orgs.models import Org
from shouwang.units.selectors import org_visible_to

from . import selectors, services
from .forms import OpenRoundForm, ReturnForm, SubmitForm
from .models import Level
from .selectors import Status


def figure_rows(figures: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The figures a clerk checks, with their names in words."""
    if not figures:
        return []

    def share(value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.2f}%"

    rows = [
        (_("Students enrolled"), str(figures.get("students_total", 0))),
        (_("Left-behind children"), str(figures.get("left_behind_total", 0))),
        (_("Share of students"), share(figures.get("left_behind_ratio"))),
        (_("Pairing coverage"), share(figures.get("pairing_coverage"))),
    ]
    by_type = figures.get("by_type", {})
    rows += [
        (str(label), str(by_type.get(key, 0)))
        for key, label in LeftBehindType.choices
        if key in by_type
    ]
    by_gender = figures.get("by_gender", {})
    rows += [(str(label), str(by_gender.get(key, 0))) for key, label in Gender.choices]
    return rows


def index(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if not scope.may(Area.ROUNDS, Action.VIEW):
        raise Http404
    may_open = scope.may(Area.ROUNDS, Action.ADD)
    return render(
        request,
        "oversight/index.html",
        {
            "rounds": selectors.rounds_visible_to(request.user)[:100],
            "openable": (
                Org.objects.filter(
                    scope.units_q(Area.ROUNDS, Action.ADD), kind__in=services.OPENING_KINDS
                ).order_by("path")[:20]
                if may_open
                else []
            ),
        },
    )


def open_round(request: HttpRequest, code: str) -> HttpResponse:
    org = org_visible_to(request.user, code)
    if org.kind not in services.OPENING_KINDS or not scope_of(request.user).may(
        Area.ROUNDS, Action.ADD, org
    ):
        raise Http404
    units = Org.objects.filter(pk__in=[u.pk for u in services.reporting_units_under(org)])
    form = OpenRoundForm(request.POST or None, units=units.order_by("path"))
    return form_page(
        request,
        form=form,
        save=lambda d: services.open_round(
            org=org,
            title=d["title"],
            due=d["due"],
            due_upward=d["due_upward"],
            units=list(d["units"]) or None,
            by=acting_user(request),
        ),
        done=_("The round was opened."),
        back=reverse("oversight:index"),
        template="web/form.html",
        context={"title": _("Open a reporting round") + f" · {org.name}"},
    )


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = selectors.round_visible_to(request.user, pk)
    report = selectors.report_for(request.user, round_)
    others = selectors.rounds_visible_to(request.user).exclude(pk=round_.pk)[:50]
    comparison = other = None
    wanted = request.GET.get("compare", "")
    if wanted.isdigit():
        other = selectors.round_visible_to(request.user, int(wanted))
        earlier, later = sorted([round_, other], key=lambda r: (r.opened_at, r.pk))
        comparison = selectors.compare(
            selectors.report_for(request.user, earlier), selectors.report_for(request.user, later)
        )
    submits, returns = selectors.rights_over(request.user, [row.unit for row in report.rows])
    return render(
        request,
        "oversight/detail.html",
        {
            "round": round_,
            "report": report,
            "rows": [
                (
                    row,
                    row.unit.pk in submits,
                    row.status in selectors.IN and row.unit.pk in returns,
                )
                for row in report.rows
            ],
            "figures": figure_rows(report.figures),
            "submitted": len(report.codes(*selectors.IN)),
            "late": len(report.late),
            "missing": len(report.codes(Status.RETURNED, Status.MISSING)),
            "others": others,
            "other": other,
            "comparison": comparison,
        },
    )


def unit(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.unit_to_submit(request.user, pk)
    user = acting_user(request)
    form = SubmitForm(request.POST or None, initial={"version": services.unit_version(found)})
    if request.method == "POST" and form.is_valid():
        try:
            services.submit(unit=found, by=user, version=form.cleaned_data["version"] or "")
        except StaleEdit as exc:
            exc.renew(form)
            form.add_error(None, exc)
        except ValidationError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("Submitted: the report is frozen as it is now."))
            return redirect("oversight:unit", pk=found.pk)
    status = selectors.status_of(found)
    figures = None
    waiting = services.units_not_in(found) if found.level == Level.REGION else []
    if status not in selectors.IN and not waiting:
        if found.level == Level.REGION:
            figures, _paired, _children = services.upward(found)
        else:
            figures, _paired, _children = services.preview(found.org, timezone.localdate())
    return render(
        request,
        "oversight/unit.html",
        {
            "unit": found,
            "status": status,
            "late": selectors.is_late(found, timezone.localdate()),
            "versions": selectors.versions(found),
            "figures": figure_rows(figures),
            "unconfirmed": unconfirmed_under(found.org) if figures else 0,
            "waiting": waiting,
            "form": form,
            "may_submit": status not in selectors.IN,
        },
    )


def return_submission(request: HttpRequest, pk: int) -> HttpResponse:
    submission = selectors.submission_to_return(request.user, pk)
    form = ReturnForm(
        request.POST or None, initial={"version": services.submission_version(submission)}
    )
    return form_page(
        request,
        form=form,
        save=lambda d: services.return_submission(
            submission=submission,
            comment=d["comment"],
            by=acting_user(request),
            version=d["version"] or "",
        ),
        done=_("Returned: the unit was told and submits again."),
        back=reverse("oversight:detail", args=[submission.unit.round_id]),
        template="web/form.html",
        context={
            "title": _("Return the report of %(org)s") % {"org": submission.unit.org.name},
            "note": _("Version %(version)s, submitted %(at)s.")
            % {
                "version": submission.version,
                "at": timezone.localtime(submission.submitted_at).strftime("%Y-%m-%d %H:%M"),
            },
        },
    )


def ledger(request: HttpRequest, pk: int) -> FileResponse:
    """The ledger file frozen with a submission (masked as written), its hand-out logged."""
    submission = selectors.submission_visible_to(request.user, pk)
    if not submission.ledger:
        raise Http404
    audit.record(
        actor=acting_user(request),
        action=AuditAction.EXPORT,
        obj=submission,
        org_path=submission.unit.org.path,
        changes={"ledger_sha256": submission.ledger_sha256},
    )
    return FileResponse(
        submission.ledger.open("rb"),
        as_attachment=True,
        filename=f"{submission.unit.org.name}台账-v{submission.version}.xlsx",
    )
