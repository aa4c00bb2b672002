"""审核 of an imported ledger (issue 21): where the county asks for review, a school's file
puts its new and changed archives before the county, out of the figures until confirmed; the
county's own import, or a county that asks for none, counts at once."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from shouwang.children import services as children_services
from shouwang.children.models import ArchiveReview, Child, ReviewKind, ReviewState
from shouwang.ledger.services import import_ledger
from shouwang.stats import selectors as stats

from .files import Ledger, child_row

pytestmark = pytest.mark.django_db


def imported(world, path, *, org, by):
    return import_ledger(source=path, filename=path.name, org=world.orgs[org], by=by).result


def confirm(world, review) -> None:
    children_services.decide_review(
        review=review,
        confirm=True,
        comment="",
        by=world.users["county_officer"],
        version=children_services.review_version(review),
    )


def counted(world, key: str) -> int:
    return stats.figures(
        org=world.orgs[key], on=date(2026, 12, 2), with_units=False
    ).left_behind_total


@time_machine.travel("2026-12-02 10:00 +0800", tick=False)
def test_a_schools_import_waits_for_the_countys_review(world, tmp_path):
    children_services.set_review_required(
        region=world.orgs["county_a"], required=True, since=date(2026, 9, 1), by=None
    )
    rows = [child_row(n) for n in range(3)]
    first = Ledger(rows).write_xlsx(tmp_path / "first.xlsx")
    assert imported(world, first, org="school_a", by=world.users["school_admin"]).created == 3
    assert set(Child.objects.values_list("review_state", flat=True)) == {ReviewState.PENDING}
    assert ArchiveReview.objects.filter(kind=ReviewKind.CREATED).count() == 3
    assert counted(world, "school_a") == 0
    for review in ArchiveReview.objects.all():
        confirm(world, review)
    assert counted(world, "school_a") > 0
    rows[0]["兴趣爱好"] = "下棋"
    again = Ledger(rows).write_xlsx(tmp_path / "again.xlsx")
    assert imported(world, again, org="school_a", by=world.users["school_admin"]).updated == 1
    changed = ArchiveReview.objects.get(state=ReviewState.PENDING)
    assert changed.kind == ReviewKind.CHANGED
    assert any(row[2] == "下棋" for row in children_services.changes_shown(changed.changes))


@time_machine.travel("2026-12-02 10:00 +0800", tick=False)
def test_the_countys_own_import_counts_at_once(world, tmp_path):
    children_services.set_review_required(
        region=world.orgs["county_a"], required=True, since=date(2026, 9, 1), by=None
    )
    path = Ledger([child_row(n) for n in range(2)]).write_xlsx(tmp_path / "county.xlsx")
    imported(world, path, org="school_a", by=world.users["county_officer"])
    assert not ArchiveReview.objects.exists()
    assert set(Child.objects.values_list("review_state", flat=True)) == {ReviewState.CONFIRMED}


@time_machine.travel("2026-12-02 10:00 +0800", tick=False)
def test_a_schools_file_changing_a_counted_archive_changes_nothing_until_confirmed(world, tmp_path):
    children_services.set_review_required(
        region=world.orgs["county_a"], required=True, since=date(2026, 9, 1), by=None
    )
    rows = [child_row(n) for n in range(2)]
    rows[0]["母亲状况"] = "外出务工"
    first = Ledger(rows).write_xlsx(tmp_path / "first.xlsx")
    imported(world, first, org="school_a", by=world.users["county_officer"])
    child = Child.objects.get(name=rows[0]["姓名"])
    counted_before = counted(world, "county_a")
    # The school's file: the parents came home, and the child moved to the other class.
    rows[0].update(
        {"父亲状况": "在家", "父亲务工地": "", "母亲状况": "在家", "班级": "三年级（2）班"}
    )
    again = Ledger(rows).write_xlsx(tmp_path / "again.xlsx")
    result = imported(world, again, org="school_a", by=world.users["school_admin"])
    assert (result.updated, result.waiting_for_review) == (1, 1)
    child.refresh_from_db()
    assert child.school_class == world.orgs["class_a1"]
    assert child.parents.get(relation="father").status == "migrant"
    assert counted(world, "county_a") == counted_before
    review = ArchiveReview.objects.get(child=child, state=ReviewState.PENDING)
    assert review.kind == ReviewKind.CHANGED
    confirm(world, review)
    child.refresh_from_db()
    assert child.school_class == world.orgs["class_a2"]
    assert child.parents.get(relation="father").status == "at_home"
    assert child.left_behind_type == "not_left_behind"
    assert counted(world, "county_a") == counted_before - 1
