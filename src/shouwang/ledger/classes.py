"""Matching a ledger's 学校 / 年级 / 班级 cells to the org tree: 三(1)班, 3年级1班, 三年级（1）班
and 1班 under 三年级 are the same class."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shouwang.core.validators import to_half_width
from shouwang.orgs.models import Org, OrgKind

from .columns import normalise_header

if TYPE_CHECKING:
    from shouwang.accounts.models import User

_NUMERALS = {
    # Kindergarten years count up to 0, so 大班 comes before 一年级.
    "小班": -2,
    "中班": -1,
    "大班": 0,
    "学前班": 0,
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


# The name a grade gets when a ledger creates it (the stage follows from it).
GRADE_NAMES = {
    -2: "小班",
    -1: "中班",
    0: "大班",
    **{n: f"{'一二三四五六七八九'[n - 1]}年级" for n in range(1, 10)},
    10: "高一",
    11: "高二",
    12: "高三",
}


@dataclass(frozen=True, order=True)
class NewClass:
    """A class a ledger names that its school does not have yet: made when the import applies."""

    school_path: str
    grade: int
    number: int
    grade_name: str = field(compare=False)

    @property
    def name(self) -> str:
        return f"{self.grade_name}（{self.number}）班"

    @property
    def label(self) -> str:
        """As interfaces.md lists it in ``classes_created``: "年级 班级"."""
        return f"{self.grade_name} {self.number}班"


class ClassIndex:
    """Every school and class under an org, found by what clerks write; a class the file names
    that its school lacks is planned (``plan_class``) and made by ``create_planned``."""

    def __init__(self, root: Org) -> None:
        nodes = Org.objects.filter(
            path__startswith=root.path,
            kind__in=[OrgKind.SCHOOL, OrgKind.GRADE, OrgKind.SCHOOL_CLASS],
            is_active=True,
        ).order_by("path")
        self.root = root
        self.schools: dict[str, Org] = {}
        self.classes: dict[tuple[str, int, int], Org] = {}
        # (school path, grade number) → the school's grade, and the classes to make.
        self.grades: dict[tuple[str, int], Org] = {}
        self.planned: dict[tuple[str, int, int], NewClass] = {}
        grades: dict[str, Org] = {}
        steplen = Org.steplen
        for node in nodes:
            if node.kind == OrgKind.SCHOOL:
                self.schools[normalise_header(node.name)] = node
            elif node.kind == OrgKind.GRADE:
                grades[node.path] = node
                number = grade_number(node.name)
                if number is not None:
                    self.grades.setdefault((node.path[:-steplen], number), node)
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
        key = self._key(school, grade, klass)
        return self.classes.get(key) if key else None

    @staticmethod
    def _key(school: Org, grade: str, klass: str) -> tuple[str, int, int] | None:
        g = grade_number(grade) if grade else grade_number(klass)
        c = class_number(klass)
        if g is None or c is None:
            return None
        return (school.path, g, c)

    def plan_class(self, school: Org, grade: str, klass: str) -> Org | NewClass | None:
        """The school's class the cells name, or the class to make for them (its grade named
        as the school already names it, else by the usual name); None when the cells name no
        class at all."""
        key = self._key(school, grade, klass)
        if key is None:
            return None
        if key in self.classes:
            return self.classes[key]
        if key not in self.planned:
            _path, g, c = key
            existing = self.grades.get((school.path, g))
            name = existing.name if existing else GRADE_NAMES.get(g)
            if name is None:
                return None
            self.planned[key] = NewClass(school.path, g, c, name)
        return self.planned[key]

    def grades_to_make(self) -> set[tuple[str, int]]:
        return {(p.school_path, p.grade) for p in self.planned.values()} - set(self.grades)

    def create_planned(self, *, by: User | None) -> dict[tuple[str, int, int], Org]:
        """Make the planned grades and classes through the org tree's own service (audited),
        and index them like the others."""
        from shouwang.orgs.services import add_org

        schools = {s.path: s for s in self.schools.values()} | {self.root.path: self.root}
        for key in sorted(self.planned, key=lambda k: self.planned[k]):
            new = self.planned[key]
            school = schools[new.school_path]
            grade = self.grades.get((new.school_path, new.grade))
            if grade is None:
                grade = add_org(name=new.grade_name, kind=OrgKind.GRADE, parent=school, by=by)
                self.grades[(new.school_path, new.grade)] = grade
            self.classes[key] = add_org(
                name=new.name, kind=OrgKind.SCHOOL_CLASS, parent=grade, by=by
            )
        made = {key: self.classes[key] for key in self.planned}
        self.planned = {}
        return made
