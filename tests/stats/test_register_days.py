"""Issue 17: the register as it stood on a day is read from each status row's period (``until``)
and place (``placed_at``), derived from the child's rows whichever way they were written. Every
day of a term must give what a search through each child's history gives."""

from __future__ import annotations

import importlib
from datetime import date, timedelta

from django.apps import apps

from shouwang.children import services as child_services
from shouwang.children.models import IN_REGISTER, Child, StatusChange
from shouwang.children.profiles import in_register_on
from shouwang.stats import selectors
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

FIRST = date(2026, 8, 25)
LAST = date(2026, 12, 20)


def searched(on: date) -> dict[int, int]:
    """Child → the unit they were placed at on ``on``, by searching each child's history: the
    last row by then decides the status; the first later row naming a unit, the place."""
    out = {}
    for child in Child.objects.all():
        rows = list(child.status_changes.order_by("on", "created_at", "pk"))
        held = [r for r in rows if r.on <= on]
        if not held or held[-1].status not in IN_REGISTER:
            continue
        later = [r.from_school_id for r in rows if r.on > on and r.from_school_id]
        out[child.pk] = later[0] if later else child.school_id
    return out


def by_columns(on: date) -> dict[int, int]:
    placed = selectors.placed_on(in_register_on(Child.objects.all(), on))
    return dict(placed.values_list("pk", selectors.PLACED))


class RegisterDayTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        a1, a2, b1 = (cls.world.orgs[k] for k in ("class_a1", "class_a2", "class_b1"))
        cls.stays = make_child(school_class=a1, name="一直在")
        cls.late = make_child(school_class=a1, name="后来的", on=date(2026, 10, 10))
        cls.back = make_child(school_class=a2, name="回来的")
        child_services.change_status(
            child=cls.back, status="returned", on=date(2026, 10, 1), reason="返乡", by=None
        )
        child_services.change_status(
            child=cls.back, status="active", on=date(2026, 11, 3), reason="又外出", by=None
        )
        cls.moved = make_child(school_class=a2, name="转走的")
        child_services.transfer_child(
            child=cls.moved,
            to_school=cls.world.orgs["school_b"],
            to_class=b1,
            on=date(2026, 11, 2),
            reason="随家迁",
            by=None,
        )
        cls.dropout = make_child(school_class=b1, name="辍学的")
        child_services.change_status(
            child=cls.dropout, status="dropout", on=date(2026, 10, 20), reason="辍学", by=None
        )
        # Back-dated: written last, it happened before the rows already there.
        cls.backdated = make_child(school_class=b1, name="补记的")
        child_services.change_status(
            child=cls.backdated, status="graduated", on=date(2026, 12, 5), reason="毕业", by=None
        )
        child_services.change_status(
            child=cls.backdated, status="moved", on=date(2026, 9, 15), reason="补记", by=None
        )

    def days(self):
        day = FIRST
        while day <= LAST:
            yield day
            day += timedelta(days=1)

    def test_every_day_the_columns_give_what_a_search_of_each_history_gives(self):
        for day in self.days():
            assert by_columns(day) == searched(day), day

    def test_each_row_holds_until_the_next_and_names_where_the_child_was(self):
        rows = list(self.moved.status_changes.order_by("on", "created_at", "pk"))
        school_a, school_b = self.org("school_a"), self.org("school_b")
        assert [(r.status, r.until, r.placed_at) for r in rows] == [
            ("active", date(2026, 11, 2), school_a),
            ("transferred", date(2026, 11, 2), school_a),  # followed the same day: never held
            ("active", None, None),  # where the child is now
        ]
        assert by_columns(date(2026, 11, 1))[self.moved.pk] == school_a.pk
        assert by_columns(date(2026, 11, 2))[self.moved.pk] == school_b.pk

    def test_a_back_dated_row_re_derives_the_rows_around_it(self):
        rows = list(self.backdated.status_changes.order_by("on", "created_at", "pk"))
        assert [(r.status, r.until) for r in rows] == [
            ("active", date(2026, 9, 15)),
            ("moved", date(2026, 12, 5)),
            ("graduated", None),
        ]

    def test_rows_written_in_bulk_re_derive_their_childrens_histories(self):
        # As the ledger importer writes a transfer: two rows at once.
        school_a, school_b = self.org("school_a"), self.org("school_b")
        moves = [
            StatusChange(
                child=self.stays,
                status=status,
                on=date(2026, 11, 20),
                reason="台账",
                from_school=school_a,
                to_school=school_b,
            )
            for status in ("transferred", "active")
        ]
        StatusChange.objects.bulk_create(moves)
        Child.objects.filter(pk=self.stays.pk).update(school=school_b, school_class=None)
        first = self.stays.status_changes.order_by("on", "created_at", "pk").first()
        assert (first.until, first.placed_at) == (date(2026, 11, 20), school_a)
        for day in self.days():
            assert by_columns(day) == searched(day), day

    def test_the_migration_derives_the_rows_already_there(self):
        migration = importlib.import_module("shouwang.children.migrations.0004_status_periods")
        derived = dict(StatusChange.objects.values_list("pk", "until"))
        placed = dict(StatusChange.objects.values_list("pk", "placed_at"))
        StatusChange.objects.update(until=None, placed_at=None)
        migration.link_all(apps, None)
        assert dict(StatusChange.objects.values_list("pk", "until")) == derived
        assert dict(StatusChange.objects.values_list("pk", "placed_at")) == placed
        assert any(derived.values()) and any(placed.values())

    def test_the_figures_of_a_day_count_the_register_of_that_day(self):
        for day in (date(2026, 9, 20), date(2026, 10, 25), date(2026, 11, 10)):
            figures = selectors.figures(org=self.org("county_a"), on=day)
            assert figures.left_behind_total == len(searched(day)), day
