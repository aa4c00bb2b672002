"""The demo county's children's home and holiday station: a 留守儿童之家 at the first school
(where the demo logins work) and a 候鸟驿站 in the demo village, a week of duty shifts behind
``today`` (one of the teacher's not checked in: overdue in 我的任务), the teacher's shift of
``today`` (due), the coming week's roster, and each past day's children with some in 假期托管.

Everything goes through the homes services, so it is validated and audited like real work;
nothing is recorded after ``today``.
"""

from __future__ import annotations

import random
from datetime import date, time, timedelta

from django.utils import timezone

from shouwang.accounts.models import User
from shouwang.accounts.selectors import units_held_by
from shouwang.homes import selectors, services
from shouwang.homes.models import Home, HomeKind
from shouwang.orgs.models import Org, OrgKind

AFTER_SCHOOL = (time(16), time(18))
MORNING = (time(8), time(12))


def add_demo_homes(*, county: Org, rng: random.Random, today: date) -> None:
    users = {u.username: u for u in User.objects.filter(username__startswith="demo-")}
    school = Org.objects.filter(path__startswith=county.path, kind=OrgKind.SCHOOL).order_by("code")[
        0
    ]
    village = units_held_by([users["demo-village"]])[users["demo-village"].pk]
    home = services.add_home(
        parent=school,
        name=f"{school.name}留守儿童之家",
        kind=HomeKind.CHILDREN_HOME,
        place="教学楼一楼东侧活动室",
        facilities="图书角（约800册）、亲情电话1部、电脑4台、作业辅导桌、心理沙盘",
        opening_hours="周一至周五 16:00–18:00；周六 9:00–11:30",
        by=users["demo-school"],
    )
    station = services.add_home(
        parent=village,
        name=f"{village.name}候鸟驿站",
        kind=HomeKind.HOLIDAY_STATION,
        place="村委会二楼",
        facilities="阅览室、乒乓球台、午休床6张",
        opening_hours="寒暑假及周末 8:00–17:00",
        by=users["demo-village"],
    )
    teacher, leader, director = users["demo-teacher"], users["demo-school"], users["demo-village"]
    past = [today - timedelta(days=n) for n in range(1, 8)]
    # The teacher's latest shift (Monday, Wednesday, Friday) left without a check-in.
    missed = next(day for day in past if day.weekday() in (0, 2, 4))
    for offset in range(7, 0, -1):
        day = today - timedelta(days=offset)
        if day.weekday() < 5:
            person = teacher if day.weekday() % 2 == 0 else leader
            _shift(home, person, day, AFTER_SCHOOL, done=day != missed, today=today)
            _attend(home, day, rng=rng, by=person, holiday=False)
        else:
            _shift(station, director, day, MORNING, done=True, today=today)
            _attend(station, day, rng=rng, by=director, holiday=True)
    for offset in range(7):  # today's shift (due, whatever the day) and the coming week's
        day = today + timedelta(days=offset)
        if offset == 0 or day.weekday() < 5:
            person = teacher if offset == 0 or day.weekday() % 2 == 0 else leader
            _shift(home, person, day, AFTER_SCHOOL, done=False, today=today)


def _shift(
    home: Home, person: User, day: date, span: tuple[time, time], *, done: bool, today: date
) -> None:
    starts_at, ends_at = span
    if day < min(today, timezone.localdate()):
        services.enter_past_shift(
            home=home,
            person=person,
            on=day,
            starts_at=starts_at,
            ends_at=ends_at,
            done=done,
            by=person,
        )
    elif day >= timezone.localdate():
        services.add_shift(
            home=home, person=person, on=day, starts_at=starts_at, ends_at=ends_at, by=person
        )


def _attend(home: Home, day: date, *, rng: random.Random, by: User, holiday: bool) -> None:
    """A dozen or so of the home's children; at the station on a holiday, a third in 假期托管."""
    if day > timezone.localdate():
        return
    children = list(selectors.children_of(home)[:200])
    if not children:
        return
    came = rng.sample(children, min(len(children), rng.randint(8, 16)))
    care = [c for c in came if holiday and rng.random() < 0.35]
    services.record_attendance(home=home, on=day, present=came, holiday_care=care, by=by)
