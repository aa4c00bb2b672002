"""Pages of activities (plan, sessions, attendance from class lists, photos), interest groups,
training and commendations. Thin: the selectors find (out of scope is a 404), the services
write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.access import acting_user
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.core.concurrency import StaleEdit
from shouwang.core.sheets.limits import limited_upload, refuse_into
from shouwang.core.views import form_page, show_error
from shouwang.orgs.models import Org

from . import selectors, services
from .forms import (
    MAX_PHOTO,
    PHOTO_TYPES,
    ActivityForm,
    AdultsForm,
    CommendationForm,
    GroupForm,
    JoinForm,
    PhotoForm,
    SessionForm,
    TraineesForm,
    TrainingForm,
)
from .models import Attendance, Membership, Photo, Trainee

# --- activities ------------------------------------------------------------------------------


def activity_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    scope = scope_of(user)
    if not scope.lists_own(Area.ACTIVITIES, Action.VIEW):
        raise Http404
    activities = selectors.activities_visible_to(user)[:100]
    return render(
        request,
        "activities/list.html",
        {
            "activities": activities,
            "may_plan": selectors.may_plan(user),
            "sees_groups": scope.may(Area.ACTIVITIES, Action.VIEW),
            "sees_training": scope.may(Area.TRAINING, Action.VIEW),
            "sees_commendations": scope.may(Area.COMMENDATIONS, Action.VIEW),
        },
    )


def add_activity(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not selectors.may_plan(user):
        raise Http404
    units = selectors.units_to_plan_at(user)
    form = ActivityForm(
        request.POST or None,
        units=units,
        people=selectors.people_near(user),
        money=scope_of(user).may(Area.ASSISTANCE, Action.VIEW),
        editing=False,
        initial={"starts_on": timezone.localdate(), "in_charge": [user.pk]},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data.get("budget") is not None and not selectors.sees_money(user, data["unit"]):
            data["budget"] = None  # money of a unit the person sees none of
        try:
            activity = services.plan_activity(by=user, **data)
        except ValidationError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("The activity was planned."))
            return redirect("activities:detail", pk=activity.pk)
    return render(
        request,
        "web/form.html",
        {"form": form, "back": reverse("activities:list"), "title": _("Plan an activity")},
    )


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    activity = selectors.activity_visible_to(user, pk)
    changes = selectors.activities_visible_to(user, Action.CHANGE).filter(pk=pk).exists()
    sessions = list(activity.sessions.all())
    counts = selectors.counts_of(activity.sessions.all())
    per_session = {s.pk: selectors.counts_of([s]) for s in sessions}
    return render(
        request,
        "activities/detail.html",
        {
            "activity": activity,
            "sessions": [(s, per_session[s.pk]) for s in sessions],
            "counts": counts,
            "money": selectors.sees_money(user, activity.unit),
            "changes": changes,
            "in_charge": list(activity.in_charge.all()),
            "volunteers": list(activity.volunteers.all()),
            "photos": activity.photos.filter(voided_at__isnull=True),
            "session_form": SessionForm(initial={"on": timezone.localdate()}) if changes else None,
        },
    )


def edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    activity = selectors.activity_changeable_by(user, pk)
    money = selectors.sees_money(user, activity.unit)
    state = services.activity_state(activity)
    form = ActivityForm(
        request.POST or None,
        units=None,
        people=selectors.people_near(user, also=activity),
        money=money,
        editing=True,
        initial={
            **state,
            "budget": activity.budget,
            "version": services.activity_version(activity),
        },
    )

    def save(data: dict[str, Any]) -> object:
        version = data.pop("version")
        return services.change_activity(activity=activity, by=user, version=version, **data)

    return form_page(
        request,
        form=form,
        save=save,
        done=_("The activity was saved."),
        back=reverse("activities:detail", args=[activity.pk]),
        template="web/form.html",
        context={"title": _("Change the activity") + f" · {activity.title}"},
    )


def add_session(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    activity = selectors.activity_changeable_by(user, pk)
    return form_page(
        request,
        form=SessionForm(request.POST or None, initial={"on": timezone.localdate()}),
        save=lambda d: services.add_session(activity=activity, by=user, **d),
        done=_("The session was added."),
        back=reverse("activities:detail", args=[activity.pk]),
        template="web/form.html",
        context={"title": _("Add a session") + f" · {activity.title}"},
    )


def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """A session's attendance: pick a class list, tick the children present, save; adults by
    name or by number; a row struck out with a reason."""
    user = acting_user(request)
    session = selectors.session_of(user, pk)
    activity = session.activity
    changes = selectors.activities_visible_to(user, Action.CHANGE).filter(pk=activity.pk).exists()
    groups = selectors.attendance_groups(user, activity) if changes else Org.objects.none()
    group = None
    code = request.POST.get("group") or request.GET.get("group")
    if not code and request.method == "GET" and len(groups[:2]) == 1:
        code = str(groups[0].pk)  # one class list: open it (a class teacher's own)
    if code:
        group = get_object_or_404(groups, pk=code) if code.isdigit() else None
        if group is None:
            raise Http404
    adults = AdultsForm(request.POST if request.POST.get("action") == "adults" else None)
    if request.method == "POST":
        if not changes:
            raise Http404
        action = request.POST.get("action")
        try:
            if action == "children" and group is not None:
                present = selectors.children_of_group(user, group).filter(
                    pk__in=[v for v in request.POST.getlist("present") if v.isdigit()]
                )
                wanted = {v for v in request.POST.getlist("present") if v.isdigit()}
                if len(wanted) != present.count():
                    raise Http404  # a child the list does not hold
                done = services.take_attendance(
                    session=session,
                    group=group,
                    present=list(present),
                    by=user,
                    version=request.POST.get("version", ""),
                )
                messages.success(
                    request,
                    _("Attendance saved: %(added)s added, %(removed)s struck out.") % done,
                )
                return redirect(reverse("activities:attendance", args=[session.pk]))
            if action == "adults" and adults.is_valid():
                services.add_adults(session=session, by=user, **adults.cleaned_data)
                messages.success(request, _("Saved."))
                return redirect(reverse("activities:attendance", args=[session.pk]))
            if action == "void":
                # Adults' rows only: a child's row is struck out by unticking it on a class
                # list the user may take (another class's children are not theirs to change).
                row = get_object_or_404(
                    Attendance.objects.filter(
                        session=session, voided_at__isnull=True, child__isnull=True
                    ),
                    pk=request.POST.get("row", "0") if request.POST.get("row", "").isdigit() else 0,
                )
                services.void_attendance(
                    row=row, by=user, reason=request.POST.get("reason") or _("Recorded by mistake")
                )
                messages.success(request, _("The row was struck out."))
                return redirect(reverse("activities:attendance", args=[session.pk]))
            if action not in ("adults",):
                raise Http404
        except StaleEdit as exc:
            messages.error(request, str(exc.messages[0]))
        except ValidationError as exc:
            if action == "adults":
                show_error(adults, exc)
            else:
                messages.error(request, " ".join(exc.messages))
    present_ids: set[int] = set()
    group_children: list[Any] = []
    version = ""
    if group is not None:
        group_children = list(selectors.children_of_group(user, group))
        present_ids = set(services.group_state(session, group)["present"])
        version = services.attendance_version(session, group)
    return render(
        request,
        "activities/attendance.html",
        {
            "session": session,
            "activity": activity,
            "changes": changes,
            "groups": groups,
            "group": group,
            "group_children": group_children,
            "present_ids": present_ids,
            "version": version,
            "rows": selectors.visible_attendance(user, session),
            "counts": selectors.counts_of([session]),
            "adults": adults if changes else None,
        },
    )


@limited_upload(MAX_PHOTO, PHOTO_TYPES)
def add_photo(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    activity = selectors.activity_changeable_by(user, pk)
    # Bound on every POST: a body the upload handler refused arrives empty.
    sent = request.method == "POST"
    form = PhotoForm(request.POST if sent else None, request.FILES if sent else None)
    refuse_into(form, "image", request)
    return form_page(
        request,
        form=form,
        save=lambda d: services.add_photo(activity=activity, by=user, **d),
        done=_("The photo was added."),
        back=reverse("activities:detail", args=[activity.pk]),
        template="web/form.html",
        context={"title": _("Add a photo") + f" · {activity.title}"},
    )


def photo(request: HttpRequest, pk: int) -> FileResponse:
    found = get_object_or_404(Photo.objects.filter(voided_at__isnull=True), pk=pk)
    selectors.activity_visible_to(request.user, found.activity_id)
    return FileResponse(found.image.open("rb"), filename=Path(found.image.name).name)


# --- interest groups -------------------------------------------------------------------------


def groups(request: HttpRequest) -> HttpResponse:
    if not scope_of(request.user).may(Area.ACTIVITIES, Action.VIEW):
        raise Http404
    found = selectors.groups_visible_to(request.user).annotate(
        current=Count("members", filter=Q(members__left_on__isnull=True))
    )
    return render(
        request,
        "activities/groups.html",
        {
            "groups": [(g, g.current) for g in found[:100]],
            "may_add": scope_of(request.user).may(Area.ACTIVITIES, Action.ADD),
        },
    )


def add_group(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not selectors.may_plan(user):
        raise Http404
    return form_page(
        request,
        form=GroupForm(
            request.POST or None,
            units=selectors.units_to_plan_at(user),
            initial={"started_on": timezone.localdate()},
        ),
        save=lambda d: services.add_group(by=user, **d),
        done=_("The group was added."),
        back=reverse("activities:groups"),
        template="web/form.html",
        context={"title": _("Add an interest group")},
    )


def group(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    found = selectors.group_visible_to(user, pk)
    changes = selectors.groups_visible_to(user, Action.CHANGE).filter(pk=pk).exists()
    join = JoinForm(
        request.POST if request.POST.get("action") == "join" else None,
        children=selectors.children_to_join(user, found),
        initial={"on": timezone.localdate()},
    )
    if request.method == "POST":
        if not changes:
            raise Http404
        action = request.POST.get("action")
        try:
            if action == "join":
                if join.is_valid():
                    services.join_group(group=found, by=user, **join.cleaned_data)
                    messages.success(request, _("The child joined the group."))
                    return redirect("activities:group", pk=found.pk)
            elif action == "leave":
                row = request.POST.get("membership", "")
                membership = get_object_or_404(
                    Membership.objects.filter(
                        group=found, child__in=selectors.children_to_join(user, found)
                    ),
                    pk=int(row) if row.isdigit() else 0,
                )
                services.leave_group(membership=membership, on=timezone.localdate(), by=user)
                messages.success(request, _("The child left the group."))
                return redirect("activities:group", pk=found.pk)
            else:
                raise Http404
        except ValidationError as exc:
            show_error(join, exc)
    members = Membership.objects.filter(
        group=found, child__in=selectors.children_to_join(user, found)
    ).select_related("child", "child__school_class")
    return render(
        request,
        "activities/group.html",
        {"group": found, "members": members, "changes": changes, "join": join},
    )


# --- training --------------------------------------------------------------------------------


def training(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if not scope.may(Area.TRAINING, Action.VIEW):
        raise Http404
    sessions = selectors.training_visible_to(request.user)
    return render(
        request,
        "activities/training.html",
        {
            "sessions": sessions[:100],
            "guardians_trained": selectors.guardians_trained(
                Trainee.objects.filter(session__in=sessions)
            ),
            "may_add": scope.may(Area.TRAINING, Action.CHANGE),
        },
    )


def add_training(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not scope_of(user).may(Area.TRAINING, Action.CHANGE):
        raise Http404
    return form_page(
        request,
        form=TrainingForm(
            request.POST or None,
            units=selectors.units_to_keep(user, Area.TRAINING),
            initial={"on": timezone.localdate()},
        ),
        save=lambda d: services.add_training(by=user, **d),
        done=_("The session was added."),
        back=reverse("activities:training"),
        template="web/form.html",
        context={"title": _("Add a training session")},
    )


def training_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    session = selectors.training_of(user, pk)
    changes = selectors.training_visible_to(user, Action.CHANGE).filter(pk=pk).exists()
    children = selectors.children_to_join_unit(user, session.unit).filter(guardian__isnull=False)
    form = TraineesForm(
        request.POST if request.POST.get("action") == "add" else None,
        children=children.select_related("guardian"),
    )
    if request.method == "POST":
        if not changes:
            raise Http404
        action = request.POST.get("action")
        try:
            if action == "add":
                if form.is_valid():
                    data = form.cleaned_data
                    services.add_trainees(
                        session=session,
                        by=user,
                        guardians=[c.guardian for c in data["children"]],
                        kind=data["kind"],
                        names=data["names"].splitlines(),
                    )
                    messages.success(request, _("Saved."))
                    return redirect("activities:training_detail", pk=session.pk)
            elif action == "void":
                row = request.POST.get("row", "")
                trainee = get_object_or_404(
                    session.trainees.filter(voided_at__isnull=True),
                    pk=int(row) if row.isdigit() else 0,
                )
                services.void_trainee(
                    trainee=trainee,
                    by=user,
                    reason=request.POST.get("reason") or _("Recorded by mistake"),
                )
                messages.success(request, _("The row was struck out."))
                return redirect("activities:training_detail", pk=session.pk)
            else:
                raise Http404
        except ValidationError as exc:
            show_error(form, exc)
    return render(
        request,
        "activities/training_detail.html",
        {
            "session": session,
            "trainees": session.trainees.filter(voided_at__isnull=True).select_related(
                "guardian__child"
            ),
            "changes": changes,
            "form": form,
        },
    )


# --- commendations ---------------------------------------------------------------------------


def commendations(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if not scope.may(Area.COMMENDATIONS, Action.VIEW):
        raise Http404
    return render(
        request,
        "activities/commendations.html",
        {
            "commendations": selectors.commendations_visible_to(request.user)[:200],
            "may_add": scope.may(Area.COMMENDATIONS, Action.CHANGE),
        },
    )


def add_commendation(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not scope_of(user).may(Area.COMMENDATIONS, Action.CHANGE):
        raise Http404
    units = selectors.units_to_keep(user, Area.COMMENDATIONS)
    unit_pk = request.POST.get("unit", "")
    unit = units.filter(pk=int(unit_pk)).first() if unit_pk.isdigit() else None
    children = (
        selectors.children_to_join_unit(user, unit)
        if unit is not None
        else selectors.children_to_join_units(user, units)
    )
    return form_page(
        request,
        form=CommendationForm(
            request.POST or None,
            units=units,
            children=children,
            initial={"on": timezone.localdate()},
        ),
        save=lambda d: services.commend(by=user, **d),
        done=_("The commendation was recorded."),
        back=reverse("activities:commendations"),
        template="web/form.html",
        context={"title": _("Record a commendation")},
    )
