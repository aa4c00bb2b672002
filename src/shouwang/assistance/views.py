"""Assistance and donation pages: thin — the gate from the selectors, the writes from the
services. Out of scope is a 404, as everywhere; no page of money opens for teachers,
counselors or volunteers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.access import acting_user
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.children.models import Child
from shouwang.core.concurrency import StaleEdit
from shouwang.core.sheets.limits import limited_upload, refuse_into
from shouwang.core.views import form_page, show_error
from shouwang.orgs.models import Org, OrgKind

from . import selectors, services
from .forms import (
    MAX_RECEIPT,
    RECEIPT_TYPES,
    ApplyForm,
    BatchForm,
    DecideForm,
    DonationForm,
    FulfilForm,
    FundForm,
    MatchForm,
    PaymentForm,
    ProgrammeForm,
    SpendingForm,
    VoidForm,
    WishForm,
)
from .models import ApplicationStatus, Programme
from .presets import PRESETS

LIST_ROWS = 100


def _gate(allowed: bool) -> None:
    if not allowed:
        raise Http404


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    _gate(selectors.may_view(user))
    pending = list(
        selectors.applications_visible_to(user)
        .filter(status=ApplicationStatus.PENDING)
        .order_by("applied_on", "pk")[:LIST_ROWS]
    )
    decides: dict[tuple[int, str], bool] = {}  # one answer per unit and level, not per row
    for application in pending:
        key = (application.unit_id, application.programme.approval)
        if key not in decides:
            decides[key] = services.may_decide(user, application)
        application.may_decide = decides[key]  # type: ignore[attr-defined]
    return render(
        request,
        "assistance/home.html",
        {
            "programmes": selectors.programmes_for(user),
            "pending": pending,
            "payments": selectors.payments_visible_to(user)
            .select_related("programme", "child")
            .order_by("-paid_on", "-pk")[:LIST_ROWS],
            "regions": selectors.regions_for_programmes(user),
            "may_apply": selectors.may_apply(user),
            "may_pay": selectors.may_pay(user),
        },
    )


def _region(request: HttpRequest, code: str) -> Org:
    region = get_object_or_404(
        Org.objects.filter(selectors.units_q(request.user, Action.CHANGE, "path")), code=code
    )
    _gate(region.is_region)
    return region


def presets(request: HttpRequest, code: str) -> HttpResponse:
    """The seeds' programmes, applied to a region by its officer (those it has are kept)."""
    region = _region(request, code)
    have = set(Programme.objects.filter(region=region).values_list("code", flat=True))
    if request.method == "POST":
        made = services.apply_presets(region=region, by=acting_user(request))
        messages.success(
            request,
            _("%(n)d programmes were added to %(region)s.")
            % {"n": len(made), "region": region.name},
        )
        return redirect("assistance:home")
    return render(
        request,
        "assistance/presets.html",
        {"region": region, "presets": [dict(p, have=p["code"] in have) for p in PRESETS]},
    )


def add_programme(request: HttpRequest, code: str) -> HttpResponse:
    region = _region(request, code)
    return form_page(
        request,
        form=ProgrammeForm(request.POST or None),
        save=lambda d: services.add_programme(region=region, by=acting_user(request), **d),
        done=_("The programme was added."),
        back=reverse("assistance:home"),
        template="web/form.html",
        context={"title": _("A programme") + f" · {region.name}"},
    )


def apply(request: HttpRequest) -> HttpResponse:
    user = request.user
    _gate(selectors.may_apply(user))
    form = ApplyForm(
        request.POST or None,
        programmes=selectors.programmes_for(user).filter(is_active=True),
        children=selectors.children_for(user, Action.ADD).order_by("school__path", "name_initials"),
        initial={"children": request.GET.getlist("child")},
    )
    return form_page(
        request,
        form=form,
        save=lambda d: services.apply_for(by=acting_user(request), **d),
        done=_("The application was sent."),
        back=reverse("assistance:home"),
        template="web/form.html",
        context={"title": _("Apply for assistance")},
    )


def decide(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_for(request.user, pk)
    _gate(services.may_decide(request.user, application))
    if application.status != ApplicationStatus.PENDING:
        messages.info(request, _("This application was decided already."))
        return redirect("assistance:home")
    return form_page(
        request,
        form=DecideForm(
            request.POST or None, initial={"version": services.version_of(application)}
        ),
        save=lambda d: services.decide(application=application, by=acting_user(request), **d),
        done=_("The decision was recorded."),
        back=reverse("assistance:home"),
        template="web/form.html",
        context={
            "title": _("Approve or return"),
            "note": f"{application.child.name} · {application.programme.name} · "
            f"{application.unit.name} · {application.applied_on:%Y-%m-%d}",
        },
    )


def _payment_choices(request: HttpRequest) -> dict[str, QuerySet[Any]]:
    user = request.user
    return {
        "programmes": selectors.programmes_for(user).filter(is_active=True),
        "funds": selectors.funds_visible_to(user, Action.CHANGE),
    }


@limited_upload(MAX_RECEIPT, RECEIPT_TYPES)
def pay(request: HttpRequest) -> HttpResponse:
    """One payment; the receipt's scan stops at 10 MB as it arrives."""
    user = request.user
    _gate(selectors.may_pay(user))
    form = PaymentForm(
        request.POST or None,
        request.FILES or None,
        children=selectors.children_for(user, Action.CHANGE).order_by(
            "school__path", "name_initials"
        ),
        initial={"paid_on": timezone.localdate(), "child": request.GET.get("child")},
        **_payment_choices(request),
    )
    refuse_into(form, "receipt", request)
    return form_page(
        request,
        form=form,
        save=lambda d: services.pay(by=acting_user(request), **d),
        done=_("The payment was recorded."),
        back=reverse("assistance:home"),
        template="web/form.html",
        context={"title": _("Record a payment")},
    )


def _batch_children(request: HttpRequest, data: dict[str, Any]) -> list[Child]:
    if data.get("children"):
        return list(data["children"])
    path = data["unit"].path
    qs = selectors.children_for(request.user, Action.CHANGE).filter(
        Q(school__path__startswith=path) | Q(home_village__path__startswith=path)
    )
    if data.get("heart_level"):
        qs = qs.filter(heart_level=int(data["heart_level"]))
    return list(qs.distinct().order_by("school__path", "name_initials")[:2000])


def batch(request: HttpRequest) -> HttpResponse:
    """A whole list at once: the preview shows who would be paid and who not (and why); the
    second press pays those, all or none."""
    user = request.user
    _gate(selectors.may_pay(user))
    children = selectors.children_for(user, Action.CHANGE)
    form = BatchForm(
        request.POST or None,
        units=Org.objects.filter(
            selectors.units_q(user, Action.CHANGE, "path"),
            kind__in=(OrgKind.TOWNSHIP, OrgKind.SCHOOL, OrgKind.VILLAGE),
        ).order_by("path"),
        children=children.order_by("school__path", "name_initials"),
        initial={"paid_on": timezone.localdate(), "signed": True},
        **_payment_choices(request),
    )
    planned: list[services.Planned] = []
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        planned = services.preview_batch(
            by=user,
            children=_batch_children(request, d),
            programme=d["programme"],
            paid_on=d["paid_on"],
        )
        payable = [p.child for p in planned if not p.refused]
        if d.get("confirm"):
            try:
                made = services.pay_batch(
                    children=payable,
                    by=acting_user(request),
                    **{
                        k: d[k]
                        for k in (
                            "programme",
                            "paid_on",
                            "amount",
                            "fund",
                            "signed",
                            "item",
                            "quantity",
                            "overdraw_reason",
                        )
                    },
                )
            except StaleEdit as exc:
                form.add_error(None, exc)
            except ValidationError as exc:
                show_error(form, exc)
            else:
                messages.success(request, _("%(n)d payments were recorded.") % {"n": len(made)})
                return redirect("assistance:home")
        data = request.POST.copy()
        data["confirm"] = "1" if payable else ""
        form.data = data
    return render(
        request,
        "assistance/batch.html",
        {
            "form": form,
            "planned": planned,
            "payable": sum(1 for p in planned if not p.refused),
            "back": reverse("assistance:home"),
        },
    )


def payment(request: HttpRequest, pk: int) -> HttpResponse | FileResponse:
    """A payment, with its receipt's scan (``?receipt``), for those who see the unit's money."""
    _gate(selectors.may_view(request.user))
    paid = selectors.payment_for(request.user, pk)
    if "receipt" in request.GET:
        if not paid.receipt:
            raise Http404
        return FileResponse(paid.receipt.open("rb"), filename=Path(paid.receipt.name).name)
    return render(
        request,
        "assistance/payment.html",
        {
            "payment": paid,
            "may_void": scope_of(request.user).may(Area.ASSISTANCE, Action.CHANGE, paid.unit),
        },
    )


def void(request: HttpRequest, pk: int) -> HttpResponse:
    paid = selectors.payment_for(request.user, pk, Action.CHANGE)
    if paid.voided:
        messages.info(request, _("This payment was voided already."))
        return redirect("assistance:payment", paid.pk)
    return form_page(
        request,
        form=VoidForm(request.POST or None, initial={"version": services.version_of(paid)}),
        save=lambda d: services.void_payment(payment=paid, by=acting_user(request), **d),
        done=_("The payment was voided."),
        back=reverse("assistance:payment", args=[paid.pk]),
        template="web/form.html",
        context={"title": _("Void a payment"), "note": str(paid.child.name)},
    )


# --- donations --------------------------------------------------------------------------------


def funds(request: HttpRequest) -> HttpResponse:
    _gate(selectors.may_see_donations(request.user))
    rows = [
        (fund, fund.balance)  # type: ignore[attr-defined]
        for fund in selectors.funds_with_balance(request.user)[:LIST_ROWS]
    ]
    units = Org.objects.filter(
        selectors.fund_units_q(request.user, Action.CHANGE, "path"),
        kind__in=(
            OrgKind.COUNTY,
            OrgKind.TOWNSHIP,
            OrgKind.SCHOOL,
            OrgKind.FEDERATION,
            OrgKind.CIVIL_AFFAIRS,
            OrgKind.EDUCATION_BUREAU,
        ),
    ).order_by("path")[:LIST_ROWS]
    return render(request, "assistance/funds.html", {"rows": rows, "units": units})


def add_fund(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_object_or_404(
        Org.objects.filter(selectors.fund_units_q(request.user, Action.CHANGE, "path")), code=code
    )
    return form_page(
        request,
        form=FundForm(request.POST or None),
        save=lambda d: services.add_fund(unit=unit, by=acting_user(request), **d),
        done=_("The fund was added."),
        back=reverse("assistance:funds"),
        template="web/form.html",
        context={"title": _("A fund") + f" · {unit.name}"},
    )


def fund(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.fund_for(request.user, pk)
    rows = selectors.ledger_of(found)
    return render(
        request,
        "assistance/fund.html",
        {
            "fund": found,
            "rows": rows,
            "balance": rows[-1].balance if rows else selectors.ZERO,
            "may_keep": scope_of(request.user).may(Area.DONATIONS, Action.CHANGE, found.unit),
        },
    )


def donate(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.fund_for(request.user, pk, Action.CHANGE)
    return form_page(
        request,
        form=DonationForm(request.POST or None, initial={"on": timezone.localdate()}),
        save=lambda d: services.add_donation(fund=found, by=acting_user(request), **d),
        done=_("The donation was recorded."),
        back=reverse("assistance:fund", args=[found.pk]),
        template="web/form.html",
        context={"title": _("Money or goods in") + f" · {found.name}"},
    )


def spend(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.fund_for(request.user, pk, Action.CHANGE)
    return form_page(
        request,
        form=SpendingForm(request.POST or None, initial={"on": timezone.localdate()}),
        save=lambda d: services.add_spending(fund=found, by=acting_user(request), **d),
        done=_("The spending was recorded."),
        back=reverse("assistance:fund", args=[found.pk]),
        template="web/form.html",
        context={"title": _("Money or goods out") + f" · {found.name}"},
    )


def statement(request: HttpRequest, pk: int) -> HttpResponse:
    """The donor's statement: what the gift became and for how many children, naming none
    (``?html`` shows the page the PDF is made from)."""
    donation = selectors.donation_for(request.user, pk)
    html = render_to_string(
        "assistance/statement.html",
        {"s": selectors.statement_of(donation), "today": timezone.localdate()},
        request=request,
    )
    if "html" in request.GET:
        return HttpResponse(html)
    from weasyprint import HTML  # heavy to load: only when a PDF is made (as children's cards)

    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="donation-{donation.pk}.pdf"'
    return response


# --- wishes -----------------------------------------------------------------------------------


def wishes(request: HttpRequest) -> HttpResponse:
    _gate(selectors.may_view(request.user))
    return render(
        request,
        "assistance/wishes.html",
        {
            "wishes": selectors.wishes_visible_to(request.user)[:LIST_ROWS],
            "may_apply": selectors.may_apply(request.user),
        },
    )


def add_wish(request: HttpRequest) -> HttpResponse:
    user = request.user
    _gate(selectors.may_apply(user))
    form = WishForm(
        request.POST or None,
        children=selectors.children_for(user, Action.ADD).order_by("school__path", "name_initials"),
        initial={"child": request.GET.get("child")},
    )
    return form_page(
        request,
        form=form,
        save=lambda d: services.add_wish(by=acting_user(request), **d),
        done=_("The wish was recorded."),
        back=reverse("assistance:wishes"),
        template="web/form.html",
        context={"title": _("A child's wish")},
    )


def match_wish(request: HttpRequest, pk: int) -> HttpResponse:
    wish = selectors.wish_for(request.user, pk, Action.ADD)
    return form_page(
        request,
        form=MatchForm(
            request.POST or None,
            initial={"version": services.version_of(wish), "donor": wish.donor},
        ),
        save=lambda d: services.match_wish(wish=wish, by=acting_user(request), **d),
        done=_("The wish was matched to a donor."),
        back=reverse("assistance:wishes"),
        template="web/form.html",
        context={"title": _("Match the wish to a donor"), "note": wish.wish},
    )


def fulfil_wish(request: HttpRequest, pk: int) -> HttpResponse:
    wish = selectors.wish_for(request.user, pk, Action.ADD)
    return form_page(
        request,
        form=FulfilForm(
            request.POST or None,
            initial={"version": services.version_of(wish), "on": timezone.localdate()},
        ),
        save=lambda d: services.fulfil_wish(wish=wish, by=acting_user(request), **d),
        done=_("The wish was fulfilled."),
        back=reverse("assistance:wishes"),
        template="web/form.html",
        context={"title": _("The wish fulfilled"), "note": f"{wish.wish} · {wish.donor}"},
    )
