"""Pairing coverage has one denominator on every page (issue 19): the left-behind children the
county's definition counts, on the pairings page as in the statistics."""

from __future__ import annotations

from datetime import date

import time_machine
from django.urls import reverse

from shouwang.care import services
from shouwang.children.models import Child, ReviewState
from shouwang.stats import selectors as stats
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

TODAY = date(2026, 11, 24)


@time_machine.travel(TODAY, tick=False)
class CoverageTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        orgs = cls.world.orgs
        with time_machine.travel(TODAY, tick=False):
            away = make_child(school_class=orgs["class_a1"], name="外出甲")
            make_child(school_class=orgs["class_a1"], name="外出乙")
            at_home = make_child(
                school_class=orgs["class_a1"], name="在家丙", father="at_home", mother="at_home"
            )
            mother = services.add_caregiver(
                name="吴爱心", kind="caring_mother", org=orgs["village_a1"], by=None
            )
            for child in (away, at_home):
                services.pair(
                    child=child,
                    caregiver=mother,
                    role="caring_mother",
                    starts_on=date(2026, 9, 1),
                    by=None,
                )

    def test_the_pairings_page_counts_as_the_statistics_do(self):
        page = self.client_as("school_admin").get(reverse("care:pairings"))
        figures = page.context["figures"]
        school = stats.figures(org=self.org("school_a"), on=TODAY)
        self.assertEqual(figures["total"], school.left_behind_total)
        self.assertEqual(figures["paired"], school.counts["paired"]["yes"])
        # The child with both parents at home is paired but not in the denominator.
        self.assertEqual((figures["paired"], figures["total"]), (1, 2))
        self.assertContains(page, "2 名留守儿童中 1 名已结对帮扶")

    def test_a_new_archive_waiting_for_review_is_in_neither_denominator(self):
        # 审核: the statistics leave a waiting archive out; the pairings page must too.
        with time_machine.travel(TODAY, tick=False):
            waiting = make_child(school_class=self.org("class_a1"), name="待审丁")
        Child.objects.filter(pk=waiting.pk).update(review_state=ReviewState.PENDING)
        page = self.client_as("school_admin").get(reverse("care:pairings"))
        school = stats.figures(org=self.org("school_a"), on=TODAY)
        self.assertEqual(page.context["figures"]["total"], school.left_behind_total)
        self.assertEqual(page.context["figures"]["total"], 2)
        self.assertNotIn(waiting, page.context["unpaired"])
