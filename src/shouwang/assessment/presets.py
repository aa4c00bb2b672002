"""Assessment schemes taken from the seeds, applied by a region in one step and edited afterwards.

Rates are shares (0.95 = 95%); counts are numbers of records. The texts quoted are the seeds'.
"""

from __future__ import annotations

from typing import Any

from .models import Subject

C, K, S = Subject.CAREGIVER, Subject.CLASS, Subject.SCHOOL


def _p(
    subject: str,
    measure: str,
    label: str,
    weight: int,
    pass_at: str,
    full_at: str,
    *,
    veto: bool = False,
    source: str = "",
) -> dict[str, Any]:
    return {
        "subject": subject,
        "code": measure.replace("_", "-"),
        "measure": measure,
        "label": label,
        "weight": weight,
        "pass_at": pass_at,
        "full_at": full_at,
        "veto": veto,
        "source": source,
    }


DUTY_VETO = "如因工作不力和失职而造成影响的，师德和年度考核定为不合格"
CHAIN = "20分钟内告知学校领导和委托监护人，1小时内告知在外务工家长，2小时内报告上级"
BOOKS = "帮扶教师人手一册《留守儿童包联关爱帮扶教育记录册》，实行周检查、月考核制度"

PRESETS: dict[str, dict[str, Any]] = {
    "seed001": {
        "name": "关爱留守儿童工作考评（教师、班级、学校）",
        "source": "seed 001：建立健全检查考核机制，定期对分管各块、班级和教师进行考评",
        "points": [
            _p(
                C,
                "duties_on_time",
                "结对帮扶制度按时落实",
                50,
                "0.60",
                "0.95",
                veto=True,
                source=DUTY_VETO,
            ),
            _p(
                C,
                "care_records",
                "帮扶记录（人次）",
                20,
                "1",
                "12",
                source="三个一：每周联系交流、每月联系父母、每期家访",
            ),
            _p(C, "follow_ups_closed", "发现异常及时跟进", 30, "0", "1"),
            _p(K, "pairing_coverage", "结对帮扶全覆盖", 30, "0.80", "1"),
            _p(
                K,
                "duties_on_time",
                "班级帮扶制度按时落实",
                30,
                "0.60",
                "0.95",
                veto=True,
                source=DUTY_VETO,
            ),
            _p(
                K,
                "archives_complete",
                "档案“五清楚”并核实",
                20,
                "0.60",
                "1",
                source="基本信息、性格特征、兴趣爱好、健康状况、父母及监护人联系方式清楚",
            ),
            _p(K, "follow_ups_closed", "发现异常及时跟进", 10, "0", "1"),
            _p(
                K,
                "emergency_chain_on_time",
                "突发事件按时报告",
                10,
                "1",
                "1",
                veto=True,
                source=CHAIN,
            ),
            _p(
                S,
                "pairing_coverage",
                "结对帮扶全覆盖",
                20,
                "0.80",
                "1",
                source="每位留守学生落实一名代理家长",
            ),
            _p(
                S,
                "duties_on_time",
                "帮扶制度按时落实",
                20,
                "0.60",
                "0.95",
                veto=True,
                source=DUTY_VETO,
            ),
            _p(S, "archives_complete", "档案“五清楚”并核实", 15, "0.60", "1"),
            _p(S, "follow_ups_closed", "发现异常及时跟进", 10, "0", "1"),
            _p(
                S,
                "emergency_chain_on_time",
                "突发事件按时报告",
                10,
                "1",
                "1",
                veto=True,
                source=CHAIN,
            ),
            _p(S, "rounds_on_time", "台账按时上报", 10, "0", "1"),
            _p(
                S,
                "activities_held",
                "关爱活动开展",
                10,
                "1",
                "4",
                source="法制、安全、心理健康教育讲座；每半学期一次监护人培训会",
            ),
            _p(S, "record_books_checked", "领导每周检查帮扶记录册", 5, "0", "1", source=BOOKS),
        ],
    },
    "seed002": {
        "name": "留守儿童排查与台账工作考核（学校）",
        "source": "seed 002：社区6月25日前上报台账，教育局6月30日前上报；"
        "把此项工作纳入教师年终考核",
        "points": [
            _p(
                S,
                "rounds_on_time",
                "排查台账按时上报",
                30,
                "1",
                "1",
                veto=True,
                source="6月25日前各社区上报台账",
            ),
            _p(S, "archives_complete", "台账信息完整并核实", 30, "0.80", "1"),
            _p(S, "pairing_coverage", "结对帮扶全覆盖", 20, "0.80", "1"),
            _p(
                S,
                "duties_on_time",
                "每两周家访一次",
                20,
                "0.50",
                "0.90",
                source="每两周家访一次；每月召开一次监护人座谈会",
            ),
            _p(
                C,
                "duties_on_time",
                "帮扶制度按时落实",
                70,
                "0.50",
                "0.90",
                veto=True,
                source="对敷衍了事的，在期末考核上扣分",
            ),
            _p(C, "care_records", "帮扶记录（人次）", 30, "1", "8"),
        ],
    },
}
