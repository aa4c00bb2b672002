"""core.paging.CountedPaginator: the page's rows carry the list's length (issue 17)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from shouwang.children.models import Child
from shouwang.core.paging import CountedPaginator
from tests.children.factories import make_child
from tests.personas import PersonaTestCase


class CountedPaginatorTests(PersonaTestCase):
    def setUp(self) -> None:
        super().setUp()
        for name in ("甲", "乙", "丙"):
            make_child(school_class=self.org("class_a1"), name=name)
        self.children = Child.objects.order_by("pk")

    def test_a_page_and_the_lists_length_come_in_one_query(self):
        with CaptureQueriesContext(connection) as queries:
            page = CountedPaginator(self.children, 2).get_page("1")
            names = [c.name for c in page]
            self.assertEqual((page.paginator.count, page.paginator.num_pages), (3, 2))
        self.assertEqual(len(queries), 1)
        self.assertEqual(names, ["甲", "乙"])
        last = CountedPaginator(self.children, 2).get_page(2)
        self.assertEqual(
            ([c.name for c in last], last.has_next(), last.start_index()), (["丙"], False, 3)
        )

    def test_past_the_end_or_not_a_number_it_pages_as_django_does(self):
        past = CountedPaginator(self.children, 2).get_page("9")
        self.assertEqual(([c.name for c in past], past.number), (["丙"], 2))
        # Not a number: the first page; below 1: the last (django.core.paginator's get_page).
        for odd, number in (("abc", 1), ("", 1), (None, 1), ("-1", 2), ("0", 2)):
            page = CountedPaginator(self.children, 2).get_page(odd)
            self.assertEqual((page.number, page.paginator.count), (number, 3), odd)
        empty = CountedPaginator(Child.objects.none(), 2).get_page("1")
        self.assertEqual((empty.paginator.count, list(empty)), (0, []))
