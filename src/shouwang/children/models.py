"""The child's archive (留守儿童档案, "一人一档"), its classifications and its status history.

Glossary (UI term → name in code):
    留守儿童 / 档案             child / archive
    身份证号                     id_number
    住校 / 走读                  boarding
    户籍村 / 家庭住址            home_village / address
    性格特征 / 兴趣爱好          personality / hobbies
    健康状况 / 学业情况          health / study
    外出务工 / 务工地 / 外出时间 migrant / work_place / away_since
    监护人 / 委托监护人          guardian
    监护责任书                   responsibility_letter_signed_on
    方便联系人                   convenient contact
    困难类别 (低保, 建档立卡…)   difficulty flag
    留守类型                     left_behind_type (derived: types.left_behind_type)
    认定口径                     definition profile
    监护类型 (一/二/三类)        guardian_class
    监护评估 (较好/一般/差)      guardian_assessment
    风险等级 (一级–四级)         risk_grade
    心级 (1–4 心)                heart_level
    动态管理                     status changes (returned, transferred, graduated, aged out…)
    辍学 / 控辍保学              dropout (a status; the child stays in the register)
    单位 (学校, 或不在校时的村)  school: the child's unit (a school, or the home village)
    信息采集人 / 信息核查        collected_by / verified_on
    审核 / 待审核 / 退回         review / pending / returned (ArchiveReview, ReviewSetting)
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from pypinyin import Style, lazy_pinyin

from shouwang.accounts.policy import Area
from shouwang.accounts.restrict import PolicyTarget, RestrictedQuerySet
from shouwang.core import validators
from shouwang.core.fieldcrypt import EncryptedCharField, EncryptedTextField, LookupHashField
from shouwang.orgs.models import Org, RegionSetting

from .types import LeftBehindType, ParentStatus, left_behind_type


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class ChildStatus(models.TextChoices):
    ACTIVE = "active", _("In the register")
    RETURNED = "returned", _("Parents returned")
    TRANSFERRED = "transferred", _("Transferred out")
    GRADUATED = "graduated", _("Graduated")
    AGED_OUT = "aged_out", _("Aged out")
    MOVED = "moved", _("Moved away")
    MERGED = "merged", _("Merged into another archive")
    # Seed 002's 控辍保学: a dropout stays in the register (and in the figures) until they are
    # back at school, which is a transfer into the school (domain.md §2).
    DROPOUT = "dropout", _("Dropped out of school")


# Statuses of a child who is in the register (counted by the profiles, listed).
IN_REGISTER = (ChildStatus.ACTIVE, ChildStatus.DROPOUT)


class GuardianRelation(models.TextChoices):
    PARENT = "parent", _("Father or mother")
    GRANDPARENT = "grandparent", _("Paternal grandparent")
    MATERNAL_GRANDPARENT = "maternal_grandparent", _("Maternal grandparent")
    RELATIVE = "relative", _("Other relative")
    FRIEND = "friend", _("Friend of the family")
    ENTRUSTED = "entrusted", _("Entrusted carer")
    NONE = "none", _("No guardian")


class DifficultyKind(models.TextChoices):
    LOW_INCOME = "low_income", _("Subsistence allowance (低保)")
    POOR_HOUSEHOLD = "poor_household", _("Registered poor household (建档立卡)")
    DISABLED = "disabled", _("Disabled")
    ORPHAN = "orphan", _("Orphan")
    UNSUPPORTED = "unsupported", _("De facto unsupported (事实无人抚养)")
    SPRING_BUD = "spring_bud", _("Spring Bud girl (春蕾)")
    SINGLE_PARENT = "single_parent", _("Single parent")


class ReviewState(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")  # or no review asked for
    PENDING = "pending", _("Waiting for review")
    RETURNED = "returned", _("Returned for correction")


class Child(models.Model):
    """One child's archive. Never deleted: leaving the register is a dated status change."""

    # What a person types into the archive, in the order the form asks for it; the school
    # follows from the class, everything else on the row is derived.
    ARCHIVE_FIELDS = (
        "name",
        "id_number",
        "gender",
        "birth_date",
        "ethnicity",
        "school_class",
        "boarding",
        "home_village",
        "address",
        "personality",
        "hobbies",
        "health",
        "study",
        "contact_name",
        "contact_phone",
        "collected_by",
        "collected_on",
        "verified_on",
    )

    name = models.CharField(_("full name"), max_length=50)
    name_initials = models.CharField(max_length=50, db_index=True, editable=False)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, default="汉族")
    birth_date = models.DateField(_("birth date"))
    # Not unique: the same number in two schools is a duplicate to resolve (DuplicateCase).
    id_number = EncryptedCharField(_("ID number"), max_length=18)
    # Search, import matching and duplicate detection look the number up by its keyed hash.
    id_hash = LookupHashField(of="id_number")

    county = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="+", editable=False)
    # The child's unit: their school, or — for a child in no school (a preschooler at home, a
    # dropout: 控辍保学) — their home village, registered there by its child director with no
    # class (domain.md §2; children.services._check_placement keeps it so). Not a nullable
    # school: every child keeps a unit whose path reaches its county (figures, scope, the audit
    # of every write, exports, sharding by county), and going (back) to school stays what it
    # is, a transfer between two units with its dated record.
    school = models.ForeignKey(
        Org,
        on_delete=models.PROTECT,
        related_name="school_children",
        verbose_name=_("school or village"),
    )
    school_class = models.ForeignKey(
        Org,
        on_delete=models.PROTECT,
        related_name="class_children",
        null=True,
        blank=True,
        verbose_name=_("class"),
    )
    boarding = models.BooleanField(_("boarding"), default=False)
    home_village = models.ForeignKey(
        Org,
        on_delete=models.PROTECT,
        related_name="village_children",
        null=True,
        blank=True,
        verbose_name=_("home village"),
    )
    address = EncryptedCharField(_("home address"), max_length=200, blank=True)

    personality = models.TextField(_("personality"), blank=True)
    hobbies = models.TextField(_("hobbies"), blank=True)
    health = models.TextField(_("health"), blank=True)
    study = models.TextField(_("study"), blank=True)
    note = models.TextField(_("note"), blank=True)

    contact_name = models.CharField(_("convenient contact"), max_length=50, blank=True)
    contact_phone = EncryptedCharField(_("convenient contact's phone"), max_length=20, blank=True)

    # Derived, kept on the row so lists and counts filter in SQL; written only by services.
    left_behind_type = models.CharField(
        _("left-behind type"), max_length=32, choices=LeftBehindType.choices, editable=False
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ChildStatus.choices,
        default=ChildStatus.ACTIVE,
        editable=False,
    )
    guardian_class = models.CharField(max_length=8, blank=True, editable=False)
    risk_grade = models.CharField(max_length=8, blank=True, editable=False)
    heart_level = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    collected_by = models.CharField(_("collected by"), max_length=50, blank=True)
    collected_on = models.DateField(_("collected on"), null=True, blank=True)
    verified_on = models.DateField(_("last verified on"), null=True, blank=True)
    # 审核: where the region asks for it, an archive a school or village entered or changed
    # counts in figures and rounds only once the level above confirmed it (ArchiveReview).
    review_state = models.CharField(
        _("review"),
        max_length=10,
        choices=ReviewState.choices,
        default=ReviewState.CONFIRMED,
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Who reaches it is the policy table's (accounts.policy): Child.objects.restrict(user).
    policy = PolicyTarget(Area.ARCHIVE, is_child=True)
    objects = RestrictedQuerySet["Child"].as_manager()

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        ordering = ["school_class__path", "name_initials", "id"]
        indexes = [
            models.Index(fields=["county", "status", "left_behind_type"]),
            models.Index(fields=["school", "status"]),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_initials = initials_of(self.name)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.id_number:
            try:
                info = validators.parse_id_number(self.id_number)
            except ValidationError as exc:
                errors["id_number"] = exc.messages
            else:
                self.id_number = info.number
                for field, message in validators.check_id_agrees(
                    info=info, birth_date=self.birth_date, gender=self.gender
                ).items():
                    errors.setdefault(field, []).append(message)
        _normalise_phone(self, "contact_phone", errors)
        if errors:
            raise ValidationError(errors)

    def age_on(self, day: date) -> int:
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - before_birthday

    def derive_left_behind_type(self) -> LeftBehindType:
        statuses = {p.relation: p.status for p in self.parents.all()}
        return left_behind_type(
            statuses.get(ParentRelation.FATHER, ParentStatus.AT_HOME),
            statuses.get(ParentRelation.MOTHER, ParentStatus.AT_HOME),
        )


MIN_GUARDIAN_AGE = 16


def _normalise_phone(obj: models.Model, field: str, errors: dict[str, list[str]]) -> None:
    value = getattr(obj, field)
    if not value:
        return
    try:
        setattr(obj, field, validators.normalise_phone(value))
    except ValidationError as exc:
        errors[field] = exc.messages


def initials_of(name: str) -> str:
    """Pinyin initials for search: 张小明 → zxm (users type these on phones)."""
    return "".join(_initial(ch) for ch in name)


@lru_cache(maxsize=8192)
def _initial(ch: str) -> str:
    # Character by character (cached: a county's names share a few thousand characters); a
    # surname's reading in context is rarely different from its own.
    return "".join(lazy_pinyin(ch, style=Style.FIRST_LETTER)).lower()


class ParentRelation(models.TextChoices):
    FATHER = "father", _("Father")
    MOTHER = "mother", _("Mother")


class Parent(models.Model):
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="parents")
    relation = models.CharField(_("relation"), max_length=8, choices=ParentRelation.choices)
    name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = EncryptedCharField(_("phone"), max_length=20, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ParentStatus.choices, default=ParentStatus.AT_HOME
    )
    work_place = models.CharField(_("work place"), max_length=100, blank=True)
    employer = models.CharField(_("employer"), max_length=100, blank=True)
    away_since = models.DateField(_("away since"), null=True, blank=True)
    visits_home = models.CharField(_("how often home"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("parent")
        verbose_name_plural = _("parents")
        constraints = [
            models.UniqueConstraint(fields=["child", "relation"], name="one_father_one_mother"),
        ]

    def __str__(self) -> str:
        return f"{self.get_relation_display()} {self.name}"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        _normalise_phone(self, "phone", errors)
        if errors:
            raise ValidationError(errors)


class Guardian(models.Model):
    child = models.OneToOneField(Child, on_delete=models.PROTECT, related_name="guardian")
    name = models.CharField(_("full name"), max_length=50, blank=True)
    relation = models.CharField(
        _("relation to the child"), max_length=24, choices=GuardianRelation.choices
    )
    age = models.PositiveSmallIntegerField(_("age"), null=True, blank=True)
    health = models.CharField(_("health"), max_length=100, blank=True)
    literacy = models.CharField(_("education"), max_length=50, blank=True)
    phone = EncryptedCharField(_("phone"), max_length=20, blank=True)
    address = EncryptedCharField(_("address"), max_length=200, blank=True)
    responsibility_letter_signed_on = models.DateField(
        _("responsibility letter signed on"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        # A guardian must be an adult able to guard: the law's floor is 16 (民法典 §18).
        if self.age is not None and self.age < MIN_GUARDIAN_AGE:
            errors["age"] = [str(_("A guardian must be at least 16 years old."))]
        _normalise_phone(self, "phone", errors)
        if errors:
            raise ValidationError(errors)


class DifficultyFlag(models.Model):
    """A difficulty (低保, 孤儿…) with where it came from: the archive form or a matched list."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="difficulties")
    kind = models.CharField(_("difficulty"), max_length=20, choices=DifficultyKind.choices)
    source = models.CharField(_("source"), max_length=50, default="archive")
    noted_on = models.DateField(_("noted on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("difficulty")
        verbose_name_plural = _("difficulties")

    def __str__(self) -> str:
        return self.get_kind_display()


class GuardianClass(models.TextChoices):
    CLASS_1 = "class_1", _("Class 1")
    CLASS_2 = "class_2", _("Class 2")
    CLASS_3 = "class_3", _("Class 3")


class RiskGrade(models.TextChoices):
    """Seed 002: 一级 is the most severe."""

    GRADE_1 = "grade_1", _("Grade 1")
    GRADE_2 = "grade_2", _("Grade 2")
    GRADE_3 = "grade_3", _("Grade 3")
    GRADE_4 = "grade_4", _("Grade 4")


class GuardianAssessment(models.TextChoices):
    GOOD = "good", _("Good")
    FAIR = "fair", _("Fair")
    POOR = "poor", _("Poor")


class AssessmentKind(models.TextChoices):
    GUARDIAN_CLASS = "guardian_class", _("Guardian class")
    GUARDIAN_ASSESSMENT = "guardian_assessment", _("Guardian assessment")
    RISK_GRADE = "risk_grade", _("Risk grade")
    HEART_LEVEL = "heart_level", _("Heart level")


class Assessment(models.Model):
    """One dated classification of a child, with the answers that gave it (seed 002)."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="assessments")
    kind = models.CharField(_("classification"), max_length=24, choices=AssessmentKind.choices)
    value = models.CharField(_("result"), max_length=16)
    assessed_on = models.DateField(_("assessed on"))
    reasons = models.JSONField(_("reasons"), default=dict, blank=True)
    by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-assessed_on", "-created_at"]
        indexes = [models.Index(fields=["child", "kind", "assessed_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value_display}"

    @property
    def value_display(self) -> str:
        labels: dict[str, type[models.TextChoices]] = {
            AssessmentKind.GUARDIAN_CLASS: GuardianClass,
            AssessmentKind.RISK_GRADE: RiskGrade,
            AssessmentKind.GUARDIAN_ASSESSMENT: GuardianAssessment,
        }
        if self.kind in labels:
            return str(dict(labels[self.kind].choices).get(self.value, self.value))
        return f"{self.value}♥"


class StatusChangeQuerySet(models.QuerySet["StatusChange"]):
    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[StatusChange]:
        made = super().bulk_create(objs, *args, **kwargs)
        link_histories({row.child_id for row in made})
        return made


class StatusChange(models.Model):
    """Children enter and leave the register; each move is a dated row with its reason.

    A child's rows, in the order they happened (day, then time written, then key), are a history
    of periods: each row holds from its day ``until`` the next row's (empty while it still
    holds; a row followed on the same day never holds). So the register as it stood on a day is
    the row whose period covers it — a column the database compares, not a search through each
    child's history — and ``placed_at`` says where the child was during the period, once a later
    row names the unit they were at (``from_school``); empty, they were where they are now.
    Both are derived from the rows and kept by the model: a row saved or bulk-created re-derives
    its child's history (:func:`link_histories`, also for rows written around the model).
    """

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="status_changes")
    status = models.CharField(_("status"), max_length=16, choices=ChildStatus.choices)
    on = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200)
    from_school = models.ForeignKey(
        Org, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_school = models.ForeignKey(
        Org, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Derived from the child's rows (link_histories), never typed.
    until = models.DateField(null=True, blank=True, editable=False)
    placed_at = models.ForeignKey(
        Org, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    objects = StatusChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["-on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.on} {self.get_status_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        link_histories([self.child_id], saved=self)


# The order a child's rows happened in: a transfer writes "transferred" then "active" at once.
HISTORY_ORDER = ("on", "created_at", "pk")
LINKED = ["until", "placed_at"]


def periods(rows: list[Any]) -> list[tuple[Any, date | None, int | None]]:
    """(row, until, placed_at) for one child's rows in :data:`HISTORY_ORDER`: each row holds
    until the next one's day, at the unit the first later row with a ``from_school`` names."""
    out = []
    until: date | None = None
    placed: int | None = None
    for row in reversed(rows):
        out.append((row, until, placed))
        until = row.on
        if row.from_school_id is not None:
            placed = row.from_school_id
    return out[::-1]


def link_histories(child_ids: Any, *, saved: StatusChange | None = None) -> None:
    """Re-derive ``until`` and ``placed_at`` of these children's status rows (``saved``: a row
    in memory to keep in step). A writer that inserts rows around the model (core.bulk's
    insert_many) may skip this only for a new child's first row, which holds on."""
    ids = sorted(set(child_ids))
    for start in range(0, len(ids), 2000):
        rows = StatusChange.objects.filter(child_id__in=ids[start : start + 2000])
        by_child: dict[int, list[StatusChange]] = {}
        for row in rows.order_by("child_id", *HISTORY_ORDER).only(
            "pk", "child_id", "on", "created_at", "from_school", *LINKED
        ):
            by_child.setdefault(row.child_id, []).append(row)
        stale = []
        for history in by_child.values():
            for row, until, placed in periods(history):
                if saved is not None and row.pk == saved.pk:
                    saved.until, saved.placed_at_id = until, placed
                if (row.until, row.placed_at_id) != (until, placed):
                    row.until, row.placed_at_id = until, placed
                    stale.append(row)
        StatusChange.objects.bulk_update(stale, LINKED, batch_size=500)


class DefinitionProfile(models.Model):
    """Who counts as a 留守儿童: the seeds disagree, so it is a region's setting (domain.md §2)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    counted_types = models.JSONField(_("left-behind types counted"), default=list)
    min_months_away = models.PositiveSmallIntegerField(_("months away at least"), default=0)
    age_limit = models.PositiveSmallIntegerField(_("under the age of"), default=18)
    is_default = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("definition profile")
        verbose_name_plural = _("definition profiles")
        ordering = ["-is_default", "code"]

    def __str__(self) -> str:
        return self.name


class RegionProfile(models.Model):
    """A region's choice of profile from a date on; the latest choice at or above a unit counts."""

    region = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="profile_choices")
    profile = models.ForeignKey(DefinitionProfile, on_delete=models.PROTECT, related_name="+")
    since = models.DateField(_("since"))
    by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-since", "-created_at"]

    def __str__(self) -> str:
        return f"{self.region}: {self.profile} ({self.since})"


class DuplicateCase(models.Model):
    """The same ID number in two archives: one child, to be merged (both histories kept)."""

    id_number = EncryptedCharField(max_length=18)
    id_hash = LookupHashField(of="id_number")
    first = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="+")
    second = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="+")
    found_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    kept = models.ForeignKey(
        Child, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="one_case_per_pair"),
        ]

    def __str__(self) -> str:
        return self.id_number

    @property
    def pair(self) -> tuple[Child, Child]:
        return (self.first, self.second)


class HeartLevelRule(models.Model):
    """How the five ratings give 1–4 hearts (seed 002, 习水县), as data a region can edit.

    Each dimension (心理, 身体, 学业, 监护, 安全) is rated 0 (fine) to 3 (serious). The sum meets
    the thresholds; a serious rating in a ``forcing`` dimension makes the child 4 hearts at once.
    """

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    dimensions = models.JSONField(default=list)
    # [[minimum sum, hearts], …] in ascending order of the minimum.
    thresholds = models.JSONField(default=list)
    forcing = models.JSONField(default=list)
    is_default = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("heart level rule")
        verbose_name_plural = _("heart level rules")

    def __str__(self) -> str:
        return self.name

    def level_for(self, ratings: dict[str, int]) -> tuple[int, dict[str, object]]:
        """The hearts for these ratings, with the reasons to store beside them."""
        missing = [d for d in self.dimensions if d not in ratings]
        if missing:
            raise ValueError(f"ratings missing for {missing}")
        total = sum(int(ratings[d]) for d in self.dimensions)
        level = 1
        for minimum, hearts in self.thresholds:
            if total >= minimum:
                level = hearts
        forced = [d for d in self.forcing if int(ratings[d]) >= 3]
        if forced:
            level = 4
        return level, {
            "ratings": dict(ratings),
            "sum": total,
            "forced_by": forced,
            "rule": self.code,
        }


class ClassHandover(models.Model):
    """Term-end 交接: a class's archives pass from one class teacher to the next."""

    school_class = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="handovers")
    from_teachers = models.CharField(_("handed over by"), max_length=200, blank=True)
    to_teacher = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("to")
    )
    on = models.DateField(_("date"))
    children = models.PositiveIntegerField(_("children handed over"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.school_class} {self.on}"


class ConsentScope(models.TextChoices):
    """What a guardian agreed to (PIPL art. 31: a minor's information is processed with the
    consent of their guardian)."""

    ARCHIVE = "archive", _("Keeping the archive (建档)")
    PHOTOS = "photos", _("Photos")
    SHARING = "sharing", _("Sharing with other departments")


class ConsentRecord(models.Model):
    """The guardian's consent, or its withdrawal: each a dated row, none ever changed or
    deleted. The child's consent on a day is their latest row on or before it (PIPL arts. 28
    and 31: a minor's information is sensitive and processed with the guardian's consent;
    未成年人保护法 art. 72)."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="consents")
    withdrawn = models.BooleanField(_("withdrawn"), default=False)
    on = models.DateField(_("date"))
    given_by = models.CharField(_("given by"), max_length=50)
    relation = models.CharField(
        _("relation to the child"), max_length=24, choices=GuardianRelation.choices
    )
    # What was agreed to, one column per ConsentScope (the register and the figures filter on
    # ``archive`` in SQL); a withdrawal agrees to none.
    archive = models.BooleanField(ConsentScope.ARCHIVE.label, default=False)
    photos = models.BooleanField(ConsentScope.PHOTOS.label, default=False)
    sharing = models.BooleanField(ConsentScope.SHARING.label, default=False)
    # The signed form, scanned or photographed: under var/media (600), a random name.
    scan = models.FileField(_("signed form"), upload_to="consents/%Y/%m/", blank=True)
    by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("guardian's consent")
        verbose_name_plural = _("guardians' consents")
        ordering = ["-on", "-created_at", "-pk"]
        indexes = [models.Index(fields=["child", "on"])]

    def __str__(self) -> str:
        return f"{self.on} {self.given_by}"

    @property
    def scopes(self) -> list[str]:
        return [s for s in ConsentScope.values if getattr(self, s)]

    def scopes_display(self) -> list[str]:
        return [str(ConsentScope(s).label) for s in self.scopes]


class RetentionRun(models.Model):
    """One run of the retention rule: archives of children who left the register more than
    ``years`` years before ``cutoff``'s year were anonymised (rows kept, identifying fields
    blanked). ``by_unit`` is {unit code: children anonymised}."""

    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    via = models.CharField(max_length=16)  # worker, cli
    years = models.PositiveSmallIntegerField()
    cutoff = models.DateField()
    children = models.PositiveIntegerField(default=0)
    by_unit = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.children}"


class Anonymisation(models.Model):
    """That a child's archive was anonymised, when and by which run (never undone)."""

    child = models.OneToOneField(Child, on_delete=models.PROTECT, related_name="anonymisation")
    run = models.ForeignKey(RetentionRun, on_delete=models.PROTECT, related_name="archives")
    left_on = models.DateField()

    def __str__(self) -> str:
        return f"#{self.child_id}"


class ReviewSetting(RegionSetting):
    """A region's choice (审核, domain.md §6): archives that a school or a village enters or
    changes count in figures and rounds only once an officer of the level above confirmed them."""

    required = models.BooleanField(_("archives need review by the level above"))

    def __str__(self) -> str:
        return f"{self.region}: {self.required}"


class ReviewKind(models.TextChoices):
    CREATED = "created", _("New archive")
    CHANGED = "changed", _("Changed archive")


class ArchiveReview(models.Model):
    """One archive's entry or change waiting for (or given) the level above's decision.

    ``changes`` holds what changed as {field: [before, after]} (the audit log's shape), encrypted
    like the archive itself; a later change of the same archive while one waits folds into the
    waiting review (the oldest "before", the newest "after"), so a reviewer decides once."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="reviews")
    kind = models.CharField(_("what"), max_length=8, choices=ReviewKind.choices)
    changes = EncryptedTextField(_("changes"), blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ReviewState.choices, default=ReviewState.PENDING
    )
    by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    policy = PolicyTarget(Area.REVIEW, via="child")
    objects = RestrictedQuerySet["ArchiveReview"].as_manager()

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            # One waiting review per archive: changes fold into it.
            models.UniqueConstraint(
                fields=["child"],
                condition=models.Q(state="pending"),
                name="one_pending_review_per_child",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.child_id} {self.kind} {self.state}"
