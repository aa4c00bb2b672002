"""The deterministic demo county: generated people only (Faker zh_CN), the same for a seed.

Codes start with 99, which no real province uses, so demo data is never mistaken for real data
and ``shouwang demo`` can tell a demo database from a real one before it rebuilds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction
from faker import Faker

from shouwang.accounts import services as account_services
from shouwang.accounts import twofactor
from shouwang.accounts.models import RoleAssignment, User
from shouwang.accounts.policy import DEMO_LOGINS
from shouwang.assessment import services as assessment
from shouwang.audit.models import AuditEntry
from shouwang.care import presets
from shouwang.care.models import DutyPolicy, DutyRule
from shouwang.children.models import DefinitionProfile, HeartLevelRule
from shouwang.core.bulk import refresh_planner_statistics
from shouwang.health.models import BmiReference
from shouwang.inspections.demo import add_demo_inspection
from shouwang.orgs import services as org_services
from shouwang.orgs.models import HolidaySeason, Org, OrgKind

from .activities import add_demo_activities
from .assistance import add_demo_assistance
from .care import add_demo_care
from .children import add_demo_children
from .crosschecks import add_demo_crosschecks
from .homes import add_demo_homes
from .rounds import add_demo_round
from .wellbeing import add_demo_wellbeing

DEMO_CODE_PREFIX = "99"
DEMO_PASSWORD = "shouwang-demo-2026"  # noqa: S105  (printed for the demo logins on purpose)

PRIMARY_GRADES = ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"]
JUNIOR_GRADES = ["七年级", "八年级", "九年级"]
TOWNSHIP_NAMES = ["青石镇", "白水镇", "龙溪乡"]
VILLAGE_SUFFIXES = ["村", "村", "村", "社区"]
SCHOOL_PLAN = [
    # (township index, village index within township or None, name suffix, grades)
    (0, None, "镇中心小学", PRIMARY_GRADES),
    (0, None, "镇中学", JUNIOR_GRADES),
    (0, 1, "小学", PRIMARY_GRADES),
    (1, None, "镇中心小学", PRIMARY_GRADES),
    (1, None, "九年一贯制学校", PRIMARY_GRADES + JUNIOR_GRADES),
    (1, 2, "小学", PRIMARY_GRADES),
    (2, None, "乡中心学校", PRIMARY_GRADES + JUNIOR_GRADES),
    (2, 1, "教学点", PRIMARY_GRADES[:4]),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    org_name: str
    enrols: bool = False  # sets up two-step verification at the first login


@dataclass(frozen=True)
class DemoCounty:
    county: Org
    logins: list[DemoLogin]


class NotADemoDatabase(Exception):
    """The database holds organisations that the demo did not make: never wipe it."""


def is_demo_code(code: str) -> bool:
    return code.startswith(DEMO_CODE_PREFIX)


def database_is_empty() -> bool:
    return not Org.objects.exists()


def demo_logins() -> list[DemoLogin]:
    assignments = list(
        RoleAssignment.objects.filter(is_active=True, user__username__startswith="demo-")
        .select_related("user", "org")
        .order_by("user__username")
    )
    units = Org.labels_for(a.org for a in assignments)  # a class with its school
    return [
        DemoLogin(
            a.user.username,
            a.get_role_display(),
            units[a.org.pk],
            enrols=a.role in twofactor.required_roles(),
        )
        for a in assignments
        if is_demo_code(a.org.code)
    ]


def _wipe_for_rebuild() -> None:
    """Empty every table but the audit log (append-only even here) and Django's own registry."""
    if (
        Org.objects.exclude(code__startswith=DEMO_CODE_PREFIX).exists()
        or User.objects.exclude(username__startswith="demo-").exists()
    ):
        raise NotADemoDatabase
    # Presets loaded by migrations stay; a region's choices of them go with the demo.
    keep = {
        AuditEntry._meta.db_table,
        "django_content_type",
        "auth_permission",
        "django_q_schedule",  # the worker's schedule, set by a migration
        DefinitionProfile._meta.db_table,
        HeartLevelRule._meta.db_table,
        BmiReference._meta.db_table,
    }
    tables = [
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and model._meta.db_table not in keep
    ]
    # Keys are not reused: the audit log kept above still names the old rows by key.
    statements = connection.ops.sql_flush(no_style(), tables, reset_sequences=False)
    with connection.constraint_checks_disabled(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # TRUNCATE refuses tables with deferred foreign-key checks still pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in statements:
            cursor.execute(sql)
    # PostgreSQL truncates no table that the kept presets refer to (units, users): they go with
    # the flush and are loaded again.
    presets.install(DutyPolicy, DutyRule)


def _academic_year_start(today: date) -> int:
    return today.year if today.month >= 8 else today.year - 1


@transaction.atomic
def build_demo_county(*, seed: int = 2026, children: int = 600, today: date) -> DemoCounty:
    """(Re)create the demo county with ``children`` left-behind children in its schools."""
    if not database_is_empty():
        _wipe_for_rebuild()
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    add = org_services.add_org

    root = DEMO_CODE_PREFIX + "0000000000"
    province = add(code=root, name="守望演示省", kind=OrgKind.PROVINCE, parent=None, by=None)
    city = add(
        code=root[:2] + "0100000000", name="演示市", kind=OrgKind.CITY, parent=province, by=None
    )
    county = add(
        code=root[:2] + "0101000000", name="青山县", kind=OrgKind.COUNTY, parent=city, by=None
    )
    federation = add(name="青山县妇女联合会", kind=OrgKind.FEDERATION, parent=county, by=None)
    add(name="青山县教育局", kind=OrgKind.EDUCATION_BUREAU, parent=county, by=None)
    add(name="青山县民政局", kind=OrgKind.CIVIL_AFFAIRS, parent=county, by=None)
    volunteers = add(
        name="青山县爱心志愿者协会", kind=OrgKind.VOLUNTEER_ASSOCIATION, parent=county, by=None
    )

    townships: list[Org] = []
    villages: list[list[Org]] = []
    for t_index, t_name in enumerate(TOWNSHIP_NAMES, start=1):
        township = add(
            code=f"{county.code[:6]}{t_index:03d}000",
            name=t_name,
            kind=OrgKind.TOWNSHIP,
            parent=county,
            by=None,
        )
        townships.append(township)
        names: set[str] = set()
        own: list[Org] = []
        for v_index in range(1, 4 if t_index < 3 else 5):  # 3 + 3 + 4 = 10 villages
            name = ""
            while not name or name in names:
                name = (
                    fake.last_name() + rng.choice("家湾坪岭坝沟塘山") + rng.choice(VILLAGE_SUFFIXES)
                )
            names.add(name)
            own.append(
                add(
                    code=f"{township.code[:9]}{v_index:03d}",
                    name=name,
                    kind=OrgKind.VILLAGE,
                    parent=township,
                    by=None,
                )
            )
        villages.append(own)

    year = _academic_year_start(today)
    enrol_on = date(year, 9, 10)
    schools: list[Org] = []
    for s_index, (town_i, village_i, suffix, grades) in enumerate(SCHOOL_PLAN, start=1):
        parent = townships[town_i] if village_i is None else villages[town_i][village_i]
        place = (
            parent.name.removesuffix("镇")
            .removesuffix("乡")
            .removesuffix("村")
            .removesuffix("社区")
        )
        school = add(
            code=f"99{s_index:08d}",
            name=f"{place}{suffix}",
            kind=OrgKind.SCHOOL,
            parent=parent,
            by=None,
        )
        schools.append(school)
        for grade_name in grades:
            grade = add(name=grade_name, kind=OrgKind.GRADE, parent=school, by=None)
            class_count = 1 if suffix == "教学点" else rng.randint(1, 3)
            boys = girls = 0
            for c_index in range(1, class_count + 1):
                add(
                    name=f"{grade_name}（{c_index}）班",
                    kind=OrgKind.SCHOOL_CLASS,
                    parent=grade,
                    by=None,
                )
                size = rng.randint(25, 48) if suffix != "教学点" else rng.randint(8, 18)
                b = rng.randint(size * 4 // 10, size * 6 // 10)
                boys, girls = boys + b, girls + size - b
            org_services.record_enrolment(
                school=school, grade=grade, male=boys, female=girls, on=enrol_on, by=None
            )
    add(
        name=f"{schools[0].name}留守儿童之家",
        kind=OrgKind.CHILDREN_HOME,
        parent=schools[0],
        by=None,
    )
    add(
        name=f"{villages[0][0].name}儿童之家",
        kind=OrgKind.CHILDREN_HOME,
        parent=villages[0][0],
        by=None,
    )

    _demo_calendar(county, year)

    first_class = Org.objects.filter(
        path__startswith=schools[0].path, kind=OrgKind.SCHOOL_CLASS
    ).first()
    assert first_class is not None
    units = {
        "county": county,
        "township": townships[0],
        "federation": federation,
        "school": schools[0],
        "class": first_class,
        "village": villages[0][0],
        "volunteers": volunteers,
    }
    for username, role, unit in DEMO_LOGINS:
        account_services.create_user(
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            org=units[unit],
            full_name=fake.name(),
            phone=fake.phone_number(),
            by=None,
        )
    add_demo_children(county=county, count=children, rng=rng, fake=fake, today=today)
    add_demo_care(county=county, rng=rng, fake=fake, today=today)
    add_demo_wellbeing(county=county, rng=rng, fake=fake, today=today)
    # The planner learns the register's and the care work's size before anything below counts
    # them: counted on stale statistics, one school's round figures took 12 s for 600 children
    # on PostgreSQL (a nested loop of status changes × units × children), and most likely held
    # one CI run past its hour.
    refresh_planner_statistics()
    # Help and activities (issue 20), then a reporting round over what the county holds by now.
    add_demo_assistance(county=county, rng=rng, fake=fake, today=today)
    add_demo_activities(county=county, rng=rng, today=today)
    add_demo_homes(county=county, rng=rng, today=today)
    add_demo_crosschecks(county=county, rng=rng, today=today)
    add_demo_round(county=county, today=today)
    # Assessment and documents (issue 22): an inspection with one rectification overdue.
    add_demo_inspection(county=county, today=today)
    # The term's scores, from everything planted above (its preset applied first).
    assessment.seed_demo(county)
    refresh_planner_statistics()  # and the rest of what was written in bulk
    return DemoCounty(county=county, logins=demo_logins())


def _demo_calendar(county: Org, year: int) -> None:
    add_term, add_holiday = org_services.add_term, org_services.add_holiday
    add_term(
        region=county,
        name=f"{year}年春季学期",
        start=date(year, 3, 2),
        midterm=date(year, 4, 27),
        end=date(year, 7, 10),
        by=None,
    )
    add_holiday(
        region=county,
        name=f"{year}年暑假",
        season=HolidaySeason.SUMMER,
        start=date(year, 7, 11),
        end=date(year, 8, 31),
        by=None,
    )
    add_term(
        region=county,
        name=f"{year}年秋季学期",
        start=date(year, 9, 1),
        midterm=date(year, 11, 9),
        end=date(year + 1, 1, 22),
        by=None,
    )
    add_holiday(
        region=county,
        name=f"{year}年国庆节",
        start=date(year, 10, 1),
        end=date(year, 10, 7),
        by=None,
    )
    winter = date(year + 1, 1, 23)
    add_holiday(
        region=county,
        name=f"{year + 1}年寒假",
        season=HolidaySeason.WINTER,
        start=winter,
        end=winter + timedelta(days=34),
        by=None,
    )
    add_term(
        region=county,
        name=f"{year + 1}年春季学期",
        start=date(year + 1, 3, 2),
        midterm=date(year + 1, 4, 27),
        end=date(year + 1, 7, 9),
        by=None,
    )
