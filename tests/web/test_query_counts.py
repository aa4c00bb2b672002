"""Every list page costs the same number of queries for a few rows or many (style.md habit 5).

Each test asks a page as the persona who uses it, adds rows of every kind the page lists (in and
out of the persona's scope), asks again and expects the same number of queries, and that number
pinned, so a page that starts asking once per row fails here before a county notices.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shouwang.care import services as care
from shouwang.care.models import DutyPolicy
from shouwang.children import services as children
from shouwang.counseling import services as counseling
from shouwang.family import services as family
from shouwang.family.models import ContactRoom
from shouwang.notices.services import notify
from shouwang.orgs import services as orgs
from shouwang.orgs.models import OrgKind
from shouwang.safety import services as safety
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

CST = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 24)  # a Tuesday of the world's autumn term
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=CST)
TUESDAY_AFTER_SCHOOL = [{"weekday": 1, "start": "16:00", "end": "17:30"}]
_batch = itertools.count(1)


def free_time(room: ContactRoom) -> datetime:
    """The room's next free opening: four a Tuesday afternoon, Tuesdays to come."""
    n = room.bookings.count()
    return NOW.replace(hour=16) + timedelta(weeks=n // 4, minutes=20 * (n % 4))


@time_machine.travel(NOW, tick=False)
class ListPagesTestCase(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        with time_machine.travel(NOW, tick=False):
            preset = DutyPolicy.objects.get(code="three_ones", org__isnull=True)
            care.apply_preset(preset=preset, org=cls.world.orgs["county_a"], by=None)
            cls.room = family.add_room(
                school=cls.world.orgs["school_a"],
                name="亲情电话室",
                kind="phone",
                slots=TUESDAY_AFTER_SCHOOL,
                by=cls.world.users["school_admin"],
            )
            cls.grow_world(1)

    @classmethod
    def grow_world(cls, n: int) -> int:
        """``n`` more of every row a list page shows, in school A (the personas' own) and in
        school B, named after the batch it returns: school A's children are ``多<batch>-<i>``."""
        batch = next(_batch)
        users, units = cls.world.users, cls.world.orgs
        for i in range(n):
            for key, school in (("a", "school_a"), ("b", "school_b")):
                klass = units[f"class_{key}1"]
                child = make_child(
                    school_class=klass,
                    name=f"多{batch}-{i}" if key == "a" else f"乙{batch}-{i}",
                    home_village=units["village_a1"],
                    heart_level=4,
                )
                helper = care.add_caregiver(
                    name=f"照护{batch}-{i}{key}", kind="teacher", org=units[school], by=None
                )
                for caregiver in (helper, care.caregiver_for_login(users["volunteer"])):
                    care.pair(
                        child=child,
                        caregiver=caregiver,
                        role=caregiver.kind,
                        starts_on=date(2026, 9, 1),
                        by=None,
                    )
                care.record_care(
                    child=child,
                    caregiver=helper,
                    kind="home_visit",
                    on=TODAY - timedelta(days=1),
                    by=users["volunteer"],
                    abnormal=True,
                    findings="奶奶生病了",
                )
                care.start_plan(child=child, review_on=TODAY + timedelta(days=3), by=None)
                safety.report_incident(
                    child=child,
                    kind="injury",
                    occurred_at=NOW - timedelta(hours=2),
                    place="操场",
                    description="摔倒",
                    by=users["sysadmin"],
                )
                counseling.add_session(
                    child=child,
                    kind="session",
                    on=TODAY,
                    topic="想家",
                    notes="聊了聊",
                    by=users["sysadmin"],
                )
                counseling.add_letter(
                    school=units[school],
                    child=child,
                    opened_on=TODAY,
                    text="想妈妈",
                    by=users["sysadmin"],
                )
                counseling.start_plan(
                    child=child,
                    problem="孤独",
                    measures="每周谈心",
                    review_on=TODAY + timedelta(days=3),
                    by=users["sysadmin"],
                )
                family.book(
                    room=cls.room,
                    child=child,
                    starts_at=free_time(cls.room),
                    by=users["sysadmin"],
                )
            # A child moving from school C to school A, and a second archive of it there.
            mover = make_child(school_class=units["class_c1"], name=f"转{batch}-{i}")
            children.transfer_child(
                child=mover,
                to_school=units["school_a"],
                to_class=units["class_a2"],
                on=TODAY,
                reason="随父母返乡",
                by=None,
            )
            make_child(
                school_class=units["class_a2"], name=f"重{batch}-{i}", id_number=mover.id_number
            )
            orgs.add_org(
                name=f"五年级{batch}-{i}",
                kind=OrgKind.GRADE,
                stage="primary",
                parent=units["school_a"],
                by=None,
            )
            orgs.add_org(
                name=f"三年级（{batch}-{i}）班",
                kind=OrgKind.SCHOOL_CLASS,
                parent=units["grade_a1"],
                by=None,
            )
            care.add_policy(org=units["school_a"], name=f"校规{batch}-{i}", by=None)
            notify(list(users.values()), text=f"通知{batch}-{i}", key=f"grow-{batch}-{i}")
        return batch

    def queries(self, persona: str, url: str) -> tuple[int, str]:
        client = self.client_as(persona)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200, (persona, url, response.status_code)
        return len(ctx.captured_queries), body.decode(errors="replace")

    @staticmethod
    def audited(pinned: int) -> int:
        """The count of a page that writes its audit entry at once (an export): PostgreSQL
        takes the audit chain's lock first, one statement more (audit.chain.link)."""
        return pinned + (connection.vendor == "postgresql")

    def assert_flat(self, persona: str, url: str, pinned: int, *, shows: str = "") -> None:
        """The page costs ``pinned`` queries now and after three more rows of everything; the
        new rows are on it (``shows``: ``{batch}`` stands for the new batch's number)."""
        self.queries(persona, url)  # the session's first request
        few, _page = self.queries(persona, url)
        batch = self.grow_world(3)
        many, page = self.queries(persona, url)
        assert shows.format(batch=batch) in page, (url, shows)
        assert (few, many) == (pinned, pinned), (persona, url, few, many)

    def assert_at_most(self, persona: str, url: str, bound: int, *, shows: str = "") -> None:
        """As :meth:`assert_flat`, for a page whose count depends on the kinds of rows it shows
        (never on how many): at most ``bound`` queries, few rows or many."""
        self.queries(persona, url)
        few, _page = self.queries(persona, url)
        batch = self.grow_world(3)
        many, page = self.queries(persona, url)
        assert shows.format(batch=batch) in page, (url, shows)
        assert max(few, many) <= bound, (persona, url, few, many)


class ListPagesCostTheSameQueriesForFewRowsOrMany(ListPagesTestCase):
    # Coverage counts by the county's definition (issue 19): the counties in view, then the
    # definition in use for each (ancestors, the region's choice, the default).
    def test_the_pairings_page(self):
        self.assert_flat("school_admin", "/care/pairings/", 16, shows="多{batch}-2")

    def test_the_pairings_page_of_a_county(self):
        self.assert_flat("county_officer", "/care/pairings/", 16, shows="乙{batch}-2")

    def test_the_caregivers_page(self):
        self.assert_flat("school_admin", "/care/caregivers/", 5, shows="照护{batch}-2a")

    def test_the_duty_rules_page(self):
        self.assert_flat("school_admin", "/care/duties/", 12, shows="校规{batch}-2")

    # Two more than the page's own: the data's version, under which the count is kept, and the
    # count kept in the database (care.KeptCompliance, issue 17). Pages that run the duty
    # engine read when each child's present stay began (one query, issue 19).
    def test_the_compliance_page(self):
        self.assert_flat("school_admin", "/care/compliance/", 17)

    def test_the_compliance_page_by_caregiver(self):
        code = self.org("school_a").code
        url = f"/care/compliance/?org={code}&by=caregiver"
        self.assert_flat("school_admin", url, 17, shows="照护{batch}-2a")

    # 我的任务: one query of its own for the shifts on a home's roster (care.other_duties).
    def test_a_class_teachers_tasks(self):
        self.assert_flat("teacher", "/care/", 18, shows="多{batch}-2")

    def test_a_volunteers_tasks(self):
        self.assert_flat("volunteer", "/care/", 17, shows="多{batch}-2")

    def test_a_school_admins_tasks(self):
        self.assert_flat("school_admin", "/care/", 18)

    def test_the_record_form_offers_the_volunteers_children(self):
        self.assert_flat("volunteer", "/care/record/", 7, shows="多{batch}-2")

    def test_the_incidents_page(self):
        self.assert_flat("school_admin", "/safety/", 7, shows="多{batch}-2")

    def test_the_incidents_page_of_a_county(self):
        self.assert_flat("county_officer", "/safety/", 7, shows="乙{batch}-2")

    def test_the_counseling_overview(self):
        self.assert_flat("counselor", "/counseling/", 9, shows="多{batch}-2")

    def test_the_transfers_page(self):
        self.assert_flat("school_admin", "/children/transfers/", 5, shows="转{batch}-2")

    def test_the_duplicates_page(self):
        self.assert_flat("school_admin", "/children/duplicates/", 6, shows="重{batch}-2")

    def test_the_register(self):
        self.assert_flat("school_admin", "/children/", 13, shows="多{batch}-2")

    # The changes name the rows they point at: one query per kind of row on the page (units,
    # children, users…), never one per entry, so bounded rather than flat (issue 19).
    def test_the_audit_log(self):
        self.assert_at_most("sysadmin", "/accounts/audit/", 11, shows="校规{batch}-2")

    def test_the_audit_log_filtered(self):
        self.assert_at_most("sysadmin", "/accounts/audit/?object_repr=多", 11, shows="多{batch}-2")

    def test_the_notification_centre(self):
        self.assert_flat("teacher", "/notices/", 6, shows="通知{batch}-2")

    def test_the_family_rooms_and_bookings(self):
        self.assert_flat("school_admin", "/family/", 7, shows="多{batch}-2")

    def test_the_health_overview(self):
        self.assert_flat("school_admin", "/health/", 5, shows="三年级（{batch}-2）班")

    def test_the_tree_of_units(self):
        self.assert_flat("school_admin", "/orgs/", 6)

    def test_a_schools_page(self):
        url = f"/orgs/{self.org('school_a').code}/"
        self.assert_flat("school_admin", url, 15, shows="五年级{batch}-2")

    def test_a_grades_page(self):
        url = f"/orgs/{self.org('grade_a1').code}/"
        self.assert_flat("school_admin", url, 15, shows="三年级（{batch}-2）班")

    # A school's ledger export is a job now: its writing and the exports page are pinned in
    # tests/ledger/test_export_jobs.py (QueryCountTests).

    # The cards name each child's caregivers paired now (one query for all, issue 19).
    def test_a_classs_contact_cards(self):
        url = f"/children/cards.pdf?class={self.org('class_a1').code}"
        self.assert_flat("teacher", url, self.audited(12))

    # Figures read the unit's snapshot under the register's version (two queries; in a test's
    # transaction the snapshot is never kept, so the page also counts, issue 17).
    def test_the_export_of_a_schools_figures(self):
        self.assert_flat("school_admin", "/stats/export/", self.audited(20))

    def test_the_compliance_of_a_countys_caregivers(self):
        self.assert_flat(
            "county_officer", "/care/compliance/?by=caregiver", 17, shows="照护{batch}-2b"
        )

    # Home pages with duties: one query more for the follow-ups waiting (issue 19), one for the
    # children's entry days, two for the figures' snapshot (issue 17); the enrolment read once
    # for the figures and the page (issue 17); one for overdue rectifications (issue 22). The
    # gate's answers are kept for the request (issue 17): a question it was asked twice over one
    # row or unit costs one query less on the school admin's home page and the county's figures.
    def test_the_home_page_of_a_school_admin(self):
        self.assert_flat("school_admin", "/", 31)

    def test_the_home_page_of_a_teacher(self):
        self.assert_flat("teacher", "/", 20)

    def test_the_figures_of_a_county(self):
        self.assert_flat("county_officer", "/stats/", 20)

    def test_the_children_behind_the_figures(self):
        url = "/stats/children/?dimension=all&value=all"
        self.assert_flat("school_admin", url, 12, shows="多{batch}-2")
