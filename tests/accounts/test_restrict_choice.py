"""Issue 17: the gate chooses how it finds a region officer's children by the share of the
database under their region — the union of reaches for a county at a province, one pass for a
whole database — and both ways find the same rows."""

from __future__ import annotations

from datetime import date
from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext

from shouwang.accounts import restrict
from shouwang.accounts import services as account_services
from shouwang.accounts.models import Role
from shouwang.accounts.policy import Action, Area
from shouwang.care import services as care_services
from shouwang.care.models import CareRecord, Pairing
from shouwang.children.models import Child
from shouwang.orgs import services as org_services
from shouwang.orgs.models import OrgKind
from tests.children.factories import make_child
from tests.personas import PersonaTestCase
from tests.world import PASSWORD

REGIONAL = ("county_officer", "township_officer", "federation_officer", "province_officer")
NEVER, ALWAYS = 0.0, 1.01  # UNION_BELOW that gives every region one pass, or every one the union


class RestrictChoiceTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        orgs = cls.world.orgs
        # The rest of a province: ten more schools in the other county, so county A holds
        # three of fourteen places (schools and villages).
        for i in range(10):
            org_services.add_org(
                by=None, name=f"南镇第{i}小学", kind=OrgKind.SCHOOL, parent=orgs["township_b1"]
            )
        cls.world.users["province_officer"] = account_services.create_user(
            username="province_officer",
            password=PASSWORD,
            role=Role.REGION_OFFICER,
            org=orgs["province"],
            by=None,
        )
        village = orgs["village_a1"]
        volunteer = care_services.caregiver_for_login(cls.world.users["volunteer"])
        for i, (klass, home) in enumerate(
            [
                ("class_a1", village),  # schooled and living in county A
                ("class_a2", None),
                ("class_b1", village),  # the other township of county A
                ("class_c1", village),  # schooled in county B, living in county A
                ("class_c1", None),  # county B only
                ("class_c2", None),
            ]
        ):
            child = make_child(school_class=orgs[klass], name=f"童{i}", home_village=home)
            care_services.pair(
                child=child,
                caregiver=volunteer,
                role="volunteer",
                starts_on=date(2026, 9, 1),
                by=None,
            )
            care_services.record_care(
                child=child,
                caregiver=volunteer,
                kind="talk",
                on=date(2026, 9, 2),
                by=cls.world.users["volunteer"],
            )

    def rows(self, persona: str, model: type, ceiling: float, **kwargs: object) -> list[int]:
        with mock.patch.object(restrict, "UNION_BELOW", ceiling):
            return sorted(
                model.objects.restrict(self.world.users[persona], **kwargs).values_list(
                    "pk", flat=True
                )
            )

    def sql(self, persona: str) -> str:
        with CaptureQueriesContext(connection) as queries:
            list(Child.objects.restrict(self.world.users[persona]).values_list("pk", flat=True))
        return queries.captured_queries[-1]["sql"]

    def test_a_county_officer_at_a_province_reaches_children_through_the_union(self):
        assert restrict.share_under((self.org("county_a").path,)) == 3 / 14
        assert "UNION ALL" in self.sql("county_officer")
        assert "UNION ALL" in self.sql("township_officer")

    def test_the_province_officer_reaches_them_in_one_pass(self):
        assert restrict.share_under((self.org("province").path,)) == 1.0
        assert "UNION" not in self.sql("province_officer")

    def test_a_county_that_is_the_whole_database_is_read_in_one_pass(self):
        with mock.patch.object(restrict, "UNION_BELOW", 3 / 14):
            assert "UNION" not in self.sql("county_officer")

    def test_both_ways_find_the_same_rows(self):
        asked = [
            (Child, {}),
            (Child, {"action": Action.CHANGE}),
            (Child, {"area": Area.CARE, "action": Action.ADD}),
            (Pairing, {}),
            (CareRecord, {}),
        ]
        for persona in REGIONAL:
            for model, kwargs in asked:
                with self.subTest(persona=persona, model=model.__name__, **kwargs):
                    one_pass = self.rows(persona, model, NEVER, **kwargs)
                    union = self.rows(persona, model, ALWAYS, **kwargs)
                    assert union == one_pass
                    assert one_pass or model is not Child  # (a test that can fail)

    def test_the_county_officer_sees_who_lives_or_learns_in_the_county_either_way(self):
        names = {"童0", "童1", "童2", "童3"}
        for ceiling in (NEVER, ALWAYS):
            pks = self.rows("county_officer", Child, ceiling)
            assert set(Child.objects.filter(pk__in=pks).values_list("name", flat=True)) == names
