"""活动、兴趣小组、培训与表彰 (domain.md §5): what a unit organises for children and the adults
around them, and who came.

Glossary (Chinese term → name here):

- 活动 ``Activity`` — planned by a unit (``unit``): kind, title, place, 负责人 (``in_charge``,
  logins), 志愿者 (``volunteers``, logins), 预算 (``budget``: money, hidden from those who see
  none), 物资 (``materials``), 活动效果 (``outcome``).
- 场次 ``Session`` — one date (and times) of an activity; attendance is per session.
- 出勤 / 参加 ``Attendance`` — one row per person at a session: a child (from the archive), or
  an adult (guardian, caregiver, volunteer, teacher, cadre, other) by name; a group of adults
  nobody names (seed 000: "局领导和中层干部32人") is one row with no name and ``count`` 32.
  人次 (``person_times``) is the sum of ``count`` over the rows in force; 人 (children reached)
  the distinct children. Never typed in.
- 兴趣小组 ``InterestGroup`` and ``Membership`` — a child joins on a day and leaves on a day.
- 培训 ``TrainingSession`` — 家长学校, 家长会, 座谈会, and training of teachers, volunteers and
  counselors; ``Trainee`` rows say who came; a guardian is linked to the archive's guardian row
  where the person is one (``guardian``), so "guardians trained" counts people, not rows.
- 表彰 ``Commendation`` — of a child, teacher, guardian, volunteer or unit, with the occasion.

Nothing is deleted: a row recorded by mistake is voided with a reason (``voided_at``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shouwang.children.models import Child, Guardian
from shouwang.orgs.models import Org


class ActivityKind(models.TextChoices):
    CHILDREN_DAY = "children_day", _("Children's Day visit (六一)")
    MID_AUTUMN = "mid_autumn", _("Mid-Autumn visit (中秋)")
    SPRING_FESTIVAL = "spring_festival", _("Spring Festival visit (春节)")
    LAW_LECTURE = "law_lecture", _("Law lecture (法制讲座)")
    SAFETY_LECTURE = "safety_lecture", _("Safety lecture (安全讲座)")
    MENTAL_HEALTH_LECTURE = "mental_health_lecture", _("Mental health lecture (心理健康讲座)")
    COMPETITION = "competition", _("Competition (竞赛)")
    SOCIAL_PRACTICE = "social_practice", _("Social practice (社会实践)")
    READING = "reading", _("Reading (读书)")
    INTEREST_GROUP = "interest_group", _("Interest group (兴趣小组)")
    BIRTHDAY = "birthday", _("Collective birthday (集体生日)")
    SUMMER_TUTORING = "summer_tutoring", _("Summer tutoring (暑期辅导)")
    VOLUNTEER_SERVICE = "volunteer_service", _("Volunteer service (志愿服务)")
    VISIT = "visit", _("Visit (走访慰问)")
    OTHER = "other", _("Other activity")


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class AttendeeKind(models.TextChoices):
    CHILD = "child", _("Child")
    GUARDIAN = "guardian", _("Guardian")
    CAREGIVER = "caregiver", _("Caregiver")
    VOLUNTEER = "volunteer", _("Volunteer")
    TEACHER = "teacher", _("Teacher")
    CADRE = "cadre", _("Cadre")
    OTHER = "other", _("Other adult")


ADULT_KINDS = [(k, v) for k, v in AttendeeKind.choices if k != AttendeeKind.CHILD]


class Activity(models.Model):
    unit = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="activities", verbose_name=_("unit")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=ActivityKind.choices)
    title = models.CharField(_("title"), max_length=100)
    place = models.CharField(_("place"), max_length=100, blank=True)
    starts_on = models.DateField(_("date"))
    status = models.CharField(
        _("status"), max_length=12, choices=ActivityStatus.choices, default=ActivityStatus.PLANNED
    )
    in_charge = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="activities_in_charge", verbose_name=_("in charge")
    )
    volunteers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="activities_volunteered",
        blank=True,
        verbose_name=_("volunteers"),
    )
    budget = models.DecimalField(
        _("budget (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    materials = models.TextField(_("materials"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-starts_on", "-pk"]
        indexes = [models.Index(fields=["unit", "starts_on"])]

    def __str__(self) -> str:
        return f"{self.starts_on:%Y-%m-%d} {self.title}"


class Session(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="sessions")
    on = models.DateField(_("date"))
    starts_at = models.TimeField(_("from"), null=True, blank=True)
    ends_at = models.TimeField(_("to"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["on", "starts_at", "pk"]

    def __str__(self) -> str:
        return f"{self.activity.title} {self.on:%Y-%m-%d}"


class Attendance(models.Model):
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="attendance")
    kind = models.CharField(_("who"), max_length=12, choices=AttendeeKind.choices)
    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, null=True, blank=True, related_name="activity_attendance"
    )
    guardian = models.ForeignKey(
        Guardian, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=50, blank=True)
    # A group nobody names ("32 cadres"): one row, no name, the number of people.
    count = models.PositiveIntegerField(_("number of people"), default=1)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["session", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "child"],
                condition=Q(child__isnull=False, voided_at__isnull=True),
                name="child_once_per_session",
            ),
            models.CheckConstraint(
                condition=Q(kind="child", child__isnull=False, count=1)
                | (~Q(kind="child") & Q(child__isnull=True)),
                name="child_row_names_a_child",
            ),
        ]

    def __str__(self) -> str:
        who = self.child.name if self.child else (self.name or self.get_kind_display())
        return f"{who} × {self.count}"


def photo_path(instance: Photo, filename: str) -> str:
    return f"activities/{instance.activity_id}/{filename}"


class Photo(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="photos")
    # Under var/media, a random name (a phone's file name may carry a child's name).
    image = models.FileField(_("photo"), upload_to=photo_path)
    caption = models.CharField(_("caption"), max_length=100, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.caption or f"photo {self.pk}"


class InterestGroup(models.Model):
    unit = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="interest_groups", verbose_name=_("unit")
    )
    name = models.CharField(_("name"), max_length=50)
    leader = models.CharField(_("leader"), max_length=50, blank=True)
    started_on = models.DateField(_("since"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("interest group")
        verbose_name_plural = _("interest groups")
        ordering = ["unit__path", "name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    group = models.ForeignKey(InterestGroup, on_delete=models.PROTECT, related_name="members")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="group_memberships")
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("group membership")
        verbose_name_plural = _("group memberships")
        ordering = ["group", "child__name_initials", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "child"],
                condition=Q(left_on__isnull=True),
                name="one_open_membership",
            )
        ]

    def __str__(self) -> str:
        return f"{self.child_id} @ {self.group_id}"


class TrainingKind(models.TextChoices):
    PARENT_SCHOOL = "parent_school", _("Parent school (家长学校)")
    PARENTS_MEETING = "parents_meeting", _("Parents' meeting (家长会)")
    GUARDIANS_FORUM = "guardians_forum", _("Guardians' forum (座谈会)")
    TEACHERS = "teachers", _("Teacher training")
    VOLUNTEERS = "volunteers", _("Volunteer training")
    COUNSELORS = "counselors", _("Counselor training")


class TraineeKind(models.TextChoices):
    GUARDIAN = "guardian", _("Guardian")
    PARENT = "parent", _("Parent")
    TEACHER = "teacher", _("Teacher")
    VOLUNTEER = "volunteer", _("Volunteer")
    COUNSELOR = "counselor", _("Counselor")
    OTHER = "other", _("Other")


class TrainingSession(models.Model):
    unit = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="training_sessions", verbose_name=_("unit")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TrainingKind.choices)
    title = models.CharField(_("topic"), max_length=100)
    on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=100, blank=True)
    trainer = models.CharField(_("speaker"), max_length=50, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-on", "-pk"]

    def __str__(self) -> str:
        return f"{self.on:%Y-%m-%d} {self.title}"


class Trainee(models.Model):
    session = models.ForeignKey(TrainingSession, on_delete=models.PROTECT, related_name="trainees")
    kind = models.CharField(_("who"), max_length=12, choices=TraineeKind.choices)
    # A guardian from the archive: the same person at two sessions is one guardian trained.
    guardian = models.ForeignKey(
        Guardian, on_delete=models.PROTECT, null=True, blank=True, related_name="trainings"
    )
    name = models.CharField(_("name"), max_length=50, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("trainee")
        verbose_name_plural = _("trainees")
        ordering = ["session", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "guardian"],
                condition=Q(guardian__isnull=False, voided_at__isnull=True),
                name="guardian_once_per_training",
            )
        ]

    def __str__(self) -> str:
        return self.name


class RecipientKind(models.TextChoices):
    CHILD = "child", _("Child")
    TEACHER = "teacher", _("Teacher")
    GUARDIAN = "guardian", _("Guardian")
    VOLUNTEER = "volunteer", _("Volunteer")
    UNIT = "unit", _("Unit")


class Commendation(models.Model):
    unit = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="commendations", verbose_name=_("unit")
    )
    on = models.DateField(_("date"))
    occasion = models.CharField(_("occasion"), max_length=100)
    honour = models.CharField(_("honour"), max_length=100)
    recipient_kind = models.CharField(_("who"), max_length=12, choices=RecipientKind.choices)
    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, null=True, blank=True, related_name="commendations"
    )
    recipient = models.CharField(_("name"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("commendation")
        verbose_name_plural = _("commendations")
        ordering = ["-on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(recipient_kind="child", child__isnull=False)
                | (~Q(recipient_kind="child") & Q(child__isnull=True)),
                name="child_commendation_names_a_child",
            )
        ]

    def __str__(self) -> str:
        return f"{self.honour} {self.child.name if self.child else self.recipient}"
