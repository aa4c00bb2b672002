"""Counseling pages: a school's mailbox and plans to review, a child's sessions and plan."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shouwang.accounts.access import acting_user
from shouwang.core.sheets.limits import limited_upload, refuse_into
from shouwang.core.views import form_page
from shouwang.orgs.models import Org, OrgKind

from . import selectors, services
from .forms import (
    MAX_SCAN,
    SCAN_TYPES,
    LetterForm,
    PlanForm,
    PlanReviewForm,
    ReplyForm,
    SessionForm,
)
from .models import IndividualPlan


def overview(request: HttpRequest) -> HttpResponse:
    if not selectors.may_counsel(request.user):
        raise Http404
    letters = list(selectors.letters_for(request.user)[:50])
    plans = list(selectors.plans_due_for(request.user)[:50])
    selectors.record_overview_seen(request.user, letters, plans)
    return render(
        request,
        "counseling/overview.html",
        {
            "letters": letters,
            "plans": plans,
            "mailboxes": selectors.mailboxes_for(request.user, timezone.localdate())[:50],
            "today": timezone.localdate(),
        },
    )


def _school(request: HttpRequest, code: str) -> Org:
    if not selectors.may_counsel(request.user):
        raise Http404
    return get_object_or_404(
        Org.objects.filter(selectors.schools_q(request.user, "path"), kind=OrgKind.SCHOOL),
        code=code,
    )


@require_POST
def open_mailbox(request: HttpRequest, code: str) -> HttpResponse:
    school = _school(request, code)
    services.open_mailbox(school=school, on=timezone.localdate(), by=acting_user(request))
    messages.success(
        request, _("The opening of %(school)s's box is recorded.") % {"school": school.name}
    )
    return redirect("counseling:overview")


@limited_upload(MAX_SCAN, SCAN_TYPES)
def add_letter(request: HttpRequest, code: str) -> HttpResponse:
    """A scan stops at 10 MB as it arrives, and must start as a JPEG, PNG or PDF does."""
    school = _school(request, code)
    form = LetterForm(
        request.POST or None, request.FILES or None, initial={"opened_on": timezone.localdate()}
    )
    refuse_into(form, "scan", request)
    return form_page(
        request,
        form=form,
        save=lambda d: services.add_letter(school=school, by=acting_user(request), **d),
        done=_("The letter was typed in."),
        back=reverse("counseling:overview"),
        template="web/form.html",
        context={"title": _("A letter from the mailbox") + f" · {school.name}"},
    )


def reply(request: HttpRequest, pk: int) -> HttpResponse:
    letter = selectors.letter_read_by(request.user, pk)
    if letter.reply:
        messages.info(request, _("This letter has a reply already."))
        return redirect("counseling:overview")
    return form_page(
        request,
        form=ReplyForm(request.POST or None),
        save=lambda d: services.reply(letter=letter, by=acting_user(request), **d),
        done=_("The reply was saved."),
        back=reverse("counseling:overview"),
        template="web/form.html",
        context={"title": _("Reply"), "note": letter.text},
    )


def letter_scan(request: HttpRequest, pk: int) -> FileResponse:
    letter = selectors.letter_scan_for(request.user, pk)
    return FileResponse(letter.scan.open("rb"), filename=Path(letter.scan.name).name)


def child(request: HttpRequest, pk: int) -> HttpResponse:
    kid = selectors.child_for_counseling(request.user, pk)
    return render(
        request,
        "counseling/child.html",
        {
            "child": kid,
            "sessions": selectors.sessions_of(kid),
            "plans": selectors.plans_of(kid),
        },
    )


def add_session(request: HttpRequest, pk: int) -> HttpResponse:
    kid = selectors.child_for_counseling(request.user, pk)
    return form_page(
        request,
        form=SessionForm(request.POST or None, initial={"on": timezone.localdate()}),
        save=lambda d: services.add_session(child=kid, by=acting_user(request), **d),
        done=_("The session was recorded."),
        back=reverse("counseling:child", args=[kid.pk]),
        template="web/form.html",
        context={"title": _("Record a counseling session") + f" · {kid.name}"},
    )


def start_plan(request: HttpRequest, pk: int) -> HttpResponse:
    kid = selectors.child_for_counseling(request.user, pk)
    return form_page(
        request,
        form=PlanForm(request.POST or None),
        save=lambda d: services.start_plan(child=kid, by=acting_user(request), **d),
        done=_("The individual plan was started."),
        back=reverse("counseling:child", args=[kid.pk]),
        template="web/form.html",
        context={"title": _("Start an individual plan") + f" · {kid.name}"},
    )


def review_plan(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(
        IndividualPlan.objects.filter(selectors.schools_q(request.user)), pk=pk
    )
    kid = selectors.child_for_counseling(request.user, plan.child_id)
    return form_page(
        request,
        form=PlanReviewForm(request.POST or None),
        save=lambda d: services.review_plan(plan=plan, by=acting_user(request), **d),
        done=_("The review was recorded."),
        back=reverse("counseling:child", args=[kid.pk]),
        template="web/form.html",
        context={"title": _("Review the individual plan") + f" · {kid.name}"},
    )
