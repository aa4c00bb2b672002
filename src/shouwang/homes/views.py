"""Children's homes and holiday stations: the list, a home's page (profile, roster, days), its
profile form, the roster, a shift's check-in and the day's attendance. Thin: scope in
selectors, writes in services."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from shouwang.accounts.access import acting_user
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.core.views import form_page, show_error

from . import selectors, services
from .forms import (
    AddUnderForm,
    AttendanceForm,
    CancelShiftForm,
    CheckInForm,
    EditHomeForm,
    HomeForm,
    ShiftForm,
)

RECENT_DAYS = 30
ROSTER_AHEAD = 14


def index(request: HttpRequest) -> HttpResponse:
    if not scope_of(request.user).may(Area.HOMES, Action.VIEW):
        raise Http404
    units = selectors.units_to_add_homes_under(request.user)
    pick = AddUnderForm(request.GET if "under" in request.GET else None, units=units)
    if pick.is_bound and pick.is_valid():
        return redirect("homes:add", code=pick.cleaned_data["under"].code)
    return render(
        request,
        "homes/index.html",
        {
            "homes": selectors.homes_visible_to(request.user)[:200],
            "pick": pick if units.exists() else None,
        },
    )


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    home = selectors.home_visible_to(request.user, pk)
    today = timezone.localdate()
    start = today - timedelta(days=RECENT_DAYS - 1)
    shifts = selectors.roster_of(home, today - timedelta(days=7), today + timedelta(ROSTER_AHEAD))
    figures = selectors.period_figures(org=home.org, start=start, end=today)["homes"]
    may_change = selectors.may_change(request.user, home)
    return render(
        request,
        "homes/detail.html",
        {
            "home": home,
            "place": selectors.place_of(home),
            "shifts": [(s, selectors.shift_status(s, today)) for s in shifts],
            "days": selectors.days_of(home, start, today),
            "figures": figures,
            "start": start,
            "today": today,
            "may_change": may_change,
            "may_record": may_change or selectors.on_duty(request.user, home, today),
        },
    )


def add(request: HttpRequest, code: str) -> HttpResponse:
    parent = selectors.unit_to_add_home_under(request.user, code)
    return form_page(
        request,
        form=HomeForm(request.POST or None),
        save=lambda d: services.add_home(parent=parent, by=acting_user(request), **d),
        done=_("The home was added."),
        back=reverse("homes:index"),
        template="web/form.html",
        context={"title": _("Add a children's home") + f" · {parent.name}"},
    )


def edit(request: HttpRequest, pk: int) -> HttpResponse:
    home = selectors.home_changeable_by(request.user, pk)
    initial = services.home_state(home) | {"version": services.home_version(home)}
    return form_page(
        request,
        form=EditHomeForm(request.POST or None, initial=initial),
        save=lambda d: services.update_home(
            home=home, by=acting_user(request), **(d | {"version": d.get("version") or ""})
        ),
        done=_("The home was saved."),
        back=reverse("homes:detail", args=[home.pk]),
        template="web/form.html",
        context={"title": _("Edit") + f" · {home.org.name}"},
    )


def add_shift(request: HttpRequest, pk: int) -> HttpResponse:
    home = selectors.home_changeable_by(request.user, pk)
    form = ShiftForm(
        request.POST or None,
        people=selectors.people_for_roster(home),
        initial={"on": timezone.localdate()},
    )
    return form_page(
        request,
        form=form,
        save=lambda d: services.add_shift(home=home, by=acting_user(request), **d),
        done=_("The shift is on the roster."),
        back=reverse("homes:detail", args=[home.pk]),
        template="web/form.html",
        context={"title": _("Add a shift") + f" · {home.org.name}"},
    )


def cancel_shift(request: HttpRequest, pk: int) -> HttpResponse:
    shift = selectors.shift_changeable_by(request.user, pk)
    return form_page(
        request,
        form=CancelShiftForm(request.POST or None),
        save=lambda d: services.cancel_shift(shift=shift, by=acting_user(request), **d),
        done=_("The shift was cancelled."),
        back=reverse("homes:detail", args=[shift.home_id]),
        template="web/form.html",
        context={"title": _("Cancel a shift"), "note": str(shift)},
    )


def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    shift = selectors.own_shift(request.user, pk)
    today = timezone.localdate()
    form = CheckInForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.check_in(shift=shift, by=acting_user(request))
        except ValidationError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("Checked in."))
            return redirect("care:tasks")
    return render(
        request,
        "homes/check_in.html",
        {
            "shift": shift,
            "form": form,
            "status": selectors.shift_status(shift, today),
            "today": today,
            "may_see_home": selectors.homes_visible_to(request.user)
            .filter(pk=shift.home_id)
            .exists(),
        },
    )


def _day(value: str | None, default: date) -> date:
    try:
        return parse_date(value or "") or default
    except ValueError:
        return default


def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    on = _day(request.POST.get("on") if request.method == "POST" else request.GET.get("on"), today)
    user = acting_user(request)
    home = selectors.home_for_attendance(user, pk, on)
    choosable = selectors.attendance_choosable(user, home)
    rows = selectors.attendance_on(home, on)
    form = AttendanceForm(
        request.POST or None,
        choosable=choosable,
        initial={"on": on},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            counts = services.record_attendance(
                home=home,
                on=data["on"],
                present=data["children"],
                holiday_care=data["holiday"],
                by=user,
            )
        except ValidationError as exc:
            show_error(form, exc)
        else:
            messages.success(
                request,
                _("Saved: %(present)s children, %(holiday)s in holiday care.")
                % {"present": counts["present"], "holiday": counts["holiday_care"]},
            )
            return redirect("homes:detail", pk=home.pk)
    listed = list(selectors.children_of(home)[:300])
    seen = {c.pk for c in listed}
    query = request.GET.get("q", "")
    extra = [r.child for r in rows.values() if r.child_id not in seen]
    extra += [c for c in selectors.children_found(user, query) if c.pk not in seen]
    present = {pk for pk, r in rows.items() if r.present}
    holiday = {pk for pk, r in rows.items() if r.present and r.holiday_care}
    if form.is_bound:
        present = {int(v) for v in request.POST.getlist("children") if v.isdigit()}
        holiday = {int(v) for v in request.POST.getlist("holiday") if v.isdigit()}
    unique = {c.pk: c for c in [*listed, *extra]}
    return render(
        request,
        "homes/attendance.html",
        {
            "home": home,
            "on": on,
            "form": form,
            "query": query,
            "rows": [(c, c.pk in present, c.pk in holiday) for c in unique.values()],
        },
    )
