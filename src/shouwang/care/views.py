"""Care pages: my tasks and the one-minute record form for caregivers; pairings, duty policies
and compliance for school admins and region officers. Thin: scope in selectors, writes in
services."""

from __future__ import annotations

import json
import statistics
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Window
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shouwang.accounts.access import acting_user
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.children.selectors import (
    child_editable_by,
    child_visible_to,
    children_editable_by,
)
from shouwang.core.views import form_page, show_error
from shouwang.orgs.models import Org, OrgKind
from shouwang.units.selectors import (
    org_manageable_by,
    org_visible_to,
    orgs_manageable_by,
    top_orgs_visible_to,
)

from . import engine, follow_ups, other_duties, selectors, services
from .forms import (
    CaregiverForm,
    CorrectRecordForm,
    EndPairingForm,
    FollowUpForm,
    PairForm,
    PlanItemForm,
    PolicyForm,
    RecordForm,
    ReviewForm,
    RuleForm,
    StartPlanForm,
)
from .models import CarePlanItem, RecordKind


def _manager_only(request: HttpRequest) -> None:
    if not scope_of(request.user).manages_units:
        raise Http404


# --- caregivers: my tasks and records -----------------------------------------------------


# "Due this week / month / term" (the words), by the rule's period.
DUE_GROUPS = [
    ((engine.WEEK,), gettext_lazy("Due this week")),
    ((engine.TWO_WEEKS,), gettext_lazy("Due within two weeks")),
    ((engine.MONTH,), gettext_lazy("Due this month")),
    ((engine.TERM, engine.TERM_PHASES), gettext_lazy("Due this term")),
]


FOLLOW_UPS_SHOWN = 20
PLANS_SHOWN = 20  # care plans to review before "show all" (a village's director has hundreds)
TASKS_SHOWN = 50  # rows of a section of 我的任务 before "show all"


def _task_rows(
    items: list[engine.Obligation], children: dict[int, Any], today: Any
) -> list[dict[str, Any]]:
    """The rows of 我的任务, their links and words made here once (a village's director has
    thousands of rows: a template tag per row was most of the page's time)."""
    child_url = reverse("care:child", args=[0]).replace("/0/", "/{}/")
    record_url = reverse("care:record") + "?child={}&kind={}&next=" + reverse("care:tasks")
    out = []
    for o in items:
        child = children.get(o.child_id or 0)
        if o.status == engine.OVERDUE:
            when = _("was due by %(day)s") % {"day": o.period.end.strftime("%m-%d")}
        elif o.status == engine.DUE:
            when = _("by %(day)s") % {"day": o.period.end.strftime("%m-%d")}
        else:
            when = ""
        out.append(
            {
                "o": o,
                "child": child,
                "child_url": child_url.format(child.pk) if child else "",
                "record_url": record_url.format(child.pk, sorted(o.rule.kinds)[0])
                if child and o.status != engine.DONE
                else "",
                "progress": _("%(done)s of %(required)s")
                % {"done": o.done, "required": o.required},
                "when": when,
            }
        )
    return out


def _follow_up_rows(request: HttpRequest, items: list[Any], today: Any) -> list[dict[str, Any]]:
    """Each follow-up with its age, whether it is overdue, and — when its words may tell of an
    injury or abuse — a link to report an incident for the child (care.follow_ups)."""
    may_report = scope_of(request.user).may(Area.INCIDENTS, Action.ADD)
    report_url = reverse("safety:report") + "?child={}"
    rows = []
    for f in items:
        harm = may_report and follow_ups.mentions_harm(f.summary)
        rows.append(
            {
                "f": f,
                "age": follow_ups.age(f.opened_on, today),
                "overdue": follow_ups.is_overdue(f.opened_on, today),
                "incident_url": report_url.format(f.child_id) if harm else "",
            }
        )
    return rows


def tasks(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    mine = selectors.my_tasks(request.user, today)
    show_done = request.GET.get("done") == "1"
    done = _task_rows(mine.done, mine.children, today) if show_done else []
    if show_done and request.headers.get("HX-Request"):
        # The 已完成 section opened: only its rows (thousands for a village: not sent unasked).
        return render(request, "care/_task_rows.html", {"rows": done})

    every = request.GET.get("all") == "1"

    def rows(items: list[engine.Obligation]) -> dict[str, Any]:
        """A section: its first rows (a village's director owes hundreds) and its size."""
        shown = items if every else items[:TASKS_SHOWN]
        return {"rows": _task_rows(shown, mine.children, today), "count": len(items)}

    groups = [
        (label, rows([o for o in mine.due if o.rule.period in periods]))
        for periods, label in DUE_GROUPS
    ]
    # Oldest first: what waits longest is shown; a school's hundreds on asking.
    waiting = selectors.open_follow_ups_for(request.user).order_by("opened_on", "pk")
    every_follow_up = request.GET.get("follow_ups") == "all"
    shown = waiting if every_follow_up else waiting[:FOLLOW_UPS_SHOWN]
    # The most urgent first, the rest on asking; no column decrypted for a row; the count rides
    # on the rows (a window), not a second pass over the user's children.
    plans = (
        selectors.plans_due_for(request.user, today)
        .only("review_on", "child", "child__name")
        .annotate(total=Window(Count("pk")))
    )
    plan_rows = list(plans if request.GET.get("plans") == "all" else plans[:PLANS_SHOWN])
    plans_due = {"rows": plan_rows, "count": plan_rows[0].total if plan_rows else 0}
    return render(
        request,
        "care/tasks.html",
        {
            "tasks": mine,
            "overdue": rows(mine.overdue),
            "due_groups": [(label, items) for label, items in groups if items["count"]],
            "done": done,
            "done_count": len(mine.done),
            "show_done": show_done,
            "today": today,
            "follow_ups": _follow_up_rows(request, list(shown), today),
            "follow_up_counts": mine.follow_ups,
            "plans_due": plans_due,
            "may_record": selectors.children_recordable_by(request.user).exists(),
            # Duties of other areas (a shift on a children's home roster): due and overdue.
            "other_duties": [
                d for d in other_duties.duties_of(request.user, today) if d.status != engine.DONE
            ],
        },
    )


def record(request: HttpRequest) -> HttpResponse:
    children = selectors.children_recordable_by(request.user)
    initial: dict[str, Any] = {}
    if request.method == "GET":
        initial = {key: request.GET[key] for key in ("child", "kind") if request.GET.get(key)}
    form = RecordForm(
        request.POST or None,
        children=children,
        initial=initial,
        shown=selectors.my_children(request.user, selectors.caregiver_of(request.user)),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                caregiver = services.caregiver_for_login(acting_user(request))
                services.record_care(caregiver=caregiver, by=acting_user(request), **data)
        except ValidationError as exc:
            show_error(form, exc)
        else:
            messages.success(
                request,
                _("Recorded: %(kind)s with %(child)s.")
                % {"kind": RecordKind(data["kind"]).label, "child": data["child"].name},
            )
            return redirect(_next(request, request.POST.get("next", "")))
    return render(
        request,
        "care/record.html",
        {"form": form, "next": request.GET.get("next", "") or request.POST.get("next", "")},
    )


def _next(request: HttpRequest, target: str) -> str:
    """Back to the page the form was opened from, if it is one of ours."""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and safe else reverse("care:tasks")


def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.record_visible_to(request.user, pk)
    return render(
        request,
        "care/record_detail.html",
        {
            "record": item,
            "versions": selectors.versions_of(item),
            "may_correct": selectors.records_correctable_by(request.user)
            .filter(pk=item.pk)
            .exists(),
        },
    )


def correct(request: HttpRequest, pk: int) -> HttpResponse:
    seen = selectors.record_visible_to(request.user, pk)
    if not seen.is_current:
        # Someone corrected it after this form was opened: their version stays, this one is
        # refused and the latest is shown (an old version is never corrected).
        latest = selectors.versions_of(seen).first()
        messages.error(request, _("This record was changed by someone else meanwhile."))
        return redirect("care:record_detail", pk=latest.pk if latest else seen.pk)
    item = selectors.record_correctable_by(request.user, pk)
    fields = ("kind", "on", "minutes", "with_whom", "findings", "abnormal")
    form = CorrectRecordForm(
        request.POST or None, initial={name: getattr(item, name) for name in fields}
    )
    return form_page(
        request,
        form=form,
        save=lambda d: services.correct_record(record=item, by=acting_user(request), **d),
        done=_("The record was corrected; the earlier version is kept."),
        back=reverse("care:child", args=[item.child_id]),
        template="web/form.html",
        context={"title": _("Correct a record"), "child": item.child},
    )


# --- a child's care -----------------------------------------------------------------------


def child(request: HttpRequest, pk: int) -> HttpResponse:
    kid = child_visible_to(request.user, pk)
    today = timezone.localdate()
    plan = selectors.plan_of(kid)
    obligations = selectors.child_obligations(kid, today)
    manages = selectors.children_pairable_by(request.user).filter(pk=kid.pk).exists()
    return render(
        request,
        "care/child.html",
        {
            "child": kid,
            "today": today,
            "pairings": selectors.pairings_of(kid),
            "needs_pairing": selectors.lacks_two_to_one_pairing(kid),
            "records": selectors.records_of(kid)[:30],
            "plan": plan,
            "plan_records": selectors.records_serving(plan)[:30] if plan else [],
            "obligations": selectors.owed_by(obligations),
            "may_record": selectors.children_recordable_by(request.user).filter(pk=kid.pk).exists(),
            "may_manage": manages,
            "may_plan": children_editable_by(request.user).filter(pk=kid.pk).exists(),
        },
    )


def start_plan(request: HttpRequest, pk: int) -> HttpResponse:
    kid = _plannable_child(request, pk)
    return form_page(
        request,
        form=StartPlanForm(request.POST or None),
        save=lambda d: services.start_plan(child=kid, by=acting_user(request), **d),
        done=_("The care plan was started; add the needs and measures."),
        back=reverse("care:child", args=[kid.pk]),
        template="web/form.html",
        context={"title": _("Start a care plan"), "child": kid},
    )


def add_plan_item(request: HttpRequest, pk: int) -> HttpResponse:
    kid = _plannable_child(request, pk)
    plan = selectors.plan_of(kid)
    if plan is None:
        raise Http404
    caregivers = (
        selectors.caregivers_pairable_by(request.user).filter(pairings__child=kid).distinct()
    )
    return form_page(
        request,
        form=PlanItemForm(request.POST or None, caregivers=caregivers),
        save=lambda d: services.add_plan_item(plan=plan, by=acting_user(request), **d),
        done=_("The measure was added to the plan."),
        back=reverse("care:child", args=[kid.pk]),
        template="web/form.html",
        context={"title": _("Add a need and measure"), "child": kid},
    )


@require_POST
def end_plan_item(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    kid = _plannable_child(request, pk)
    item = get_object_or_404(CarePlanItem, pk=item_pk, plan__child=kid)
    try:
        services.end_plan_item(item=item, by=acting_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("care:child", pk=kid.pk)


def review_plan(request: HttpRequest, pk: int) -> HttpResponse:
    kid = selectors.child_recordable_by(request.user, pk)
    plan = selectors.plan_of(kid)
    if plan is None:
        raise Http404
    return form_page(
        request,
        form=ReviewForm(request.POST or None),
        save=lambda d: services.review_plan(plan=plan, by=acting_user(request), **d),
        done=_("The review was recorded."),
        back=reverse("care:child", args=[kid.pk]),
        template="web/form.html",
        context={"title": _("Review the care plan"), "child": kid},
    )


def _plannable_child(request: HttpRequest, pk: int) -> Any:
    """Plans are drawn up by those who keep the archive (school, class teacher, region); the
    child's caregivers review progress."""
    return child_editable_by(request.user, pk)


def close_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = selectors.follow_up_for(request.user, pk)
    return form_page(
        request,
        form=FollowUpForm(request.POST or None),
        save=lambda d: services.close_follow_up(follow_up=follow_up, by=acting_user(request), **d),
        done=_("The follow-up was closed."),
        back=reverse("care:tasks"),
        template="web/form.html",
        context={
            "title": _("Close a follow-up"),
            "child": follow_up.child,
            "note": follow_up.summary,
        },
    )


# --- managers: pairings and caregivers ----------------------------------------------------


def pairings(request: HttpRequest) -> HttpResponse:
    _manager_only(request)
    today = timezone.localdate()
    children = selectors.children_pairable_by(request.user)
    figures = selectors.coverage(children, today)
    current = (
        selectors.pairings_visible_to(request.user)
        .filter(selectors.open_pairings(today), child__in=children)
        .order_by("child__school_class__path", "child__name", "pk")
    )
    page = Paginator(current, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "care/pairings.html",
        {
            "figures": figures,
            "unpaired": figures["unpaired"]
            .select_related("school", "school_class")
            .order_by("school_class__path", "name")[:200],
            "gaps": figures["gaps"].select_related("school_class").order_by("name")[:200],
            "page": page,
            "today": today,
        },
    )


def pair(request: HttpRequest) -> HttpResponse:
    _manager_only(request)
    children = selectors.children_pairable_by(request.user)
    initial = {"children": request.GET.getlist("child")} if request.method == "GET" else None
    form = PairForm(
        request.POST or None,
        children=children,
        caregivers=selectors.caregivers_pairable_by(request.user),
        initial=initial,
        shown=selectors.unpaired(children, timezone.localdate()),
    )
    return form_page(
        request,
        form=form,
        save=lambda d: services.pair_many(
            children=d["children"],
            caregivers=form.caregivers(),
            starts_on=d["starts_on"],
            by=acting_user(request),
        ),
        done=_("The pairing was made."),
        back=reverse("care:pairings"),
        template="web/form.html",
        context={
            "title": _("Pair children with caregivers"),
            "note": _(
                "As an officer of the region you may pair a child with a caregiver of any "
                "school, village or unit of the region: they will see the child."
            )
            if selectors.pairs_across_schools(request.user)
            else _("Caregivers of your school are offered."),
        },
    )


def end_pairing(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.pairing_manageable_by(request.user, pk)
    form = EndPairingForm(
        request.POST or None,
        caregivers=selectors.caregivers_pairable_by(request.user).exclude(pk=item.caregiver_id),
    )
    return form_page(
        request,
        form=form,
        save=lambda d: services.end_pairing(pairing=item, by=acting_user(request), **d),
        done=_("The pairing was ended."),
        back=reverse("care:child", args=[item.child_id]),
        template="web/form.html",
        context={
            "title": _("End the pairing of %(caregiver)s") % {"caregiver": item.caregiver.name},
            "child": item.child,
        },
    )


def caregivers(request: HttpRequest) -> HttpResponse:
    _manager_only(request)
    today = timezone.localdate()
    rows = list(
        selectors.pairing_load(selectors.caregivers_manageable_by(request.user), today).order_by(
            "org__path", "name"
        )
    )
    loads = [c.load for c in rows if c.load]  # type: ignore[attr-defined]
    return render(
        request,
        "care/caregivers.html",
        {
            "caregivers": rows,
            "load": {
                "min": min(loads),
                "median": statistics.median(loads),
                "max": max(loads),
            }
            if loads
            else None,
        },
    )


def add_caregiver(request: HttpRequest) -> HttpResponse:
    _manager_only(request)
    return form_page(
        request,
        form=CaregiverForm(request.POST or None, orgs=orgs_manageable_by(request.user)),
        save=lambda d: services.add_caregiver(by=acting_user(request), **d),
        done=_("The caregiver was added."),
        back=reverse("care:caregivers"),
        template="web/form.html",
        context={"title": _("Add a caregiver")},
    )


# --- managers: duty policies and compliance -----------------------------------------------


def _unit(request: HttpRequest, manage: bool) -> Any:
    code = request.GET.get("org")
    if code:
        return (
            org_manageable_by(request.user, code) if manage else org_visible_to(request.user, code)
        )
    tops = [o for o in top_orgs_visible_to(request.user) if o.kind in _UNIT_KINDS]
    if not tops:
        raise Http404
    return tops[0]


_UNIT_KINDS = {
    OrgKind.PROVINCE,
    OrgKind.CITY,
    OrgKind.COUNTY,
    OrgKind.TOWNSHIP,
    OrgKind.SCHOOL,
    OrgKind.SCHOOL_CLASS,
}


def policies(request: HttpRequest) -> HttpResponse:
    _manager_only(request)
    unit = _unit(request, manage=True)
    if unit.kind not in _UNIT_KINDS - {OrgKind.SCHOOL_CLASS}:
        raise Http404
    own, above = selectors.policies_for(unit)
    return render(
        request,
        "care/policies.html",
        {
            "unit": unit,
            "own": own,
            "above": above,
            "presets": selectors.presets(),
            "units": list(orgs_manageable_by(request.user).filter(kind__in=_UNIT_KINDS)[:100]),
        },
    )


@require_POST
def apply_preset(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    unit = org_manageable_by(request.user, code)
    preset = get_object_or_404(selectors.presets(), pk=pk)
    try:
        services.apply_preset(preset=preset, org=unit, by=acting_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s is now in force.") % {"name": preset.name})
    return redirect(reverse("care:policies") + f"?org={unit.code}")


@require_POST
def set_in_force(request: HttpRequest, pk: int) -> HttpResponse:
    policy = selectors.policy_manageable_by(request.user, pk)
    services.set_policy_in_force(
        policy=policy, in_force=request.POST.get("in_force") == "1", by=acting_user(request)
    )
    return redirect(reverse("care:policies") + f"?org={policy.org.code if policy.org else ''}")


def add_policy(request: HttpRequest, code: str) -> HttpResponse:
    unit = org_manageable_by(request.user, code)
    return form_page(
        request,
        form=PolicyForm(request.POST or None),
        save=lambda d: services.add_policy(org=unit, by=acting_user(request), **d),
        done=_("The policy was added; now add its rules."),
        back=reverse("care:policies") + f"?org={unit.code}",
        template="web/form.html",
        context={"title": _("Write a policy of your own")},
    )


def add_rule(request: HttpRequest, pk: int) -> HttpResponse:
    policy = selectors.policy_manageable_by(request.user, pk)
    return form_page(
        request,
        form=RuleForm(request.POST or None),
        save=lambda d: services.add_rule(policy=policy, by=acting_user(request), **d),
        done=_("The rule was added."),
        back=reverse("care:policies") + f"?org={policy.org.code if policy.org else ''}",
        template="web/form.html",
        context={"title": _("Add a rule to %(name)s") % {"name": policy.name}},
    )


def compliance(request: HttpRequest) -> HttpResponse:
    _manager_only(request)
    unit = _unit(request, manage=False)
    today = timezone.localdate()
    by = request.GET.get("by", "")
    if by not in ("", "unit", "class", "child", "caregiver"):
        by = ""
    result = selectors.compliance(request.user, unit, today, by)
    chart = {
        "labels": [row.label for row in result.rows[:40]],
        "links": [_row_link(row) for row in result.rows[:40]],
        "series": {
            status: [getattr(row.tally, status) for row in result.rows[:40]]
            for status in (engine.DONE, engine.DUE, engine.OVERDUE)
        },
        "names": {engine.DONE: _("done"), engine.DUE: _("due"), engine.OVERDUE: _("overdue")},
    }
    return render(
        request,
        "care/compliance.html",
        {
            "result": result,
            "rows": [(row, _row_link(row)) for row in result.rows],
            "chart": json.dumps(chart, ensure_ascii=False),
            "ancestors": [
                o for o in Org.objects.get_ancestors(unit) if scope_of(request.user).sees(o)
            ],
        },
    )


def _row_link(row: selectors.ComplianceRow) -> str:
    if row.child_id:
        return reverse("care:child", args=[row.child_id])
    if row.url_org:
        return reverse("care:compliance") + f"?org={row.url_org}"
    return ""
