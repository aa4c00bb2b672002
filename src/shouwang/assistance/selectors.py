"""Reads of assistance and donations, the caller's scope applied inside (accounts.policy:
ASSISTANCE and DONATIONS, reached through each row's unit). Teachers, counselors and
volunteers reach none of it: no page, no figure, no money."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from shouwang.accounts.policy import Action, Area, Reach
from shouwang.accounts.scope import scope_of
from shouwang.children.models import Child
from shouwang.children.selectors import children_visible_to, in_register
from shouwang.orgs.models import Org, OrgKind
from shouwang.orgs.selectors import calendar_region_for

from .models import (
    Application,
    ApplicationStatus,
    Donation,
    EligibleStage,
    Fund,
    Kind,
    Payment,
    PeriodUnit,
    Programme,
    Spending,
    Wish,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def money(value: Decimal | None) -> str:
    """Money as the statistics write it: a decimal string with two places."""
    return f"{(value or ZERO).quantize(CENT)}"


# --- the gate ---------------------------------------------------------------------------------


def units_q(user: Any, action: Action = Action.VIEW, field: str = "unit__path") -> Q:
    return scope_of(user).units_q(Area.ASSISTANCE, action, field)


def fund_units_q(user: Any, action: Action = Action.VIEW, field: str = "unit__path") -> Q:
    return scope_of(user).units_q(Area.DONATIONS, action, field)


def may_view(user: Any) -> bool:
    return scope_of(user).may(Area.ASSISTANCE, Action.VIEW)


def may_apply(user: Any) -> bool:
    return scope_of(user).may(Area.ASSISTANCE, Action.ADD)


def may_pay(user: Any) -> bool:
    return scope_of(user).may(Area.ASSISTANCE, Action.CHANGE)


def may_see_donations(user: Any) -> bool:
    return scope_of(user).may(Area.DONATIONS, Action.VIEW)


def may_keep_donations(user: Any) -> bool:
    return scope_of(user).may(Area.DONATIONS, Action.CHANGE)


def unit_for(user: Any, child: Child, action: Action) -> Org | None:
    """The unit a row about ``child`` is kept by for this user: the child's school where the
    user may act there, else the child's home village (a village applies for its children)."""
    scope = scope_of(user)
    for unit in (child.school, child.home_village):
        if unit is not None and scope.may(Area.ASSISTANCE, action, unit):
            return unit
    return None


def paths_above(path: str) -> list[str]:
    """The paths of a unit and of every unit above it."""
    return [path[:end] for end in range(Org.steplen, len(path) + 1, Org.steplen)]


def programmes_for(user: Any) -> QuerySet[Programme]:
    """The programmes of the regions the user's units lie in, and of the regions below."""
    if not may_view(user):
        return Programme.objects.none()
    scope = scope_of(user)
    if scope.sees_every_unit:
        return Programme.objects.select_related("region")
    q = Q(pk__in=[])
    for path in scope.reach_paths(Area.ASSISTANCE, Action.VIEW).get(Reach.UNIT, ()):
        q |= Q(region__path__in=paths_above(path)) | Q(region__path__startswith=path)
    return Programme.objects.filter(q).select_related("region")


def regions_for_programmes(user: Any) -> QuerySet[Org]:
    """The regions whose programmes the user may set: a region officer's own."""
    return Org.objects.filter(
        units_q(user, Action.CHANGE, "path"),
        kind__in=(OrgKind.PROVINCE, OrgKind.CITY, OrgKind.COUNTY, OrgKind.TOWNSHIP),
    ).order_by("path")


# --- rows -------------------------------------------------------------------------------------


def payments_visible_to(user: Any) -> QuerySet[Payment]:
    return Payment.objects.filter(units_q(user)).select_related("child", "programme", "fund", "by")


def payment_for(user: Any, pk: int, action: Action = Action.VIEW) -> Payment:
    return get_object_or_404(Payment.objects.filter(units_q(user, action)), pk=pk)


def applications_visible_to(user: Any) -> QuerySet[Application]:
    return Application.objects.filter(units_q(user)).select_related(
        "child", "programme", "unit", "applied_by"
    )


def application_for(user: Any, pk: int) -> Application:
    return get_object_or_404(applications_visible_to(user), pk=pk)


def wishes_visible_to(user: Any) -> QuerySet[Wish]:
    return Wish.objects.filter(units_q(user)).select_related("child")


def wish_for(user: Any, pk: int, action: Action = Action.VIEW) -> Wish:
    return get_object_or_404(Wish.objects.filter(units_q(user, action)), pk=pk)


def funds_visible_to(user: Any, action: Action = Action.VIEW) -> QuerySet[Fund]:
    return Fund.objects.filter(fund_units_q(user, action)).select_related("unit")


def _sum_of(model: Any, fk: str) -> Subquery:
    rows = model.objects.filter(**{fk: OuterRef("pk")}, voided=False).order_by()
    return Subquery(
        rows.values(fk).annotate(s=Sum("amount")).values("s")[:1],
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def funds_with_balance(user: Any) -> QuerySet[Fund]:
    """The funds the user sees, each with its ``balance`` (as :func:`balance_of`), in one query."""
    return funds_visible_to(user).annotate(
        balance=Coalesce(_sum_of(Donation, "fund"), ZERO)
        - Coalesce(_sum_of(Payment, "fund"), ZERO)
        - Coalesce(_sum_of(Spending, "fund"), ZERO)
    )


def fund_for(user: Any, pk: int, action: Action = Action.VIEW) -> Fund:
    return get_object_or_404(funds_visible_to(user, action), pk=pk)


def donation_for(user: Any, pk: int) -> Donation:
    return get_object_or_404(
        Donation.objects.filter(fund_units_q(user, field="fund__unit__path")), pk=pk
    )


def children_for(user: Any, action: Action) -> QuerySet[Child]:
    """Children one may apply for (ADD) or pay (CHANGE): visible, in the register, and kept by
    a unit (school or home village) where the user may do so."""
    q = units_q(user, action, "school__path") | units_q(user, action, "home_village__path")
    return in_register(children_visible_to(user)).filter(q)


# --- rules read from the data ------------------------------------------------------------------


def stage_of(child: Child) -> str:
    """The child's school stage: their class's grade's (a child out of a class has none here;
    one at university has left the school's register, so ``university`` matches them)."""
    school_class = child.school_class
    if school_class is None:
        return EligibleStage.UNIVERSITY
    grade_path = school_class.path[: -Org.steplen]
    grade = Org.objects.filter(path=grade_path).values_list("stage", flat=True).first()
    return grade or ""


def period_of(programme: Programme, unit: Org, on: date) -> str:
    """The period a payment on ``on`` falls in: the term of the unit's calendar (in the holiday
    after a term, that term; before any term, the half-year), the month, or the day."""
    if programme.period == PeriodUnit.MONTH:
        return f"{on:%Y-%m}"
    if programme.period == PeriodUnit.ONCE:
        return on.isoformat()
    region = calendar_region_for(unit)
    if region is not None:
        term = (
            region.terms.filter(start__lte=on).order_by("-start").values_list("name", flat=True)
        ).first()
        if term:
            return term
    if on.month < 2:  # January: still the autumn term of the year before
        return f"{on.year - 1}年秋季学期"
    return f"{on.year}年{'秋季' if on.month >= 8 else '春季'}学期"


def earlier_payment(child: Child, programme: Programme, period: str) -> Payment | None:
    return (
        Payment.objects.filter(child=child, programme=programme, period=period, voided=False)
        .select_related("by")
        .first()
    )


def is_approved(child: Child, programme: Programme) -> bool:
    return Application.objects.filter(
        child=child, programme=programme, status=ApplicationStatus.APPROVED
    ).exists()


# --- the ledger of a fund ---------------------------------------------------------------------


def balance_of(fund: Fund) -> Decimal:
    """Money in minus money out (payments against the fund and other spending), voided rows
    left out."""
    into = Donation.objects.filter(fund=fund, voided=False).aggregate(s=Sum("amount"))["s"]
    paid = Payment.objects.filter(fund=fund, voided=False).aggregate(s=Sum("amount"))["s"]
    spent = Spending.objects.filter(fund=fund, voided=False).aggregate(s=Sum("amount"))["s"]
    return ((into or ZERO) - (paid or ZERO) - (spent or ZERO)).quantize(CENT)


@dataclass(frozen=True)
class LedgerRow:
    on: date
    what: str  # "in", "paid", "spent"
    text: str
    money_in: Decimal | None
    money_out: Decimal | None
    goods: str
    balance: Decimal
    voided: bool
    obj: Any


def ledger_of(fund: Fund) -> list[LedgerRow]:
    """The fund's rows by date with the balance after each (voided rows shown, not counted).
    Payments of one programme on one day are one line, as the paper ledger writes a batch."""
    rows: list[tuple[date, int, str, str, Decimal | None, Decimal | None, str, bool, Any]] = []
    for d in Donation.objects.filter(fund=fund).order_by("on", "pk"):
        goods = f"{d.item} × {d.quantity}" if d.item else ""
        rows.append((d.on, 0, "in", d.donor, d.amount, None, goods, d.voided, d))
    batches: dict[tuple[date, int, bool], list[Payment]] = defaultdict(list)
    for p in Payment.objects.filter(fund=fund).select_related("programme").order_by("paid_on"):
        batches[(p.paid_on, p.programme_id, p.voided)].append(p)
    for (paid_on, _programme, was_voided), payments in batches.items():
        total = sum((p.amount or ZERO for p in payments), ZERO)
        text = f"{payments[0].programme.name} · {len(payments)}"
        rows.append((paid_on, 1, "paid", text, None, total, "", was_voided, payments[0]))
    for s in Spending.objects.filter(fund=fund).order_by("on", "pk"):
        goods = f"{s.item} × {s.quantity}" if s.item else ""
        rows.append((s.on, 2, "spent", s.purpose, None, s.amount, goods, s.voided, s))
    rows.sort(key=lambda r: (r[0], r[1]))
    balance = ZERO
    out = []
    for on, _order, what, text, into, spent, goods, voided, obj in rows:
        if not voided:
            balance += (into or ZERO) - (spent or ZERO)
        out.append(LedgerRow(on, what, text, into, spent, goods, balance, voided, obj))
    return out


@dataclass(frozen=True)
class Statement:
    """What a gift became, naming no child: the fund's payments by programme (children
    counted, never named) and its other spending."""

    donation: Donation
    by_programme: list[tuple[str, int, Decimal]]
    spending: list[tuple[str, Decimal]]
    children: int
    balance: Decimal


def statement_of(donation: Donation) -> Statement:
    fund = donation.fund
    paid = Payment.objects.filter(fund=fund, voided=False, paid_on__gte=donation.on)
    by_programme = [
        (row["programme__name"], row["n"], (row["total"] or ZERO).quantize(CENT))
        for row in paid.values("programme__name")
        .annotate(n=_distinct_children(), total=Sum("amount"))
        .order_by("programme__name")
    ]
    spending = [
        (row["purpose"], (row["total"] or ZERO).quantize(CENT))
        for row in Spending.objects.filter(fund=fund, voided=False, on__gte=donation.on)
        .values("purpose")
        .annotate(total=Sum("amount"))
        .order_by("purpose")
    ]
    children = paid.values("child").distinct().count()
    return Statement(donation, by_programme, spending, children, balance_of(fund))


def _distinct_children() -> Count:
    return Count("child", distinct=True)


# --- a child's page ---------------------------------------------------------------------------


def child_section(user: Any, child: Child) -> dict[str, Any] | None:
    """What the child received (money, goods, wishes), for those who see assistance at the
    child's units; None for everyone else (the section is left out)."""
    if not may_view(user):
        return None
    q = units_q(user)
    payments = list(
        Payment.objects.filter(q, child=child, voided=False)
        .select_related("programme")
        .order_by("-paid_on", "-pk")[:50]
    )
    wishes = list(Wish.objects.filter(q, child=child).order_by("-recorded_on")[:20])
    applications = list(
        Application.objects.filter(q, child=child, status=ApplicationStatus.PENDING).select_related(
            "programme"
        )
    )
    if (
        not (payments or wishes or applications)
        and not Org.objects.filter(
            units_q(user, field="path"), pk__in=[child.school_id, child.home_village_id or 0]
        ).exists()
    ):
        return None
    total = sum((p.amount or ZERO for p in payments if p.programme.kind == Kind.MONEY), ZERO)
    return {
        "child": child,
        "payments": payments,
        "wishes": wishes,
        "applications": applications,
        "total": total,
        "may_pay": unit_for(user, child, Action.CHANGE) is not None,
    }


# --- statistics -------------------------------------------------------------------------------


def _paid_within(org: Org, start: date, end: date) -> QuerySet[Payment]:
    """Non-voided payments dated within [start, end], kept by units under ``org``: what the
    period's figures count (no user scope — the caller has checked that the org is theirs)."""
    return Payment.objects.filter(
        voided=False, paid_on__gte=start, paid_on__lte=end, unit__path__startswith=org.path
    )


def goods_given(*, org: Org, start: date, end: date) -> list[dict[str, Any]]:
    """The goods among the period's payments (:func:`period_figures` counts them, money only):
    each item with its quantity and the children who got it, the most given first."""
    rows = (
        _paid_within(org, start, end)
        .exclude(item="")
        .values("item")
        .annotate(quantity=Sum("quantity"), children=Count("child", distinct=True))
        .order_by("-quantity", "item")
    )
    return [
        {"item": r["item"], "quantity": r["quantity"] or 0, "children": r["children"]} for r in rows
    ]


def period_figures(*, org: Org, start: date, end: date) -> dict[str, Any]:
    """The ``assistance`` figures of interfaces.md for ``org`` over [start, end]: non-voided
    payments dated within, kept by units under the org (for the statistics; no user scope —
    the caller has checked that the org is theirs). ``by_programme`` is keyed by programme code
    (one code in several regions adds up), with every programme of the org's regions present."""
    paid = _paid_within(org, start, end)
    # Every programme the org's regions run, paid or not (zero keys are present, interfaces.md).
    codes = Programme.objects.filter(
        Q(region__path__in=paths_above(org.path)) | Q(region__path__startswith=org.path)
    ).values_list("code", flat=True)
    by_programme: dict[str, dict[str, Any]] = {
        code: {"children": 0, "amount": money(ZERO)} for code in sorted(set(codes))
    }
    rows = paid.values("programme__code").annotate(n=_distinct_children(), total=Sum("amount"))
    for row in rows.order_by("programme__code"):
        by_programme[row["programme__code"]] = {"children": row["n"], "amount": money(row["total"])}
    total = paid.aggregate(payments=Count("pk"), children=_distinct_children(), s=Sum("amount"))
    return {
        "assistance": {
            "payments": total["payments"],
            "children_helped": total["children"],
            "amount_total": money(total["s"]),
            "by_programme": by_programme,
        }
    }
