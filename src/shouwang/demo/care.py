"""The demo county's care work: caregivers, pairings, duty rules and one term of records.

Like a real county part-way through a term: most children paired, a few 4-heart children still
missing their 二对一 pair, a couple of pairings handed over, some caregivers behind on their
visits, a few abnormal findings waiting for the class teacher. Never a date after ``today``.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from faker import Faker

from shouwang.accounts.models import RoleAssignment, User
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.care import services as care_services
from shouwang.care.models import (
    Caregiver,
    CaregiverKind,
    CarePlan,
    CarePlanItem,
    CareRecord,
    DutyPolicy,
    NeedArea,
    Pairing,
    RecordKind,
    WithWhom,
)
from shouwang.children.models import IN_REGISTER, Child
from shouwang.core.bulk import insert_many
from shouwang.orgs.models import Holiday, Org, OrgKind
from shouwang.orgs.selectors import term_on

from .rows import Named, check, insert

# Share of caregivers who fall behind: they miss some months' visits and calls.
BEHIND = 0.15
RECORDS_AT_ONCE = 20000
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
    # In ID number order, as before the numbers were encrypted (the column's order is the
    # tokens', random): the same county gets the same pairings.
    children = sorted(
        Child.objects.filter(county=county)
        .select_related("school")
        .only(*CHILD_COLUMNS, "school__path"),
        key=lambda child: child.id_number,
    )
    term = term_on(county, today)
    starts_on = term.start if term is not None else today - timedelta(days=60)

    def caregiver(kind: str, org: Org) -> Caregiver:
        # As care_services.add_caregiver makes one; saved many at a time by _add_caregivers.
        return Caregiver(
            name=fake.name().strip(), kind=kind, org=org, phone=fake.phone_number().strip()
        )

    # A teacher looks after two or three children of their own school.
    per_school = Counter(c.school_id for c in children)
    teachers: dict[int, list[Caregiver]] = {
        school.pk: [
            caregiver(CaregiverKind.TEACHER, school) for _ in range(per_school[school.pk] // 3 + 1)
        ]
        for school in schools
    }
    _add_caregivers([t for own in teachers.values() for t in own], county=county)
    teachers[schools[0].pk][:0] = [
        care_services.caregiver_for_login(logins[name]) for name in ("demo-teacher", "demo-school")
    ]
    cadres = {v.pk: caregiver(CaregiverKind.VILLAGE_CADRE, v) for v in villages}
    _add_caregivers(list(cadres.values()), county=county)
    cadres[villages[0].pk] = care_services.caregiver_for_login(logins["demo-village"])
    mothers = [caregiver(CaregiverKind.CARING_MOTHER, federation) for _ in range(4)]
    elders = [caregiver(CaregiverKind.ELDER, rng.choice(villages)) for _ in range(3)]
    proxies = [caregiver(CaregiverKind.PROXY_PARENT, rng.choice(schools)) for _ in range(4)]
    _add_caregivers([*mothers, *elders, *proxies], county=county)
    volunteer = care_services.caregiver_for_login(logins["demo-volunteer"])

    pairings = _Pairings(county, starts_on)
    pair = pairings.pair
    # The volunteer looks after four children of the first school (the demo's phone walk).
    first_school = [c for c in children if c.school_id == schools[0].pk]
    for child in first_school[:4]:
        pair(child, volunteer, CaregiverKind.VOLUNTEER)
    gaps = 0
    for child in children:
        if child.heart_level == 4 and gaps < 2 and rng.random() < 0.5:
            gaps += 1  # a 4-heart child still waiting for a cadre: shown as a gap
        elif child.heart_level == 4 or rng.random() < 0.12:
            pair(child, cadres[child.home_village_id], CaregiverKind.VILLAGE_CADRE)
        if rng.random() < 0.08 and child.heart_level != 4:
            continue  # not paired yet: listed as unpaired
        teacher = rng.choice(teachers[child.school_id])
        pair(child, teacher, CaregiverKind.TEACHER)
        extra = rng.random()
        if extra < 0.05:
            pair(child, rng.choice(mothers), CaregiverKind.CARING_MOTHER)
        elif extra < 0.08:
            pair(child, rng.choice(proxies), CaregiverKind.PROXY_PARENT)
        elif extra < 0.10:
            pair(child, rng.choice(elders), CaregiverKind.ELDER)
    pairings.save()

    # Two teachers left mid-term; their children were handed over the next day.
    handed = Pairing.objects.filter(county=county, role=CaregiverKind.TEACHER).exclude(
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

    by_pk = {c.pk: c for c in children}
    _add_records(
        county=county,
        children=by_pk,
        rng=rng,
        today=today,
        starts_on=starts_on,
        volunteer=volunteer,
    )
    _add_plans(county=county, children=children, rng=rng, today=today)


# What the care work reads of a child (a county's children are all loaded at once).
CHILD_COLUMNS = (
    "id_number",
    "name",
    "status",
    "county_id",
    "school_id",
    "school_class_id",
    "home_village_id",
    "heart_level",
)


def _add_caregivers(caregivers: list[Caregiver], *, county: Org) -> None:
    """``care_services.add_caregiver`` for many people of the county at once."""
    for person in caregivers:
        person.county = county
        check(person)
    insert(Caregiver, caregivers, ours=Caregiver.objects.filter(county=county))
    audit.record_many(
        [
            {
                "action": AuditAction.CREATE,
                "obj": person,
                "org_path": person.org.path,
                "changes": {"name": person.name, "kind": person.kind, "user": None},
            }
            for person in caregivers
        ],
        actor=None,
    )


class _Pairings:
    """``care_services.pair`` for a county's children: the same checks, one write."""

    def __init__(self, county: Org, starts_on: date) -> None:
        self.county, self.starts_on = county, starts_on
        self.made: list[Pairing] = []
        self.open: set[tuple[int, int]] = set()

    def pair(self, child: Child, caregiver: Caregiver, role: str) -> None:
        if child.status not in IN_REGISTER or not caregiver.is_active:
            raise ValidationError("only children in the register, only active caregivers")
        if (child.pk, caregiver.pk) in self.open:
            raise ValidationError(f"{caregiver.name} is already paired with {child.name}")
        self.open.add((child.pk, caregiver.pk))
        pairing = Pairing(
            child=child,
            caregiver=caregiver,
            role=role,
            county_id=child.county_id,
            starts_on=self.starts_on,
        )
        check(pairing)
        self.made.append(pairing)

    def save(self) -> None:
        insert(Pairing, self.made, ours=Pairing.objects.filter(county=self.county))
        audit.record_many(
            [
                {
                    "action": AuditAction.CREATE,
                    "obj": Named(p, p.pk, f"{p.caregiver.name} → {p.child.name}"),
                    "org_path": p.child.school.path,
                    "changes": {
                        "caregiver": p.caregiver.name,
                        "role": p.role,
                        "starts_on": str(p.starts_on),
                    },
                }
                for p in self.made
            ],
            actor=None,
        )


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _add_records(
    *,
    county: Org,
    children: dict[int, Child],
    rng: random.Random,
    today: date,
    starts_on: date,
    volunteer: Caregiver,
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
    # A term of a county's records is several hundred thousand: columns, not model objects,
    # written a chunk at a time.
    records: list[dict[str, Any]] = []
    kinds = {kind: str(label) for kind, label in RecordKind.choices}  # str(record), once a kind

    def write() -> None:
        keys = insert(CareRecord, records, ours=CareRecord.objects.filter(county=county))
        audit.record_many(
            [
                {
                    "action": AuditAction.CREATE,
                    "obj": Named(CareRecord, key, f"{kinds[r['kind']]} {r['on']}"),
                    "changes": {"kind": r["kind"], "on": str(r["on"])},
                }
                for r, key in zip(records, keys, strict=True)
            ],
            actor=None,
        )
        for r, key in zip(records, keys, strict=True):
            if r.get("abnormal"):
                record = CareRecord(pk=key, **r)
                record.child = children[record.child_id]  # loaded already: no query each
                care_services.open_follow_up(record)
        # Written late for days gone by, as any such record: their days' kept counts go.
        care_services.stamp_closed_days({r["on"] for r in records})
        records.clear()

    def note(child_id: int, caregiver_id: int, kind: str, on: date) -> None:
        visit = kind == RecordKind.HOME_VISIT
        record = {
            "child_id": child_id,
            "county_id": county.pk,
            "caregiver_id": caregiver_id,
            "kind": kind,
            "on": on,
            "minutes": rng.choice([20, 30, 40, 60]) if visit else 10,
            "with_whom": WithWhom.GUARDIAN if visit else WithWhom.PARENTS,
            "findings": rng.choice(FINDINGS if visit else CALL_NOTES),
            "recorded_by_id": recorders.get(caregiver_id),
        }
        if visit and rng.random() < 0.02:
            record["abnormal"], record["findings"] = True, rng.choice(ABNORMAL)
        records.append(record)
        if len(records) >= RECORDS_AT_ONCE:
            write()

    workdays_in: dict[tuple[date, date], list[date]] = {}  # most pairings share their months

    def workdays(first: date, last: date) -> list[date]:
        if (first, last) not in workdays_in:
            days = _days(first, last)
            workdays_in[first, last] = [d for d in days if d not in holidays] or days
        return workdays_in[first, last]

    for p in pairings:
        start = max(p.starts_on, starts_on)
        end = min(p.ends_on or today, today)
        month = date(start.year, start.month, 1)
        while month <= end:
            following = (month + timedelta(days=32)).replace(day=1)
            days = workdays(max(month, start), min(following - timedelta(days=1), end))
            this_month = following > today
            for kind in (RecordKind.HOME_VISIT, RecordKind.PARENT_CALL):
                skip = (p.caregiver_id in behind and rng.random() < 0.6) or (
                    this_month and rng.random() < 0.35
                )
                if p.caregiver_id == volunteer.pk and this_month and kind == RecordKind.HOME_VISIT:
                    skip = p.child_id % 2 == 0 or skip  # some of this month's visits still due
                if not skip:
                    note(p.child_id, p.caregiver_id, kind, rng.choice(days))
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
    write()


def _add_plans(*, county: Org, children: list[Child], rng: random.Random, today: date) -> None:
    """一人一档一策: most paired children have a plan; a few reviews are already overdue.
    Made as ``care_services.start_plan`` and ``add_plan_item`` make them, written at once."""
    by_child: dict[int, list[Caregiver]] = defaultdict(list)
    for p in Pairing.objects.filter(county=county, ends_on__isnull=True).select_related(
        "caregiver"
    ):
        by_child[p.child_id].append(p.caregiver)
    added_on = timezone.localdate()
    plans: list[tuple[CarePlan, list[CarePlanItem]]] = []
    for child in children:
        helpers = by_child.get(child.pk)
        if not helpers or rng.random() < 0.25:
            continue  # no plan yet: counted on the pairings page
        started = today - timedelta(days=rng.randint(20, 60))
        overdue = rng.random() < 0.05
        plan = CarePlan(
            child=child,
            county_id=child.county_id,
            started_on=started,
            review_on=today - timedelta(days=rng.randint(1, 10))
            if overdue
            else today + timedelta(days=rng.randint(5, 60)),
        )
        if plan.review_on <= plan.started_on:
            raise ValidationError({"review_on": "the review comes after the plan is made"})
        check(plan)
        items = []
        needs = 2 if (child.heart_level or 0) >= 3 else 1
        for area, need, measure in rng.sample(PLAN_ITEMS, needs):
            item = CarePlanItem(
                area=area,
                need=need.strip(),
                measure=measure.strip(),
                responsible=rng.choice(helpers),
                added_on=added_on,
            )
            check(item)
            items.append(item)
        plans.append((plan, items))
    insert(CarePlan, [plan for plan, _items in plans], ours=CarePlan.objects.filter(county=county))
    for plan, items in plans:
        for item in items:
            item.plan_id = plan.pk
    insert_many(CarePlanItem, (item for _plan, items in plans for item in items))
    entries: list[dict[str, Any]] = []
    for plan, items in plans:
        named = Named(plan, plan.pk, f"{plan.child.name} 帮扶方案")
        path = plan.child.school.path
        entries.append(
            {
                "action": AuditAction.CREATE,
                "obj": named,
                "org_path": path,
                "changes": {"review_on": str(plan.review_on)},
            }
        )
        entries += [
            {
                "action": AuditAction.UPDATE,
                "obj": named,
                "org_path": path,
                "changes": {
                    "added": {"area": item.area, "need": item.need, "measure": item.measure}
                },
            }
            for item in items
        ]
    audit.record_many(entries, actor=None)
