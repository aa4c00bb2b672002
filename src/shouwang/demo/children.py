"""The demo county's left-behind children: realistic mixes, generated people, same for a seed.

Written as ``children.services.register_child``, ``assess_heart_level`` and ``assess`` write them
(the same rows, checks, history and audit entries), a few thousand children at a time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from faker import Faker

from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.children.models import (
    Assessment,
    AssessmentKind,
    Child,
    ChildStatus,
    DefinitionProfile,
    DifficultyFlag,
    DifficultyKind,
    Guardian,
    GuardianRelation,
    HeartLevelRule,
    Parent,
    ParentRelation,
    RiskGrade,
    StatusChange,
    initials_of,
)
from shouwang.children.profiles import age_limit_exceeded, profile_for
from shouwang.children.services import CHILD_FIELDS, GUARDIAN_FIELDS, PARENT_FIELDS
from shouwang.children.types import ParentStatus, guardian_class, left_behind_type
from shouwang.core.bulk import insert_many
from shouwang.core.validators import id_check_digit
from shouwang.orgs.models import Org, OrgKind

from .rows import check, insert

# (father, mother, weight): seed 000's 73 children were 8 both away, 45 one away, 20 orphan or
# single parent; across a county, both-away children are the larger share (seed 000: 45%).
PARENT_MIX = [
    (ParentStatus.MIGRANT, ParentStatus.MIGRANT, 40),
    (ParentStatus.MIGRANT, ParentStatus.AT_HOME, 22),
    (ParentStatus.AT_HOME, ParentStatus.MIGRANT, 10),
    (ParentStatus.MIGRANT, ParentStatus.DIVORCED_AWAY, 6),
    (ParentStatus.MIGRANT, ParentStatus.SERIOUSLY_ILL, 3),
    (ParentStatus.DECEASED, ParentStatus.MIGRANT, 3),
    (ParentStatus.DECEASED, ParentStatus.AT_HOME, 8),
    (ParentStatus.AT_HOME, ParentStatus.DIVORCED_AWAY, 6),
    (ParentStatus.DECEASED, ParentStatus.DECEASED, 2),
]
WORK_PLACES = [
    "广东省东莞市",
    "浙江省宁波市",
    "广东省深圳市",
    "福建省晋江市",
    "江苏省苏州市",
    "上海市",
    "贵州省贵阳市",
    "重庆市",
    "浙江省义乌市",
    "北京市",
]
EMPLOYERS = ["电子厂", "建筑工地", "制衣厂", "餐馆", "物流公司", "鞋厂", "家具厂", ""]
PERSONALITIES = ["活泼开朗", "内向腼腆", "懂事能干", "好动", "沉默寡言", "自尊心强", "乐于助人"]
HOBBIES = ["画画", "唱歌", "打篮球", "阅读", "跳绳", "乒乓球", "手工", "踢毽子", "下棋"]
HEALTH = ["健康", "健康", "健康", "健康", "近视", "哮喘", "过敏性鼻炎", "营养不良"]
STUDY = ["成绩优秀", "成绩中等", "数学偏弱", "语文偏弱", "学习吃力", "成绩良好"]
GRADE_AGE = {
    "一年级": 6,
    "二年级": 7,
    "三年级": 8,
    "四年级": 9,
    "五年级": 10,
    "六年级": 11,
    "七年级": 12,
    "八年级": 13,
    "九年级": 14,
}


def _id_number(rng: random.Random, birth: date, male: bool) -> str:
    seq = rng.randint(0, 99) * 10 + rng.choice([1, 3, 5, 7, 9] if male else [0, 2, 4, 6, 8])
    first17 = f"990101{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_digit(first17)


def _parent(
    rng: random.Random, fake: Faker, status: str, today: date, *, name: str, complete: bool
) -> dict[str, object]:
    away = status == ParentStatus.MIGRANT
    reachable = status in (ParentStatus.MIGRANT, ParentStatus.AT_HOME)
    return {
        "name": name,
        "phone": fake.phone_number() if reachable and complete else "",
        "status": status,
        "work_place": rng.choice(WORK_PLACES) if away else "",
        "employer": rng.choice(EMPLOYERS) if away else "",
        "away_since": today - timedelta(days=rng.randint(30, 2000)) if away else None,
        "visits_home": rng.choice(["每年春节", "半年一次", "很少回家"]) if away else "",
    }


# Children written at a time: a county's 50,000 never have all their rows alive at once.
CHUNK = 2000
RISK_REASONS = {"reason": "学期初排查"}  # why the term's first screening graded a child


@dataclass
class _Archive:
    """One child's rows as ``register_child`` and the assessments that follow make them."""

    child: Child
    parents: list[Parent]
    guardian: Guardian
    difficulties: list[str]
    on: date
    # The assessments that followed: (hearts, reasons, on) and (risk grade, on).
    hearts: tuple[int, dict[str, Any], date] | None = None
    risk: tuple[str, date] | None = None


@dataclass
class _Register:
    """The archives of the county, checked one by one and written a chunk at a time."""

    county: Org
    rule: HeartLevelRule
    profiles: dict[int, DefinitionProfile] = field(default_factory=dict)
    pending: list[_Archive] = field(default_factory=list)
    made: int = 0

    def register(
        self,
        *,
        child: dict[str, Any],
        father: dict[str, Any],
        mother: dict[str, Any],
        guardian: dict[str, Any],
        difficulties: list[str],
        on: date,
    ) -> _Archive:
        """``register_child``'s checks and derived columns, nothing written yet."""
        row = Child(**{k: v for k, v in child.items() if k in CHILD_FIELDS}, county=self.county)
        check(row, exclude=("left_behind_type",))
        school = row.school
        if school.pk not in self.profiles:
            self.profiles[school.pk] = profile_for(school, on)
        if age_limit_exceeded(row.birth_date, self.profiles[school.pk], on):
            raise ValidationError({"birth_date": "over the age limit"})
        parents = []
        for relation, data in ((ParentRelation.FATHER, father), (ParentRelation.MOTHER, mother)):
            parent = Parent(relation=relation, **data)
            check(parent)
            parents.append(parent)
        keeper = Guardian(**guardian)
        check(keeper)
        row.left_behind_type = left_behind_type(parents[0].status, parents[1].status)
        row.guardian_class = guardian_class(keeper.relation)
        row.name_initials = initials_of(row.name)
        archive = _Archive(row, parents, keeper, difficulties, on)
        self.pending.append(archive)
        return archive

    def assess_hearts(self, archive: _Archive, ratings: dict[str, int], on: date) -> None:
        hearts, reasons = self.rule.level_for(ratings)
        archive.hearts = (hearts, reasons, on)
        archive.child.heart_level = hearts

    def assess_risk(self, archive: _Archive, grade: str, on: date) -> None:
        if grade not in RiskGrade.values:
            raise ValidationError({"value": "not a risk grade"})
        archive.risk = (grade, on)
        archive.child.risk_grade = grade

    def flush(self) -> None:
        archives, self.pending = self.pending, []
        if not archives:
            return
        insert(Child, [a.child for a in archives], ours=Child.objects.filter(county=self.county))
        parents: list[Parent] = []
        for a in archives:
            for parent in a.parents:
                parent.child_id = a.child.pk
            a.guardian.child_id = a.child.pk
            parents += a.parents
        insert_many(Parent, parents)
        insert_many(Guardian, [a.guardian for a in archives])
        insert_many(
            DifficultyFlag,
            (
                {"child_id": a.child.pk, "kind": kind, "noted_on": a.on}
                for a in archives
                for kind in a.difficulties
            ),
        )
        registered = _("Registered")
        insert_many(
            StatusChange,
            (
                {
                    "child_id": a.child.pk,
                    "status": ChildStatus.ACTIVE,
                    "on": a.on,
                    "reason": registered,
                    "to_school_id": a.child.school_id,
                }
                for a in archives
            ),
        )
        insert_many(Assessment, (row for a in archives for row in _assessments(a)))
        audit.record_many([entry for a in archives for entry in _audit(a)], actor=None)
        self.made += len(archives)


def _assessments(a: _Archive) -> list[dict[str, Any]]:
    rows = []
    if a.child.guardian_class:
        rows.append(
            {
                "kind": AssessmentKind.GUARDIAN_CLASS,
                "value": a.child.guardian_class,
                "assessed_on": a.on,
                "reasons": {"guardian_relation": a.guardian.relation},
            }
        )
    if a.hearts is not None:
        hearts, reasons, on = a.hearts
        rows.append(
            {
                "kind": AssessmentKind.HEART_LEVEL,
                "value": str(hearts),
                "assessed_on": on,
                "reasons": reasons,
            }
        )
    if a.risk is not None:
        grade, on = a.risk
        rows.append(
            {
                "kind": AssessmentKind.RISK_GRADE,
                "value": grade,
                "assessed_on": on,
                "reasons": RISK_REASONS,
            }
        )
    return [{"child_id": a.child.pk, **row} for row in rows]


def _values(row: Any, fields: list[str]) -> dict[str, Any]:
    """A row's fields as the audit log keeps them: a related row by its key."""
    values = {name: getattr(row, name) for name in fields}
    return {name: getattr(value, "pk", value) for name, value in values.items()}


def _audit(a: _Archive) -> list[dict[str, Any]]:
    """The entries ``register_child`` and the assessments write, in their order."""
    child, path = a.child, a.child.school.path
    parts: dict[str, Any] = {}
    for prefix, row, fields in (
        *((str(p.relation), p, PARENT_FIELDS) for p in a.parents),
        ("guardian", a.guardian, GUARDIAN_FIELDS),
    ):
        changes = audit.field_changes({}, _values(row, fields))
        parts |= {f"{prefix}.{k}": v for k, v in changes.items()}
    entries: list[dict[str, Any]] = [
        {
            "action": AuditAction.CREATE,
            "obj": child,
            "org_path": path,
            "changes": {
                **_values(child, CHILD_FIELDS),
                **parts,
                "left_behind_type": child.left_behind_type,
            },
        }
    ]
    if a.hearts is not None:
        hearts, reasons, _on = a.hearts
        entries.append(
            {
                "action": AuditAction.UPDATE,
                "obj": child,
                "org_path": path,
                "changes": {"heart_level": [None, hearts], "_reasons": reasons},
            }
        )
    if a.risk is not None:
        entries.append(
            {
                "action": AuditAction.UPDATE,
                "obj": child,
                "org_path": path,
                "changes": {AssessmentKind.RISK_GRADE: a.risk[0], "_reasons": RISK_REASONS},
            }
        )
    return entries


def add_demo_children(
    *, county: Org, count: int, rng: random.Random, fake: Faker, today: date
) -> int:
    classes = list(
        Org.objects.filter(path__startswith=county.path, kind=OrgKind.SCHOOL_CLASS).order_by("path")
    )
    villages = list(Org.objects.filter(path__startswith=county.path, kind=OrgKind.VILLAGE))
    grades = {
        g.path: g for g in Org.objects.filter(path__startswith=county.path, kind=OrgKind.GRADE)
    }
    schools = {
        s.path: s for s in Org.objects.filter(path__startswith=county.path, kind=OrgKind.SCHOOL)
    }
    register = _Register(county=county, rule=HeartLevelRule.objects.get(is_default=True))
    fathers, mothers, weights = zip(*[(f, m, w) for f, m, w in PARENT_MIX], strict=True)
    used_ids: set[str] = set()
    for n in range(count):
        school_class = classes[n % len(classes)]
        grade = grades[school_class.path[: -Org.steplen]]
        male = rng.random() < 0.55
        age = GRADE_AGE.get(grade.name, 10)
        year_start = today.year if today.month >= 9 else today.year - 1
        birth = date(year_start - age, 9, 1) - timedelta(days=rng.randint(0, 364))
        id_number = _id_number(rng, birth, male)
        while id_number in used_ids:
            id_number = _id_number(rng, birth, male)
        # Unique within the demo, which starts from an empty register: no duplicate to raise.
        used_ids.add(id_number)
        index = rng.choices(range(len(PARENT_MIX)), weights=weights)[0]
        father_status, mother_status = fathers[index], mothers[index]
        surname = fake.last_name()
        name = surname + fake.first_name_male() if male else surname + fake.first_name_female()
        complete = rng.random() > 0.15

        one_parent_home = ParentStatus.AT_HOME in (father_status, mother_status)
        relation = (
            GuardianRelation.PARENT
            if one_parent_home
            else rng.choices(
                [
                    GuardianRelation.GRANDPARENT,
                    GuardianRelation.MATERNAL_GRANDPARENT,
                    GuardianRelation.RELATIVE,
                    GuardianRelation.ENTRUSTED,
                ],
                weights=[62, 20, 12, 6],
            )[0]
        )
        guardian_age = (
            rng.randint(32, 45) if relation == GuardianRelation.PARENT else rng.randint(48, 78)
        )
        village = rng.choice(villages)
        difficulties: list[str] = []
        if rng.random() < 0.06:
            difficulties.append(
                rng.choice([DifficultyKind.LOW_INCOME, DifficultyKind.POOR_HOUSEHOLD])
            )
        if father_status == mother_status == ParentStatus.DECEASED:
            difficulties.append(DifficultyKind.ORPHAN)
        archive = register.register(
            child={
                "name": name,
                "gender": "male" if male else "female",
                "ethnicity": rng.choice(["汉族"] * 8 + ["苗族", "仡佬族"]),
                "birth_date": birth,
                "id_number": id_number,
                "school": schools[grade.path[: -Org.steplen]],
                "school_class": school_class,
                "boarding": rng.random() < (0.5 if age >= 12 else 0.1),
                "home_village": village,
                "address": f"{village.name}{rng.randint(1, 12)}组{rng.randint(1, 60)}号",
                "personality": rng.choice(PERSONALITIES) if complete else "",
                "hobbies": rng.choice(HOBBIES) if complete or rng.random() < 0.5 else "",
                "health": rng.choice(HEALTH),
                "study": rng.choice(STUDY),
                "collected_by": fake.name(),
                "collected_on": today - timedelta(days=rng.randint(20, 80)),
            },
            father=_parent(
                rng,
                fake,
                father_status,
                today,
                name=surname + fake.first_name_male(),
                complete=complete,
            ),
            mother=_parent(
                rng, fake, mother_status, today, name=fake.name_female(), complete=complete
            ),
            guardian={
                "name": fake.name(),
                "relation": relation,
                "age": guardian_age,
                "phone": fake.phone_number() if complete else "",
                "health": rng.choice(["良好", "一般", "较差"]),
                "literacy": rng.choice(["小学", "初中", "文盲", "高中"]),
                "responsibility_letter_signed_on": today - timedelta(days=rng.randint(10, 90))
                if rng.random() < 0.8
                else None,
            },
            difficulties=difficulties,
            on=today - timedelta(days=rng.randint(60, 90)),
        )
        if rng.random() < 0.7:
            ratings = {
                d: rng.choices([0, 1, 2, 3], weights=[50, 30, 15, 5])[0]
                for d in ["心理", "身体", "学业", "监护", "安全"]
            }
            register.assess_hearts(archive, ratings, today - timedelta(days=30))
        if rng.random() < 0.3:
            register.assess_risk(
                archive,
                rng.choices(["grade_1", "grade_2", "grade_3", "grade_4"], weights=[5, 15, 30, 50])[
                    0
                ],
                today - timedelta(days=30),
            )
        if len(register.pending) >= CHUNK:
            register.flush()
    register.flush()
    return register.made
