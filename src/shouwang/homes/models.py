"""留守儿童之家 and 候鸟驿站 (domain.md §5): a home's profile, its teachers' duty roster, and who
came each day.

A home is a unit of the org tree (``OrgKind.CHILDREN_HOME``) hung under the school or village it
belongs to (seed 000/003); :class:`Home` is that unit's profile, one to one. Its place in the
tree is its scope: a school's leaders and a region's officers reach it by the unit's path like
every other unit (``accounts.policy``: ``Area.HOMES``, reach ``UNIT``).

Glossary (UI term → name in code):
    留守儿童之家 / 候鸟驿站          children's home / holiday station (``HomeKind``)
    活动场所 / 设施 / 开放时间        place / facilities / opening hours
    值班表 / 值班                     duty roster / shift (``Shift``)
    签到                              check-in (the shift marked done)
    接待 / 到站儿童                    attendance (``Attendance``): the children served on a day
    假期托管                          holiday care
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from shouwang.children.models import Child
from shouwang.orgs.models import Org


class HomeKind(models.TextChoices):
    CHILDREN_HOME = "children_home", _("Children's home (留守儿童之家)")
    HOLIDAY_STATION = "holiday_station", _("Holiday station (候鸟驿站)")


class Home(models.Model):
    """The profile of a children's-home unit. Its name and place in the tree are the unit's."""

    org = models.OneToOneField(Org, on_delete=models.PROTECT, related_name="home")
    kind = models.CharField(_("kind"), max_length=16, choices=HomeKind.choices)
    place = models.CharField(_("place"), max_length=200)
    facilities = models.TextField(_("facilities"), blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("children's home")
        verbose_name_plural = _("children's homes")

    def __str__(self) -> str:
        return self.org.name


class Shift(models.Model):
    """One person on duty at a home on a day, from a time to a time. A duty of that day: done
    when they check in (or record the day's attendance), overdue after it. Cancelled, never
    deleted."""

    home = models.ForeignKey(Home, on_delete=models.PROTECT, related_name="shifts")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    on = models.DateField(_("day"))
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("to"))
    done_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["on", "starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["home", "person", "on", "starts_at"],
                condition=models.Q(cancelled_at__isnull=True),
                name="homes_one_shift_per_person_and_time",
            ),
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at")),
                name="homes_shift_ends_after_it_starts",
            ),
        ]
        indexes = [models.Index(fields=["person", "on"])]

    def __str__(self) -> str:
        return f"{self.home} {self.on:%Y-%m-%d} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.starts_at >= self.ends_at:
            raise ValidationError({"ends_at": _("A shift ends after it starts.")})


class Attendance(models.Model):
    """A child at a home on a day (and whether as 假期托管). Taking a child off the day's list
    keeps the row, not present; the audit log keeps who changed it."""

    home = models.ForeignKey(Home, on_delete=models.PROTECT, related_name="attendance")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="home_attendance")
    on = models.DateField(_("day"))
    present = models.BooleanField(default=True)
    holiday_care = models.BooleanField(_("holiday care (假期托管)"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["home", "child", "on"], name="homes_one_row_a_day")
        ]
        indexes = [models.Index(fields=["home", "on"])]

    def __str__(self) -> str:
        return f"{self.home} {self.on:%Y-%m-%d} {self.child_id}"
