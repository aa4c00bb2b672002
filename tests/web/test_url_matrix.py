"""Every page of the app, requested as every persona: allowed is 200, anything else is 404.

The matrix below is checked against the URL configuration itself, so a new page that is not
added here fails this test before it can leak.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from datetime import date, timedelta
from decimal import Decimal

import time_machine
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from shouwang.accounts import services as account_services
from shouwang.accounts.models import Role
from shouwang.accounts.scope import scope_of
from shouwang.care import services as care_services
from shouwang.children import services as children_services
from shouwang.children.selectors import id_number_revealable
from shouwang.health import services as health_services
from shouwang.safety import services as safety_services
from shouwang.web.navigation import NAV_ITEMS
from tests.children.factories import make_child
from tests.personas import PersonaTestCase
from tests.world import PASSWORD, PERSONAS

from .matrix_parts import parts

EVERYONE = frozenset(PERSONAS)
# A masked ID number shows its ends around ten stars (phones hide four): a digit or X next to a
# run of eight or more stars is a piece of one.
ID_FRAGMENT = re.compile(r"[0-9Xx]\*{8,}|\*{8,}[0-9Xx]")
SEES_SCHOOL_A = frozenset(
    {
        "sysadmin",
        "county_officer",
        "township_officer",
        "federation_officer",
        "school_admin",
        "counselor",
    }
)
MANAGES_SCHOOL_A = SEES_SCHOOL_A - {"counselor"}
MANAGES_COUNTY_A = frozenset({"sysadmin", "county_officer", "federation_officer"})

SEES_CHILD_A1 = SEES_SCHOOL_A | {"teacher", "village_director"}
EDITS_CHILD_A1 = SEES_CHILD_A1 - {"counselor"}
# Care is recorded by those who edit the archive and by the child's own caregivers, not sysadmins.
RECORDS_CHILD_A1 = EDITS_CHILD_A1 - {"sysadmin"} | {"volunteer"}

# An incident a1's class teacher reported: never volunteers, other teachers or village directors.
INCIDENT_A1 = SEES_SCHOOL_A | {"teacher"}

# (url name, argument: an org key, "user:<persona>", "child:<key>" or None, personas answered 200)
MATRIX: list[tuple[str, str | None, frozenset[str]]] = [
    ("web:home", None, EVERYONE),
    ("units:tree", None, EVERYONE),
    ("units:detail", "school_a", SEES_SCHOOL_A),
    ("units:detail", "class_a1", SEES_SCHOOL_A | {"teacher"}),
    (
        "units:detail",
        "class_b1",
        SEES_SCHOOL_A - {"school_admin", "counselor", "township_officer"} | {"teacher_b"},
    ),
    ("units:detail", "school_c", frozenset({"sysadmin"})),
    (
        "units:detail",
        "village_a1",
        frozenset(
            {
                "sysadmin",
                "county_officer",
                "township_officer",
                "federation_officer",
                "village_director",
            }
        ),
    ),
    ("units:detail", "volunteers_a", MANAGES_COUNTY_A | {"volunteer"}),
    ("units:add_child", "school_a", MANAGES_SCHOOL_A),
    ("units:add_child", "school_c", frozenset({"sysadmin"})),
    ("units:enrolment", "school_a", MANAGES_SCHOOL_A),
    ("units:enrolment", "township_a1", frozenset()),  # not a school
    ("units:add_term", "county_a", MANAGES_COUNTY_A),
    ("units:add_term", "township_a1", MANAGES_COUNTY_A | {"township_officer"}),
    ("units:add_term", "school_a", frozenset()),  # calendars belong to regions
    ("units:add_holiday", "county_a", MANAGES_COUNTY_A),
    ("accounts:password_change", None, EVERYONE),
    ("children:register", None, EVERYONE),
    ("children:add", None, EVERYONE - {"counselor", "volunteer"}),
    ("children:duplicates", None, EVERYONE),
    ("children:transfers", None, EVERYONE),
    ("children:handover", "class_a1", MANAGES_SCHOOL_A),
    ("children:handover", "school_a", frozenset()),  # a class is handed over, not a school
    ("children:cards", None, SEES_CHILD_A1 | {"volunteer"}),
    ("children:definition", "county_a", MANAGES_COUNTY_A),
    ("children:definition", "school_a", frozenset()),  # profiles belong to regions
    ("children:detail", "child:a1", SEES_CHILD_A1 | {"volunteer"}),
    ("children:detail", "child:c1", frozenset({"sysadmin"})),
    ("children:edit", "child:a1", EDITS_CHILD_A1),
    ("children:edit", "child:c1", frozenset({"sysadmin"})),
    ("children:status", "child:a1", EDITS_CHILD_A1),
    ("children:transfer", "child:a1", EDITS_CHILD_A1),
    ("children:assess", "child:a1", EDITS_CHILD_A1),
    ("children:consent", "child:a1", EDITS_CHILD_A1),
    ("children:withdraw_consent", "child:a1", EDITS_CHILD_A1),
    ("children:consent", "child:c1", frozenset({"sysadmin"})),
    ("children:retention", None, frozenset({"sysadmin"})),
    ("ledger:upload", None, MANAGES_SCHOOL_A),
    ("ledger:done", None, MANAGES_SCHOOL_A),
    ("ledger:export", "school_a", SEES_SCHOOL_A),
    ("ledger:export", "school_c", frozenset({"sysadmin"})),
    # One's exports and those waiting for one's approval: whoever may export a ledger.
    ("ledger:exports", None, EVERYONE - {"volunteer"}),
    ("care:tasks", None, EVERYONE),
    ("care:record", None, EVERYONE),
    ("care:child", "child:a1", SEES_CHILD_A1 | {"volunteer"}),
    ("care:child", "child:c1", frozenset({"sysadmin"})),
    ("care:record_detail", "record:a1", SEES_CHILD_A1 | {"volunteer"}),
    # Only the record's author (the volunteer wrote it) and the school's managers.
    ("care:correct", "record:a1", MANAGES_SCHOOL_A - {"sysadmin"} | {"volunteer"}),
    ("care:start_plan", "child:a1", EDITS_CHILD_A1),
    ("care:add_plan_item", "child:a1", EDITS_CHILD_A1),
    ("care:review_plan", "child:a1", RECORDS_CHILD_A1),
    ("care:close_follow_up", "follow_up:a1", frozenset({"teacher", "school_admin"})),
    ("care:pairings", None, MANAGES_SCHOOL_A),
    ("care:pair", None, MANAGES_SCHOOL_A),
    ("care:end_pairing", "pairing:a1", MANAGES_SCHOOL_A),
    ("care:caregivers", None, MANAGES_SCHOOL_A),
    ("care:add_caregiver", None, MANAGES_SCHOOL_A),
    ("care:policies", None, MANAGES_SCHOOL_A),
    ("care:add_policy", "school_a", MANAGES_SCHOOL_A),
    ("care:add_policy", "school_c", frozenset({"sysadmin"})),
    ("care:add_rule", "policy:school_a", MANAGES_SCHOOL_A),
    ("care:compliance", None, MANAGES_SCHOOL_A),
    # Figures of the user's own top unit (a volunteer's association holds no schools).
    ("stats:dashboard", None, EVERYONE - {"volunteer"}),
    ("stats:export", None, EVERYONE - {"volunteer"}),
    # The children behind a figure: only for those who see every child of their unit.
    ("stats:children", None, EVERYONE - {"volunteer", "village_director"}),
    # The API: lists hold what each persona sees; a single thing out of scope is 404.
    ("api:api-root", None, EVERYONE),
    ("api:schema", None, EVERYONE),
    ("api:docs", None, EVERYONE),
    ("api:org-list", None, EVERYONE),
    ("api:org-detail", "school_a", SEES_SCHOOL_A),
    ("api:org-detail", "school_c", frozenset({"sysadmin"})),
    ("api:child-list", None, EVERYONE),
    ("api:child-detail", "child:a1", SEES_CHILD_A1 | {"volunteer"}),
    ("api:child-detail", "child:c1", frozenset({"sysadmin"})),
    ("api:guardian-list", None, EVERYONE),
    ("api:guardian-detail", "guardian:a1", SEES_CHILD_A1 | {"volunteer"}),
    ("api:pairing-list", None, EVERYONE),
    ("api:pairing-detail", "pairing:a1", SEES_CHILD_A1 | {"volunteer"}),
    ("api:care-record-list", None, EVERYONE),
    ("api:care-record-detail", "record:a1", SEES_CHILD_A1 | {"volunteer"}),
    ("api:incident-list", None, EVERYONE),
    ("api:incident-detail", "incident:a1", INCIDENT_A1),
    # Emergencies: restricted to the school's leadership, counselors, officers and the reporter.
    ("safety:incidents", None, EVERYONE - {"volunteer"}),  # those who see or report them
    ("safety:report", None, EVERYONE - {"volunteer"}),  # picking the child
    ("safety:detail", "incident:a1", INCIDENT_A1),
    ("safety:chain", None, MANAGES_COUNTY_A | {"township_officer"}),
    ("family:silence", None, MANAGES_COUNTY_A | {"township_officer"}),
    ("notices:centre", None, EVERYONE),
    # Counseling: the school's counselors and leaders and the region's officers, nobody else.
    ("health:overview", None, EVERYONE - {"volunteer"}),
    ("health:references", None, EVERYONE - {"volunteer"}),
    ("health:child", "child:a1", SEES_CHILD_A1),
    ("health:add", "child:a1", EDITS_CHILD_A1),
    ("health:correct", "checkup:a1", EDITS_CHILD_A1),
    ("health:sheet", "class_a1", SEES_SCHOOL_A | {"teacher"}),
    ("health:upload", None, MANAGES_SCHOOL_A | {"teacher", "teacher_b"}),
    ("counseling:overview", None, SEES_SCHOOL_A),
    ("counseling:add_letter", "school_a", SEES_SCHOOL_A),
    ("counseling:add_letter", "school_c", frozenset({"sysadmin"})),
    ("counseling:child", "child:a1", SEES_SCHOOL_A),
    ("counseling:add_session", "child:a1", SEES_SCHOOL_A),
    ("counseling:start_plan", "child:a1", SEES_SCHOOL_A),
    # The school's rooms: for its leaders, class teachers and the region's officers.
    ("family:rooms", None, MANAGES_SCHOOL_A | {"teacher", "teacher_b"}),
    ("family:add_room", "school_a", MANAGES_SCHOOL_A),
    ("family:add_room", "school_c", frozenset({"sysadmin"})),
    ("family:child", "child:a1", RECORDS_CHILD_A1),
    ("accounts:users", None, frozenset({"sysadmin"})),
    ("accounts:user_create", None, frozenset({"sysadmin"})),
    ("accounts:user_detail", "user:teacher", frozenset({"sysadmin"})),
    ("accounts:user_detail", "user:volunteer", frozenset({"sysadmin"})),
    ("accounts:audit", None, frozenset({"sysadmin"})),
    # 忘记密码: the sysadmin, and the managers of every unit where the person holds a role; a
    # manager's own password is the sysadmin's to reset.
    ("accounts:reset_list", None, MANAGES_SCHOOL_A),
    ("accounts:reset", "user:teacher", MANAGES_SCHOOL_A),
    ("accounts:reset", "user:school_admin", frozenset({"sysadmin"})),
    ("accounts:reset", "user:teacher_b", MANAGES_COUNTY_A),  # school b: another township
]
# Pages with their own behaviour, tested in their own files.
MATRIX += [row for part in parts() for row in part.URLS]

NOT_IN_MATRIX = {
    "children:consent_scan",  # a signed form's scan: tests/children/test_consent.py
    "accounts:login",
    "accounts:logout",
    "accounts:logout_everywhere",  # POST only: tests/accounts/test_tokens.py
    # 两步验证, each person's own pages: tests/accounts/test_two_factor.py
    "accounts:two_factor",
    "accounts:two_factor_verify",
    "accounts:two_factor_enrol",
    "accounts:two_factor_codes",
    "accounts:password_required",  # one's own, after a reset: tests/accounts/test_reset.py
    "healthz",
    "children:validate",  # POST only: tests/children/test_archive.py
    "children:reveal",  # POST only: tests/children/test_scope_and_masking.py
    # An upload's own pages, reachable only by its uploader: tests/ledger/test_pages.py
    "ledger:preview",
    "ledger:teach",
    "ledger:apply",
    "ledger:errors",
    # An export job's own: its requester's download, a second person's decision (POST only):
    # tests/ledger/test_export_jobs.py
    "ledger:export_download",
    "ledger:export_approve",
    "ledger:export_refuse",
    # POST only: tests/care/test_care_pages.py
    "care:apply_preset",
    "care:set_in_force",
    "care:end_plan_item",
    # Needs ?org= (400 without it) and POST only: tests/api/test_api.py
    "api:stats",
    "api:token",
    # POST only, or a user's own notification: tests/safety/test_incidents.py
    "safety:tick",
    "safety:police",
    "safety:close",
    "notices:open",
    "notices:read_all",
    # POST only: tests/counseling/test_counseling.py
    "counseling:open_mailbox",
    # Need an uploaded sheet: tests/health/test_checkups.py
    "health:preview",
    "health:apply",
    "health:errors",
    # Need a letter or a plan: tests/counseling/test_counseling.py
    "counseling:reply",
    "counseling:letter_scan",
    "counseling:review_plan",
}


def _all_url_names(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            names |= _all_url_names(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(prefix + entry.name)
    return names


class MatrixWorld(PersonaTestCase):
    """The world both matrices (this one and tests/web/test_write_matrix.py) walk: child a1 in
    school A with its pairing, record, follow-up, incident, check-up and plan; c1 elsewhere.
    Files the world and the writes keep (scans, a round's frozen ledgers) go to a directory of
    the class's own."""

    @classmethod
    def setUpClass(cls) -> None:
        media = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, media, True)
        cls.enterClassContext(override_settings(MEDIA_ROOT=media))
        super().setUpClass()

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        orgs = cls.world.orgs
        cls.children = {
            "a1": make_child(school_class=orgs["class_a1"], home_village=orgs["village_a1"]),
            "c1": make_child(school_class=orgs["class_c1"], name="丙"),
        }
        # The volunteer looks after a1; something they found needs following up.
        a1 = cls.children["a1"]
        caregiver = care_services.caregiver_for_login(cls.world.users["volunteer"])
        cls.care = {
            "pairing:a1": care_services.pair(
                child=a1, caregiver=caregiver, role="volunteer", starts_on=date(2026, 9, 1), by=None
            ),
            "record:a1": care_services.record_care(
                child=a1,
                caregiver=caregiver,
                kind="home_visit",
                on=date(2026, 9, 10),
                by=cls.world.users["volunteer"],
                findings="爷爷生病住院",
                abnormal=True,
            ),
            "policy:school_a": care_services.add_policy(
                org=orgs["school_a"], name="本校制度", by=None
            ),
        }
        cls.care["follow_up:a1"] = cls.care["record:a1"].follow_ups.get()
        cls.care["guardian:a1"] = a1.guardian
        cls.care["incident:a1"] = safety_services.report_incident(
            child=a1,
            kind="injury",
            occurred_at=timezone.now() - timedelta(minutes=5),
            place="操场",
            description="摔伤",
            by=cls.world.users["teacher"],
        )
        cls.care["checkup:a1"] = health_services.record_checkup(
            child=a1,
            examined_on=date(2026, 9, 15),
            by=cls.world.users["teacher"],
            height_cm=Decimal(140),
            weight_kg=Decimal(35),
        )
        care_services.start_plan(
            child=a1, review_on=date(2026, 12, 1), by=None, on=date(2026, 9, 2)
        )
        for part in parts():
            cls.care.update(part.plant(cls))

    def args_for(self, arg: str | None) -> list[object]:
        if arg is None:
            return []
        if arg.startswith("child:"):
            return [self.children[arg.removeprefix("child:")].pk]
        if arg.startswith("user:"):
            return [self.world.users[arg.removeprefix("user:")].pk]
        if arg in self.care:
            return [self.care[arg].pk]
        return [self.org(arg).code]


@time_machine.travel(date(2026, 11, 24), tick=False)
class UrlMatrixTests(MatrixWorld):
    def test_every_named_url_is_in_the_matrix(self):
        covered = {name for name, _, _ in MATRIX} | NOT_IN_MATRIX
        self.assertEqual(_all_url_names() - covered, set())

    def test_each_persona_gets_200_where_allowed_and_404_elsewhere(self):
        checked = 0
        hidden = self.id_numbers_hidden_from()
        for name, arg, allowed in MATRIX:
            url = reverse(name, args=self.args_for(arg))
            for persona in PERSONAS:
                with self.subTest(url=url, persona=persona):
                    response = self.client_as(persona).get(url)
                    self.assertEqual(response.status_code, 200 if persona in allowed else 404)
                    self.assert_no_id_digits(response, hidden[persona])
                    checked += 1
        self.assertEqual(checked, len(MATRIX) * len(PERSONAS))

    def id_numbers_hidden_from(self) -> dict[str, list[str]]:
        """Per persona, the ID numbers of the children whose number they may not unmask."""
        return {
            persona: [
                child.id_number
                for child in self.children.values()
                if not id_number_revealable(self.world.users[persona], child)
            ]
            for persona in PERSONAS
        }

    def assert_no_id_digits(self, response, numbers: list[str]) -> None:
        """Masking is all or nothing (issue 14): not the number, and not the first or last
        four digits a mask would show, anywhere in a page or API answer."""
        if response.get("Content-Type", "").split(";")[0] not in ("text/html", "application/json"):
            return
        body = response.content.decode()
        for number in numbers:
            self.assertNotIn(number, body)
            # The mask's tail names one child (the head is the county's, shared by many).
            self.assertNotIn("*" * 10 + number[-4:], body)
        if len(numbers) == len(self.children):
            # No ID right at all: no masked number of anyone either.
            self.assertIsNone(ID_FRAGMENT.search(body), "a piece of an ID number")

    def test_anonymous_visitor_is_sent_to_login_from_every_page(self):
        for name, arg, _allowed in MATRIX:
            url = reverse(name, args=self.args_for(arg))
            with self.subTest(url=url):
                response = self.client.get(url)
                if url.startswith(("/api/v1/", "/api/schema/")):
                    # The API asks for a token instead of sending a script to a login page.
                    self.assertEqual(response.status_code, 401)
                    continue
                self.assertEqual(response.status_code, 302)
                self.assertTrue(response["Location"].startswith(reverse("accounts:login")))

    def test_unknown_code_is_404_even_for_sysadmin(self):
        response = self.client_as("sysadmin").get(reverse("units:detail", args=["999999999999"]))
        self.assertEqual(response.status_code, 404)

    def test_the_menu_shows_exactly_the_pages_each_persona_may_open(self):
        """Menu and page read one policy table: an entry is shown where its page answers 200,
        and only there (a village director's 健康状况, for one, was open but not in the menu)."""
        for persona in PERSONAS:
            scope = scope_of(self.world.users[persona])
            client = self.client_as(persona)
            for item in NAV_ITEMS:
                with self.subTest(persona=persona, page=item.url_name):
                    status = client.get(reverse(item.url_name)).status_code
                    self.assertEqual(item.shown_to(scope), status == 200, status)


# People whose place holds children they may not see (issue 16): a teacher placed at school A
# without a class, a volunteer placed at school A's township, neither paired with anyone. A page
# that reads the tree (every unit under one's place) instead of the table shows them children.
PLACED_WITHOUT_REACH = {
    "teacher_no_class": (Role.TEACHER, "school_a"),
    "township_volunteer": (Role.VOLUNTEER, "township_a1"),
}
# Rows that are about one child (or a thing of one child): 404 to anyone who sees no child.
ABOUT_A_CHILD = (
    "child:",
    "record:",
    "incident:",
    "checkup:",
    "guardian:",
    "pairing:",
    "follow_up:",
)


@time_machine.travel(date(2026, 11, 24), tick=False)
class PlacedWithoutReachTests(MatrixWorld):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # A child of school A who moved to school B: the move lists under both schools.
        moved = make_child(school_class=cls.world.orgs["class_a2"], name="转学生甲")
        cls.children["moved"] = children_services.transfer_child(
            child=moved,
            to_school=cls.world.orgs["school_b"],
            to_class=None,
            on=date(2026, 11, 2),
            reason="随父母迁居",
            by=None,
        )
        for name, (role, unit) in PLACED_WITHOUT_REACH.items():
            cls.world.users[name] = account_services.create_user(
                username=name,
                password=PASSWORD,
                role=role,
                org=cls.world.orgs[unit],
                full_name=f"测试{name}",
                by=None,
            )

    def test_every_page_shows_them_no_child(self):
        """Every page of the matrix: a child's own pages are 404, and no other page names a
        child, shows a care record's findings or a piece of an ID number."""
        secrets = [
            *(child.name for child in self.children.values()),
            self.care["record:a1"].findings,
            self.children["a1"].guardian.name,
            *(reverse("children:detail", args=[child.pk]) for child in self.children.values()),
        ]
        for persona in PLACED_WITHOUT_REACH:
            client = Client(REMOTE_ADDR="127.0.0.1")
            client.force_login(self.world.users[persona])
            for name, arg, _allowed in MATRIX:
                url = reverse(name, args=self.args_for(arg))
                with self.subTest(url=url, persona=persona):
                    response = client.get(url)
                    if arg is not None and arg.startswith(ABOUT_A_CHILD):
                        self.assertEqual(response.status_code, 404)
                    self.assertIn(response.status_code, (200, 404))
                    if response.get("Content-Type", "").split(";")[0] not in (
                        "text/html",
                        "application/json",
                    ):
                        continue
                    # (The child pickers' hint names a made-up 张小明, a1's name too.)
                    body = response.content.decode().replace("张小明：zxm", "")
                    for secret in secrets:
                        self.assertNotIn(secret, body)
                    self.assertIsNone(ID_FRAGMENT.search(body), "a piece of an ID number")
