"""Report an emergency, follow its chain step by step, close it; a region's chain setting."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shouwang.accounts.access import acting_user
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.children.models import IN_REGISTER
from shouwang.core.views import form_page, show_error
from shouwang.units.selectors import org_manageable_by, top_orgs_visible_to

from . import selectors, services
from .chains import label_of
from .contacts import Contact, contacts_for
from .forms import ChainForm, CloseForm, PickChildForm, PoliceForm, ReportForm, TickForm
from .models import IncidentStep


def incidents(request: HttpRequest) -> HttpResponse:
    if not selectors.uses_incidents(request.user):
        raise Http404
    rows = selectors.incidents_visible_to(request.user).prefetch_related("steps")
    now = timezone.now()
    return render(
        request,
        "safety/incidents.html",
        {
            "rows": [
                (i, sum(1 for s in i.steps.all() if s.done_at is None and s.is_late(now)))
                for i in rows[:200]
            ],
            "late": selectors.late_steps_shown(request.user),
            "may_report": scope_of(request.user).may(Area.INCIDENTS, Action.ADD),
        },
    )


def report(request: HttpRequest) -> HttpResponse:
    """Report for a child: from the child's page (``?child=``), or picked here by name."""
    if "child" not in request.GET:
        return pick_child(request)
    pk = request.GET["child"]
    if not pk.isdigit():
        raise Http404
    child = get_object_or_404(selectors.reportable_children(request.user), pk=int(pk))
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.report_incident(
                child=child, by=acting_user(request), **form.cleaned_data
            )
        except ValidationError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("Reported. Tell each one in the chain and tick it here."))
            return redirect("safety:detail", pk=incident.pk)
    return render(request, "safety/report.html", {"form": form, "child": child})


CHILDREN_PICKED = 30  # names shown for a search; typing more narrows it


def pick_child(request: HttpRequest) -> HttpResponse:
    """The children one may report for, searched by name or pinyin initials (张小明: zxm)."""
    if not selectors.uses_incidents(request.user):
        raise Http404
    form = PickChildForm(request.GET or None)
    children = selectors.reportable_children(request.user).filter(status__in=IN_REGISTER)
    found = None
    if form.is_valid() and (text := form.cleaned_data["q"].strip()):
        found = list(
            children.filter(Q(name__contains=text) | Q(name_initials__startswith=text.lower()))
            .select_related("school", "school_class")
            .order_by("name_initials", "pk")[:CHILDREN_PICKED]
        )
    template = "safety/_children_found.html" if request.headers.get("HX-Request") else None
    return render(
        request,
        template or "safety/pick_child.html",
        {"form": form, "found": found, "limit": CHILDREN_PICKED},
    )


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_visible_to(request.user, pk)
    now = timezone.now()
    contacts: dict[str, list[Contact]] = {}
    if incident.closed_at is None:  # whom to call, while there is someone to call
        contacts, revealed = contacts_for(request.user, incident)
        if revealed:  # the family's phones, unmasked: a look on the audit log
            audit.record_read(
                actor=acting_user(request),
                action=AuditAction.REVEAL,
                obj=incident.child,
                org_path=incident.school.path,
                changes={"field": "phones", "where": "incident"},
            )
    steps = [
        {
            "step": s,
            "label": label_of(s.key),
            "late": s.is_late(now),
            "minutes_left": int((s.due_at - now).total_seconds() // 60),
            "due": _clock(s.due_at, incident.occurred_at),
            "done": _clock(s.done_at, incident.occurred_at) if s.done_at else "",
            "form": TickForm(prefix=f"s{s.pk}"),
            "contacts": contacts.get(s.key, []),
        }
        for s in selectors.steps_of(incident)
    ]
    return render(
        request,
        "safety/detail.html",
        {
            "incident": incident,
            "steps": steps,
            "police_form": PoliceForm(),
            "close_form": CloseForm(),
        },
    )


def _clock(moment: datetime, event: datetime) -> str:
    """A step's time as read on the page: the hour, and the day too once past the event's."""
    local = timezone.localtime(moment)
    same_day = local.date() == timezone.localtime(event).date()
    return local.strftime("%H:%M" if same_day else "%m-%d %H:%M")


def _after(request: HttpRequest, pk: int, action: object) -> HttpResponse:
    try:
        action()  # type: ignore[operator]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("safety:detail", pk=pk)


@require_POST
def tick(request: HttpRequest, pk: int) -> HttpResponse:
    step = get_object_or_404(
        IncidentStep.objects.filter(incident__in=selectors.incidents_visible_to(request.user)),
        pk=pk,
    )
    form = TickForm(request.POST, prefix=f"s{step.pk}")
    if not form.is_valid():
        messages.error(request, _("Say who was told, how and when."))
        return redirect("safety:detail", pk=step.incident_id)
    return _after(
        request,
        step.incident_id,
        lambda: services.tick_step(step=step, by=acting_user(request), **form.cleaned_data),
    )


@require_POST
def police(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_visible_to(request.user, pk)
    form = PoliceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the time of the report and the police receipt."))
        return redirect("safety:detail", pk=pk)
    return _after(
        request,
        pk,
        lambda: services.record_police_report(
            incident=incident, by=acting_user(request), **form.cleaned_data
        ),
    )


@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_visible_to(request.user, pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say how it ended."))
        return redirect("safety:detail", pk=pk)
    return _after(
        request,
        pk,
        lambda: services.close_incident(
            incident=incident, by=acting_user(request), **form.cleaned_data
        ),
    )


def chain(request: HttpRequest) -> HttpResponse:
    """A region officer sets the region's chain (steps and minutes)."""
    if not scope_of(request.user).may(Area.SETTINGS, Action.CHANGE):
        raise Http404
    tops = top_orgs_visible_to(request.user)
    code = request.GET.get("org") or (tops[0].code if tops else "")
    region = org_manageable_by(request.user, code)
    if not region.is_region:
        raise Http404
    current = {s["key"]: s["minutes"] for s in services.chain_for(region, timezone.localdate())}
    form = ChainForm(request.POST or None, current=current)
    return form_page(
        request,
        form=form,
        save=lambda _d: services.set_chain(
            region=region, steps=form.steps(), since=timezone.localdate(), by=acting_user(request)
        ),
        done=_("The chain is set for %(region)s.") % {"region": region.name},
        back=reverse("safety:incidents"),
        template="safety/chain.html",
        context={"region": region},
    )
