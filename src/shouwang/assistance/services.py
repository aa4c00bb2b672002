"""Assistance and donation writes: each in one transaction, checked, audited. Pages, the API
and the demo call these, so a payment is refused the same way wherever it comes from."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.children.models import Child
from shouwang.core.concurrency import check_version, version_token
from shouwang.orgs.models import Org

from . import selectors
from .models import (
    Application,
    ApplicationStatus,
    ApprovalLevel,
    Donation,
    EligibleGender,
    Fund,
    Kind,
    Payment,
    Programme,
    Spending,
    Wish,
)
from .presets import PRESETS

if TYPE_CHECKING:
    from shouwang.accounts.models import User


def _not_future(on: date, field_name: str) -> None:
    if on > timezone.localdate():
        raise ValidationError({field_name: _("The date cannot be in the future.")})


def _saved(obj: Any) -> Any:
    obj.full_clean()
    obj.save()
    return obj


# --- what a form was opened at (a form opened before someone else decided is refused) --------


def application_state(application: Application) -> dict[str, Any]:
    return {"status": application.status}


def payment_state(payment: Payment) -> dict[str, Any]:
    return {"voided": payment.voided}


def wish_state(wish: Wish) -> dict[str, Any]:
    return {"donor": wish.donor, "fulfilled_on": wish.fulfilled_on}


def version_of(obj: Application | Payment | Wish) -> str:
    if isinstance(obj, Application):
        return version_token(application_state(obj))
    if isinstance(obj, Payment):
        return version_token(payment_state(obj))
    return version_token(wish_state(obj))


# --- programmes -------------------------------------------------------------------------------


@transaction.atomic
def apply_presets(*, region: Org, by: User | None) -> list[Programme]:
    """The seeds' programmes for ``region``; those it has already (by code) are left as edited."""
    have = set(Programme.objects.filter(region=region).values_list("code", flat=True))
    made = [
        _saved(Programme(region=region, **preset))
        for preset in PRESETS
        if preset["code"] not in have
    ]
    if made:
        audit.record(
            actor=by,
            action=AuditAction.CREATE,
            object_repr="assistance presets",
            org_path=region.path,
            changes={"programmes": [p.code for p in made]},
        )
    return made


@transaction.atomic
def add_programme(*, region: Org, by: User | None, **fields: Any) -> Programme:
    if not region.is_region:
        raise ValidationError({"region": _("A programme belongs to a region.")})
    if Programme.objects.filter(region=region, code=fields.get("code", "")).exists():
        raise ValidationError({"code": _("This region has a programme of this code already.")})
    programme = _saved(Programme(region=region, **fields))
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=programme,
        org_path=region.path,
        changes={k: str(v) for k, v in fields.items()},
    )
    return programme


# --- eligibility ------------------------------------------------------------------------------


def refusal(child: Child, programme: Programme) -> str:
    """Why the programme's rules leave the child out ("" when they do not)."""
    if programme.gender and child.gender != programme.gender:
        if programme.gender == EligibleGender.FEMALE:
            return _("%(programme)s is for girls only.") % {"programme": programme.name}
        return _("%(programme)s is for boys only.") % {"programme": programme.name}
    if programme.stage and selectors.stage_of(child) != programme.stage:
        return _("%(programme)s is for children of another school stage.") % {
            "programme": programme.name
        }
    return ""


def _check_eligible(child: Child, programme: Programme, unit: Org) -> None:
    if not programme.is_active:
        raise ValidationError({"programme": _("This programme is no longer in use.")})
    if not unit.path.startswith(programme.region.path):
        raise ValidationError({"programme": _("This programme is not one of the unit's region.")})
    why = refusal(child, programme)
    if why:
        raise ValidationError({"child": why})


# --- applications and approval ----------------------------------------------------------------


@transaction.atomic
def apply_for(
    *, children: Iterable[Child], programme: Programme, by: User, note: str = ""
) -> list[Application]:
    """A village or school applies for each child of the list (a row each); all or none."""
    made = []
    today = timezone.localdate()
    for child in children:
        unit = selectors.unit_for(by, child, Action.ADD)
        if unit is None:
            raise ValidationError(
                {"children": _("%(name)s is not a child of your unit.") % {"name": child.name}}
            )
        try:
            _check_eligible(child, programme, unit)
        except ValidationError as exc:  # one child of a list: say which
            raise ValidationError(
                {"children": f"{child.name}：{'；'.join(exc.messages)}"}
            ) from None
        if Application.objects.filter(
            child=child,
            programme=programme,
            status__in=[ApplicationStatus.PENDING, ApplicationStatus.APPROVED],
        ).exists():
            raise ValidationError(
                {
                    "children": _("%(name)s has an application for %(programme)s already.")
                    % {"name": child.name, "programme": programme.name}
                }
            )
        made.append(
            _saved(
                Application(
                    unit=unit,
                    child=child,
                    programme=programme,
                    note=note.strip(),
                    applied_on=today,
                    applied_by=by,
                )
            )
        )
    if not made:
        raise ValidationError({"children": _("Choose the children to apply for.")})
    for application in made:
        audit.record(
            actor=by,
            action=AuditAction.CREATE,
            obj=application,
            org_path=application.unit.path,
            changes={"child": application.child_id, "programme": programme.code},
        )
    return made


def approving_unit(application: Application) -> Org | None:
    """The region of the level the programme names, above the applying unit."""
    level = application.programme.approval
    if not level:
        return None
    return (
        Org.objects.filter(kind=level, path__in=selectors.paths_above(application.unit.path))
        .order_by("-depth")
        .first()
    )


def may_decide(user: Any, application: Application) -> bool:
    """The level the programme names decides (seed 002: the county checks): one who may approve
    at that region; a programme with no approval level is decided by the unit's payers."""
    at = approving_unit(application)
    if application.programme.approval and at is None:
        return False
    return scope_of(user).may(Area.ASSISTANCE, Action.CHANGE, at or application.unit)


@transaction.atomic
def decide(
    *, application: Application, approve: bool, by: User, version: str, reason: str = ""
) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    check_version(version, application_state(application))
    if application.status != ApplicationStatus.PENDING:
        raise ValidationError(_("This application was decided already."))
    if not may_decide(by, application):
        level = ApprovalLevel(application.programme.approval or "").label
        raise ValidationError(_("Only %(level)s may decide this application.") % {"level": level})
    if not approve and not reason.strip():
        raise ValidationError({"reason": _("Say why the application is returned.")})
    application.status = ApplicationStatus.APPROVED if approve else ApplicationStatus.RETURNED
    application.reason = reason.strip()
    application.decided_by, application.decided_at = by, timezone.now()
    _saved(application)
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=application,
        org_path=application.unit.path,
        changes={"status": application.status, "reason": application.reason},
    )
    return application


# --- payments ---------------------------------------------------------------------------------


def _earlier_message(earlier: Payment) -> str:
    what = (
        f"{earlier.amount} 元"
        if earlier.amount is not None
        else f"{earlier.item} × {earlier.quantity}"
    )
    return _(
        "%(name)s was paid %(programme)s for %(period)s already: %(what)s on %(on)s by %(by)s."
    ) % {
        "name": earlier.child.name,
        "programme": earlier.programme.name,
        "period": earlier.period,
        "what": what,
        "on": date_format(earlier.paid_on, "Y-m-d"),
        "by": earlier.by.full_name or earlier.by.get_username(),
    }


def _check_fund(fund: Fund, amount: Decimal | None, overdraw_reason: str) -> None:
    """A balance never goes below zero without a reason given (the fund row is locked, so two
    payments at once see each other's money go out)."""
    Fund.objects.select_for_update().filter(pk=fund.pk).first()
    if amount and selectors.balance_of(fund) - amount < 0 and not overdraw_reason.strip():
        raise ValidationError(
            {
                "fund": _(
                    "%(fund)s holds %(balance)s 元: this would take it below zero. "
                    "Give the reason to overdraw it, or choose another fund."
                )
                % {"fund": fund.name, "balance": selectors.money(selectors.balance_of(fund))}
            }
        )


def _check_fund_for(fund: Fund, unit: Org, by: Any) -> None:
    """A fund pays the children of its region (a 妇联's fund, its county's) and is drawn on by
    those who keep it."""
    region = fund.unit.path if fund.unit.is_region else fund.unit.path[: -Org.steplen]
    if not unit.path.startswith(region) or not scope_of(by).may(
        Area.DONATIONS, Action.CHANGE, fund.unit
    ):
        raise ValidationError({"fund": _("This fund cannot pay this unit's children.")})


@dataclass
class Planned:
    """A payment as checked before it is made (the batch preview shows these)."""

    child: Child
    unit: Org | None
    period: str
    refused: str = ""
    earlier: Payment | None = field(default=None)


def plan_payment(*, by: Any, child: Child, programme: Programme, paid_on: date) -> Planned:
    unit = selectors.unit_for(by, child, Action.CHANGE)
    if unit is None:
        return Planned(child, None, "", _("Not a child of your unit."))
    period = selectors.period_of(programme, unit, paid_on)
    try:
        _check_eligible(child, programme, unit)
    except ValidationError as exc:
        return Planned(child, unit, period, "；".join(exc.messages))
    if programme.approval and not selectors.is_approved(child, programme):
        return Planned(child, unit, period, _("Not approved yet: apply first, then approve."))
    earlier = selectors.earlier_payment(child, programme, period)
    if earlier is not None:
        return Planned(child, unit, period, _earlier_message(earlier), earlier)
    return Planned(child, unit, period)


@transaction.atomic
def pay(
    *,
    child: Child,
    programme: Programme,
    paid_on: date,
    by: User,
    amount: Decimal | None = None,
    fund: Fund | None = None,
    signed: bool = False,
    receipt: UploadedFile | None = None,
    item: str = "",
    quantity: int | None = None,
    overdraw_reason: str = "",
) -> Payment:
    """One payment to one child. Refused: outside the payer's units, against the programme's
    rules, without the approval it needs, twice in one period (naming the earlier payment),
    without a signature or receipt, or taking the fund below zero without a reason."""
    _not_future(paid_on, "paid_on")
    planned = plan_payment(by=by, child=child, programme=programme, paid_on=paid_on)
    if planned.refused:
        raise ValidationError({"child": planned.refused})
    assert planned.unit is not None
    if programme.kind == Kind.GOODS:
        if not item.strip() or not quantity:
            raise ValidationError({"item": _("Say what was given and how many.")})
        amount = None
    else:
        amount = amount if amount is not None else programme.amount
        if amount is None or amount <= 0:
            raise ValidationError({"amount": _("Give the amount paid.")})
    if not signed and not receipt:
        raise ValidationError(
            {"signed": _("Record the recipient's signature or attach the receipt's scan.")}
        )
    if fund is not None:
        _check_fund_for(fund, planned.unit, by)
        _check_fund(fund, amount, overdraw_reason)
    payment = Payment(
        unit=planned.unit,
        child=child,
        programme=programme,
        application=Application.objects.filter(
            child=child, programme=programme, status=ApplicationStatus.APPROVED
        ).first(),
        period=planned.period,
        paid_on=paid_on,
        amount=amount,
        item=item.strip(),
        quantity=quantity,
        fund=fund,
        signed=signed,
        overdraw_reason=overdraw_reason.strip(),
        by=by,
    )
    if receipt:
        # A random name: the file name a phone gives may carry the child's name.
        suffix = Path(receipt.name or "").suffix.lower()
        payment.receipt.save(f"{secrets.token_urlsafe(12)}{suffix}", receipt, save=False)
    payment.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():  # a savepoint: the other clerk's payment may win the race
            payment.save()
    except IntegrityError:
        earlier = selectors.earlier_payment(child, programme, planned.period)
        if earlier is None:
            raise
        raise ValidationError({"child": _earlier_message(earlier)}) from None
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=payment,
        org_path=planned.unit.path,
        changes={
            "child": child.pk,
            "programme": programme.code,
            "period": planned.period,
            "amount": selectors.money(amount) if amount is not None else None,
            "item": payment.item,
            "quantity": quantity,
            "fund": fund.pk if fund else None,
            "signed": signed,
            "receipt": bool(receipt),
        },
    )
    return payment


def preview_batch(
    *, by: Any, children: Iterable[Child], programme: Programme, paid_on: date
) -> list[Planned]:
    return [
        plan_payment(by=by, child=child, programme=programme, paid_on=paid_on) for child in children
    ]


@transaction.atomic
def pay_batch(
    *,
    children: Iterable[Child],
    programme: Programme,
    paid_on: date,
    by: User,
    amount: Decimal | None = None,
    fund: Fund | None = None,
    signed: bool = True,
    item: str = "",
    quantity: int | None = None,
    overdraw_reason: str = "",
) -> list[Payment]:
    """The children of a list the preview showed as payable, each through :func:`pay`; a
    refusal found meanwhile stops the whole list (nothing paid)."""
    payments = [
        pay(
            child=child,
            programme=programme,
            paid_on=paid_on,
            by=by,
            amount=amount,
            fund=fund,
            signed=signed,
            item=item,
            quantity=quantity,
            overdraw_reason=overdraw_reason,
        )
        for child in children
    ]
    if not payments:
        raise ValidationError(_("No child of the list can be paid."))
    return payments


@transaction.atomic
def void_payment(*, payment: Payment, reason: str, by: User, version: str) -> Payment:
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the payment is voided.")})
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    check_version(version, payment_state(payment))
    if payment.voided:
        raise ValidationError(_("This payment was voided already."))
    payment.voided, payment.void_reason = True, reason.strip()
    payment.voided_by, payment.voided_at = by, timezone.now()
    payment.save(update_fields=["voided", "void_reason", "voided_by", "voided_at"])
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=payment,
        org_path=payment.unit.path,
        changes={"voided": True, "reason": payment.void_reason},
    )
    return payment


# --- funds, donations, spending ---------------------------------------------------------------


@transaction.atomic
def add_fund(*, unit: Org, name: str, kind: str, by: User) -> Fund:
    fund = _saved(Fund(unit=unit, name=name.strip(), kind=kind))
    audit.record(
        actor=by, action=AuditAction.CREATE, obj=fund, org_path=unit.path, changes={"kind": kind}
    )
    return fund


def _money_or_goods(amount: Decimal | None, item: str, quantity: int | None) -> None:
    if amount is None and not (item.strip() and quantity):
        raise ValidationError({"amount": _("Give an amount, or the goods and how many.")})
    if amount is not None and amount <= 0:
        raise ValidationError({"amount": _("The amount must be more than zero.")})


@transaction.atomic
def add_donation(
    *,
    fund: Fund,
    donor: str,
    on: date,
    by: User,
    purpose: str = "",
    amount: Decimal | None = None,
    item: str = "",
    quantity: int | None = None,
) -> Donation:
    _not_future(on, "on")
    _money_or_goods(amount, item, quantity)
    donation = _saved(
        Donation(
            fund=fund,
            donor=donor.strip(),
            on=on,
            purpose=purpose.strip(),
            amount=amount,
            item=item.strip(),
            quantity=quantity,
            by=by,
        )
    )
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=donation,
        org_path=fund.unit.path,
        changes={"fund": fund.pk, "amount": selectors.money(amount) if amount else None},
    )
    return donation


@transaction.atomic
def add_spending(
    *,
    fund: Fund,
    on: date,
    purpose: str,
    by: User,
    amount: Decimal | None = None,
    item: str = "",
    quantity: int | None = None,
    overdraw_reason: str = "",
) -> Spending:
    _not_future(on, "on")
    _money_or_goods(amount, item, quantity)
    _check_fund(fund, amount, overdraw_reason)
    spending = _saved(
        Spending(
            fund=fund,
            on=on,
            purpose=purpose.strip(),
            amount=amount,
            item=item.strip(),
            quantity=quantity,
            overdraw_reason=overdraw_reason.strip(),
            by=by,
        )
    )
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=spending,
        org_path=fund.unit.path,
        changes={"fund": fund.pk, "amount": selectors.money(amount) if amount else None},
    )
    return spending


# --- wishes -----------------------------------------------------------------------------------


@transaction.atomic
def add_wish(*, child: Child, wish: str, by: User, recorded_on: date | None = None) -> Wish:
    unit = selectors.unit_for(by, child, Action.ADD)
    if unit is None:
        raise ValidationError({"child": _("Not a child of your unit.")})
    if not wish.strip():
        raise ValidationError({"wish": _("Write the wish.")})
    row = _saved(
        Wish(
            unit=unit,
            child=child,
            wish=wish.strip(),
            recorded_on=recorded_on or timezone.localdate(),
            by=by,
        )
    )
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=row,
        org_path=unit.path,
        changes={"child": child.pk},
    )
    return row


@transaction.atomic
def match_wish(*, wish: Wish, donor: str, by: User, version: str) -> Wish:
    wish = Wish.objects.select_for_update().get(pk=wish.pk)
    check_version(version, wish_state(wish))
    if wish.fulfilled_on:
        raise ValidationError(_("This wish was fulfilled already."))
    if not donor.strip():
        raise ValidationError({"donor": _("Name the donor.")})
    wish.donor, wish.matched_on = donor.strip(), timezone.localdate()
    _saved(wish)
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=wish,
        org_path=wish.unit.path,
        changes={"matched": True},
    )
    return wish


@transaction.atomic
def fulfil_wish(*, wish: Wish, on: date, by: User, version: str) -> Wish:
    wish = Wish.objects.select_for_update().get(pk=wish.pk)
    check_version(version, wish_state(wish))
    _not_future(on, "on")
    if not wish.donor:
        raise ValidationError(_("Match the wish to a donor first."))
    if wish.fulfilled_on:
        raise ValidationError(_("This wish was fulfilled already."))
    if on < wish.recorded_on:
        raise ValidationError({"on": _("The wish was recorded after this day.")})
    wish.fulfilled_on = on
    _saved(wish)
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=wish,
        org_path=wish.unit.path,
        changes={"fulfilled_on": str(on)},
    )
    return wish
