"""Inspection pages: the list (inspections and rectifications, by unit, state, overdue), one
inspection with its findings and their history, and the forms: record / edit / void an
inspection, add / edit / void a finding, answer it with evidence, close or return it; an
evidence photo through a scoped view only. Thin: the selectors find (out of scope is a 404),
the services write."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from shouwang.accounts.access import acting_user
from shouwang.accounts.policy import Action
from shouwang.core.sheets.limits import limited_upload, refuse_into
from shouwang.core.views import form_page
from shouwang.orgs.models import Org

from . import selectors, services
from .forms import (
    MAX_BODY,
    PHOTO_TYPES,
    AnswerForm,
    CloseForm,
    FilterForm,
    InspectionForm,
    RectificationForm,
    ReturnForm,
    VoidForm,
)
from .models import Rectification, RectificationState, Step

LIST_ROWS = 200


def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not selectors.may_view(user):
        raise Http404
    today = timezone.localdate()
    units = selectors.units_seen(user)
    form = FilterForm(request.GET or None, units=units)
    inspections = selectors.inspections_visible_to(user).filter(voided_at__isnull=True)
    rectifications = selectors.rectifications_visible_to(user)
    if form.is_valid():
        unit: Org | None = form.cleaned_data["unit"]
        if unit is not None:
            inspections = inspections.filter(unit__path__startswith=unit.path)
            rectifications = rectifications.filter(unit__path__startswith=unit.path)
        if form.cleaned_data["state"]:
            rectifications = rectifications.filter(state=form.cleaned_data["state"])
        if form.cleaned_data["overdue"]:
            rectifications = rectifications.filter(selectors.overdue_q(today))
    return render(
        request,
        "inspections/index.html",
        {
            "form": form,
            "inspections": selectors.with_counts(inspections, today)[:LIST_ROWS],
            "rectifications": rectifications[:LIST_ROWS],
            "today": today,
            "may_inspect": selectors.may_inspect(user),
        },
    )


def add(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not selectors.may_inspect(user):
        raise Http404
    form = InspectionForm(
        request.POST or None,
        units=selectors.units_to_inspect(user),
        initial={"on": timezone.localdate(), "kind": "routine", "inspectors": user.display_name},
    )
    made: dict[str, Any] = {}

    def save(data: dict[str, Any]) -> object:
        made["inspection"] = services.record_inspection(by=user, **data)
        return made["inspection"]

    response = form_page(
        request,
        form=form,
        save=save,
        done=_("The inspection was recorded: now add what was found."),
        back=reverse("inspections:index"),
        template="web/form.html",
        context={"title": _("Record an inspection")},
    )
    if "inspection" in made:  # on to its page, to add the findings
        response["Location"] = reverse("inspections:detail", args=[made["inspection"].pk])
    return response


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    inspection = selectors.inspection_for(user, pk)
    unit = inspection.unit
    live = inspection.voided_at is None
    holds = live and selectors.may(user, Action.ADD, unit)
    answers = live and selectors.may(user, Action.CHANGE, unit)
    steps = Step.objects.select_related("by").prefetch_related("photos")
    rectifications = list(
        Rectification.objects.filter(inspection=inspection)
        .select_related("responsible_user")
        .prefetch_related(Prefetch("steps", queryset=steps))
    )
    return render(
        request,
        "inspections/detail.html",
        {
            "inspection": inspection,
            "rectifications": rectifications,
            "today": timezone.localdate(),
            "holds": holds,
            "answers": answers,
            "states": RectificationState,
        },
    )


def edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    inspection = selectors.inspection_held_by(user, pk)
    form = InspectionForm(
        request.POST or None,
        units=None,
        initial={
            "on": inspection.on,
            "kind": inspection.kind,
            "inspectors": inspection.inspectors,
            "summary_text": inspection.summary_text,
            "version": services.inspection_version(inspection),
        },
    )

    def save(data: dict[str, Any]) -> object:
        return services.change_inspection(inspection=inspection, by=user, **data)

    return form_page(
        request,
        form=form,
        save=save,
        done=_("The inspection was saved."),
        back=reverse("inspections:detail", args=[inspection.pk]),
        template="web/form.html",
        context={"title": _("Change the inspection") + f" · {inspection.unit.name}"},
    )


def void(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    inspection = selectors.inspection_held_by(user, pk)
    return form_page(
        request,
        form=VoidForm(request.POST or None),
        save=lambda d: services.void_inspection(inspection=inspection, by=user, **d),
        done=_("The inspection was voided."),
        back=reverse("inspections:detail", args=[inspection.pk]),
        template="web/form.html",
        context={
            "title": _("Void the inspection") + f" · {inspection.unit.name}",
            "note": _("It stays on record, struck out, with the reason."),
        },
    )


def add_rectification(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    inspection = selectors.inspection_held_by(user, pk)
    form = RectificationForm(
        request.POST or None, people=selectors.people_of(inspection.unit), editing=False
    )
    return form_page(
        request,
        form=form,
        save=lambda d: services.add_rectification(inspection=inspection, by=user, **d),
        done=_("The finding was added."),
        back=reverse("inspections:detail", args=[inspection.pk]),
        template="web/form.html",
        context={"title": _("Add a finding") + f" · {inspection.unit.name}"},
    )


def edit_rectification(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    rectification = selectors.rectification_held_by(user, pk)
    form = RectificationForm(
        request.POST or None,
        people=selectors.people_of(rectification.unit),
        editing=True,
        initial={
            "finding_text": rectification.finding_text,
            "responsible_user": rectification.responsible_user_id,
            "responsible_name": rectification.responsible_name,
            "deadline": rectification.deadline,
            "version": services.rectification_version(rectification),
        },
    )
    return form_page(
        request,
        form=form,
        save=lambda d: services.change_rectification(rectification=rectification, by=user, **d),
        done=_("The finding was saved."),
        back=reverse("inspections:detail", args=[rectification.inspection_id]),
        template="web/form.html",
        context={"title": _("Change the finding") + f" · {rectification.unit.name}"},
    )


def void_rectification(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    rectification = selectors.rectification_held_by(user, pk)
    return form_page(
        request,
        form=VoidForm(request.POST or None),
        save=lambda d: services.void_rectification(rectification=rectification, by=user, **d),
        done=_("The finding was voided."),
        back=reverse("inspections:detail", args=[rectification.inspection_id]),
        template="web/form.html",
        context={
            "title": _("Void the finding") + f" · {rectification.unit.name}",
            "note": _("It stays on record, struck out, with the reason."),
        },
    )


def _finding_context(rectification: Rectification, title: str) -> dict[str, Any]:
    return {
        "title": f"{title} · {rectification.unit.name}",
        "note": rectification.finding_text,
    }


@limited_upload(MAX_BODY, PHOTO_TYPES)
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    rectification = selectors.rectification_answerable_by(user, pk)
    # Bound on every POST: a body the upload handler refused arrives empty.
    sent = request.method == "POST"
    form = AnswerForm(
        request.POST if sent else None,
        request.FILES if sent else None,
        initial={"version": services.rectification_version(rectification)},
    )
    refuse_into(form, "photos", request)
    return form_page(
        request,
        form=form,
        save=lambda d: services.answer(rectification=rectification, by=user, **d),
        done=_("The answer was sent to the inspector."),
        back=reverse("inspections:detail", args=[rectification.inspection_id]),
        template="web/form.html",
        context=_finding_context(rectification, _("Answer the rectification")),
    )


def _inspector_step(
    request: HttpRequest,
    pk: int,
    form_class: type[CloseForm] | type[ReturnForm],
    step: Callable[..., object],
    done: str,
    title: str,
) -> HttpResponse:
    """The inspector's side of an answered rectification: close it or send it back."""
    user = acting_user(request)
    rectification = selectors.rectification_held_by(user, pk)
    form = form_class(
        request.POST or None,
        initial={"version": services.rectification_version(rectification)},
    )
    return form_page(
        request,
        form=form,
        save=lambda d: step(rectification=rectification, by=user, **d),
        done=done,
        back=reverse("inspections:detail", args=[rectification.inspection_id]),
        template="web/form.html",
        context=_finding_context(rectification, title),
    )


@require_http_methods(["GET", "POST"])
def close(request: HttpRequest, pk: int) -> HttpResponse:
    return _inspector_step(
        request,
        pk,
        CloseForm,
        services.close,
        _("The rectification was closed."),
        _("Close the rectification"),
    )


@require_http_methods(["GET", "POST"])
def send_back(request: HttpRequest, pk: int) -> HttpResponse:
    return _inspector_step(
        request,
        pk,
        ReturnForm,
        services.send_back,
        _("The answer was returned to the unit."),
        _("Return the answer"),
    )


def photo(request: HttpRequest, pk: int) -> FileResponse:
    found = selectors.photo_for(request.user, pk)
    return FileResponse(found.image.open("rb"), filename=Path(found.image.name).name)
