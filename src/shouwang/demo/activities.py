"""The demo county's activities at the first school (where the demo logins work): a 中秋 visit
and a reading club of two sessions with attendance ticked from the class lists (so 人次 differ
from 人), a county visit by 32 cadres nobody names, an interest group, a 家长学校 session
with guardians from the archive, and this term's commendations.

Everything goes through the services, so it is validated and audited like real work; nothing
is dated after ``today``.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from shouwang.accounts.models import RoleAssignment, User
from shouwang.activities import services
from shouwang.activities.models import AttendeeKind, RecipientKind, Session, TraineeKind
from shouwang.children.models import Child, ChildStatus
from shouwang.orgs.models import Org, OrgKind


def add_demo_activities(*, county: Org, rng: random.Random, today: date) -> None:
    school = Org.objects.filter(path__startswith=county.path, kind=OrgKind.SCHOOL).order_by("code")[
        0
    ]
    users = {u.username: u for u in User.objects.filter(username__startswith="demo-")}
    school_admin, county_officer = users["demo-school"], users["demo-county"]
    teacher = users["demo-teacher"]
    taught = RoleAssignment.objects.filter(user=teacher, is_active=True).select_related("org")
    own = next((a.org for a in taught if a.org.kind == OrgKind.SCHOOL_CLASS), None)
    classes = list(
        Org.objects.filter(path__startswith=school.path, kind=OrgKind.SCHOOL_CLASS).order_by("path")
    )
    if not classes:
        return
    own = own or classes[0]
    pupils = {
        c.pk: list(Child.objects.filter(school_class=c, status=ChildStatus.ACTIVE).order_by("pk"))
        for c in classes
    }

    def tick(session: Session, group: Org, share: float, by: User) -> None:
        present = [c for c in pupils[group.pk] if rng.random() < share]
        services.take_attendance(
            session=session,
            group=group,
            present=present,
            by=by,
            version=services.attendance_version(session, group),
        )

    # A festival visit of the whole school, a month ago.
    autumn = today - timedelta(days=30)
    visit = services.plan_activity(
        unit=school,
        kind="mid_autumn",
        title="中秋节慰问留守儿童",
        starts_on=autumn,
        place="学校礼堂",
        in_charge=[school_admin],
        volunteers=[users["demo-volunteer"]],
        budget=Decimal("1200.00"),
        materials="月饼、文具",
        by=school_admin,
    )
    session = visit.sessions.get()
    for group in classes[:4]:
        tick(session, group, 0.8, school_admin)
    services.add_adults(session=session, kind=AttendeeKind.VOLUNTEER, count=6, by=school_admin)
    services.add_adults(session=session, kind=AttendeeKind.GUARDIAN, count=12, by=school_admin)

    # A reading club of the demo teacher's class: two sessions, most children at both.
    club = services.plan_activity(
        unit=own,
        kind="reading",
        title="班级读书分享会",
        starts_on=today - timedelta(days=14),
        place="教室",
        in_charge=[teacher],
        by=teacher,
    )
    first = club.sessions.get()
    second = services.add_session(activity=club, on=today - timedelta(days=7), by=teacher)
    tick(first, own, 0.9, teacher)
    tick(second, own, 0.7, teacher)

    # Seed 000: 局领导和中层干部32人看望留守儿童 — the cadres as one row of 32 nobody names.
    cadres = services.plan_activity(
        unit=county,
        kind="visit",
        title="局领导和中层干部看望留守儿童",
        starts_on=today - timedelta(days=20),
        in_charge=[county_officer],
        by=county_officer,
    )
    tick(cadres.sessions.get(), classes[-1], 1.0, county_officer)
    services.add_adults(session=cadres.sessions.get(), kind="cadre", count=32, by=county_officer)

    # An interest group with a dozen members, one of whom left.
    group = services.add_group(
        unit=school,
        name="书法兴趣小组",
        leader="王老师",
        started_on=today - timedelta(days=60),
        by=school_admin,
    )
    members = pupils[own.pk][:12]
    for child in members:
        services.join_group(
            group=group, child=child, on=today - timedelta(days=55), by=school_admin
        )
    if members:
        left = group.members.filter(child=members[-1]).get()
        services.leave_group(membership=left, on=today - timedelta(days=10), by=school_admin)

    # 家长学校: the guardians of the teacher's class, most of them.
    training = services.add_training(
        unit=school,
        kind="parent_school",
        title="如何与留守孩子沟通",
        on=today - timedelta(days=21),
        place="学校会议室",
        trainer="县妇联讲师",
        by=school_admin,
    )
    guardians = [
        c.guardian
        for c in Child.objects.filter(school_class=own, guardian__isnull=False).select_related(
            "guardian"
        )
        if rng.random() < 0.7
    ]
    if guardians:
        services.add_trainees(session=training, guardians=guardians, by=school_admin)
    services.add_trainees(
        session=training,
        kind=TraineeKind.TEACHER,
        names=["班主任李老师", "德育主任张老师"],
        by=school_admin,
    )

    # This term's commendations: children of every class, and a caring mother.
    commended = [c for kids in pupils.values() for c in kids[:2]]
    if commended:
        services.commend(
            unit=school,
            on=today - timedelta(days=3),
            occasion="关爱留守儿童工作表彰",
            honour="自强之星",
            recipient_kind=RecipientKind.CHILD,
            children=commended,
            by=school_admin,
        )
    services.commend(
        unit=school,
        on=today - timedelta(days=3),
        occasion="关爱留守儿童工作表彰",
        honour="优秀爱心妈妈",
        recipient_kind=RecipientKind.VOLUNTEER,
        recipient="爱心妈妈代表",
        by=school_admin,
    )
