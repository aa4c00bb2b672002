"""Every list of the API costs the same number of queries for a few rows or many (style.md
habit 5), the reads' audit entry included: the web's list pages' world, asked through the API."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.web.test_query_counts import ListPagesTestCase


def counted(body: dict[str, Any]) -> int:
    return body["count"]


class ApiListsCostTheSameQueriesForFewRowsOrMany(ListPagesTestCase):
    def answer(self, persona: str, url: str) -> tuple[int, dict[str, Any]]:
        client = self.client_as(persona)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, HTTP_ACCEPT="application/json")
        assert response.status_code == 200, (persona, url, response.content[:300])
        return len(ctx.captured_queries), json.loads(response.content)

    def assert_list_flat(
        self,
        persona: str,
        url: str,
        pinned: int,
        *,
        rows: Callable[[dict[str, Any]], int] = counted,
    ) -> None:
        """The list costs ``pinned`` queries now and after three more rows of everything, and
        it holds more rows than before."""
        self.answer(persona, url)  # the session's first request
        few, before = self.answer(persona, url)
        self.grow_world(3)
        many, after = self.answer(persona, url)
        assert rows(after) > rows(before), url
        assert (few, many) == (pinned, pinned), (persona, url, few, many)

    def test_units(self):
        self.assert_list_flat("school_admin", "/api/v1/orgs/", 5)

    def test_children(self):
        self.assert_list_flat("school_admin", "/api/v1/children/", 5)

    def test_children_of_a_county(self):
        self.assert_list_flat("county_officer", "/api/v1/children/", 5)

    def test_a_volunteers_children(self):
        self.assert_list_flat("volunteer", "/api/v1/children/", 5)

    def test_guardians(self):
        self.assert_list_flat("school_admin", "/api/v1/guardians/", 5)

    def test_pairings(self):
        self.assert_list_flat("school_admin", "/api/v1/pairings/", 5)

    def test_care_records(self):
        self.assert_list_flat("school_admin", "/api/v1/care-records/", 5)

    def test_a_volunteers_care_records(self):
        self.assert_list_flat("volunteer", "/api/v1/care-records/", 5)

    def test_incidents(self):
        self.assert_list_flat("school_admin", "/api/v1/incidents/", 6)

    def test_incidents_of_a_county(self):
        self.assert_list_flat("county_officer", "/api/v1/incidents/", 6)

    # Two more for the unit's figures snapshot: the register's version and the snapshot (in a
    # test's transaction it is never kept, so the figures are counted too; issue 17).
    # The period's figures add 27, whatever the rows: the term, the version they are kept under,
    # the caregivers of the counted children (two), care records (four for the whole school:
    # the closed days' stamps, their kept counts, the days not kept yet, the last two days),
    # family calls, emergencies and their late steps, whether money is shown, the difficulty
    # flags, then activities, homes and assistance (stats.flows; counted here, kept only once a
    # request commits).
    def test_the_children_behind_a_schools_figures(self):
        url = f"/api/v1/stats/?org={self.org('school_a').code}&children=true"
        self.assert_list_flat("school_admin", url, 45, rows=lambda body: len(body["children"]))
