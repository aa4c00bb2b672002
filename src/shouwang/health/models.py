"""体检 (domain.md §4): each child's physical examinations, and the screening tables their BMI is
read against. BMI and the flags are derived (``metrics``), never stored or typed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shouwang.accounts.policy import Area
from shouwang.accounts.restrict import PolicyTarget, RestrictedQuerySet
from shouwang.children.models import Child, Gender


class BmiReference(models.Model):
    """One half-year row of the national screening tables, loaded as data by a migration:
    WS/T 586-2018 (超重 / 肥胖, BMI ≥ the value) and WS/T 456-2014 (消瘦, BMI ≤ the value)."""

    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices)
    age = models.DecimalField(_("age from (years)"), max_digits=3, decimal_places=1)
    thin_severe_max = models.DecimalField(
        _("moderate or severe thinness: BMI at most"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
    )
    thin_mild_max = models.DecimalField(
        _("mild thinness: BMI at most"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    overweight_min = models.DecimalField(
        _("overweight: BMI at least"), max_digits=4, decimal_places=1
    )
    obese_min = models.DecimalField(_("obesity: BMI at least"), max_digits=4, decimal_places=1)

    class Meta:
        ordering = ["gender", "age"]
        constraints = [
            models.UniqueConstraint(fields=["gender", "age"], name="bmi_reference_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_gender_display()} {self.age}"


class Checkup(models.Model):
    """One 体检 of one child. Corrections are new values on the same row, audited; nothing is
    deleted."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="checkups")
    examined_on = models.DateField(_("examination date"))
    height_cm = models.DecimalField(_("height (cm)"), max_digits=4, decimal_places=1)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=4, decimal_places=1)
    systolic = models.PositiveSmallIntegerField(
        _("blood pressure, systolic (mmHg)"), null=True, blank=True
    )
    diastolic = models.PositiveSmallIntegerField(
        _("blood pressure, diastolic (mmHg)"), null=True, blank=True
    )
    vision_left = models.DecimalField(
        _("vision, left eye (5-point)"), max_digits=2, decimal_places=1, null=True, blank=True
    )
    vision_right = models.DecimalField(
        _("vision, right eye (5-point)"), max_digits=2, decimal_places=1, null=True, blank=True
    )
    lung_capacity_ml = models.PositiveIntegerField(_("lung capacity (ml)"), null=True, blank=True)
    chest_cm = models.DecimalField(
        _("chest circumference (cm)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    ent_notes = models.CharField(_("eyes, ears, nose, mouth, throat"), max_length=200, blank=True)
    notes = models.CharField(_("notes"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=120, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Who reaches it is the policy table's: Checkup.objects.restrict(user, action).
    policy = PolicyTarget(Area.HEALTH, via="child")
    objects = RestrictedQuerySet["Checkup"].as_manager()

    class Meta:
        ordering = ["-examined_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["child", "examined_on"], name="checkup_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.child_id} {self.examined_on}"
