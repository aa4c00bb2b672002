"""What a 体检 says, computed in one place: BMI, the child's age in half years, and the flags
read against the screening tables (BMI) and the 5-point vision scale.

Sources: WS/T 586-2018 学龄儿童青少年超重与肥胖筛查 and WS/T 456-2014 学龄儿童青少年营养不良筛查
(loaded into ``BmiReference`` from ``data/bmi_screening.csv``: BMI at one decimal, read against
the row of the child's sex and half-year of age, 6 to 18); vision by the worse eye on the 5-point
record: 5.0 and above normal, 4.9 mild, 4.6–4.8 moderate, 4.5 and below severe 视力不良.
Blood pressure is recorded, not flagged: its reference (WS/T 610-2018) depends on height too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from django.db import models
from django.utils.translation import gettext_lazy as _


class WeightStatus(models.TextChoices):
    SEVERE_THINNESS = "thin_severe", _("Moderate or severe thinness")
    MILD_THINNESS = "thin_mild", _("Mild thinness")
    NORMAL = "normal", _("Normal weight")
    OVERWEIGHT = "overweight", _("Overweight")
    OBESE = "obese", _("Obesity")


class VisionStatus(models.TextChoices):
    NORMAL = "normal", _("Normal vision")
    MILD = "mild", _("Mildly poor vision")
    MODERATE = "moderate", _("Moderately poor vision")
    SEVERE = "severe", _("Severely poor vision")


VISION_NORMAL_FROM = Decimal("5.0")
VISION_MILD_FROM = Decimal("4.9")
VISION_MODERATE_FROM = Decimal("4.6")
ONE_PLACE = Decimal("0.1")


class Reference(Protocol):
    """The parts of a ``BmiReference`` row the reading needs (a model row, or a test's own)."""

    thin_severe_max: Decimal | None
    thin_mild_max: Decimal | None
    overweight_min: Decimal
    obese_min: Decimal


References = Mapping[tuple[str, Decimal], Reference]


@dataclass(frozen=True)
class Reading:
    bmi: Decimal | None
    age: Decimal | None
    weight: str = ""  # a WeightStatus, or "" when no table row covers the child's age
    vision: str = ""  # a VisionStatus, or "" when not measured
    flags: list[str] = field(default_factory=list)  # what needs a look, as words

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    @property
    def weight_label(self) -> str:
        return str(WeightStatus(self.weight).label) if self.weight else ""


def bmi_of(height_cm: Decimal | float | None, weight_kg: Decimal | float | None) -> Decimal | None:
    """kg / m², one decimal (as the tables are), half up."""
    if not height_cm or not weight_kg:
        return None
    metres = Decimal(str(height_cm)) / 100
    return (Decimal(str(weight_kg)) / (metres * metres)).quantize(ONE_PLACE, ROUND_HALF_UP)


def half_year_age(birth: date, on: date) -> Decimal | None:
    """Completed years, plus .5 once six months of the next year have passed (the tables' rows)."""
    months = (on.year - birth.year) * 12 + (on.month - birth.month) - (on.day < birth.day)
    if months < 0:
        return None
    return Decimal(months // 12) + (Decimal("0.5") if months % 12 >= 6 else Decimal(0))


def weight_status(bmi: Decimal | None, reference: Reference | None) -> str:
    if bmi is None or reference is None:
        return ""
    if bmi >= reference.obese_min:
        return WeightStatus.OBESE
    if bmi >= reference.overweight_min:
        return WeightStatus.OVERWEIGHT
    if reference.thin_severe_max is not None and bmi <= reference.thin_severe_max:
        return WeightStatus.SEVERE_THINNESS
    if reference.thin_mild_max is not None and bmi <= reference.thin_mild_max:
        return WeightStatus.MILD_THINNESS
    return WeightStatus.NORMAL


def vision_status(left: Decimal | None, right: Decimal | None) -> str:
    eyes = [Decimal(str(v)) for v in (left, right) if v is not None]
    if not eyes:
        return ""
    worse = min(eyes)
    if worse >= VISION_NORMAL_FROM:
        return VisionStatus.NORMAL
    if worse >= VISION_MILD_FROM:
        return VisionStatus.MILD
    if worse >= VISION_MODERATE_FROM:
        return VisionStatus.MODERATE
    return VisionStatus.SEVERE


def read(
    *,
    gender: str,
    birth: date,
    on: date,
    height_cm: Decimal | None,
    weight_kg: Decimal | None,
    vision_left: Decimal | None = None,
    vision_right: Decimal | None = None,
    references: References,
) -> Reading:
    bmi = bmi_of(height_cm, weight_kg)
    age = half_year_age(birth, on)
    reference = references.get((gender, age)) if age is not None else None
    weight = weight_status(bmi, reference)
    vision = vision_status(vision_left, vision_right)
    flags = []
    if weight and weight != WeightStatus.NORMAL:
        flags.append(str(WeightStatus(weight).label))
    if vision and vision != VisionStatus.NORMAL:
        flags.append(str(VisionStatus(vision).label))
    return Reading(bmi=bmi, age=age, weight=weight, vision=vision, flags=flags)
