"""The organisation tree, enrolment counts and term calendars.

Glossary (UI term → name in code):
    省 / 市 / 县(区) / 乡镇(街道) / 村(社区)   province / city / county / township / village
    学校 / 年级 / 班级                           school / grade / school_class
    妇联 / 民政局 / 教育局                       federation / civil_affairs / education_bureau
    社区服务中心 / 志愿者协会 / 留守儿童之家     community_centre / volunteer_association /
                                                 children_home
    在校学生数 (花名册人数)                       enrolment
    校历 / 学期 / 假期                           term calendar / term / holiday
    统计用区划代码                               code (12 digits for regions)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node


class OrgKind(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    TOWNSHIP = "township", _("Township")
    VILLAGE = "village", _("Village")
    SCHOOL = "school", _("School")
    GRADE = "grade", _("Grade")
    SCHOOL_CLASS = "class", _("Class")
    FEDERATION = "federation", _("Women's federation")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs office")
    EDUCATION_BUREAU = "education_bureau", _("Education bureau")
    COMMUNITY_CENTRE = "community_centre", _("Community centre")
    VOLUNTEER_ASSOCIATION = "volunteer_association", _("Volunteer association")
    CHILDREN_HOME = "children_home", _("Children's home")


REGION_KINDS = frozenset(
    {OrgKind.PROVINCE, OrgKind.CITY, OrgKind.COUNTY, OrgKind.TOWNSHIP, OrgKind.VILLAGE}
)
# Units that hang off a region at any level (domain.md §1), not regions themselves.
ATTACHED_KINDS = frozenset(
    {
        OrgKind.SCHOOL,
        OrgKind.FEDERATION,
        OrgKind.CIVIL_AFFAIRS,
        OrgKind.EDUCATION_BUREAU,
        OrgKind.COMMUNITY_CENTRE,
        OrgKind.VOLUNTEER_ASSOCIATION,
        OrgKind.CHILDREN_HOME,
    }
)

# A deployment's tree starts at a province, a city or a county.
ROOT_KINDS = frozenset({OrgKind.PROVINCE, OrgKind.CITY, OrgKind.COUNTY})

# Which kinds may sit directly under which: the tree's shape in one table.
ALLOWED_PARENTS: dict[str, frozenset[str]] = {
    OrgKind.PROVINCE: frozenset(),
    OrgKind.CITY: frozenset({OrgKind.PROVINCE}),
    OrgKind.COUNTY: frozenset({OrgKind.CITY, OrgKind.PROVINCE}),
    OrgKind.TOWNSHIP: frozenset({OrgKind.COUNTY}),
    OrgKind.VILLAGE: frozenset({OrgKind.TOWNSHIP}),
    OrgKind.SCHOOL: frozenset(REGION_KINDS),
    OrgKind.GRADE: frozenset({OrgKind.SCHOOL}),
    OrgKind.SCHOOL_CLASS: frozenset({OrgKind.GRADE}),
    OrgKind.FEDERATION: frozenset(REGION_KINDS),
    OrgKind.CIVIL_AFFAIRS: frozenset(REGION_KINDS),
    OrgKind.EDUCATION_BUREAU: frozenset(REGION_KINDS),
    OrgKind.COMMUNITY_CENTRE: frozenset(REGION_KINDS),
    OrgKind.VOLUNTEER_ASSOCIATION: frozenset(REGION_KINDS),
    # Seed 000/003: a 留守儿童之家 belongs to a school or to a village.
    OrgKind.CHILDREN_HOME: frozenset({*REGION_KINDS, OrgKind.SCHOOL}),
}


def counts_enrolment(org: Org) -> bool:
    """Regions, schools and grades have enrolled students; classes and other units do not."""
    return org.kind in REGION_KINDS or org.kind in (OrgKind.SCHOOL, OrgKind.GRADE)


class Stage(models.TextChoices):
    KINDERGARTEN = "kindergarten", _("Kindergarten")
    PRIMARY = "primary", _("Primary")
    JUNIOR = "junior", _("Junior secondary")
    SENIOR = "senior", _("Senior secondary")


class Org(MP_Node):
    """One node of the organisation tree; subtree queries are ``path`` prefix queries."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=32, choices=OrgKind.choices)
    # Grades only: which school stage the grade belongs to (enrolment by stage, seed 000).
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # No node_order_by: a new node is appended, so existing paths never shift under an insert
    # (paths are copied into the audit log and, later, into children's rows).

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="grade") | models.Q(stage=""),
                name="org_stage_only_on_grades",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name a reader can tell apart: a grade or class with its school's name in front
        ("青石镇中心小学 一年级（1）班"; every school has a 一年级（1）班). One query for a grade
        or class; many units at once: :meth:`labels_for`."""
        return Org.labels_for([self])[self.pk]

    @classmethod
    def labels_for(cls, units: Iterable[Org], *, only_if_several: bool = False) -> dict[int, str]:
        """Each unit's :attr:`label`, by key, with one query for all their schools.
        ``only_if_several``: plain names when all the grades and classes are of one school (a
        school's own pickers)."""
        units = list(units)
        steplen = cls.steplen
        inside = [u for u in units if u.kind in (OrgKind.GRADE, OrgKind.SCHOOL_CLASS)]
        prefixes = {u.path[: n * steplen] for u in inside for n in range(1, len(u.path) // steplen)}
        schools = (
            dict(
                cls.objects.filter(path__in=prefixes, kind=OrgKind.SCHOOL).values_list(
                    "path", "name"
                )
            )
            if prefixes
            else {}
        )

        def school_of(unit: Org) -> str:
            return next((name for path, name in schools.items() if unit.path.startswith(path)), "")

        named = {u.pk: school_of(u) for u in inside}
        if only_if_several and len(set(named.values())) <= 1:
            named = {}
        return {u.pk: f"{named[u.pk]} {u.name}" if named.get(u.pk) else u.name for u in units}

    def get_absolute_url(self) -> str:
        return reverse("units:detail", args=[self.code])

    @property
    def is_region(self) -> bool:
        return self.kind in REGION_KINDS

    def clean(self) -> None:
        if self.kind == OrgKind.GRADE and not self.stage:
            raise ValidationError({"stage": _("A grade needs its school stage.")})
        if self.kind != OrgKind.GRADE and self.stage:
            raise ValidationError({"stage": _("Only a grade has a school stage.")})

    def check_parent(self, parent: Org | None) -> None:
        allowed = ALLOWED_PARENTS[self.kind]
        if parent is None:
            if self.kind not in ROOT_KINDS:
                raise ValidationError(
                    {"parent": _("A %(kind)s needs a parent.") % {"kind": self.get_kind_display()}}
                )
            return
        if parent.kind not in allowed:
            raise ValidationError(
                {
                    "parent": _("A %(kind)s cannot be placed under a %(parent)s.")
                    % {"kind": self.get_kind_display(), "parent": parent.get_kind_display()}
                }
            )


class RegionSetting(models.Model):
    """A choice a region makes for everything under it, from a day on (a county's emergency
    chain, its days without family contact…). For any unit the nearest region at or above it
    decides; a region's newer setting replaces its older one. Nothing is overwritten."""

    region = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    since = models.DateField(_("since"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-since", "-created_at"]

    @classmethod
    def _nearest_first(cls, **filters: object) -> list[Self]:
        return list(
            cls._default_manager.filter(**filters)
            .select_related("region")
            .order_by("-region__depth", "-since", "-created_at")
        )

    @classmethod
    def in_force(cls, on: date) -> list[Self]:
        """Every setting in force on ``on``, nearest region first (deepest, then newest)."""
        return cls._nearest_first(since__lte=on)

    @classmethod
    def nearest(cls, in_force: list[Self], org_path: str) -> Self | None:
        """Of ``in_force`` (as :meth:`in_force` orders them), the one that decides for the unit."""
        return next((s for s in in_force if org_path.startswith(s.region.path)), None)

    @classmethod
    def for_org(cls, org: Org, on: date) -> Self | None:
        """The setting that decides for ``org`` on ``on``; None where no region made one."""
        above = [org, *Org.objects.get_ancestors(org)]
        return cls.nearest(cls._nearest_first(region__in=above, since__lte=on), org.path)


class Enrolment(models.Model):
    """The school's own count of enrolled students on a date: the denominator of every ratio.

    Never updated: a new count is a new row, so a figure can be recomputed as it stood on any day.
    """

    school = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("school")
    )
    grade = models.ForeignKey(
        Org,
        on_delete=models.PROTECT,
        related_name="grade_enrolments",
        null=True,
        blank=True,
        verbose_name=_("grade"),
    )
    on = models.DateField(_("as of"))
    male = models.PositiveIntegerField(_("boys"))
    female = models.PositiveIntegerField(_("girls"))
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-on", "-recorded_at"]
        indexes = [models.Index(fields=["school", "on"])]

    def __str__(self) -> str:
        return f"{self.school} {self.on}: {self.total}"

    @property
    def total(self) -> int:
        return self.male + self.female

    def clean(self) -> None:
        if self.school_id and self.school.kind != OrgKind.SCHOOL:
            raise ValidationError({"school": _("Enrolment is recorded for a school.")})
        if self.grade is not None and not self.grade.path.startswith(self.school.path):
            raise ValidationError({"grade": _("The grade is not in this school.")})


class Term(models.Model):
    """A term of a region's calendar (校历); schools follow the nearest region that has one."""

    region = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="terms", verbose_name=_("region")
    )
    name = models.CharField(_("name"), max_length=50)
    start = models.DateField(_("term start"))
    midterm = models.DateField(_("mid-term"))
    end = models.DateField(_("term end"))

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["region", "start"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="term_name_unique_in_region"),
            models.CheckConstraint(
                condition=models.Q(start__lt=models.F("midterm"), midterm__lt=models.F("end")),
                name="term_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.start and self.midterm and self.end and not self.start < self.midterm < self.end:
            raise ValidationError(_("Term start, mid-term and end must be in that order."))
        if self.region_id and not self.region.is_region:
            raise ValidationError({"region": _("A term calendar belongs to a region.")})


class HolidaySeason(models.TextChoices):
    SUMMER = "summer", _("Summer holiday")
    WINTER = "winter", _("Winter holiday")
    OTHER = "other", _("Other holiday")


class Holiday(models.Model):
    """A holiday of a region's calendar (寒假, 暑假, 国庆); term duties pause during it, and the
    summer holiday has duties of its own (seed 003: 暑期 tutoring visits)."""

    region = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="holidays", verbose_name=_("region")
    )
    name = models.CharField(_("name"), max_length=50)
    season = models.CharField(
        _("kind"), max_length=8, choices=HolidaySeason.choices, default=HolidaySeason.OTHER
    )
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__lte=models.F("end")), name="holiday_dates_in_order"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.start and self.end and self.start > self.end:
            raise ValidationError(_("A holiday cannot end before it starts."))
        if self.region_id and not self.region.is_region:
            raise ValidationError({"region": _("A term calendar belongs to a region.")})
