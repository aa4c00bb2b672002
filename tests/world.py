"""A small, fully known world for tests: two counties, schools, classes and one person per role.

Built through the services, so every test also exercises the code users go through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from shouwang.accounts import services as account_services
from shouwang.accounts.models import Role, User
from shouwang.orgs import services as org_services
from shouwang.orgs.models import Org, OrgKind

PASSWORD = "Test-password-2026"

# Persona name → (role, key of the org in World.orgs). One per role of domain.md §1, plus the
# officers of two levels and a teacher of a second school to prove the walls between schools.
PERSONAS: dict[str, tuple[str, str]] = {
    "sysadmin": (Role.SYSADMIN, "county_a"),
    "county_officer": (Role.REGION_OFFICER, "county_a"),
    "township_officer": (Role.REGION_OFFICER, "township_a1"),
    "federation_officer": (Role.REGION_OFFICER, "federation_a"),
    "school_admin": (Role.SCHOOL_ADMIN, "school_a"),
    "teacher": (Role.TEACHER, "class_a1"),
    "teacher_b": (Role.TEACHER, "class_b1"),
    "village_director": (Role.VILLAGE_DIRECTOR, "village_a1"),
    "volunteer": (Role.VOLUNTEER, "volunteers_a"),
    "counselor": (Role.COUNSELOR, "school_a"),
}


@dataclass
class World:
    orgs: dict[str, Org] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)


def build_world() -> World:
    w = World()
    add = org_services.add_org

    def org(key: str, **kwargs: object) -> Org:
        w.orgs[key] = add(by=None, **kwargs)  # type: ignore[arg-type]
        return w.orgs[key]

    org("province", code="110000000000", name="测试省", kind=OrgKind.PROVINCE, parent=None)
    org("city", code="110100000000", name="测试市", kind=OrgKind.CITY, parent=w.orgs["province"])
    county_a = org(
        "county_a", code="110101000000", name="甲县", kind=OrgKind.COUNTY, parent=w.orgs["city"]
    )
    county_b = org(
        "county_b", code="110102000000", name="乙县", kind=OrgKind.COUNTY, parent=w.orgs["city"]
    )
    org("federation_a", name="甲县妇联", kind=OrgKind.FEDERATION, parent=county_a)
    org("volunteers_a", name="甲县志愿者协会", kind=OrgKind.VOLUNTEER_ASSOCIATION, parent=county_a)
    t_a1 = org(
        "township_a1", code="110101001000", name="东镇", kind=OrgKind.TOWNSHIP, parent=county_a
    )
    t_a2 = org(
        "township_a2", code="110101002000", name="西镇", kind=OrgKind.TOWNSHIP, parent=county_a
    )
    org("village_a1", code="110101001001", name="东村", kind=OrgKind.VILLAGE, parent=t_a1)
    t_b1 = org(
        "township_b1", code="110102001000", name="南镇", kind=OrgKind.TOWNSHIP, parent=county_b
    )
    for key, code, name, parent in [
        ("a", "1101010001", "东镇中心小学", t_a1),
        ("b", "1101010002", "西镇中学", t_a2),
        ("c", "1101020001", "南镇小学", t_b1),
    ]:
        school = org(f"school_{key}", code=code, name=name, kind=OrgKind.SCHOOL, parent=parent)
        grade = org(f"grade_{key}1", name="三年级", kind=OrgKind.GRADE, parent=school)
        org(f"class_{key}1", name="三年级（1）班", kind=OrgKind.SCHOOL_CLASS, parent=grade)
        org(f"class_{key}2", name="三年级（2）班", kind=OrgKind.SCHOOL_CLASS, parent=grade)
    org_services.add_term(
        region=county_a,
        name="2026年秋季学期",
        start=date(2026, 9, 1),
        midterm=date(2026, 11, 9),
        end=date(2027, 1, 22),
        by=None,
    )
    for name, (role, org_key) in PERSONAS.items():
        w.users[name] = account_services.create_user(
            username=name,
            password=PASSWORD,
            role=role,
            org=w.orgs[org_key],
            full_name=f"测试{name}",
            by=None,
        )
    return w
