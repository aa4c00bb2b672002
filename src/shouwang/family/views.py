"""Family contact rooms, bookings and call logs; each child's days since talking with a parent."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.access import acting_user
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.care.selectors import child_recordable_by
from shouwang.children.types import ParentStatus
from shouwang.core.views import form_page, show_error
from shouwang.orgs.models import OrgKind
from shouwang.units.selectors import org_manageable_by, orgs_manageable_by, top_orgs_visible_to

from . import selectors, services
from .forms import WEEKDAYS, BookingForm, CallForm, RoomForm, SilenceForm
from .models import FamilyCall


def rooms(request: HttpRequest) -> HttpResponse:
    if not scope_of(request.user).may(Area.FAMILY, Action.VIEW):
        raise Http404
    days = dict(WEEKDAYS)
    return render(
        request,
        "family/rooms.html",
        {
            "rooms": [
                (room, [f"{days[s['weekday']]} {s['start']}–{s['end']}" for s in room.slots])
                for room in selectors.rooms_for(request.user).select_related("school")
            ],
            "bookings": selectors.upcoming_bookings(request.user)[:50],
            # A school's leaders set up its rooms.
            "sets_silence": scope_of(request.user).may(Area.SETTINGS, Action.CHANGE),
            "schools": orgs_manageable_by(request.user).filter(kind=OrgKind.SCHOOL)[:20]
            if scope_of(request.user).may(Area.FAMILY, Action.CHANGE)
            else [],
        },
    )


def add_room(request: HttpRequest, code: str) -> HttpResponse:
    school = org_manageable_by(request.user, code)
    if school.kind != OrgKind.SCHOOL:
        raise Http404
    form = RoomForm(request.POST or None)
    return form_page(
        request,
        form=form,
        save=lambda d: services.add_room(
            school=school,
            name=d["name"],
            kind=d["kind"],
            slots=form.slots(),
            by=acting_user(request),
        ),
        done=_("The room was added."),
        back=reverse("family:rooms"),
        template="web/form.html",
        context={"title": _("Add a family contact room") + f" · {school.name}"},
    )


def silence(request: HttpRequest) -> HttpResponse:
    """A region officer sets the days without contact that raise a task in the region."""
    if not scope_of(request.user).may(Area.SETTINGS, Action.CHANGE):
        raise Http404
    tops = top_orgs_visible_to(request.user)
    region = org_manageable_by(
        request.user, request.GET.get("org") or (tops[0].code if tops else "")
    )
    if not region.is_region:
        raise Http404
    today = timezone.localdate()
    current = selectors.silence_days_of(region, today)
    return form_page(
        request,
        form=SilenceForm(request.POST or None, initial={"days": current}),
        save=lambda d: services.set_silence_days(
            region=region, days=d["days"], since=today, by=acting_user(request)
        ),
        done=lambda d: (
            _("From today, %(region)s raises a task after %(days)s days without contact.")
            % {"region": region.name, "days": d["days"]}
        ),
        back=reverse("family:rooms"),
        template="web/form.html",
        context={"title": _("Days without contact") + f" · {region.name}"},
    )


def child(request: HttpRequest, pk: int) -> HttpResponse:
    kid = child_recordable_by(request.user, pk)
    today = timezone.localdate()
    parents = kid.parents.filter(status=ParentStatus.MIGRANT)
    # Two forms on one page: only the one sent is bound (the other must not cry "required").
    sent = request.POST if request.method == "POST" else None
    booking = sent is not None and any(key.startswith("book-") for key in sent)
    book_form = BookingForm(
        sent if booking else None,
        rooms=selectors.rooms_for(request.user).filter(school=kid.school),
        prefix="book",
    )
    call_form = CallForm(None if booking else sent, parents=parents, prefix="call")
    if sent is not None:
        form = book_form if booking else call_form
        if form.is_valid():
            data = form.cleaned_data
            try:
                if form is book_form:
                    services.book(
                        room=data["room"],
                        child=kid,
                        starts_at=data["starts_at"],
                        by=acting_user(request),
                    )
                    messages.success(request, _("Booked."))
                else:
                    services.log_call(child=kid, by=acting_user(request), **data)
                    messages.success(request, _("The call was logged."))
            except ValidationError as exc:
                show_error(form, exc)
            else:
                return redirect("family:child", pk=kid.pk)
    return render(
        request,
        "family/child.html",
        {
            "child": kid,
            "contacts": selectors.contact_of(kid, today),
            "threshold": selectors.silence_days_of(kid.school, today),
            "calls": FamilyCall.objects.filter(child=kid).select_related("parent")[:30],
            "book_form": book_form,
            "call_form": call_form,
        },
    )
