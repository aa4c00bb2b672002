from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shouwang.accounts.models import AuditEntry, Role, RoleAssignment, User
from shouwang.demo.services import build_demo_county
from shouwang.orgs.models import Org, OrgKind
from shouwang.orgs.selectors import enrolment_under, term_on

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 24)


def snapshot() -> tuple:
    orgs = list(Org.objects.order_by("path").values_list("path", "code", "name", "kind", "stage"))
    users = list(User.objects.order_by("username").values_list("username", "full_name", "phone"))
    roles = list(
        RoleAssignment.objects.order_by("user__username").values_list(
            "user__username", "role", "org__code"
        )
    )
    return orgs, users, roles


def test_demo_county_has_the_promised_shape():
    county = build_demo_county(seed=7, today=TODAY).county
    under = Org.objects.filter(path__startswith=county.path)
    assert under.filter(kind=OrgKind.TOWNSHIP).count() == 3
    assert under.filter(kind=OrgKind.VILLAGE).count() == 10
    assert under.filter(kind=OrgKind.SCHOOL).count() == 8
    assert under.filter(kind=OrgKind.FEDERATION).count() == 1
    assert under.filter(kind=OrgKind.SCHOOL_CLASS).count() >= 40
    assert enrolment_under(county, TODAY).total > 1000
    assert term_on(under.get(kind=OrgKind.SCHOOL, code="9900000001"), TODAY) is not None
    roles = set(RoleAssignment.objects.values_list("role", flat=True))
    assert roles == set(Role.values)


def test_same_seed_gives_the_same_county_and_another_seed_does_not():
    build_demo_county(seed=7, today=TODAY)
    first = snapshot()
    build_demo_county(seed=7, today=TODAY)  # rebuilt in place
    assert snapshot() == first
    build_demo_county(seed=8, today=TODAY)
    assert snapshot() != first


def test_rebuild_keeps_the_audit_log():
    build_demo_county(seed=7, today=TODAY)
    entries = AuditEntry.objects.count()
    build_demo_county(seed=7, today=TODAY)
    assert AuditEntry.objects.count() > entries


def test_demo_refuses_to_overwrite_real_organisations():
    call_command(
        "org",
        "add",
        "--code",
        "520330000000",
        "--name",
        "习水县",
        "--kind",
        "county",
        stdout=io.StringIO(),
    )
    with pytest.raises(CommandError) as exc:
        call_command("demo", stdout=io.StringIO(), stderr=io.StringIO())
    assert exc.value.returncode == 1
    assert Org.objects.filter(code="520330000000").exists()
    assert not Org.objects.filter(code__startswith="99").exists()


def test_demo_if_empty_builds_once_and_prints_the_logins_each_time():
    out = io.StringIO()
    call_command("demo", "--if-empty", "--seed", "3", stdout=out, stderr=io.StringIO())
    count = Org.objects.count()
    again = io.StringIO()
    call_command("demo", "--if-empty", stdout=again, stderr=io.StringIO())
    assert Org.objects.count() == count
    for text in (out.getvalue(), again.getvalue()):
        assert "demo-teacher" in text and "demo-county" in text
        assert "shouwang-demo-2026" in text
