"""Matching a ledger's 学校 / 年级 / 班级 cells to the org tree: 三(1)班, 3年级1班, 三年级（1）班
and 1班 under 三年级 are the same class."""

from __future__ import annotations

import re

from shouwang.children.validators import to_half_width
from shouwang.orgs.models import Org, OrgKind

from .columns import normalise_header

_NUMERALS = {
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
    "初一": 7,
    "初二": 8,
    "初三": 9,
    "高一": 10,
    "高二": 11,
    "高三": 12,
}


def grade_number(text: str) -> int | None:
    value = to_half_width(text).replace("年级", "").replace("级", "").strip()
    value = re.split(r"[(\[（]", value)[0] if value else value
    for word in sorted(_NUMERALS, key=len, reverse=True):
        if value.startswith(word):
            return _NUMERALS[word]
    match = re.match(r"(\d{1,2})", value)
    return int(match.group(1)) if match else None


def class_number(text: str) -> int | None:
    value = to_half_width(text)
    match = re.search(r"[(\[（](\d{1,2})[)\]）]", value) or re.search(r"(\d{1,2})班", value)
    if match:
        return int(match.group(1))
    match = re.fullmatch(r"\s*(\d{1,2})\s*", value)
    return int(match.group(1)) if match else None


class ClassIndex:
    """Every school and class under an org, found by what clerks write."""

    def __init__(self, root: Org) -> None:
        nodes = Org.objects.filter(
            path__startswith=root.path,
            kind__in=[OrgKind.SCHOOL, OrgKind.GRADE, OrgKind.SCHOOL_CLASS],
            is_active=True,
        ).order_by("path")
        self.root = root
        self.schools: dict[str, Org] = {}
        self.classes: dict[tuple[str, int, int], Org] = {}
        grades: dict[str, Org] = {}
        steplen = Org.steplen
        for node in nodes:
            if node.kind == OrgKind.SCHOOL:
                self.schools[normalise_header(node.name)] = node
            elif node.kind == OrgKind.GRADE:
                grades[node.path] = node
            else:
                grade = grades.get(node.path[:-steplen])
                g = grade_number(grade.name) if grade else None
                c = class_number(node.name)
                if g is not None and c is not None:
                    self.classes[(node.path[: -2 * steplen], g, c)] = node
        self.by_path = {s.path: s for s in self.schools.values()}

    def school(self, name: str) -> Org | None:
        if not name and self.root.kind == OrgKind.SCHOOL:
            return self.root
        return self.schools.get(normalise_header(name))

    def school_class(self, school: Org, grade: str, klass: str) -> Org | None:
        g = grade_number(grade) if grade else grade_number(klass)
        c = class_number(klass)
        if g is None or c is None:
            return None
        return self.classes.get((school.path, g, c))
