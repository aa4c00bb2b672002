"""Programmes as the seeds name them: a region officer applies them to the region
(services.apply_presets) and edits them like any programme. The codes are the keys of the
statistics' ``by_programme`` (interfaces.md) and stay the same in every region."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .models import ApprovalLevel, EligibleGender, EligibleStage, Kind, PeriodUnit

COUNTY = ApprovalLevel.COUNTY

PRESETS: list[dict[str, Any]] = [
    # Seed 002: 按学期补助 小学500元, 初中800元, 高中1300元; 大学每月400元 — the county checks.
    {
        "code": "subsidy_primary",
        "name": "小学生活补助",
        "amount": Decimal(500),
        "period": PeriodUnit.TERM,
        "stage": EligibleStage.PRIMARY,
        "approval": COUNTY,
    },
    {
        "code": "subsidy_junior",
        "name": "初中生活补助",
        "amount": Decimal(800),
        "period": PeriodUnit.TERM,
        "stage": EligibleStage.JUNIOR,
        "approval": COUNTY,
    },
    {
        "code": "subsidy_senior",
        "name": "高中生活补助",
        "amount": Decimal(1300),
        "period": PeriodUnit.TERM,
        "stage": EligibleStage.SENIOR,
        "approval": COUNTY,
    },
    {
        "code": "subsidy_university",
        "name": "大学生活补助",
        "amount": Decimal(400),
        "period": PeriodUnit.MONTH,
        "stage": EligibleStage.UNIVERSITY,
        "approval": COUNTY,
    },
    # Seed 003: 春蕾助学金 每人每学期600元, girls.
    {
        "code": "spring_bud",
        "name": "春蕾计划",
        "amount": Decimal(600),
        "period": PeriodUnit.TERM,
        "gender": EligibleGender.FEMALE,
    },
    # Seed 000: 14名留守儿童每人375元生活费.
    {
        "code": "living_allowance",
        "name": "生活费",
        "amount": Decimal(375),
        "period": PeriodUnit.TERM,
    },
    {"code": "condolence", "name": "慰问金", "amount": None, "period": PeriodUnit.ONCE},
    {
        "code": "two_exemptions",
        "name": "两免一补",
        "amount": None,
        "period": PeriodUnit.TERM,
        "approval": COUNTY,
    },
    # Seed 003: 4家企业为8名儿童结对资助至大学 — paid each term until university.
    {
        "code": "enterprise_sponsorship",
        "name": "企业结对资助",
        "amount": None,
        "period": PeriodUnit.TERM,
    },
    {"code": "goods", "name": "物资慰问", "kind": Kind.GOODS, "period": PeriodUnit.ONCE},
]
