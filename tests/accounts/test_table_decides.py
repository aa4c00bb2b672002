"""Decisions that used to be made beside the policy table now read it (issue 16): change an entry
and the accounts one manages, the log one reads, whose password one resets, the units one
manages, the caregivers and duty policies one keeps and the rooms one sees all follow."""

from __future__ import annotations

from unittest import mock

from shouwang.accounts import policy
from shouwang.accounts import services as account_services
from shouwang.accounts.models import Role
from shouwang.accounts.policy import EVERYTHING, Action, Area, Reach
from shouwang.accounts.reset import users_resettable_by
from shouwang.accounts.selectors import (
    audit_entries_visible_to,
    orgs_to_place_users_at,
    users_visible_to,
)
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.care import selectors as care_selectors
from shouwang.care import services as care_services
from shouwang.family import selectors as family_selectors
from shouwang.family import services as family_services
from tests.personas import PersonaTestCase
from tests.world import PASSWORD

U = Reach.UNIT


def entry(**reaches: set[Reach]) -> dict[str, frozenset[Reach]]:
    return {role: frozenset(r) for role, r in reaches.items()}


def table(**changes: dict[str, frozenset[Reach]]) -> mock._patch_dict:
    """The policy table with some entries replaced, e.g. ``table(users_change=…)``."""
    replaced = {}
    for key, value in changes.items():
        area, _, action = key.rpartition("_")
        replaced[(Area(area), Action(action))] = value
    return mock.patch.dict(policy.POLICY, replaced)


class TheTableDecidesTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        orgs = cls.world.orgs
        cls.teacher_c = account_services.create_user(
            username="teacher_c",
            password=PASSWORD,
            role=Role.TEACHER,
            org=orgs["class_c1"],
            by=None,
        )
        cls.village_volunteer = account_services.create_user(
            username="village_volunteer",
            password=PASSWORD,
            role=Role.VOLUNTEER,
            org=orgs["village_a1"],
            by=None,
        )

    def usernames(self, users) -> set[str]:
        return {u.username for u in users}

    def test_the_accounts_one_manages_and_the_log_one_reads(self):
        for persona in ("county_officer", "school_admin"):
            with self.subTest(persona=persona):
                user = self.world.users[persona]
                self.assertEqual(self.usernames(users_visible_to(user)), {persona})
                self.assertFalse(audit_entries_visible_to(user).exists())
        a = audit.record(actor=None, action=AuditAction.UPDATE, org_path=self.org("school_a").path)
        c = audit.record(actor=None, action=AuditAction.UPDATE, org_path=self.org("school_c").path)
        self.assertTrue({a, c} <= set(audit_entries_visible_to(self.sysadmin)))
        officers = entry(region_officer={U}) | EVERYTHING
        with table(users_change=officers, audit_view=officers):
            county_a = self.usernames(users_visible_to(self.county_officer))
            self.assertIn("village_volunteer", county_a)
            self.assertNotIn("teacher_c", county_a)
            self.assertEqual(set(audit_entries_visible_to(self.county_officer)) & {a, c}, {a})
            self.assertIn(self.org("village_a1"), orgs_to_place_users_at(self.county_officer))
            self.assertNotIn(self.org("school_c"), orgs_to_place_users_at(self.county_officer))
            self.assertEqual(len(users_visible_to(self.sysadmin)), 12)

    def test_whose_password_one_resets_follows_who_manages_units(self):
        self.assertIn("village_director", self.usernames(users_resettable_by(self.county_officer)))
        self.assertEqual(users_resettable_by(self.village_director).count(), 0)
        managers = entry(region_officer={U}, school_admin={U}, village_director={U}) | EVERYTHING
        with table(units_change=managers):
            # The village's child director now manages the village: resets its volunteer's
            # password, and theirs is reset by someone above the county's officers' level.
            by_director = self.usernames(users_resettable_by(self.village_director))
            self.assertEqual(by_director, {"village_volunteer"})
            by_officer = self.usernames(users_resettable_by(self.county_officer))
            self.assertNotIn("village_director", by_officer)
            self.assertIn("village_volunteer", by_officer)
            self.assertTrue(
                self.village_director.has_perm("orgs.manage_org", self.org("village_a1"))
            )
        fresh = type(self.village_director).objects.get(pk=self.village_director.pk)
        self.assertFalse(fresh.has_perm("orgs.manage_org", self.org("village_a1")))

    def test_the_calendar_of_a_region_is_set_by_who_changes_its_settings(self):
        township = self.org("township_a1")
        self.assertTrue(self.township_officer.has_perm("orgs.set_calendar", township))
        with table(settings_change=entry(school_admin={U}) | EVERYTHING):
            officer = type(self.township_officer).objects.get(pk=self.township_officer.pk)
            self.assertFalse(officer.has_perm("orgs.set_calendar", township))

    def test_the_caregivers_and_duty_policies_one_keeps(self):
        cadre = care_services.add_caregiver(
            name="村干部甲", kind="village_cadre", org=self.org("village_a1"), by=None
        )
        duties = care_services.add_policy(org=self.org("village_a1"), name="本村制度", by=None)
        director = self.village_director
        self.assertNotIn(cadre, care_selectors.caregivers_manageable_by(director))
        self.assertIn(cadre, care_selectors.caregivers_manageable_by(self.county_officer))
        with table(caregivers_view=entry(village_director={U}) | EVERYTHING):
            self.assertIn(cadre, care_selectors.caregivers_manageable_by(director))
            self.assertNotIn(cadre, care_selectors.caregivers_manageable_by(self.county_officer))
        with table(units_change=entry(village_director={U}) | EVERYTHING):
            self.assertEqual(care_selectors.policy_manageable_by(director, duties.pk), duties)

    def test_the_rooms_one_sees(self):
        """Rooms of a school with no child yet: for those who run or oversee it, and for the
        system's administrator (who sees every room)."""
        every_day = [{"weekday": d, "start": "16:00", "end": "18:00"} for d in range(7)]
        room = family_services.add_room(
            school=self.org("school_b"), name="亲情电话室", kind="phone", slots=every_day, by=None
        )
        for persona in ("sysadmin", "county_officer"):
            with self.subTest(persona=persona):
                self.assertIn(room, family_selectors.rooms_for(self.world.users[persona]))
        self.assertNotIn(room, family_selectors.rooms_for(self.township_officer))  # township a1
        with table(family_view=entry(school_admin={U}) | EVERYTHING):
            self.assertNotIn(room, family_selectors.rooms_for(self.county_officer))
