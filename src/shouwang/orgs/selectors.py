"""Reads of the org tree, enrolment and calendars that know no user (the scoped reads of the tree
are the units app's)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Case, F, When, Window
from django.db.models.functions import RowNumber

from .models import Enrolment, Holiday, Org, OrgKind, Stage, Term


def ancestors_of(org: Org) -> list[Org]:
    """Breadcrumb names above an org. Shown as text only: the user's own place in the tree."""
    return list(Org.objects.get_ancestors(org))


@dataclass(frozen=True)
class Place:
    """The unit an enrolment row counts at, as its readers show it."""

    path: str
    name: str = ""
    stage: str = ""


@dataclass(frozen=True)
class CountedEnrolment:
    """One enrolment row that counts (:func:`counted_enrolments`): a grade's count, or a
    school's whole count (no grade)."""

    school_id: int
    grade_id: int | None
    on: date
    male: int
    female: int
    school: Place
    grade: Place | None

    @property
    def total(self) -> int:
        return self.male + self.female


@dataclass(frozen=True)
class EnrolmentFigures:
    """Enrolled students under an org on a date, from the schools' own counts."""

    on: date
    male: int = 0
    female: int = 0
    by_stage: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Stage.values, 0))
    by_grade: list[tuple[Place, int, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.male + self.female


def counted_enrolments(org: Org, on: date) -> list[CountedEnrolment]:
    """The enrolment rows that count under ``org`` on ``on`` (already in the caller's scope).

    Each school counts by its newest snapshot on or before ``on``: its grades' latest counts
    when its newest count is by grade, else its newest whole-school count (seed 000:
    学生958名 = 初中630 + 小学328). A whole-school count has no grade and no stage.

    One query that returns those rows only (the newest of each grade and each school's newest
    whole count), read as plain values: a province's 18,000 rows made into model objects (the
    row, its grade, its school) took a second of its officer's home page (issue 17).
    """
    rows = Enrolment.objects.filter(on__lte=on)
    if org.kind == OrgKind.GRADE:
        rows = rows.filter(grade=org)
    else:
        # Classes, federations and the like hold no schools, so they count nothing.
        rows = rows.filter(school__path__startswith=org.path)
    # The newest row of each grade, and of each school's whole-school counts.
    newest = [
        CountedEnrolment(
            school_id=school_id,
            grade_id=grade_id,
            on=day,
            male=male,
            female=female,
            school=Place(school_path),
            grade=None if grade_id is None else Place(grade_path, grade_name, stage),
        )
        for school_id, grade_id, day, male, female, school_path, grade_path, grade_name, stage in (
            rows.annotate(
                place=Window(
                    RowNumber(),
                    partition_by=[
                        F("grade_id"),
                        Case(When(grade__isnull=True, then=F("school_id"))),
                    ],
                    order_by=[F("on").desc(), F("pk").desc()],
                )
            )
            .filter(place=1)
            .order_by()  # sorted below
            .values_list(
                "school_id",
                "grade_id",
                "on",
                "male",
                "female",
                "school__path",
                "grade__path",
                "grade__name",
                "grade__stage",
            )
        )
    ]
    # A school's newest day counted by grade: the newest of its grades' newest rows.
    newest_grade_day: dict[int, date] = {}
    for row in newest:
        if row.grade_id is not None:
            day = newest_grade_day.get(row.school_id, date.min)
            newest_grade_day[row.school_id] = max(day, row.on)
    latest_whole = {row.school_id: row for row in newest if row.grade_id is None}
    by_whole = {
        school_id
        for school_id, row in latest_whole.items()
        if row.on > newest_grade_day.get(school_id, date.min)
    }
    graded = sorted(
        (r for r in newest if r.grade is not None and r.school_id not in by_whole),
        key=lambda r: r.grade.path if r.grade else "",
    )
    wholes = [latest_whole[school_id] for school_id in sorted(by_whole)]
    return graded + wholes


def enrolment_under(
    org: Org, on: date, rows: list[CountedEnrolment] | None = None
) -> EnrolmentFigures:
    """Enrolled students of every school at or under ``org``, by stage and grade (``rows``:
    its :func:`counted_enrolments` where the caller has them already)."""
    figures = EnrolmentFigures(on=on)
    male = female = 0
    for row in counted_enrolments(org, on) if rows is None else rows:
        male, female = male + row.male, female + row.female
        if row.grade is not None:
            figures.by_stage[row.grade.stage] += row.total
            figures.by_grade.append((row.grade, row.male, row.female))
    return EnrolmentFigures(
        on=on, male=male, female=female, by_stage=figures.by_stage, by_grade=figures.by_grade
    )


def calendar_region_for(org: Org) -> Org | None:
    """The nearest region at or above ``org`` that keeps a term calendar."""
    chain = [org, *reversed(Org.objects.get_ancestors(org))]
    regions = set(Term.objects.filter(region__in=chain).values_list("region_id", flat=True))
    return next((node for node in chain if node.pk in regions), None)


def terms_for(org: Org) -> tuple[Org | None, list[Term], list[Holiday]]:
    region = calendar_region_for(org)
    if region is None:
        return None, [], []
    return (
        region,
        list(Term.objects.filter(region=region).order_by("-start")),
        list(Holiday.objects.filter(region=region).order_by("-start")),
    )


def term_on(org: Org, day: date) -> Term | None:
    region = calendar_region_for(org)
    if region is None:
        return None
    return Term.objects.filter(region=region, start__lte=day, end__gte=day).first()
