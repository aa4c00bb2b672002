"""Assessment (考核, domain.md §6, seed 001): each term each caregiver, class and school of a
region gets a score computed from the records, under rules kept as data.

Glossary (UI term → name in code):
    考核方案               scheme (``Scheme``: a region's rules and its grade bands)
    考核项目 / 考核细则     point (``Point``: what is measured, its weight and thresholds)
    一票否决               veto (``Point.veto``: failing it makes the result 不合格)
    考核对象               subject (``Subject``: a caregiver, a class or a school)
    考核结果               score (``Score``: one subject's total, result and points, with the
                           records behind each point)
    考核批次               run (``Run``: one computation of a region's term; replaced while
                           the term is open, frozen once it is closed: by the worker within
                           the hour after its last day, or by an officer before that)
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from shouwang.care.models import Caregiver
from shouwang.orgs.models import Org, Term


class Subject(models.TextChoices):
    CAREGIVER = "caregiver", _("Caregiver")
    CLASS = "class", _("Class")
    SCHOOL = "school", _("School")


class Result(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")  # 优秀
    GOOD = "good", _("Good")  # 良好
    PASS = "pass", _("Pass")  # 合格
    FAIL = "fail", _("Fail")  # 不合格


class Scheme(models.Model):
    """A region's assessment rules: its points and the scores its grades begin at."""

    org = models.OneToOneField(Org, on_delete=models.PROTECT, related_name="assessment_scheme")
    name = models.CharField(_("name"), max_length=100)
    preset = models.CharField(_("preset"), max_length=40, blank=True)
    pass_score = models.PositiveSmallIntegerField(
        _("pass from"), default=60, validators=[MaxValueValidator(100)]
    )
    good_score = models.PositiveSmallIntegerField(
        _("good from"), default=80, validators=[MaxValueValidator(100)]
    )
    excellent_score = models.PositiveSmallIntegerField(
        _("excellent from"), default=90, validators=[MaxValueValidator(100)]
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pass_score__lte=models.F("good_score"))
                & models.Q(good_score__lte=models.F("excellent_score")),
                name="assessment_bands_in_order",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Point(models.Model):
    """One point of a scheme. ``measure`` names a measure of the registry (``measures.MEASURES``);
    a rate measure scores in full from ``full_at`` and nothing below ``pass_at`` (failed); a
    count measure alike, in numbers of records. Switched off points stay (``is_active``)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="points")
    code = models.SlugField(_("code"), max_length=40)
    label = models.CharField(_("label"), max_length=100)
    subject = models.CharField(_("applies to"), max_length=12, choices=Subject.choices)
    measure = models.CharField(_("measure"), max_length=40)
    weight = models.PositiveSmallIntegerField(
        _("points"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    pass_at = models.DecimalField(
        _("failed below"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    full_at = models.DecimalField(
        _("full points from"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    veto = models.BooleanField(_("failing it fails the whole assessment (一票否决)"), default=False)
    source = models.CharField(_("source"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("in force"), default=True)

    class Meta:
        ordering = ["scheme", "subject", "order", "pk"]
        verbose_name = _("assessment point")
        verbose_name_plural = _("assessment points")
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "subject", "code"],
                condition=models.Q(is_active=True),
                name="one_active_point_per_code",
            ),
            models.CheckConstraint(
                condition=models.Q(pass_at__lte=models.F("full_at")),
                name="assessment_pass_below_full",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Run(models.Model):
    """One computation of a region's term. The open run of a term is replaced by a new one (it
    stays, ``is_current`` off); a frozen run is the term's last."""

    org = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="assessment_runs", verbose_name=_("unit")
    )
    term = models.ForeignKey(
        Term, on_delete=models.PROTECT, related_name="+", verbose_name=_("term")
    )
    on = models.DateField(_("records up to"))
    computed_at = models.DateTimeField(_("computed at"))
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The scheme as used (grade bands and points), so a frozen run shows the rules it was under.
    rules = models.JSONField(_("rules"), default=dict)
    is_current = models.BooleanField(default=True)
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-computed_at", "-pk"]
        verbose_name = _("assessment run")
        verbose_name_plural = _("assessment runs")
        constraints = [
            models.UniqueConstraint(
                fields=["org", "term"],
                condition=models.Q(is_current=True),
                name="one_current_run_per_term",
            )
        ]

    def __str__(self) -> str:
        return f"{self.org} · {self.term}"


class Score(models.Model):
    """A subject's score in a run: never changed after it is written. ``org`` is the school or
    class scored, or the caregiver's unit (whose officers and leaders see it)."""

    run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="scores")
    subject = models.CharField(_("subject"), max_length=12, choices=Subject.choices)
    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    caregiver = models.ForeignKey(
        Caregiver, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    total = models.DecimalField(_("score"), max_digits=5, decimal_places=1)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    rank = models.PositiveIntegerField(_("rank"))
    # [{code, label, measure, weight, pass_at, full_at, veto, value, shown, score, passed,
    #   applicable, trace: {kind, ids, items, total, query}}]
    points = models.JSONField(_("points"), default=list)

    class Meta:
        ordering = ["run", "subject", "rank", "pk"]
        verbose_name = _("assessment score")
        verbose_name_plural = _("assessment scores")
        indexes = [models.Index(fields=["run", "subject", "rank"])]

    def __str__(self) -> str:
        return f"{self.name} {self.total}"
