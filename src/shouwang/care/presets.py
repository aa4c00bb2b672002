"""Duty policies (制度) as the seeds write them, loaded by a data migration (domain.md §3).

Units apply a copy and may edit it; the engine never looks at these codes, only at the rules.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import CaregiverKind


def _rule(label: str, kinds: list[str], period: str, assignee: str, **extra: Any) -> dict[str, Any]:
    return {"label": label, "kinds": kinds, "period": period, "assignee": assignee, **extra}


POLICIES: list[dict[str, Any]] = [
    {
        "code": "three_ones",
        "name": "三个一",
        # domain.md §3
        "source": "每月一次家访、每月一次电话联系家长、每学期一封家书",
        "rules": [
            _rule("每月家访一次", ["home_visit"], "month", "caregiver"),
            _rule("每月与家长通话一次", ["parent_call"], "month", "caregiver"),
            _rule("每学期给家长写信一封", ["letter"], "term", "caregiver"),
        ],
    },
    {
        "code": "four_ones",
        "name": "四个一",
        # seed 001
        "source": "学校行政集体一月一次家访、教师一周一次家访、一月与家长通一次话、"
        "一学期给家长写一封信",
        "rules": [
            _rule("学校行政每月家访一次", ["home_visit"], "month", "leadership"),
            _rule(
                "教师每周家访一次",
                ["home_visit"],
                "week",
                "caregiver",
                caregiver_roles=[CaregiverKind.TEACHER],
            ),
            _rule(
                "教师每月与家长通话一次",
                ["parent_call"],
                "month",
                "caregiver",
                caregiver_roles=[CaregiverKind.TEACHER],
            ),
            _rule(
                "每学期给家长写信一封",
                ["letter"],
                "term",
                "caregiver",
                caregiver_roles=[CaregiverKind.TEACHER],
            ),
        ],
    },
    {
        "code": "proxy_parent_three_ones",
        "name": "代理家长“三个一”",
        # seed 001
        "source": "每周联系交流、辅导作业一次；每月与父母、任课教师、托管人联系一次；每期家访一次",
        "rules": [
            _rule(
                "每周联系交流、辅导作业一次",
                ["talk", "tutoring"],
                "week",
                "caregiver",
                caregiver_roles=["proxy_parent"],
            ),
            _rule(
                "每月与父母、托管人联系一次",
                ["parent_call", "guardian_contact"],
                "month",
                "caregiver",
                caregiver_roles=["proxy_parent"],
            ),
            _rule(
                "每学期家访一次",
                ["home_visit"],
                "term",
                "caregiver",
                caregiver_roles=["proxy_parent"],
            ),
        ],
    },
    {
        "code": "talks_twice_a_month",
        "name": "谈心每月两次",
        # seed 003
        "source": "每月至少谈心两次",
        "rules": [_rule("每月谈心两次", ["talk"], "month", "caregiver", count=2)],
    },
    {
        "code": "talks_twice_a_term",
        "name": "谈心每学期两次",
        # seed 000
        "source": "帮扶教师每学期与结对儿童谈话至少2次",
        "rules": [_rule("每学期谈心两次", ["talk"], "term", "caregiver", count=2)],
    },
    {
        "code": "term_phase_visits",
        "name": "期初·期中·期末家访",
        # seed 000
        "source": "班主任老师期初、期中、期末与留守儿童进行家访",
        "rules": [
            _rule("期初、期中、期末各家访一次", ["home_visit"], "term_phases", "class_teacher")
        ],
    },
    {
        "code": "fortnightly_visits",
        "name": "两周一访、每月座谈",
        # seed 002
        "source": "两周必须家访一次，每月必须召开一次留守儿童监护人座谈会",
        "rules": [
            _rule("每两周家访一次", ["home_visit"], "two_weeks", "caregiver"),
            _rule(
                "每月召开监护人座谈会",
                ["guardians_meeting"],
                "month",
                "leadership",
                each_child=False,
            ),
        ],
    },
    {
        "code": "termly_visit_help_check",
        "name": "每学期一访一助一核查",
        # domain.md §3
        "source": "每学期对每名结对儿童家访一次、帮扶一次、信息核查一次",
        "rules": [
            _rule("每学期家访一次", ["home_visit"], "term", "caregiver"),
            _rule(
                "每学期帮扶一次",
                ["tutoring", "life_help", "material_help"],
                "term",
                "caregiver",
            ),
            _rule("每学期核查档案一次", ["verification"], "term", "caregiver"),
        ],
    },
    {
        "code": "summer_visits",
        "name": "暑期走访辅导",
        # seed 003
        "source": "暑假两次安排教师下村蹲点，为留守学生作业和生活辅导",
        "rules": [
            _rule(
                "暑假走访辅导两次",
                ["home_visit", "tutoring"],
                "term",
                "caregiver",
                count=2,
                season="summer",
            ),
        ],
    },
]


def install(policy_model: type[models.Model], rule_model: type[models.Model]) -> None:
    """Load the presets (the migration passes its historical models, the demo the real ones)."""
    for preset in POLICIES:
        policy, _ = policy_model._default_manager.update_or_create(
            code=preset["code"],
            org=None,
            defaults={"name": preset["name"], "source": preset["source"], "is_active": True},
        )
        if rule_model._default_manager.filter(policy=policy).exists():
            continue
        for rule in preset["rules"]:
            rule_model._default_manager.create(policy=policy, **rule)
