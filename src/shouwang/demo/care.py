"""The demo county's care work: caregivers, pairings, duty rules and one term of records.

Like a real county part-way through a term: most children paired, a few 4-heart children still
missing their 二对一 pair, a couple of pairings handed over, some caregivers behind on their
visits, a few abnormal findings waiting for the class teacher. Never a date after ``today``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

from faker import Faker

from shouwang.accounts.models import RoleAssignment, User
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.care import services as care_services
from shouwang.care.models import (
    Caregiver,
    CaregiverRole,
    CareRecord,
    DutyPolicy,
    NeedArea,
    Pairing,
    RecordKind,
    WithWhom,
)
from shouwang.children.models import Child
from shouwang.orgs.models import Holiday, Org, OrgKind
from shouwang.orgs.selectors import term_on

# Share of caregivers who fall behind: they miss some months' visits and calls.
BEHIND = 0.15
FINDINGS = [
    "孩子和奶奶在家，作业已完成",
    "家里收拾得干净，孩子精神不错",
    "爷爷身体不好，孩子帮着做家务",
    "孩子说想妈妈了，已安慰",
    "成绩有进步，鼓励继续努力",
    "监护人反映孩子回家爱看手机",
]
CALL_NOTES = [
    "向父亲通报孩子近期表现",
    "母亲询问孩子学习情况",
    "与家长约定春节回家多陪孩子",
    "家长表示会每周给孩子打电话",
]
ABNORMAL = [
    "孩子近一周情绪低落，常一个人发呆",
    "发现孩子手臂有淤青，说是摔的",
    "奶奶住院，孩子一个人在家",
    "孩子连续三天没交作业，说不想上学",
]
PLAN_ITEMS = [
    (NeedArea.MIND, "性格孤僻，不愿与同学交流", "每周谈心一次，安排学习帮手同桌"),
    (NeedArea.SAFETY, "上学途中要过河", "安排同村高年级学生结伴上下学"),
    (NeedArea.STUDY, "数学基础弱", "每周两次课后辅导"),
    (NeedArea.LIFE, "冬衣不足", "联系妇联发放冬衣"),
    (NeedArea.FAMILY, "父母三年未回家，孩子思念父母", "每月安排一次亲情视频通话"),
]


def add_demo_care(*, county: Org, rng: random.Random, fake: Faker, today: date) -> None:
    """Pair the county's children and write the term's care records up to ``today``."""
    logins = {u.username: u for u in User.objects.filter(username__startswith="demo-")}
    schools = list(
        Org.objects.filter(path__startswith=county.path, kind=OrgKind.SCHOOL).order_by("code")
    )
    villages = list(
        Org.objects.filter(path__startswith=county.path, kind=OrgKind.VILLAGE).order_by("code")
    )
    federation = Org.objects.get(path__startswith=county.path, kind=OrgKind.FEDERATION)
    children = list(
        Child.objects.filter(county=county).select_related("school").order_by("id_number")
    )
    term = term_on(county, today)
    starts_on = term.start if term is not None else today - timedelta(days=60)

    def caregiver(kind: str, org: Org) -> Caregiver:
        return care_services.add_caregiver(
            name=fake.name(), kind=kind, org=org, phone=fake.phone_number(), by=None
        )

    # A teacher looks after two or three children of their own school.
    teachers: dict[int, list[Caregiver]] = {}
    for school in schools:
        own = sum(1 for c in children if c.school_id == school.pk)
        teachers[school.pk] = [
            caregiver(CaregiverRole.TEACHER, school) for _ in range(own // 3 + 1)
        ]
    teachers[schools[0].pk][:0] = [
        care_services.caregiver_for_login(logins[name]) for name in ("demo-teacher", "demo-school")
    ]
    cadres = {v.pk: caregiver(CaregiverRole.VILLAGE_CADRE, v) for v in villages}
    cadres[villages[0].pk] = care_services.caregiver_for_login(logins["demo-village"])
    mothers = [caregiver(CaregiverRole.CARING_MOTHER, federation) for _ in range(4)]
    elders = [caregiver(CaregiverRole.ELDER, rng.choice(villages)) for _ in range(3)]
    proxies = [caregiver(CaregiverRole.PROXY_PARENT, rng.choice(schools)) for _ in range(4)]
    volunteer = care_services.caregiver_for_login(logins["demo-volunteer"])

    def pair(child: Child, who: Caregiver, role: str, on: date = starts_on) -> Pairing:
        return care_services.pair(child=child, caregiver=who, role=role, starts_on=on, by=None)

    # The volunteer looks after four children of the first school (the demo's phone walk).
    first_school = [c for c in children if c.school_id == schools[0].pk]
    for child in first_school[:4]:
        pair(child, volunteer, CaregiverRole.VOLUNTEER)
    gaps = 0
    for child in children:
        if child.heart_level == 4 and gaps < 2 and rng.random() < 0.5:
            gaps += 1  # a 4-heart child still waiting for a cadre: shown as a gap
        elif child.heart_level == 4 or rng.random() < 0.12:
            pair(child, cadres[child.home_village_id], CaregiverRole.VILLAGE_CADRE)
        if rng.random() < 0.08 and child.heart_level != 4:
            continue  # not paired yet: listed as unpaired
        teacher = rng.choice(teachers[child.school_id])
        pair(child, teacher, CaregiverRole.TEACHER)
        extra = rng.random()
        if extra < 0.05:
            pair(child, rng.choice(mothers), CaregiverRole.CARING_MOTHER)
        elif extra < 0.08:
            pair(child, rng.choice(proxies), CaregiverRole.PROXY_PARENT)
        elif extra < 0.10:
            pair(child, rng.choice(elders), CaregiverRole.ELDER)

    # Two teachers left mid-term; their children were handed over the next day.
    handed = Pairing.objects.filter(county=county, role=CaregiverRole.TEACHER).exclude(
        caregiver__user__isnull=False
    )
    for pairing in list(handed.order_by("pk")[3:5]):
        others = [t for t in teachers[pairing.child.school_id] if t != pairing.caregiver]
        care_services.end_pairing(
            pairing=pairing,
            on=max(pairing.starts_on, today - timedelta(days=20)),
            reason=rng.choice(["调往县城学校任教", "休产假"]),
            handover_to=rng.choice(others),
            by=None,
        )

    three_ones = DutyPolicy.objects.get(code="three_ones", org__isnull=True)
    care_services.apply_preset(preset=three_ones, org=county, by=None)
    phases = DutyPolicy.objects.get(code="term_phase_visits", org__isnull=True)
    care_services.apply_preset(preset=phases, org=schools[0], by=None)

    _add_records(county=county, rng=rng, today=today, starts_on=starts_on, volunteer=volunteer)
    _add_plans(children=children, rng=rng, today=today)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _add_records(
    *, county: Org, rng: random.Random, today: date, starts_on: date, volunteer: Caregiver
) -> None:
    pairings = list(
        Pairing.objects.filter(county=county).select_related("caregiver").order_by("pk")
    )
    caregivers = sorted({p.caregiver_id for p in pairings})
    behind = set(rng.sample(caregivers, round(len(caregivers) * BEHIND)))
    holidays = {  # nobody visits in the holidays
        day
        for start, end in Holiday.objects.filter(region=county).values_list("start", "end")
        for day in _days(start, end)
    }
    recorders = {p.caregiver_id: p.caregiver.user_id for p in pairings}
    records: list[CareRecord] = []

    def note(child_id: int, caregiver_id: int, kind: str, on: date) -> None:
        visit = kind == RecordKind.HOME_VISIT
        record = CareRecord(
            child_id=child_id,
            county_id=county.pk,
            caregiver_id=caregiver_id,
            kind=kind,
            on=on,
            minutes=rng.choice([20, 30, 40, 60]) if visit else 10,
            with_whom=WithWhom.GUARDIAN if visit else WithWhom.PARENTS,
            findings=rng.choice(FINDINGS if visit else CALL_NOTES),
            recorded_by_id=recorders.get(caregiver_id),
        )
        if visit and rng.random() < 0.02:
            record.abnormal, record.findings = True, rng.choice(ABNORMAL)
        records.append(record)

    for p in pairings:
        start = max(p.starts_on, starts_on)
        end = min(p.ends_on or today, today)
        month = date(start.year, start.month, 1)
        while month <= end:
            following = (month + timedelta(days=32)).replace(day=1)
            days = _days(max(month, start), min(following - timedelta(days=1), end))
            workdays = [d for d in days if d not in holidays] or days
            this_month = following > today
            for kind in (RecordKind.HOME_VISIT, RecordKind.PARENT_CALL):
                skip = (p.caregiver_id in behind and rng.random() < 0.6) or (
                    this_month and rng.random() < 0.35
                )
                if p.caregiver_id == volunteer.pk and this_month and kind == RecordKind.HOME_VISIT:
                    skip = p.child_id % 2 == 0 or skip  # some of this month's visits still due
                if not skip:
                    note(p.child_id, p.caregiver_id, kind, rng.choice(workdays))
            month = following
        if p.ends_on is None and p.caregiver_id not in behind and rng.random() < 0.5:
            note(p.child_id, p.caregiver_id, RecordKind.LETTER, min(today, start + timedelta(30)))
    # The first school's class teacher visits their class at the start and middle of term.
    teacher = Caregiver.objects.get(user__username="demo-teacher")
    term = term_on(county, today)
    if term is not None:
        school_class = RoleAssignment.objects.get(user=teacher.user_id, is_active=True).org
        for child_id in Child.objects.filter(school_class=school_class).values_list(
            "pk", flat=True
        ):
            for on in (term.start + timedelta(days=9), term.midterm + timedelta(days=2)):
                if on <= today:
                    note(child_id, teacher.pk, RecordKind.HOME_VISIT, on)

    made = CareRecord.objects.bulk_create(records, batch_size=2000)
    audit.record_many(
        [
            {"action": AuditAction.CREATE, "obj": r, "changes": {"kind": r.kind, "on": str(r.on)}}
            for r in made
        ],
        actor=None,
    )
    for record in made:
        if record.abnormal:
            care_services.open_follow_up(record)


def _add_plans(*, children: list[Child], rng: random.Random, today: date) -> None:
    """一人一档一策: most paired children have a plan; a few reviews are already overdue."""
    by_child: dict[int, list[Caregiver]] = defaultdict(list)
    for p in Pairing.objects.filter(child__in=children, ends_on__isnull=True).select_related(
        "caregiver"
    ):
        by_child[p.child_id].append(p.caregiver)
    for child in children:
        helpers = by_child.get(child.pk)
        if not helpers or rng.random() < 0.25:
            continue  # no plan yet: counted on the pairings page
        started = today - timedelta(days=rng.randint(20, 60))
        overdue = rng.random() < 0.05
        plan = care_services.start_plan(
            child=child,
            review_on=today - timedelta(days=rng.randint(1, 10))
            if overdue
            else today + timedelta(days=rng.randint(5, 60)),
            on=started,
            by=None,
        )
        needs = 2 if (child.heart_level or 0) >= 3 else 1
        for area, need, measure in rng.sample(PLAN_ITEMS, needs):
            care_services.add_plan_item(
                plan=plan,
                area=area,
                need=need,
                measure=measure,
                responsible=rng.choice(helpers),
                by=None,
            )
