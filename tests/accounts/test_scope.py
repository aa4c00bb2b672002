from __future__ import annotations

from django.urls import reverse

from shouwang.accounts.scope import scope_of
from shouwang.orgs.models import Org
from shouwang.units.selectors import orgs_manageable_by, orgs_visible_to
from tests.personas import PersonaTestCase


class ScopeTests(PersonaTestCase):
    def codes_under(self, key: str) -> set[str]:
        return set(
            Org.objects.filter(path__startswith=self.org(key).path).values_list("code", flat=True)
        )

    def test_teacher_of_school_a_gets_404_on_everything_of_school_b(self):
        client = self.client_as("teacher")
        for code in self.codes_under("school_b"):
            for name in ["units:detail", "units:add_child", "units:enrolment"]:
                with self.subTest(code=code, page=name):
                    self.assertEqual(client.get(reverse(name, args=[code])).status_code, 404)

    def test_teacher_sees_only_their_own_class(self):
        visible = set(orgs_visible_to(self.teacher).values_list("code", flat=True))
        self.assertEqual(visible, {self.org("class_a1").code})

    def test_county_officer_sees_all_of_the_county_and_nothing_of_another(self):
        visible = set(orgs_visible_to(self.county_officer).values_list("code", flat=True))
        self.assertEqual(visible, self.codes_under("county_a"))
        self.assertFalse(visible & self.codes_under("county_b"))
        client = self.client_as("county_officer")
        for code in self.codes_under("county_b"):
            with self.subTest(code=code):
                self.assertEqual(client.get(reverse("units:detail", args=[code])).status_code, 404)

    def test_federation_officer_works_for_the_county_the_federation_belongs_to(self):
        visible = set(orgs_visible_to(self.federation_officer).values_list("code", flat=True))
        self.assertEqual(visible, self.codes_under("county_a"))

    def test_township_officer_sees_their_township_only(self):
        visible = set(orgs_visible_to(self.township_officer).values_list("code", flat=True))
        self.assertEqual(visible, self.codes_under("township_a1"))

    def test_only_officers_and_school_admins_change_the_tree(self):
        for persona in ["teacher", "counselor", "village_director", "volunteer"]:
            with self.subTest(persona=persona):
                self.assertFalse(orgs_manageable_by(self.world.users[persona]).exists())
        managed = set(orgs_manageable_by(self.school_admin).values_list("code", flat=True))
        self.assertEqual(managed, self.codes_under("school_a"))

    def test_sysadmin_sees_every_organisation(self):
        self.assertEqual(orgs_visible_to(self.sysadmin).count(), Org.objects.count())

    def test_ended_assignment_takes_its_scope_away(self):
        from shouwang.accounts import services

        assignment = self.county_officer.assignments.get()
        services.end_assignment(assignment=assignment, by=self.sysadmin)
        fresh = type(self.county_officer).objects.get(pk=self.county_officer.pk)
        self.assertFalse(orgs_visible_to(fresh).exists())
        self.assertEqual(scope_of(fresh).roles, frozenset())

    def test_inactive_user_has_no_scope(self):
        from shouwang.accounts import services

        services.set_active(user=self.school_admin, active=False, by=self.sysadmin)
        self.assertFalse(orgs_visible_to(self.school_admin).exists())


class ScopeByRoleTests(PersonaTestCase):
    def test_each_role_lists_the_subtrees_it_covers(self):
        self.assertEqual(scope_of(self.teacher).by_role, {"teacher": (self.org("class_a1").path,)})
        self.assertEqual(
            scope_of(self.village_director).by_role,
            {"village_director": (self.org("village_a1").path,)},
        )
        # A federation officer covers the county the federation hangs from.
        self.assertEqual(
            scope_of(self.federation_officer).by_role,
            {"region_officer": (self.org("county_a").path,)},
        )

    def test_two_assignments_in_one_subtree_collapse_to_the_higher_one(self):
        from shouwang.accounts import services

        services.assign_role(
            user=self.county_officer, role="region_officer", org=self.org("township_a1"), by=None
        )
        fresh = type(self.county_officer).objects.get(pk=self.county_officer.pk)
        self.assertEqual(scope_of(fresh).org_paths, (self.org("county_a").path,))
