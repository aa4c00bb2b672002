"""发现异常 follow-ups: when one is overdue, and when its words may tell of harm to the child.

The one place these rules live: 我的任务, the home page and the worker's notice all ask here.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings

# Words in a finding that may tell of an injury or of abuse: the follow-up then offers to start
# an incident, or a 强制报告 (mandatory report: 未成年人保护法 art. 11). Plain substrings, read
# in Python: the summary may be stored encrypted, so the database cannot search it.
HARM_WORDS = (
    "伤",
    "淤青",
    "瘀青",
    "青紫",
    "打",
    "虐待",
    "性侵",
    "猥亵",
    "烫",
    "烧",
    "掐",
    "咬",
    "体罚",
    "流血",
)
# Everyday words that contain one of the above and say nothing of harm ("给家长打电话").
HARMLESS_WORDS = (
    "伤心",
    "悲伤",
    "忧伤",
    "打电话",
    "打了电话",
    "打扫",
    "打球",
    "打工",
    "打算",
    "打开",
    "打针",
    "打印",
    "打卡",
    "打听",
    "打招呼",
    "打字",
    "发烧",
    "烧饭",
)


def overdue_days() -> int:
    return int(settings.SHOUWANG_FOLLOW_UP_DAYS)


def overdue_before(on: date) -> date:
    """A follow-up opened before this day is overdue on ``on`` (open more than the setting's
    days: at 7, one opened 8 days ago is overdue, one opened 7 days ago is not yet)."""
    return on - timedelta(days=overdue_days())


def age(opened_on: date, on: date) -> int:
    """Days the follow-up has waited."""
    return (on - opened_on).days


def is_overdue(opened_on: date, on: date) -> bool:
    return opened_on < overdue_before(on)


def mentions_harm(text: str) -> bool:
    """Whether the words may tell of an injury or abuse (then an incident is offered)."""
    for word in HARMLESS_WORDS:
        text = text.replace(word, " ")
    return any(word in text for word in HARM_WORDS)
