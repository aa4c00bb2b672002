"""The demo county's left-behind children: realistic mixes, generated people, same for a seed."""

from __future__ import annotations

import random
from datetime import date, timedelta

from faker import Faker

from shouwang.children import services as child_services
from shouwang.children.models import AssessmentKind, DifficultyKind, GuardianRelation
from shouwang.children.types import ParentStatus
from shouwang.core.validators import id_check_digit
from shouwang.orgs.models import Org, OrgKind

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
    fathers, mothers, weights = zip(*[(f, m, w) for f, m, w in PARENT_MIX], strict=True)
    made = 0
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
        difficulties = []
        if rng.random() < 0.06:
            difficulties.append(
                rng.choice([DifficultyKind.LOW_INCOME, DifficultyKind.POOR_HOUSEHOLD])
            )
        if father_status == mother_status == ParentStatus.DECEASED:
            difficulties.append(DifficultyKind.ORPHAN)
        child = child_services.register_child(
            child={
                "name": name,
                "gender": "male" if male else "female",
                "ethnicity": rng.choice(["汉族"] * 8 + ["苗族", "仡佬族"]),
                "birth_date": birth,
                "id_number": id_number,
                "school": Org.objects.get(path=grade.path[: -Org.steplen]),
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
            by=None,
            on=today - timedelta(days=rng.randint(60, 90)),
        )
        if rng.random() < 0.7:
            ratings = {
                d: rng.choices([0, 1, 2, 3], weights=[50, 30, 15, 5])[0]
                for d in ["心理", "身体", "学业", "监护", "安全"]
            }
            child_services.assess_heart_level(
                child=child, ratings=ratings, on=today - timedelta(days=30), by=None
            )
        if rng.random() < 0.3:
            child_services.assess(
                child=child,
                kind=AssessmentKind.RISK_GRADE,
                value=rng.choices(
                    ["grade_1", "grade_2", "grade_3", "grade_4"], weights=[5, 15, 30, 50]
                )[0],
                on=today - timedelta(days=30),
                by=None,
                reasons={"reason": "学期初排查"},
            )
        made += 1
    return made
