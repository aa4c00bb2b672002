"""The demo's cross-check and referral (demo/crosschecks.py) plant what the README says."""

from __future__ import annotations

import random
from datetime import date

import time_machine

from shouwang.accounts import services as account_services
from shouwang.accounts.models import Role
from shouwang.crosschecks.models import CrossCheck, DifficultyFlag
from shouwang.demo.crosschecks import add_demo_crosschecks
from shouwang.referrals.models import Referral
from tests.children.factories import make_child
from tests.personas import PersonaTestCase
from tests.world import PASSWORD


@time_machine.travel(date(2026, 11, 24), tick=False)
class DemoTests(PersonaTestCase):
    def test_the_demo_flags_four_lists_one_disagreement_and_refers_one_case(self):
        orgs = self.world.orgs
        account_services.create_user(
            username="demo-school",
            password=PASSWORD,
            role=Role.SCHOOL_ADMIN,
            org=orgs["school_a"],
            full_name="演示校长",
            by=None,
        )
        for i in range(8):
            make_child(school_class=orgs["class_a1"], name=f"演示{i}")
        add_demo_crosschecks(
            county=orgs["county_a"], rng=random.Random(1), today=date(2026, 11, 24)
        )
        check = CrossCheck.objects.get()
        self.assertEqual((check.rows, check.flags_added, check.not_in_archive), (6, 4, 1))
        self.assertEqual(len(check.disagreements), 1)
        self.assertEqual(DifficultyFlag.objects.count(), 4)
        self.assertEqual(Referral.objects.get().to_unit, orgs["federation_a"])
