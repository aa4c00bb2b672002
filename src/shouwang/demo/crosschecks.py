"""Demo cross-checks and referrals: the first school's admin checks a 低保 list (a few of the
school's children on it, one with a birth date that disagrees, one person not in the archive),
and refers one case to the county's women's federation, which has not answered yet."""

from __future__ import annotations

import io
import random
from datetime import date

from shouwang.accounts.models import User
from shouwang.children.models import Child, ChildStatus
from shouwang.crosschecks import selectors as crosscheck_selectors
from shouwang.crosschecks import services as crosscheck_services
from shouwang.orgs.models import Org, OrgKind
from shouwang.referrals import services as referral_services


def add_demo_crosschecks(*, county: Org, rng: random.Random, today: date) -> None:
    """Call after the demo's children exist (demo.services.build_demo_county)."""
    school = Org.objects.filter(path__startswith=county.path, kind=OrgKind.SCHOOL).order_by("code")[
        0
    ]
    users = {u.username: u for u in User.objects.filter(username__startswith="demo-")}
    admin = users.get("demo-school")
    if admin is None:
        return
    children = list(
        Child.objects.filter(school=school, status=ChildStatus.ACTIVE).order_by("pk")[:60]
    )
    if len(children) < 6:
        return
    listed = rng.sample(children, 5)
    lines = ["序号,姓名,身份证号,出生日期,家庭住址,保障人口"]
    for i, child in enumerate(listed, 1):
        born = child.birth_date
        if i == 5:  # the other system has the birth date wrong: listed for checking
            born = born.replace(day=1 if born.day != 1 else 2)
        lines.append(f"{i},{child.name},{child.id_number},{born:%Y.%m.%d},本村,3")
    lines.append("6,王某某,110101198001010010,1980.1.1,本村,2")  # an adult: not in the archive
    crosscheck_services.cross_check(
        source=io.BytesIO(("\n".join(lines) + "\n").encode()),
        filename=f"{today.year}年低保对象名单.csv",
        org=school,
        list_kind="dibao",
        scope=crosscheck_selectors.scope_for(admin, school),
        by=admin,
    )
    federation = Org.objects.filter(path__startswith=county.path, kind=OrgKind.FEDERATION).first()
    if federation is None:
        return
    referral_services.refer(
        child=children[0],
        from_unit=school,
        to_unit=federation,
        receiver_kind="federation",
        reason_kind="guardian_fails",
        case_text="祖父母年迈多病，无力照看；孩子近一个月多次未交作业、早餐常不吃。学校多次家访无果，请妇联协调父母返乡或另行委托监护。",
        by=admin,
    )
