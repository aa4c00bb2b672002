"""Schemathesis against the API's own schema (/api/schema/), as every persona with their token.

For each operation of the schema it generates requests, valid ones and invalid ones, mixing in
the world's real ids and unit codes, of the persona's scope and of the others' (a school admin of
school A asks for school B's children by code, for a child of county B by id…). Every answer:

- is no server error, and keeps to its own schema (body, content type, headers);
- holds nothing outside the persona's scope, judged against the world's known table of who sees
  which child and unit below, not against the selectors the API itself uses.

Hypothesis is derandomized (the same requests each run, on SQLite and PostgreSQL alike) and
bounded in examples so the whole takes well under a minute.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import hypothesis
import pytest
import schemathesis
import time_machine
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)

from shouwang.accounts import services as accounts
from shouwang.care import services as care
from shouwang.care.models import CareRecord, Pairing
from shouwang.children.models import Guardian
from shouwang.safety import services as safety
from shouwang.safety.models import Incident
from tests.children.factories import make_child
from tests.personas import PersonaTestCase
from tests.world import PERSONAS

pytestmark = pytest.mark.schemathesis

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=CST)
# Per operation and persona; SHOUWANG_FUZZ_EXAMPLES=200 looks deeper.
EXAMPLES = int(os.environ.get("SHOUWANG_FUZZ_EXAMPLES", "6"))

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    response_headers_conformance,
]

# Who sees which of the world's four children (a1: class A1 of school A, living in village A1,
# paired to the volunteer; a2: class A2; b1: school B, same county; c1: school C, county B).
SEES: dict[str, set[str]] = {
    "sysadmin": {"a1", "a2", "b1", "c1"},
    "county_officer": {"a1", "a2", "b1"},
    "federation_officer": {"a1", "a2", "b1"},
    "township_officer": {"a1", "a2"},
    "school_admin": {"a1", "a2"},
    "counselor": {"a1", "a2"},
    "teacher": {"a1"},
    "teacher_b": {"b1"},
    "village_director": {"a1"},
    "volunteer": {"a1"},
}
# Emergencies are never told to volunteers or village directors.
SEES_INCIDENTS_OF = SEES | {"volunteer": set(), "village_director": set()}

SCHOOL_A = {"school_a", "grade_a1", "class_a1", "class_a2"}
SCHOOL_B = {"township_a2", "school_b", "grade_b1", "class_b1", "class_b2"}
COUNTY_B = {"county_b", "township_b1", "school_c", "grade_c1", "class_c1", "class_c2"}
# Units a persona must never be told of (nor get figures for).
NEVER_UNITS: dict[str, set[str]] = {
    "sysadmin": set(),
    "county_officer": COUNTY_B,
    "federation_officer": COUNTY_B,
    "township_officer": SCHOOL_B | COUNTY_B,
    "school_admin": SCHOOL_B | COUNTY_B,
    "counselor": SCHOOL_B | COUNTY_B,
    "teacher": SCHOOL_B | COUNTY_B,
    "teacher_b": SCHOOL_A | COUNTY_B,
    "village_director": SCHOOL_B | COUNTY_B,
    "volunteer": SCHOOL_B | COUNTY_B,
}


@contextmanager
def connection_kept() -> Iterator[None]:
    """As Django's test client does it: the start and end of a request must not close the
    test's connection (its transaction holds the world; PostgreSQL's would be gone)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@time_machine.travel(NOW, tick=False)
class ApiFuzzTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        orgs, users = cls.world.orgs, cls.world.users
        with time_machine.travel(NOW, tick=False):
            cls.children = {
                "a1": make_child(
                    school_class=orgs["class_a1"], name="甲一", home_village=orgs["village_a1"]
                ),
                "a2": make_child(school_class=orgs["class_a2"], name="甲二"),
                "b1": make_child(school_class=orgs["class_b1"], name="乙一"),
                "c1": make_child(school_class=orgs["class_c1"], name="丙一"),
            }
            reporters = {"a1": "teacher", "a2": "school_admin", "b1": "teacher_b", "c1": "sysadmin"}
            for key, child in cls.children.items():
                school = orgs[f"school_{key[0]}"]
                helper = care.add_caregiver(name=f"帮扶{key}", kind="teacher", org=school, by=None)
                care.pair(
                    child=child,
                    caregiver=helper,
                    role="teacher",
                    starts_on=date(2026, 9, 1),
                    by=None,
                )
                care.record_care(
                    child=child,
                    caregiver=helper,
                    kind="home_visit",
                    on=NOW.date() - timedelta(days=1),
                    by=users["sysadmin"],
                )
                safety.report_incident(
                    child=child,
                    kind="injury",
                    occurred_at=NOW - timedelta(hours=1),
                    place="操场",
                    description="摔倒",
                    by=users[reporters[key]],
                )
            volunteer = care.caregiver_for_login(users["volunteer"])
            care.pair(
                child=cls.children["a1"],
                caregiver=volunteer,
                role="volunteer",
                starts_on=date(2026, 9, 1),
                by=None,
            )
            care.record_care(
                child=cls.children["a1"],
                caregiver=volunteer,
                kind="talk",
                on=NOW.date(),
                by=users["volunteer"],
            )
            cls.tokens = {name: accounts.issue_token(user=users[name]).key for name in PERSONAS}

    def setUp(self) -> None:
        super().setUp()
        self.child_key = {child.pk: key for key, child in self.children.items()}
        self.unit_key = {org.code: key for key, org in self.world.orgs.items()}
        codes = sorted(self.unit_key)
        child_ids = sorted(self.child_key)
        # Real values, in scope and out of it, for the parameters that name things.
        self.known: dict[str, list[Any]] = {
            "school": codes,
            "school_class": codes,
            "home_village": codes,
            "under": codes,
            "org": codes,
            "code": codes,
            "child": child_ids,
            "caregiver": sorted(Pairing.objects.values_list("caregiver_id", flat=True)),
        }
        self.ids_of = {
            "children": child_ids,
            "guardians": sorted(Guardian.objects.values_list("pk", flat=True)),
            "pairings": sorted(Pairing.objects.values_list("pk", flat=True)),
            "care-records": sorted(CareRecord.objects.values_list("pk", flat=True)),
            "incidents": sorted(Incident.objects.values_list("pk", flat=True)),
        }
        self.known["If-Match"] = [f'"care-record-{pk}"' for pk in self.ids_of["care-records"]]

    def cases(self, operation: Any, document: dict[str, Any]) -> st.SearchStrategy[Any]:
        """Schemathesis' cases of the operation, valid and invalid, some of whose parameters
        are the world's real ids and codes."""
        spec = document["paths"][operation.path][operation.method.lower()]
        names = {p["name"]: p["in"] for p in spec.get("parameters", [])}
        resource = operation.path.split("/")[3]
        known = {**self.known, "id": self.ids_of.get(resource, [])}

        def real(where: str) -> st.SearchStrategy[dict[str, Any]]:
            named = {name: st.sampled_from(known[name]) for name in names if known.get(name)}
            if where == "path":  # a real id or code most of the time
                whole = st.fixed_dictionaries({n: named[n] for n in named if names[n] == "path"})
                return st.one_of(whole, whole, whole, st.just({}))
            return st.fixed_dictionaries(
                {}, optional={n: named[n] for n in named if names[n] == where}
            )

        return st.tuples(
            real("path"), real("query"), real("header"), st.sampled_from(list(GenerationMode))
        ).flatmap(
            lambda chosen: operation.as_strategy(
                chosen[3],
                path_parameters=chosen[0] or None,
                query=chosen[1] or None,
                headers=chosen[2] or None,
            )
        )

    def assert_in_scope(self, persona: str, case: Any, body: Any) -> None:
        """Nothing in a successful answer lies outside what the persona sees."""
        resource = case.path.split("/")[3]
        if resource == "token":
            return
        if resource == "stats":
            assert self.unit_key[body["org"]] not in NEVER_UNITS[persona], body["org"]
            rows, child_of = body.get("children", []), "id"
        else:
            rows = body if isinstance(body, list) else body.get("results", [body])
            child_of = "id" if resource == "children" else "child"
        # Resources of a unit rather than a child: the units named are the persona's.
        unit_field = {"orgs": "code", "activities": "unit", "rounds": "org"}.get(resource)
        if unit_field is not None:
            units = {self.unit_key.get(row[unit_field]) for row in rows if row.get(unit_field)}
            assert not units & NEVER_UNITS[persona], units & NEVER_UNITS[persona]
            return
        sees = SEES_INCIDENTS_OF[persona] if resource == "incidents" else SEES[persona]
        children = {self.child_key.get(row[child_of], row[child_of]) for row in rows}
        assert children <= sees, f"{persona} got {children - sees} from {case.path}"

    def fuzz_as(self, persona: str) -> None:
        # The schema as the persona's logged-in browser reads it; the requests carry their token.
        document = self.client_as(persona).get("/api/schema/", {"format": "json"}).json()
        schema = schemathesis.openapi.from_dict(document)
        schema.app = WSGIHandler()
        headers = {"Authorization": f"Token {self.tokens[persona]}"}
        for operation in (result.ok() for result in schema.get_all_operations()):

            @hypothesis.settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                print_blob=False,
            )
            @hypothesis.given(case=self.cases(operation, document))
            def run(case: Any) -> None:
                response = case.call_and_validate(headers=headers, checks=CHECKS)
                if response.status_code == 200:
                    self.assert_in_scope(persona, case, response.json())

            with connection_kept():
                run()


def _fuzz_as(persona: str) -> Any:
    def test(self: ApiFuzzTests) -> None:
        self.fuzz_as(persona)

    test.__name__ = f"test_the_api_keeps_its_schema_and_scope_as_{persona}"
    test.__doc__ = f"No 500, no answer outside its schema or {persona}'s scope."
    return test


for _persona in PERSONAS:
    _test = _fuzz_as(_persona)
    setattr(ApiFuzzTests, _test.__name__, _test)
