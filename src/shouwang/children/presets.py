"""Presets users start from (domain.md §2), loaded by a data migration; regions edit copies."""

from __future__ import annotations

from .types import LeftBehindType

PROFILES = [
    {
        # Seeds 000/004: a school counts both- and one-away children and orphans / single parents.
        "code": "school_broad",
        "name": "校级宽口径",
        "counted_types": [
            LeftBehindType.BOTH_PARENTS_AWAY,
            LeftBehindType.FATHER_AWAY,
            LeftBehindType.MOTHER_AWAY,
            LeftBehindType.ONE_AWAY_OTHER_UNABLE,
            LeftBehindType.ORPHAN_OR_SINGLE_PARENT,
        ],
        "min_months_away": 0,
        "age_limit": 18,
        "is_default": True,
    },
    {
        # Seed 002: 父母双方流动3个月以上.
        "code": "plan",
        "name": "方案口径",
        "counted_types": [LeftBehindType.BOTH_PARENTS_AWAY],
        "min_months_away": 3,
        "age_limit": 18,
        "is_default": False,
    },
    {
        # 国务院 2016 (国发〔2016〕13号): both away, or one away and the other unable; under 16.
        "code": "national",
        "name": "国家口径",
        "counted_types": [LeftBehindType.BOTH_PARENTS_AWAY, LeftBehindType.ONE_AWAY_OTHER_UNABLE],
        "min_months_away": 0,
        "age_limit": 16,
        "is_default": False,
    },
]

# Seed 002 (习水县《留守儿童分类“心级”管理方案》): five dimensions, four heart levels; the seed
# gives the dimensions and levels, the thresholds are ours for a region to adjust.
HEART_RULE = {
    "code": "xishui",
    "name": "习水县心级方案",
    "dimensions": ["心理", "身体", "学业", "监护", "安全"],
    "thresholds": [[0, 1], [3, 2], [6, 3], [9, 4]],
    "forcing": ["监护", "安全"],
    "is_default": True,
}
