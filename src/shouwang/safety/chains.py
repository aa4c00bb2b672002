"""The emergency notification chain (seed 001, domain.md §4), as data a region may change.

"发生突发事件，20分钟内告知学校领导和监护人，1小时内告知家长，2小时内报告教育主管部门和镇党委。"
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

# Who may be told at a step: the school's leadership and the region's officers are logins we
# can notify; guardians, parents, the bureau and the township are told by the people at school.
AUDIENCES = {
    "school_leadership": _("School leadership"),
    "guardian": _("Guardian"),
    "parents": _("Parents away"),
    "education_bureau": _("Education bureau"),
    "township": _("Township government"),
    "police": _("Police"),
}

SEED_001_CHAIN: list[dict[str, Any]] = [
    {"key": "school_leadership", "minutes": 20},
    {"key": "guardian", "minutes": 20},
    {"key": "parents", "minutes": 60},
    {"key": "education_bureau", "minutes": 120},
    {"key": "township", "minutes": 120},
]


def label_of(key: str) -> str:
    return str(AUDIENCES.get(key, key))
