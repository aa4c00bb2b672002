"""The demo county's assistance and donations: the seeds' programmes applied to the county, a
relief fund with an enterprise's money and a donor's sweaters in, seed 000's 生活费 paid to 14
children at 375 元 from the fund (5,250 元), 春蕾 for a few girls of the first school, a
subsidy applied for by the school and approved by the county before it is paid, an activity's
spending, and two 微心愿 (one fulfilled).

Everything goes through the assistance services, so it is checked and audited like real work;
nothing is dated after ``today``.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from faker import Faker

from shouwang.accounts.models import User
from shouwang.assistance import services
from shouwang.assistance.models import FundKind, Programme
from shouwang.children.models import Child, ChildStatus, Gender
from shouwang.orgs.models import Org, OrgKind
from shouwang.orgs.selectors import term_on

SEED_000_CHILDREN = 14  # 14名留守儿童每人375元生活费


def add_demo_assistance(*, county: Org, rng: random.Random, fake: Faker, today: date) -> None:
    users = {u.username: u for u in User.objects.filter(username__startswith="demo-")}
    officer, school_admin = users["demo-county"], users["demo-school"]
    school = Org.objects.filter(path__startswith=county.path, kind=OrgKind.SCHOOL).order_by("code")[
        0
    ]
    services.apply_presets(region=county, by=officer)
    programmes = {p.code: p for p in Programme.objects.filter(region=county)}
    term = term_on(county, today)
    opened = term.start if term is not None else today - timedelta(days=60)
    paid_on = min(today, opened + timedelta(days=30))

    fund = services.add_fund(
        unit=county, name=f"{county.name}留守儿童救助基金", kind=FundKind.RELIEF, by=officer
    )
    services.add_donation(
        fund=fund,
        donor=fake.company(),
        on=opened,
        purpose="留守儿童生活费",
        amount=Decimal(20000),
        by=officer,
    )
    services.add_donation(
        fund=fund,
        donor=fake.name(),
        on=opened,
        purpose="冬衣",
        item="毛衣",
        quantity=100,
        by=officer,
    )

    in_county = Child.objects.filter(county=county, status=ChildStatus.ACTIVE).select_related(
        "school", "school_class", "home_village"
    )
    fourteen = list(in_county.order_by("school__code", "pk")[:SEED_000_CHILDREN])
    services.pay_batch(
        children=fourteen,
        programme=programmes["living_allowance"],
        paid_on=paid_on,
        fund=fund,
        by=officer,
    )
    services.add_spending(
        fund=fund, on=paid_on, purpose="六一节日慰问活动", amount=Decimal(800), by=officer
    )

    at_school = list(in_county.filter(school=school).order_by("pk"))
    girls = [c for c in at_school if c.gender == Gender.FEMALE][:5]
    if girls:
        services.pay_batch(
            children=girls, programme=programmes["spring_bud"], paid_on=paid_on, by=school_admin
        )
    if at_school:
        child = rng.choice(at_school)
        goods = services.pay(
            child=child,
            programme=programmes["goods"],
            paid_on=paid_on,
            item="奶粉",
            quantity=2,
            signed=True,
            by=school_admin,
        )
        # The subsidy of the child's stage, if the preset has one: applied, then approved by
        # the county (seed 002), then paid.
        for code in ("subsidy_primary", "subsidy_junior", "subsidy_senior"):
            if not services.refusal(child, programmes[code]):
                [application] = services.apply_for(
                    children=[child], programme=programmes[code], by=school_admin
                )
                services.decide(
                    application=application,
                    approve=True,
                    by=officer,
                    version=services.version_of(application),
                )
                services.pay(
                    child=child,
                    programme=programmes[code],
                    paid_on=paid_on,
                    signed=True,
                    by=school_admin,
                )
                break
        wish = services.add_wish(
            child=goods.child, wish="一套课外读物", by=school_admin, recorded_on=opened
        )
        wish = services.match_wish(
            wish=wish, donor=fake.name(), by=school_admin, version=services.version_of(wish)
        )
        services.fulfil_wish(
            wish=wish, on=paid_on, by=school_admin, version=services.version_of(wish)
        )
        other = at_school[0] if at_school[0] != child else at_school[-1]
        services.add_wish(child=other, wish="一双运动鞋", by=school_admin, recorded_on=paid_on)
