"""The counties one works in (issue 16): the home villages the archive form offers and the people
an activity can be given to are those of the counties holding the units one's roles sit at."""

from __future__ import annotations

from shouwang.accounts import services as account_services
from shouwang.accounts.models import Role, RoleAssignment
from shouwang.activities.selectors import people_near
from shouwang.orgs import services as org_services
from shouwang.orgs.models import OrgKind
from shouwang.units.selectors import villages_for_archives
from tests.personas import PersonaTestCase
from tests.world import PASSWORD


class CountiesOneWorksInTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        orgs = cls.world.orgs
        for key, code, parent in [
            ("village_a2", "110101002001", "township_a2"),
            ("village_b1", "110102001001", "township_b1"),
        ]:
            orgs[key] = org_services.add_org(
                name=key, code=code, kind=OrgKind.VILLAGE, parent=orgs[parent], by=None
            )
        cls.teacher_c = account_services.create_user(
            username="teacher_c",
            password=PASSWORD,
            role=Role.TEACHER,
            org=orgs["class_c1"],
            by=None,
        )
        cls.city_officer = account_services.create_user(
            username="city_officer",
            password=PASSWORD,
            role=Role.REGION_OFFICER,
            org=orgs["city"],
            by=None,
        )
        # Once at county B, no more: an ended role reaches nothing.
        cls.moved = account_services.create_user(
            username="moved", password=PASSWORD, role=Role.TEACHER, org=orgs["class_c2"], by=None
        )
        RoleAssignment.objects.filter(user=cls.moved).update(is_active=False)

    def villages(self, user) -> list[str]:
        return [org.name for org in villages_for_archives(user)]

    def near(self, user) -> set[str]:
        return {person.username for person in people_near(user)}

    def test_the_villages_of_the_county_one_works_in_wherever_in_it(self):
        county_a = ["东村", "village_a2"]
        for persona in ("teacher", "teacher_b", "school_admin", "volunteer", "township_officer"):
            with self.subTest(persona=persona):
                self.assertEqual(self.villages(self.world.users[persona]), county_a)
        self.assertEqual(self.villages(self.federation_officer), county_a)  # the county's 妇联
        self.assertEqual(self.villages(self.teacher_c), ["village_b1"])
        self.assertEqual(self.villages(self.sysadmin), ["东村", "village_a2", "village_b1"])
        self.assertEqual(self.villages(self.moved), [])

    def test_the_people_of_the_county_one_works_in(self):
        county_a = set(self.world.users)
        for persona in ("teacher", "village_director", "volunteer", "federation_officer"):
            with self.subTest(persona=persona):
                self.assertEqual(self.near(self.world.users[persona]), county_a)
        self.assertEqual(self.near(self.teacher_c), {"teacher_c"})
        self.assertEqual(self.near(self.moved), set())
        # Above a county: the people of one's whole region.
        self.assertEqual(self.near(self.city_officer), county_a | {"teacher_c", "city_officer"})

    def test_above_a_county_the_whole_region(self):
        """A city's officer adds archives for the city's schools: its villages are offered
        (reading every unit's counties by hand, none were)."""
        self.assertEqual(self.villages(self.city_officer), ["东村", "village_a2", "village_b1"])

    def test_a_tree_that_starts_at_a_county(self):
        """A deployment's tree may start at a county: its people are those of the county, not
        of the unit three steps down (counting steps by hand gave a township's only)."""
        county = org_services.add_org(
            name="丁县", code="120101000000", kind=OrgKind.COUNTY, parent=None, by=None
        )
        east, west = (
            org_services.add_org(
                name=name, code=code, kind=OrgKind.TOWNSHIP, parent=county, by=None
            )
            for name, code in [("丁东镇", "120101001000"), ("丁西镇", "120101002000")]
        )
        village = org_services.add_org(
            name="丁村", code="120101001001", kind=OrgKind.VILLAGE, parent=east, by=None
        )
        people = {
            name: account_services.create_user(
                username=name, password=PASSWORD, role=role, org=unit, by=None
            )
            for name, role, unit in [
                ("ding_officer", Role.REGION_OFFICER, west),
                ("ding_director", Role.VILLAGE_DIRECTOR, village),
            ]
        }
        for name in people:
            with self.subTest(name=name):
                self.assertEqual(self.near(people[name]), {"ding_officer", "ding_director"})
                self.assertEqual(self.villages(people[name]), ["丁村"])

    def test_the_system_administrator_names_anyone(self):
        """Everything is the sysadmin's in the table, the people of every county too."""
        everyone = {*self.world.users, "teacher_c", "city_officer"}
        self.assertEqual(self.near(self.sysadmin), everyone)
