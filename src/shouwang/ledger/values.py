"""Cell values as clerks type them, turned into the archive's values; unknown words are errors."""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from shouwang.children.models import GuardianRelation
from shouwang.children.types import ParentStatus
from shouwang.core.validators import normalise_phone, parse_date_loose, to_half_width

from .columns import normalise_header

GENDER = {
    "男": "male",
    "女": "female",
    "m": "male",
    "f": "female",
    "男性": "male",
    "女性": "female",
    "male": "male",
    "female": "female",
}
YES = {"是", "住校", "寄宿", "√", "✓", "y", "yes", "1", "true"}
NO = {"否", "走读", "不住校", "×", "x", "n", "no", "0", "false", ""}
# Seeds' and clerks' words for a parent's situation (domain.md §2's list).
PARENT_STATUS = {
    **dict.fromkeys(
        ["在家", "在家务农", "务农", "在本地", "本地务工", "在乡"], ParentStatus.AT_HOME
    ),
    **dict.fromkeys(
        ["外出", "外出务工", "打工", "外出打工", "在外", "务工", "外地务工", "外出经商", "流动"],
        ParentStatus.MIGRANT,
    ),
    **dict.fromkeys(["去世", "已故", "死亡", "病故", "亡"], ParentStatus.DECEASED),
    **dict.fromkeys(["离异", "离婚", "离异不在", "改嫁", "离家"], ParentStatus.DIVORCED_AWAY),
    **dict.fromkeys(["服刑", "坐牢", "在押"], ParentStatus.IN_PRISON),
    **dict.fromkeys(["重病", "患病", "大病"], ParentStatus.SERIOUSLY_ILL),
    **dict.fromkeys(["残疾", "残障"], ParentStatus.DISABLED),
    **dict.fromkeys(["失联", "下落不明", "失踪", "出走"], ParentStatus.MISSING),
}
RELATION = {
    **dict.fromkeys(
        ["祖父母", "祖父", "祖母", "爷爷", "奶奶", "爷孙", "祖孙"], GuardianRelation.GRANDPARENT
    ),
    **dict.fromkeys(
        ["外祖父母", "外祖父", "外祖母", "外公", "外婆", "姥姥", "姥爷"],
        GuardianRelation.MATERNAL_GRANDPARENT,
    ),
    **dict.fromkeys(
        ["父亲", "母亲", "父母", "父亲或母亲", "父", "母", "父子", "母子", "母女", "父女"],
        GuardianRelation.PARENT,
    ),
    **dict.fromkeys(
        [
            "叔叔",
            "伯父",
            "伯母",
            "婶婶",
            "姑姑",
            "姑妈",
            "舅舅",
            "舅妈",
            "姨妈",
            "阿姨",
            "哥哥",
            "姐姐",
            "其他亲属",
            "亲属",
            "叔侄",
            "姑侄",
        ],
        GuardianRelation.RELATIVE,
    ),
    **dict.fromkeys(["亲友", "邻居", "朋友"], GuardianRelation.FRIEND),
    **dict.fromkeys(
        ["代管", "代管家长", "委托", "委托代管人", "代理家长", "委托监护"],
        GuardianRelation.ENTRUSTED,
    ),
    **dict.fromkeys(["无", "无监护人"], GuardianRelation.NONE),
}


def text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return to_half_width(str(value)).strip()


def _word(value: object) -> str:
    return normalise_header(text(value)).lower()


def gender(value: object) -> str:
    word = _word(value)
    if word in GENDER:
        return GENDER[word]
    raise ValidationError(_("%(value)s is not a gender (男/女).") % {"value": text(value)})


def boarding(value: object) -> bool:
    word = _word(value)
    if word in YES:
        return True
    if word in NO:
        return False
    raise ValidationError(_("%(value)s: write 是 or 否.") % {"value": text(value)})


def parent_status(value: object) -> str:
    word = _word(value)
    if not word:
        return ParentStatus.AT_HOME
    if word in PARENT_STATUS:
        return PARENT_STATUS[word]
    raise ValidationError(_("Unknown parent status: %(value)s") % {"value": text(value)})


def relation(value: object) -> str:
    word = _word(value)
    if word in RELATION:
        return RELATION[word]
    raise ValidationError(_("Unknown relation to the child: %(value)s") % {"value": text(value)})


def phone(value: object) -> str:
    raw = text(value)
    return normalise_phone(raw) if raw else ""


def a_date(value: object) -> date | None:
    if value is None or text(value) == "":
        return None
    return parse_date_loose(value)


_YEAR_MONTH = re.compile(r"(\d{4})\s*(?:[-./]|年)\s*(\d{1,2})\s*月?(?:份)?")


def month_or_date(value: object) -> date | None:
    """外出时间 as clerks write it: a date, or only a year and month (2024.2, 2024年2月,
    2024-02, 202402) — the first of that month, so "away three months" counts from it."""
    if value is None or text(value) == "":
        return None
    raw = to_half_width(text(value)) if isinstance(value, str) else value
    match = isinstance(raw, str) and (
        _YEAR_MONTH.fullmatch(raw) or re.fullmatch(r"(\d{4})(\d{2})", raw)
    )
    if match:
        year, month = (int(g) for g in match.groups())
        if 1900 < year < 2200 and 1 <= month <= 12:
            return date(year, month, 1)
        raise ValidationError(_("%(value)s is not a date.") % {"value": raw})
    return parse_date_loose(raw)


def age(value: object) -> int | None:
    raw = text(value)
    if not raw:
        return None
    match = re.fullmatch(r"(\d{1,3})岁?", raw)
    if not match:
        raise ValidationError(_("%(value)s is not an age.") % {"value": raw})
    return int(match.group(1))


def id_number(value: object) -> str:
    """The raw ID cell: a number cell has lost its last digits already (Excel keeps 15)."""
    from shouwang.core.validators import normalise_id_number

    if isinstance(value, int | float) and not isinstance(value, bool):
        return normalise_id_number(float(value))
    return normalise_id_number(text(value))
