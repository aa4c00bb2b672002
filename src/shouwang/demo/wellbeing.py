"""The demo county's health, family contact, counseling and emergencies, at the first school
(where the demo logins work): a term's 体检 with a realistic share of flags, a family-phone
room with bookings and calls (a few parents silent too long), counseling sessions, mailbox
letters and one individual plan, and two emergencies — one closed, one with a step gone late.

Everything goes through the services, or for the term's many calls through their checks and
audit entries in one write, so it is validated and audited like real work; nothing is dated
after ``today``.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from faker import Faker

from shouwang.accounts.models import User
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.children.models import Child, ChildStatus
from shouwang.children.types import ParentStatus
from shouwang.core.bulk import insert_many
from shouwang.counseling import services as counseling
from shouwang.family import services as family
from shouwang.family.models import ContactRoom, FamilyCall
from shouwang.health.models import Checkup
from shouwang.orgs.models import Org, OrgKind
from shouwang.safety import services as safety
from shouwang.safety.models import IncidentStep

from .rows import check, insert

LETTERS = [
    "老师，我晚上经常想妈妈，睡不着。",
    "班上有同学笑我穿的衣服旧，我不想上学了。",
    "爷爷生病了，我很害怕，不知道该怎么办。",
    "我考试进步了，想告诉爸爸，可是他电话打不通。",
]
SESSION_TOPICS = ["想念父母", "同学关系", "学习压力", "情绪低落", "入学适应"]


def add_demo_wellbeing(*, county: Org, rng: random.Random, fake: Faker, today: date) -> None:
    school = Org.objects.filter(path__startswith=county.path, kind=OrgKind.SCHOOL).order_by("code")[
        0
    ]
    children = list(
        Child.objects.filter(school=school, status=ChildStatus.ACTIVE)
        .select_related("school", "school_class")
        .prefetch_related("parents")
        .order_by("pk")
    )
    users = {u.username: u for u in User.objects.filter(username__startswith="demo-")}
    _checkups(
        Child.objects.filter(county=county, status=ChildStatus.ACTIVE),
        rng=rng,
        today=today,
        by=users["demo-school"],
    )
    _family(school, children, rng=rng, today=today, by=users["demo-teacher"])
    _counseling(school, children, rng=rng, today=today, by=users["demo-counselor"])
    _emergencies(children, rng=rng, by=users["demo-teacher"])


def _checkups(children: object, *, rng: random.Random, today: date, by: User) -> None:
    """This autumn's check-up for four children in five: heights by age, BMIs spread so that
    about one in seven is overweight or obese and a few are thin, as in rural schools."""
    on = date(today.year if today.month >= 10 else today.year - 1, 9, 25)
    rows = []
    for child in children:  # type: ignore[attr-defined]
        if rng.random() > 0.8 or on < child.birth_date + timedelta(days=365 * 5):
            continue
        age = (on - child.birth_date).days / 365.25
        boy = child.gender == "male"
        height = 116 + 6 * (age - 6) + (3 if boy and age > 13 else 0) + rng.gauss(0, 5)
        bmi = rng.gauss(15.5 + 0.4 * (age - 6), 1.9)
        weight = bmi * (height / 100) ** 2
        worse = rng.choice([5.1, 5.1, 5.0, 5.0, 5.0, 5.0, 4.9, 4.9, 4.8, 4.7, 4.6, 4.4])
        rows.append(
            Checkup(
                child=child,
                examined_on=on,
                height_cm=_tenth(height),
                weight_kg=_tenth(weight),
                systolic=rng.randint(92, 120),
                diastolic=rng.randint(58, 78),
                vision_left=_tenth(worse),
                vision_right=_tenth(min(5.2, worse + rng.choice([0, 0, 0.1, 0.2]))),
                lung_capacity_ml=int(800 + 180 * (age - 6) + rng.gauss(0, 150)),
                chest_cm=_tenth(55 + 2.2 * (age - 6) + rng.gauss(0, 2)),
                ent_notes=rng.choice(["", "", "", "龋齿1颗", "龋齿2颗", "扁桃体肿大"]),
                source="秋季体检表.xlsx",
                by=by,
            )
        )
    insert_many(Checkup, rows)


def _tenth(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _family(
    school: Org, children: list[Child], *, rng: random.Random, today: date, by: User
) -> None:
    room = family.add_room(
        school=school,
        name="亲情电话室",
        kind="phone",
        slots=[
            {"weekday": 2, "start": "16:00", "end": "17:30"},
            {"weekday": 5, "start": "09:00", "end": "11:30"},
        ],
        by=by,
    )
    away = [
        (child, parent)
        for child in children
        for parent in child.parents.all()
        if parent.status == ParentStatus.MIGRANT
    ]
    calls = []
    for child, parent in away:
        if rng.random() < 0.12:
            continue  # not reached since the term began: the silence task will come
        for weeks_ago in sorted(rng.sample(range(1, 9), rng.randint(1, 3)), reverse=True):
            day = today - timedelta(days=7 * weeks_ago)
            day -= timedelta(days=(day.weekday() - 5) % 7)  # the Saturday opening before
            calls.append(
                FamilyCall(
                    child=child,
                    parent=parent,
                    at=_at(day, 9, rng.choice([0, 15, 30, 45])),
                    reached=rng.random() > 0.1,
                    minutes=rng.randint(3, 15),
                    room=room,
                    recorded_by=by,
                )
            )
    _log_calls(calls, room=room, by=by)
    next_saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    for n, (child, _parent) in enumerate(away[:4]):
        starts_at = _at(next_saturday, 9) + timedelta(minutes=family.BOOKING_MINUTES * n)
        family.book(room=room, child=child, starts_at=starts_at, by=by)


def _log_calls(calls: list[FamilyCall], *, room: ContactRoom, by: User) -> None:
    """``family.log_call`` for a term of calls at once: its checks, rows and audit entries.
    The calls were made in the room, which is new."""
    now = timezone.now()
    for call in calls:
        if (
            call.parent.child_id != call.child.pk
            or not now - timedelta(days=family.CALL_LOG_DAYS) <= call.at <= now
            or not 1 <= (call.minutes or 1) <= 240
        ):
            raise ValidationError("a call with the child's parent in the past year, 1–240 minutes")
        check(call)
    insert(FamilyCall, calls, ours=FamilyCall.objects.filter(room=room))
    audit.record_many(
        [
            {
                "action": AuditAction.CREATE,
                "obj": call,
                "org_path": call.child.school.path,
                "changes": {
                    "parent": call.parent.relation,
                    "reached": call.reached,
                    "minutes": call.minutes,
                },
            }
            for call in calls
        ],
        actor=by,
    )


def _counseling(
    school: Org, children: list[Child], *, rng: random.Random, today: date, by: User
) -> None:
    if not children:
        return
    for child in rng.sample(children, min(6, len(children))):
        counseling.add_session(
            child=child,
            kind=rng.choice(["session", "session", "screening"]),
            on=today - timedelta(days=rng.randint(3, 50)),
            minutes=rng.choice([20, 30, 40]),
            topic=rng.choice(SESSION_TOPICS),
            notes="谈话中孩子情绪平稳，约定两周后再谈。",
            by=by,
        )
    for n, text in enumerate(LETTERS):
        letter = counseling.add_letter(
            school=school, opened_on=today - timedelta(days=7 * (n + 1)), text=text, by=by
        )
        if n > 0:
            counseling.reply(letter=letter, text="老师看到你的信了，随时来心理咨询室找我。", by=by)
    counseling.start_plan(
        child=children[0],
        problem="近一个月多次逃课，与同学冲突两次，情绪易激动。",
        measures="每周一次个别辅导；班主任每天放学前谈话；联系在外务工的父亲每周视频一次。",
        review_on=today + timedelta(days=14),
        by=by,
    )


def _emergencies(children: list[Child], *, rng: random.Random, by: User) -> None:
    if len(children) < 2:
        return
    now = timezone.now()
    closed = safety.report_incident(
        child=children[1],
        kind="injury",
        occurred_at=now - timedelta(days=6, hours=3),
        place="学校操场",
        description="课间追跑摔倒，右手腕肿痛，校医初步处理后送乡卫生院拍片，无骨折。",
        by=by,
    )
    for step in IncidentStep.objects.filter(incident=closed).order_by("order"):
        safety.tick_step(
            step=step,
            told_whom="校长、监护人"
            if step.due_at - closed.occurred_at <= timedelta(hours=1)
            else "教育局、镇政府",
            how="phone",
            at=min(step.due_at - timedelta(minutes=5), now),
            by=by,
        )
    safety.close_incident(incident=closed, outcome="已回家休养，三天后返校。", by=by)
    open_one = safety.report_incident(
        child=children[2 % len(children)],
        kind="illness",
        occurred_at=now - timedelta(hours=3),
        place="教室",
        description="上课时突发高烧、呕吐，已联系校医。",
        by=by,
    )
    first = IncidentStep.objects.filter(incident=open_one).order_by("order").first()
    if first is not None:  # told a little late: it stays marked late
        safety.tick_step(
            step=first,
            told_whom="分管副校长、奶奶",
            how="phone",
            at=first.due_at + timedelta(minutes=rng.randint(5, 25)),
            by=by,
        )
