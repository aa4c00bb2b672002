"""A child who dropped out (辍学) stays in the register: still paired, cared for and counted."""

from __future__ import annotations

from datetime import date

import time_machine

from shouwang.care import selectors, services
from shouwang.children import services as children_services
from shouwang.children.models import ChildStatus
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

TODAY = date(2026, 11, 24)


@time_machine.travel(TODAY, tick=False)
class DropoutCareTests(PersonaTestCase):
    def test_a_dropout_is_still_paired_and_cared_for(self):
        child = make_child(school_class=self.org("class_a1"), on=date(2026, 9, 1))
        children_services.change_status(
            child=child,
            status=ChildStatus.DROPOUT,
            on=TODAY,
            reason="辍学在家",
            by=self.school_admin,
        )
        caregiver = services.caregiver_for_login(self.village_director)
        pairing = services.pair(
            child=child, caregiver=caregiver, role=caregiver.kind, starts_on=TODAY, by=None
        )
        self.assertEqual(pairing.child, child)
        self.assertTrue(selectors.children_recordable_by(self.teacher).filter(pk=child.pk))
        self.assertTrue(selectors.children_pairable_by(self.school_admin).filter(pk=child.pk))
