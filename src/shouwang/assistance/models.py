"""资助与捐赠 (domain.md §5): programmes with their rules, applications and approvals, payments
against a signature or a receipt, funds with money and goods in and out, and 微心愿.

Glossary (UI term → name in code):
    资助项目 (生活费, 春蕾计划, 慰问金, 两免一补…)   programme
    按学期 / 按月 / 一次性                         period unit: term / month / once
    申请 / 审核 (批准, 退回)                       application / approve, return
    发放 (资助款, 物资)                            payment (money, or goods with item and quantity)
    作废                                           void (nothing is deleted)
    资金 (政府资金, 救助基金, 企业, 个人捐赠)      fund (government, relief, enterprise, individual)
    捐赠 (入账) / 支出                             donation (in) / spending (out)
    台账 / 余额                                    ledger / balance
    微心愿                                         wish

Every row of a unit carries its ``unit`` (a school, a village, a region): the policy table
reaches it through the unit (``Reach.UNIT``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shouwang.children.models import Child
from shouwang.orgs.models import Org


class Kind(models.TextChoices):
    MONEY = "money", _("Money")
    GOODS = "goods", _("Goods")


class PeriodUnit(models.TextChoices):
    TERM = "term", _("A term")
    MONTH = "month", _("A month")
    ONCE = "once", _("Once")


class EligibleStage(models.TextChoices):
    ANY = "", _("Any stage")
    KINDERGARTEN = "kindergarten", _("Kindergarten")
    PRIMARY = "primary", _("Primary")
    JUNIOR = "junior", _("Junior secondary")
    SENIOR = "senior", _("Senior secondary")
    # The archive holds children in school; one at university has left their class.
    UNIVERSITY = "university", _("University")


class EligibleGender(models.TextChoices):
    ANY = "", _("Girls and boys")
    FEMALE = "female", _("Girls only")
    MALE = "male", _("Boys only")


class ApprovalLevel(models.TextChoices):
    NONE = "", _("No approval")
    TOWNSHIP = "township", _("The township approves")
    COUNTY = "county", _("The county approves")


class Programme(models.Model):
    """A kind of help with its rules as data: what, how much, how often, for whom, who approves.
    ``code`` is the key of the statistics' ``by_programme`` and never changes."""

    region = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.MONEY)
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    period = models.CharField(_("paid"), max_length=8, choices=PeriodUnit.choices)
    stage = models.CharField(
        _("stage"), max_length=16, choices=EligibleStage.choices, blank=True, default=""
    )
    gender = models.CharField(
        _("for"), max_length=8, choices=EligibleGender.choices, blank=True, default=""
    )
    approval = models.CharField(
        _("approved by"), max_length=10, choices=ApprovalLevel.choices, blank=True, default=""
    )
    sponsor = models.CharField(_("sponsor"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region__path", "code"]
        # One region's programme of a code: a preset applied in two counties keeps its code,
        # so a province's figures add the two up under one key.
        constraints = [
            models.UniqueConstraint(fields=["region", "code"], name="assistance_programme_code")
        ]

    def __str__(self) -> str:
        return self.name


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class Application(models.Model):
    """A village or school asks for a programme's help for a child (a list is a row each)."""

    unit = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="assistance_asked")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.PENDING
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    applied_on = models.DateField(_("applied on"))
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["-applied_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.programme_id}/{self.child_id}"


class FundKind(models.TextChoices):
    GOVERNMENT = "government", _("Government fund")
    RELIEF = "relief", _("Relief fund (救助基金)")
    ENTERPRISE = "enterprise", _("Enterprise")
    INDIVIDUAL = "individual", _("Individual donor")


class Fund(models.Model):
    unit = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=12, choices=FundKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["unit__path", "name"]

    def __str__(self) -> str:
        return self.name


class Voidable(models.Model):
    """Nothing is deleted: a wrong row is voided with a reason and stays in the ledger."""

    voided = models.BooleanField(default=False)
    void_reason = models.CharField(_("why voided"), max_length=200, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True


class Payment(Voidable):
    """Money or goods given to one child under a programme for a period (a term's name, a month
    ``2026-10``, or the day itself for a one-off gift). The same programme twice in one period
    for one child is refused by the database itself, so two clerks at once cannot both pay."""

    unit = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="assistance_paid")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="payments")
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    period = models.CharField(_("period"), max_length=40)
    paid_on = models.DateField(_("date"))
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    item = models.CharField(_("item"), max_length=60, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    signed = models.BooleanField(_("the recipient signed"), default=False)
    receipt = models.FileField(_("receipt scan"), upload_to="receipts/%Y/%m/", blank=True)
    # Given only when the payment takes its fund below zero (a loan to be repaid, a late grant).
    overdraw_reason = models.CharField(max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "programme", "period"],
                condition=Q(voided=False),
                name="assistance_one_payment_a_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id}/{self.child_id}/{self.period}"


class Donation(Voidable):
    """Money or goods into a fund: from whom, when, for what."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="donations")
    donor = models.CharField(_("donor"), max_length=100)
    on = models.DateField(_("date"))
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    item = models.CharField(_("item"), max_length=60, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-on", "-pk"]

    def __str__(self) -> str:
        return f"{self.donor} {self.on}"


class Spending(Voidable):
    """Money or goods out of a fund other than a payment to a child (an activity's costs…)."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="spendings")
    on = models.DateField(_("date"))
    purpose = models.CharField(_("purpose"), max_length=200)
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    item = models.CharField(_("item"), max_length=60, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    overdraw_reason = models.CharField(max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-on", "-pk"]

    def __str__(self) -> str:
        return f"{self.purpose} {self.on}"


class Wish(models.Model):
    """微心愿: a child's small wish, matched to a donor, fulfilled on a day."""

    unit = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="wishes")
    wish = models.CharField(_("wish"), max_length=100)
    recorded_on = models.DateField(_("recorded on"))
    donor = models.CharField(_("donor"), max_length=100, blank=True)
    matched_on = models.DateField(null=True, blank=True)
    fulfilled_on = models.DateField(_("fulfilled on"), null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["fulfilled_on", "-recorded_on", "-pk"]

    def __str__(self) -> str:
        return self.wish
