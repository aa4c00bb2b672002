"""The demo county's inspection: the township's officer inspected the first school a month ago;
of its two findings, one was answered with evidence and closed, the other is past its deadline
and still open (shown on the school's and the region's dashboards)."""

from __future__ import annotations

from datetime import date, timedelta

from shouwang.accounts.models import User
from shouwang.orgs.models import Org, OrgKind

from . import services
from .models import Inspection


def add_demo_inspection(*, county: Org, today: date) -> Inspection | None:
    """Call after the demo's logins exist (demo-township, demo-school)."""
    school = (
        Org.objects.filter(path__startswith=county.path, kind=OrgKind.SCHOOL)
        .order_by("code")
        .first()
    )
    users = {
        u.username: u for u in User.objects.filter(username__in=["demo-township", "demo-school"])
    }
    inspector, admin = users.get("demo-township"), users.get("demo-school")
    if school is None or inspector is None or admin is None:
        return None
    held = today - timedelta(days=30)
    inspection = services.record_inspection(
        unit=school,
        on=held,
        kind="routine",
        inspectors=f"{inspector.display_name}、镇妇联干部",
        summary_text="查阅留守儿童档案、结对帮扶记录和亲情电话登记；走访留守儿童之家。",
        by=inspector,
    )
    done = services.add_rectification(
        inspection=inspection,
        finding_text="部分留守儿童档案未写明方便联系人及电话。",
        deadline=held + timedelta(days=14),
        responsible_user=admin,
        by=inspector,
    )
    services.answer(
        rectification=done,
        evidence_text="已逐一补填方便联系人及电话，班主任核实签字。",
        by=admin,
        version=services.rectification_version(done),
    )
    services.close(
        rectification=done,
        comment="抽查5份档案，已补齐。",
        by=inspector,
        version=services.rectification_version(done),
    )
    services.add_rectification(
        inspection=inspection,
        finding_text="亲情电话登记本10月后未再登记，无法看出通话次数。",
        deadline=held + timedelta(days=20),
        responsible_name="德育处干事",
        by=inspector,
    )
    return inspection
