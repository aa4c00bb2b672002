"""Care work (关爱帮扶, domain.md §3): who looks after each child, what they did, what they owe.

Glossary (UI term → name in code):
    结对 / 帮扶对子              pairing
    帮扶人 (帮扶教师, 代理家长,   caregiver; their part in one pairing is its ``role``
      爱心妈妈, 村干部, 志愿者,
      五老, 学习帮手)
    一对一 / 二对一 / 多对一     pairing mode (derived from the child's active pairings)
    一人一档一策 / 帮扶方案      care plan (needs, measures, who is responsible, review date)
    帮扶记录 (谈心, 家访…)       care record (kind)
    发现异常                     abnormal finding → follow-up
    补录 (过去某天的帮扶记录)    a record written late: stamps its closed day (closed day stamp)
    制度 (三个一, 四个一…)       duty policy, made of duty rules
    期初 · 期中 · 期末           term phases
    我的任务                     my tasks (the duty engine's obligations for one person)
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shouwang.accounts.policy import Area
from shouwang.accounts.restrict import PolicyTarget, RestrictedQuerySet
from shouwang.children.models import Child
from shouwang.children.types import LeftBehindType
from shouwang.core.fieldcrypt import EncryptedCharField
from shouwang.orgs.models import Org


class CaregiverKind(models.TextChoices):
    TEACHER = "teacher", _("Caring teacher")  # 帮扶教师
    PROXY_PARENT = "proxy_parent", _("Proxy parent")  # 代理家长 / 代管家长
    CARING_MOTHER = "caring_mother", _("Caring mother")  # 爱心妈妈
    VILLAGE_CADRE = "village_cadre", _("Village cadre")  # 村干部
    VOLUNTEER = "volunteer", _("Volunteer")
    ELDER = "elder", _("Elder (五老)")
    CLASSMATE = "classmate", _("Study buddy")  # 学习帮手 / 手拉手


class Caregiver(models.Model):
    """A person who cares for children. Many log in (``user``); a classmate or a 五老 may not."""

    name = models.CharField(_("full name"), max_length=50)
    kind = models.CharField(_("kind"), max_length=16, choices=CaregiverKind.choices)
    phone = EncryptedCharField(_("phone"), max_length=20, blank=True)
    org = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="caregivers", verbose_name=_("unit")
    )
    # Empty for a unit above county level (a city's volunteer association).
    county = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="+", null=True, editable=False
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="caregiver",
        verbose_name=_("login"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("caregiver")
        verbose_name_plural = _("caregivers")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class PairingMode(models.TextChoices):
    ONE_TO_ONE = "one_to_one", _("One-to-one")
    TWO_TO_ONE = "two_to_one", _("Two-to-one")
    MANY_TO_ONE = "many_to_one", _("Many-to-one")


def pairing_mode(active_pairings: int) -> str | None:
    """一对一 / 二对一 / 多对一 follow from how many caregivers a child has now."""
    if active_pairings <= 0:
        return None
    if active_pairings == 1:
        return PairingMode.ONE_TO_ONE
    if active_pairings == 2:
        return PairingMode.TWO_TO_ONE
    return PairingMode.MANY_TO_ONE


# Seed 002: a 4-heart child needs a "二对一" pair of one cadre and one teacher.
TWO_TO_ONE_ROLES = frozenset({CaregiverKind.VILLAGE_CADRE, CaregiverKind.TEACHER})


class Pairing(models.Model):
    """A caregiver looks after a child from ``starts_on`` until ``ends_on`` (open: still on).

    Ending a pairing is a dated fact with a reason, never a deletion.
    """

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="pairings")
    caregiver = models.ForeignKey(Caregiver, on_delete=models.PROTECT, related_name="pairings")
    role = models.CharField(_("as"), max_length=16, choices=CaregiverKind.choices)
    county = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+", editable=False)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    end_reason = models.CharField(_("reason for ending"), max_length=200, blank=True)
    handed_over_to = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Who reaches it is the policy table's: Pairing.objects.restrict(user, action).
    policy = PolicyTarget(Area.ARCHIVE, via="child")
    objects = RestrictedQuerySet["Pairing"].as_manager()

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "caregiver"],
                condition=Q(ends_on__isnull=True),
                name="one_open_pairing_per_child_and_caregiver",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="pairing_ends_after_it_starts",
            ),
        ]
        indexes = [models.Index(fields=["county", "ends_on"])]

    def __str__(self) -> str:
        return f"{self.caregiver_id} → {self.child_id}"

    def clean(self) -> None:
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("A pairing cannot end before it starts.")})


class RecordKind(models.TextChoices):
    TALK = "talk", _("Heart-to-heart talk")  # 谈心
    HOME_VISIT = "home_visit", _("Home visit")  # 家访 (入户记录)
    PARENT_CALL = "parent_call", _("Call to the parents")  # 电话联系家长
    GUARDIAN_CONTACT = "guardian_contact", _("Guardian contact")  # 联系监护人
    LETTER = "letter", _("Letter to the parents")  # 书信 / 两地书
    TUTORING = "tutoring", _("Tutoring")  # 学业辅导
    LIFE_HELP = "life_help", _("Help with daily life")  # 生活帮助
    MATERIAL_HELP = "material_help", _("Material help")  # 物资帮助
    COUNSELING = "counseling", _("Emotional support")  # 心理疏导
    VERIFICATION = "verification", _("Archive check")  # 信息核查
    GUARDIANS_MEETING = "guardians_meeting", _("Guardians' meeting")  # 监护人座谈会 (seed 002)


class WithWhom(models.TextChoices):
    CHILD = "child", _("The child")
    GUARDIAN = "guardian", _("Guardian")
    FATHER = "father", _("Father")
    MOTHER = "mother", _("Mother")
    PARENTS = "parents", _("Both parents")
    TEACHER = "teacher", _("A teacher")
    OTHER = "other", _("Someone else")


# Whom each kind of contact is with, unless the caregiver says otherwise: the form starts there
# (a task "电话联系家长" opens on 家长, issue 19).
WITH_WHOM_FOR_KIND: dict[str, str] = {
    RecordKind.TALK: WithWhom.CHILD,
    RecordKind.HOME_VISIT: WithWhom.GUARDIAN,
    RecordKind.PARENT_CALL: WithWhom.PARENTS,
    RecordKind.GUARDIAN_CONTACT: WithWhom.GUARDIAN,
    RecordKind.LETTER: WithWhom.PARENTS,
    RecordKind.TUTORING: WithWhom.CHILD,
    RecordKind.LIFE_HELP: WithWhom.CHILD,
    RecordKind.MATERIAL_HELP: WithWhom.CHILD,
    RecordKind.COUNSELING: WithWhom.CHILD,
    RecordKind.VERIFICATION: WithWhom.GUARDIAN,
    RecordKind.GUARDIANS_MEETING: WithWhom.GUARDIAN,
}


class CareRecord(models.Model):
    """One contact with a child, as written down (on a phone, during the visit).

    Append-only: a correction is a new version (``version`` + 1, same ``original``) written by
    whoever corrected it and why; the old version stays, no longer ``is_current``. Withdrawing a
    record is a last version with ``withdrawn`` set.
    """

    # The child, county, caregiver and original are found through the indexes that lead with
    # them (Meta.indexes, the versions' constraint), not through one of their own each: at a
    # province's 20 million records those four were 545 MB written on every insert and never
    # read (docs/scaling.md).
    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, related_name="care_records", db_index=False
    )
    county = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    caregiver = models.ForeignKey(
        Caregiver,
        on_delete=models.PROTECT,
        related_name="records",
        verbose_name=_("caregiver"),
        db_index=False,
    )
    kind = models.CharField(_("what"), max_length=20, choices=RecordKind.choices)
    on = models.DateField(_("date"))
    minutes = models.PositiveSmallIntegerField(_("minutes"), null=True, blank=True)
    with_whom = models.CharField(
        _("with whom"), max_length=10, choices=WithWhom.choices, default=WithWhom.CHILD
    )
    findings = models.TextField(_("what was found"), blank=True)
    abnormal = models.BooleanField(_("something is wrong"), default=False)
    original = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="versions",
        db_index=False,
    )
    version = models.PositiveSmallIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    withdrawn = models.BooleanField(default=False)
    reason = models.CharField(_("reason for the correction"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Who reaches it is the policy table's: CareRecord.objects.restrict(user, action).
    policy = PolicyTarget(Area.ARCHIVE, via="child")
    objects = RestrictedQuerySet["CareRecord"].as_manager()

    class Meta:
        verbose_name = _("care record")
        verbose_name_plural = _("care records")
        ordering = ["-on", "-pk"]
        indexes = [
            models.Index(fields=["county", "is_current", "on"]),
            models.Index(fields=["child", "is_current", "on"]),
            models.Index(fields=["caregiver", "is_current", "on"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["original", "version"],
                condition=Q(original__isnull=False),
                name="one_care_record_per_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on}"

    @property
    def root_id(self) -> int:
        return self.original_id or self.pk


class ClosedDayStamp(models.Model):
    """A closed day whose care records changed: a record written or corrected for a day before
    today stamps that day afresh, in the same transaction (``care.services``).

    Counts of a closed day's records are kept elsewhere (``stats.models.UnitDayCare``) under the
    stamp their day had when they were counted, so a record written late for a past day is
    counted at once, and nothing else is: today's records never stamp, so the stamp is written
    only by the few records entered late, not by every caregiver's visit.
    """

    day = models.DateField(unique=True)
    stamp = models.CharField(max_length=32)  # a fresh random token per change
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.day} {self.stamp}"


# The care work's kinds of change (``app.model`` on the audit log): a caregiver's visit and what
# hangs from it, duty rules, caregivers themselves. None of them places a child or a unit, so a
# count over who is where (the figures; whose rows a kept compliance holds) stands across them.
CARE_WORK = (
    "care.carerecord",
    "care.followup",
    "care.careplan",
    "care.careplanitem",
    "care.careplanreview",
    "care.dutypolicy",
    "care.dutyrule",
    "care.caregiver",
)


class KeptCompliance(models.Model):
    """A unit's duty compliance as one reader's scope counted it (``care.selectors.compliance``),
    kept where every server process and the worker find it (issue 17): a county's term at a
    province is two million obligations, 10–15 s to count. Kept under the data's version
    (``audit.versions.data_version``); handed out for a few minutes after records come in,
    saying when it was counted, while the worker counts it again (``care.tasks``), but for a
    minute at most once a child or a unit moved (its rows might no longer be the reader's).
    Only counts that took long are kept here. Derived, never typed: rows may be dropped at any
    time."""

    # The reader's scope (its fingerprint), the unit, the day and the rows' kind, hashed.
    key = models.CharField(max_length=120, unique=True)
    # Whose scope: the worker counts again as them, while their scope is the one in the key.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    by = models.CharField(max_length=16)
    counted = models.JSONField()  # care.selectors.Compliance.as_json
    version = models.CharField(max_length=64)
    # The version blind to the care work (CARE_WORK): while it holds, no child or unit moved,
    # so the rows are still the reader's to see, however many records came in since.
    placement = models.CharField(max_length=64)
    made_at = models.DateTimeField()  # when the data it counts was read
    # When it was last known current: made, or found current by the worker (each minute).
    current_at = models.DateTimeField()
    took = models.FloatField()  # seconds the count took
    # When a page last asked for it (at most hourly): the worker keeps counted what is asked.
    asked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.org_id} {self.day} {self.by} ({self.user_id})"


class FollowUpKind(models.TextChoices):
    ABNORMAL_FINDING = "abnormal_finding", _("Something found on a visit")
    LONG_SILENCE = "long_silence", _("No call with a parent for too long")


class FollowUp(models.Model):
    """A task for the class teacher and the school's leadership (发现异常 → follow-up)."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="follow_ups")
    county = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+", editable=False)
    school = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+")
    school_class = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    kind = models.CharField(max_length=20, choices=FollowUpKind.choices)
    record = models.ForeignKey(
        CareRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="follow_ups"
    )
    summary = models.TextField(_("what needs following up"))
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.TextField(_("what was done"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Who reaches it is the policy table's: FollowUp.objects.restrict(user, action).
    policy = PolicyTarget(Area.FOLLOW_UPS)
    objects = RestrictedQuerySet["FollowUp"].as_manager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["opened_on", "pk"]
        indexes = [models.Index(fields=["school", "closed_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=models.Q(kind="long_silence", closed_on__isnull=True),
                name="one_open_silence_follow_up_per_child",
            )
        ]

    def __str__(self) -> str:
        return self.summary[:50]


class NeedArea(models.TextChoices):
    STUDY = "study", _("Study")  # 学习
    MIND = "mind", _("Mind")  # 心理
    LIFE = "life", _("Daily life")  # 生活
    SAFETY = "safety", _("Safety")  # 安全
    FAMILY = "family", _("Family ties")  # 亲情


class CarePlan(models.Model):
    """一人一档一策: the child's needs, the measures, who answers for each, when to review."""

    child = models.OneToOneField(Child, on_delete=models.PROTECT, related_name="care_plan")
    county = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+", editable=False)
    started_on = models.DateField(_("plan made on"))
    review_on = models.DateField(_("review by"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("care plan")
        verbose_name_plural = _("care plans")
        indexes = [models.Index(fields=["county", "review_on"])]

    def __str__(self) -> str:
        return f"{self.child_id}: {self.review_on}"


class CarePlanItem(models.Model):
    """One need and the measure taken for it. Dropped measures are ended, not deleted."""

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="items")
    area = models.CharField(_("need"), max_length=10, choices=NeedArea.choices)
    need = models.CharField(_("need found"), max_length=200)
    measure = models.CharField(_("measure"), max_length=200)
    responsible = models.ForeignKey(
        Caregiver,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plan_items",
        verbose_name=_("responsible"),
    )
    added_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["area", "pk"]

    def __str__(self) -> str:
        return self.measure


class CarePlanReview(models.Model):
    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="reviews")
    on = models.DateField(_("reviewed on"))
    progress = models.TextField(_("progress"))
    next_review_on = models.DateField(_("next review by"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-on", "-pk"]

    def __str__(self) -> str:
        return str(self.on)


class Period(models.TextChoices):
    WEEK = "week", _("a week")
    TWO_WEEKS = "two_weeks", _("two weeks")
    MONTH = "month", _("a month")
    TERM = "term", _("a term")
    TERM_PHASES = "term_phases", _("each of start, middle and end of term")


class Season(models.TextChoices):
    TERM = "term", _("During term (holidays pause it)")
    SUMMER = "summer", _("Summer holiday")


class Assignee(models.TextChoices):
    CAREGIVER = "caregiver", _("Each paired caregiver")
    PAIR_SHARED = "pair_shared", _("The child's caregivers together")
    CLASS_TEACHER = "class_teacher", _("The class teacher")
    LEADERSHIP = "leadership", _("The school's leadership")


class DutyPolicy(models.Model):
    """A 制度 such as "三个一": a named set of duty rules.

    Presets (``org`` empty) come from the seeds by a data migration; a unit applies one by
    copying it, or writes its own. A policy applies to the children of its unit's schools.
    """

    org = models.ForeignKey(
        Org,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duty_policies",
        verbose_name=_("unit"),
    )
    code = models.CharField(max_length=32, blank=True)
    name = models.CharField(_("name"), max_length=50)
    source = models.CharField(_("source"), max_length=200, blank=True)
    is_active = models.BooleanField(_("in force"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("duty policy")
        verbose_name_plural = _("duty policies")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(org__isnull=True), name="one_preset_per_code"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DutyRule(models.Model):
    """Which record kinds count, how many, per which period, who owes them, for which children."""

    policy = models.ForeignKey(DutyPolicy, on_delete=models.PROTECT, related_name="rules")
    label = models.CharField(_("duty"), max_length=100)
    kinds = models.JSONField(_("records that count"))
    count = models.PositiveSmallIntegerField(_("how many"), default=1)
    period = models.CharField(_("per"), max_length=12, choices=Period.choices)
    season = models.CharField(_("when"), max_length=8, choices=Season.choices, default="term")
    assignee = models.CharField(_("who"), max_length=16, choices=Assignee.choices)
    caregiver_roles = models.JSONField(_("only caregivers acting as"), default=list, blank=True)
    left_behind_types = models.JSONField(_("only children of type"), default=list, blank=True)
    min_heart_level = models.PositiveSmallIntegerField(
        _("only children from heart level"), null=True, blank=True
    )
    each_child = models.BooleanField(_("for each child"), default=True)

    class Meta:
        verbose_name = _("duty rule")
        verbose_name_plural = _("duty rules")
        ordering = ["policy", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(count__gte=1), name="duty_rule_count_positive"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def summary(self) -> str:
        """The rule in one line, as the unit would write it in its 制度."""
        kinds = "、".join(str(RecordKind(k).label) for k in self.kinds if k in RecordKind.values)
        parts = [
            str(_("%(kinds)s × %(count)d per %(period)s"))
            % {"kinds": kinds, "count": self.count, "period": self.get_period_display()},
            str(self.get_assignee_display()),
        ]
        if self.caregiver_roles:
            parts.append("、".join(str(CaregiverKind(r).label) for r in self.caregiver_roles))
        if self.left_behind_types:
            parts.append("、".join(str(LeftBehindType(t).label) for t in self.left_behind_types))
        if self.min_heart_level:
            parts.append(str(_("from %(n)d♥") % {"n": self.min_heart_level}))
        if self.season == Season.SUMMER:
            parts.append(str(Season.SUMMER.label))
        if not self.each_child:
            parts.append(str(_("once per school")))
        return " · ".join(parts)

    def clean(self) -> None:
        errors: dict[str, object] = {}
        if not self.kinds or not set(self.kinds) <= set(RecordKind.values):
            errors["kinds"] = _("Choose at least one kind of record.")
        if not set(self.caregiver_roles or []) <= set(CaregiverKind.values):
            errors["caregiver_roles"] = _("Unknown caregiver role.")
        if not set(self.left_behind_types or []) <= set(LeftBehindType.values):
            errors["left_behind_types"] = _("Unknown left-behind type.")
        if self.min_heart_level is not None and not 1 <= self.min_heart_level <= 4:
            errors["min_heart_level"] = _("Heart levels run from 1 to 4.")
        pairing_roles = self.assignee in (Assignee.CAREGIVER, Assignee.PAIR_SHARED)
        if self.caregiver_roles and not pairing_roles:
            errors["caregiver_roles"] = _("Only duties of paired caregivers name their role.")
        if not self.each_child and self.assignee != Assignee.LEADERSHIP:
            errors["each_child"] = _("Only the school's leadership owes a duty per school.")
        if self.season == Season.SUMMER and self.period == Period.TERM_PHASES:
            errors["period"] = _("The summer holiday has no term phases.")
        if errors:
            raise ValidationError(errors)
