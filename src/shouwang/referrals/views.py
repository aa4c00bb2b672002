"""Referral pages: refer a child (from the child's page), the unit's referrals (sent, received,
escalated), one referral with accept / note / close; a region's days to accept."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.access import acting_user
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.core.views import form_page
from shouwang.units.selectors import org_manageable_by, top_orgs_visible_to

from . import selectors, services
from .forms import AcceptForm, CloseForm, DaysForm, NoteForm, ReferForm
from .models import ReferralState

BOXES = ("received", "sent", "escalated")


def index(request: HttpRequest) -> HttpResponse:
    if not selectors.may_view(request.user):
        raise Http404
    box = request.GET.get("box") or "received"
    if box not in BOXES:
        box = "received"
    lists = {
        "received": selectors.received_by_units_of,
        "sent": selectors.sent_by_units_of,
        "escalated": selectors.escalated_to_user,
    }
    referrals = lists[box](request.user)
    state = request.GET.get("state") or ""
    if state in ReferralState.values:
        referrals = referrals.filter(state=state)
    return render(
        request,
        "referrals/index.html",
        {
            "referrals": referrals[:200],
            "box": box,
            "boxes": [(b, _label(b)) for b in BOXES],
            "sets_days": scope_of(request.user).may(Area.SETTINGS, Action.CHANGE),
        },
    )


def _label(box: str) -> str:
    return {"received": _("Received"), "sent": _("Sent"), "escalated": _("Escalated")}[box]


def refer(request: HttpRequest, pk: int) -> HttpResponse:
    child, unit = selectors.child_referable_by(request.user, pk)
    form = ReferForm(request.POST or None, receivers=selectors.receivers_for(child))
    return form_page(
        request,
        form=form,
        save=lambda d: services.refer(child=child, from_unit=unit, by=acting_user(request), **d),
        done=_("The case was referred."),
        back=reverse("children:detail", args=[child.pk]),
        template="web/form.html",
        context={"title": _("Refer a case") + f" · {unit.name}", "child": child},
    )


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    referral = selectors.referral_for(request.user, pk)
    may_answer = selectors.may_answer(request.user, referral)
    version = services.referral_version(referral)
    return render(
        request,
        "referrals/detail.html",
        {
            "referral": referral,
            "notes": referral.notes.select_related("by"),
            "may_answer": may_answer,
            "may_note": selectors.may_note(request.user, referral),
            "accept_form": AcceptForm(initial={"version": version}),
            "close_form": CloseForm(initial={"version": version}),
            "note_form": NoteForm(),
        },
    )


def accept(request: HttpRequest, pk: int) -> HttpResponse:
    referral = selectors.answerable_by(request.user, pk)
    return form_page(
        request,
        form=AcceptForm(
            request.POST or None, initial={"version": services.referral_version(referral)}
        ),
        save=lambda d: services.accept(
            referral=referral, by=acting_user(request), version=d["version"]
        ),
        done=_("The referral was accepted."),
        back=reverse("referrals:detail", args=[referral.pk]),
        template="web/form.html",
        context={"title": _("Accept the referral") + f" · {referral.child.name}"},
    )


def note(request: HttpRequest, pk: int) -> HttpResponse:
    referral = selectors.notable_by(request.user, pk)
    return form_page(
        request,
        form=NoteForm(request.POST or None),
        save=lambda d: services.add_note(referral=referral, by=acting_user(request), **d),
        done=_("The note was added."),
        back=reverse("referrals:detail", args=[referral.pk]),
        template="web/form.html",
        context={"title": _("What was done") + f" · {referral.child.name}"},
    )


def close(request: HttpRequest, pk: int) -> HttpResponse:
    referral = selectors.answerable_by(request.user, pk)
    return form_page(
        request,
        form=CloseForm(
            request.POST or None, initial={"version": services.referral_version(referral)}
        ),
        save=lambda d: services.close(
            referral=referral, by=acting_user(request), outcome=d["outcome"], version=d["version"]
        ),
        done=_("The referral was closed."),
        back=reverse("referrals:detail", args=[referral.pk]),
        template="web/form.html",
        context={"title": _("Close the referral") + f" · {referral.child.name}"},
    )


def days(request: HttpRequest) -> HttpResponse:
    """A region officer sets the days a referral may wait before it goes up a level."""
    if not scope_of(request.user).may(Area.SETTINGS, Action.CHANGE):
        raise Http404
    tops = top_orgs_visible_to(request.user)
    region = org_manageable_by(
        request.user, request.GET.get("org") or (tops[0].code if tops else "")
    )
    if not region.is_region:
        raise Http404
    today = timezone.localdate()
    return form_page(
        request,
        form=DaysForm(request.POST or None, initial={"days": services.days_for(region, today)}),
        save=lambda d: services.set_days(
            region=region, days=d["days"], since=today, by=acting_user(request)
        ),
        done=lambda d: (
            _("From today, a referral in %(region)s waits %(days)s days before it goes up.")
            % {"region": region.name, "days": d["days"]}
        ),
        back=reverse("referrals:index"),
        template="web/form.html",
        context={"title": _("Days to accept a referral") + f" · {region.name}"},
    )
