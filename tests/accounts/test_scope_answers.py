"""The gate's answers over one row are kept for one request and nowhere else (issue 17).

A child's page asked "may this user … this child?" in its buttons, its consents and each
section: the same query five times. Kept while one request is served, they must never answer
for another user, another request, a service outside a request, or after a write.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import answers_kept, scope_of
from shouwang.care import services as care
from shouwang.care.models import CaregiverKind
from shouwang.children import services as children
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

# What the gate sends to ask about one child: "is this row among those the filter lets in?"
ASKED = 'SELECT 1 AS "a" FROM "children_child"'


def asked(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if q["sql"].startswith(ASKED)]


class OnePageAsksOnce(PersonaTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.child = make_child(school_class=self.org("class_a1"), name="李小红")

    def test_a_teachers_child_page_asks_the_gate_once(self):
        client = self.client_as("teacher")
        client.get("/")  # the session's first request
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/children/{self.child.pk}/")
        self.assertEqual(response.status_code, 200)
        questions = asked(ctx)
        self.assertEqual(len(questions), 1, questions)

    def test_a_school_admins_child_page_asks_each_question_once(self):
        # Of the child, and of the child's school (its sections ask about the unit).
        client = self.client_as("school_admin")
        client.get("/")
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/children/{self.child.pk}/")
        self.assertEqual(response.status_code, 200)
        exists = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT 1 AS "a"')]
        self.assertEqual([n for n in Counter(exists).values() if n > 1], [])


class AnswersAreNeverShared(PersonaTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.child = make_child(school_class=self.org("class_a1"), name="李小红")

    def pair_volunteer(self) -> None:
        care.pair(
            child=self.child,
            caregiver=care.caregiver_for_login(self.volunteer),
            role=CaregiverKind.VOLUNTEER,
            starts_on=date(2026, 9, 1),
            by=None,
        )

    def test_another_user_right_after_gets_404(self):
        url = f"/children/{self.child.pk}/"
        for persona, status in [
            ("teacher", 200),
            ("teacher_b", 404),
            ("teacher", 200),
            ("volunteer", 404),
            ("school_admin", 200),
            ("village_director", 404),
        ]:
            with self.subTest(persona=persona):
                self.assertEqual(self.client_as(persona).get(url).status_code, status)

    def test_the_same_user_object_for_two_people_is_asked_again(self):
        # Within one block of kept answers (one request), two users never share an answer.
        with answers_kept():
            self.assertTrue(scope_of(self.teacher).may(Area.ARCHIVE, Action.VIEW, self.child))
            self.assertFalse(scope_of(self.teacher_b).may(Area.ARCHIVE, Action.VIEW, self.child))
            self.assertTrue(scope_of(self.teacher).may(Area.ARCHIVE, Action.VIEW, self.child))

    def test_services_outside_a_request_ask_every_time(self):
        scope = scope_of(self.teacher)
        for _ in range(2):
            with CaptureQueriesContext(connection) as ctx:
                self.assertTrue(scope.may(Area.ARCHIVE, Action.VIEW, self.child))
            self.assertEqual(len(asked(ctx)), 1)
        # The same user object after the child moved to another school: asked afresh.
        children.transfer_child(
            child=self.child,
            to_school=self.org("school_b"),
            to_class=self.org("class_b1"),
            on=date(2026, 9, 1),
            reason="随父母返乡",
            by=None,
        )
        self.assertFalse(scope.may(Area.ARCHIVE, Action.VIEW, self.child))

    def test_a_request_asks_once_until_it_writes(self):
        volunteer = scope_of(self.volunteer)
        with answers_kept():
            with CaptureQueriesContext(connection) as ctx:
                self.assertFalse(volunteer.may(Area.ARCHIVE, Action.VIEW, self.child))
                self.assertFalse(volunteer.may(Area.ARCHIVE, Action.VIEW, self.child))
            self.assertEqual(len(asked(ctx)), 1)
            # Paired meanwhile: the child stays where it was, the answer changes.
            self.pair_volunteer()
            self.assertTrue(volunteer.may(Area.ARCHIVE, Action.VIEW, self.child))

    def test_nothing_is_kept_inside_a_transaction_that_wrote(self):
        # It may still roll back, and the answers with it.
        volunteer = scope_of(self.volunteer)
        with answers_kept(), transaction.atomic():
            self.pair_volunteer()
            with CaptureQueriesContext(connection) as ctx:
                self.assertTrue(volunteer.may(Area.ARCHIVE, Action.VIEW, self.child))
                self.assertTrue(volunteer.may(Area.ARCHIVE, Action.VIEW, self.child))
            self.assertEqual(len(asked(ctx)), 2)

    def test_a_row_moved_within_the_request_is_asked_again(self):
        scope = scope_of(self.teacher)
        with answers_kept():
            self.assertTrue(scope.may(Area.ARCHIVE, Action.VIEW, self.child))
            self.child.school_class = self.org("class_b1")
            self.child.school = self.org("school_b")
            with CaptureQueriesContext(connection) as ctx:
                scope.may(Area.ARCHIVE, Action.VIEW, self.child)
            self.assertEqual(len(asked(ctx)), 1)
