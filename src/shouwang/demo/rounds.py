"""The demo county's reporting round (排查 / 台账上报, seed 002): one round open over the county,
due in eight days (the townships' upward report five days later), with a few schools and
villages in already — one of them returned with a comment — so the county officer sees who is
in, who is not yet and the summed figures, and ``demo-school`` still has its own to submit.

Called by the demo build after the children and care exist: ``add_demo_round(county=…,
today=…)``. Everything goes through the services (frozen snapshots, audit entries)."""

from __future__ import annotations

from datetime import date, timedelta

from shouwang.accounts.models import User
from shouwang.orgs.models import Org, OrgKind
from shouwang.oversight import services
from shouwang.oversight.models import Round

SUBMITTING = 3  # schools and villages in already


def add_demo_round(*, county: Org, today: date) -> Round:
    officer = User.objects.get(username="demo-county")
    round_ = services.open_round(
        org=county,
        title=f"{today.year}年冬季留守儿童排查",
        due=today + timedelta(days=8),
        due_upward=today + timedelta(days=13),
        by=officer,
    )
    # Not the first school: demo-school submits its own.
    first_school = (
        Org.objects.filter(path__startswith=county.path, kind=OrgKind.SCHOOL)
        .order_by("path")
        .first()
    )
    units = list(round_.units.filter(level="unit").exclude(org=first_school).order_by("org__path"))
    submitted = [services.submit(unit=unit, by=officer) for unit in units[:SUBMITTING]]
    if submitted:
        services.return_submission(
            submission=submitted[-1],
            comment="请核对父母外出时间，部分儿童缺少外出时间未计入。",
            by=officer,
        )
    return round_
