"""亲情电话 / 亲情视频 (domain.md §3): rooms open at set times, bookings, and each call's log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shouwang.children.models import Child, Parent
from shouwang.orgs.models import Org, RegionSetting


class RoomKind(models.TextChoices):
    PHONE = "phone", _("Family phone (亲情电话)")
    VIDEO = "video", _("Family video (亲情视频)")


class ContactRoom(models.Model):
    """A room of a school; ``slots`` are its opening hours: [{"weekday": 1, "start": "16:00",
    "end": "17:30"}], weekday 0 = Monday (seeds: open twice a week, at weekends)."""

    school = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="contact_rooms")
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("kind"), max_length=8, choices=RoomKind.choices)
    slots = models.JSONField(_("opening hours"), default=list)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["school", "name"]

    def __str__(self) -> str:
        return self.name


class Booking(models.Model):
    room = models.ForeignKey(ContactRoom, on_delete=models.PROTECT, related_name="bookings")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="call_bookings")
    starts_at = models.DateTimeField(_("at"))
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["room", "starts_at"], name="one_booking_per_time")
        ]

    def __str__(self) -> str:
        return f"{self.room} {self.starts_at:%m-%d %H:%M}"


class FamilyCall(models.Model):
    """One call or video call between a child and a parent away, as the teacher logs it."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="family_calls")
    parent = models.ForeignKey(Parent, on_delete=models.PROTECT, related_name="calls")
    room = models.ForeignKey(
        ContactRoom, on_delete=models.PROTECT, null=True, blank=True, related_name="calls"
    )
    at = models.DateTimeField(_("when"))
    minutes = models.PositiveSmallIntegerField(_("minutes"), null=True, blank=True)
    reached = models.BooleanField(_("the parent was reached"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["parent", "reached", "at"])]

    def __str__(self) -> str:
        return f"{self.child_id} ↔ {self.parent_id} {self.at:%Y-%m-%d}"


class SilenceSetting(RegionSetting):
    """A region's threshold: past this many days without talking to a parent away, the class
    teacher gets a task. Where no region above a school set one, ``SHOUWANG_FAMILY_CONTACT_DAYS``
    (30)."""

    days = models.PositiveSmallIntegerField(_("days without contact"))

    def __str__(self) -> str:
        return f"{self.region}: {self.days}"
