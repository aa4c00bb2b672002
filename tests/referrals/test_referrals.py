"""转介: a school refers a case to the county's women's federation; the federation accepts,
acts and closes it; unanswered, it is escalated once to the level above. Each end sees it, no
other county does; a write outside the scope is a 404 that changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse
from django.utils import timezone

from shouwang.accounts import services as account_services
from shouwang.accounts.models import Role
from shouwang.audit.models import AuditEntry
from shouwang.notices.models import Notification
from shouwang.orgs import services as org_services
from shouwang.orgs.models import OrgKind
from shouwang.referrals import selectors, services
from shouwang.referrals.models import Referral, ReferralNote, ReferralState
from tests.children.factories import make_child
from tests.personas import PersonaTestCase
from tests.world import PASSWORD

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)


@time_machine.travel(DAY, tick=False)
class ReferralTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        orgs = cls.world.orgs
        cls.a1 = make_child(
            school_class=orgs["class_a1"], home_village=orgs["village_a1"], name="王小明"
        )
        cls.c1 = make_child(school_class=orgs["class_c1"], name="孙丙丁")
        cls.federation_b = org_services.add_org(
            by=None, name="乙县妇联", kind=OrgKind.FEDERATION, parent=orgs["county_b"]
        )
        cls.officer_b = account_services.create_user(
            username="officer_b",
            password=PASSWORD,
            role=Role.REGION_OFFICER,
            org=orgs["county_b"],
            full_name="乙县干部",
            by=None,
        )

    def refer(self, **kw):
        data = {
            "child": self.a1,
            "from_unit": self.org("school_a"),
            "to_unit": self.org("federation_a"),
            "receiver_kind": "federation",
            "reason_kind": "guardian_fails",
            "case_text": "爷爷长期酗酒，孩子常不吃早饭",
            "by": self.school_admin,
        } | kw
        return services.refer(**data)

    # --- the state machine ------------------------------------------------------------------

    def test_sent_accepted_noted_closed_each_audited(self):
        referral = self.refer()
        self.assertEqual(referral.state, ReferralState.SENT)
        with self.assertRaises(services.ValidationError):  # not accepted: not closed
            services.close(
                referral=referral,
                outcome="x",
                by=self.federation_officer,
                version=services.referral_version(referral),
            )
        services.accept(
            referral=referral,
            by=self.federation_officer,
            version=services.referral_version(referral),
        )
        services.add_note(
            referral=referral, text="已家访，联系了孩子父亲", by=self.federation_officer
        )
        services.close(
            referral=referral,
            outcome="父亲返乡照顾",
            by=self.federation_officer,
            version=services.referral_version(referral),
        )
        referral.refresh_from_db()
        self.assertEqual(referral.state, ReferralState.CLOSED)
        self.assertEqual(referral.outcome, "父亲返乡照顾")
        with self.assertRaises(services.ValidationError):
            services.add_note(referral=referral, text="再记", by=self.federation_officer)
        entries = AuditEntry.objects.filter(
            object_type="referrals.referral", object_id=str(referral.pk)
        )
        self.assertEqual(entries.count(), 3)  # sent, accepted, closed
        self.assertTrue(AuditEntry.objects.filter(object_type="referrals.referralnote").exists())
        # The case's text is not in the log.
        self.assertFalse(AuditEntry.objects.filter(changes__icontains="酗酒").exists())

    def test_the_reason_is_stored_encrypted(self):
        from django.db import connection

        referral = self.refer()
        with connection.cursor() as cursor:
            cursor.execute("SELECT case_text FROM referrals_referral WHERE id = %s", [referral.pk])
            (stored,) = cursor.fetchone()
        self.assertNotIn("酗酒", stored)
        self.assertIn("酗酒", Referral.objects.get(pk=referral.pk).case_text)

    def test_the_receiving_unit_is_told_and_nobody_else(self):
        referral = self.refer()
        told = set(
            Notification.objects.filter(key=f"referral-sent-{referral.pk}").values_list(
                "user__username", flat=True
            )
        )
        self.assertEqual(told, {"federation_officer"})

    def test_telling_the_receiving_unit_costs_the_same_for_one_person_or_many(self):
        """Who answers at the receiver is read off the table from one query of their roles,
        never a scope and a check per person there (the notification itself aside); those
        whose roles there do not answer a referral (a volunteer of the 妇联) are not told."""
        from unittest import mock

        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        def told_and_cost() -> tuple[set[str], int]:
            with (
                mock.patch.object(services, "notify") as notify,
                CaptureQueriesContext(connection) as queries,
            ):
                self.refer()
            (people,), _kwargs = notify.call_args
            return {u.username for u in people}, len(queries)

        told, one = told_and_cost()
        self.assertEqual(told, {"federation_officer"})
        for n, role in enumerate([Role.REGION_OFFICER] * 4 + [Role.VOLUNTEER]):
            account_services.create_user(
                username=f"fed{n}",
                password=PASSWORD,
                role=role,
                org=self.org("federation_a"),
                by=None,
            )
        told, many = told_and_cost()
        self.assertEqual(told, {"federation_officer", "fed0", "fed1", "fed2", "fed3"})
        self.assertEqual(many, one)

    def test_a_stale_form_is_refused(self):
        referral = self.refer()
        opened = services.referral_version(referral)
        services.add_note(referral=referral, text="先电话了解", by=self.school_admin)
        with self.assertRaises(services.ValidationError):
            services.accept(referral=referral, by=self.federation_officer, version=opened)
        self.assertEqual(Referral.objects.get(pk=referral.pk).state, ReferralState.SENT)
        # On the page: the form is shown again with the refusal, nothing changed.
        response = self.client_as("federation_officer").post(
            reverse("referrals:accept", args=[referral.pk]), {"version": opened}
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["form"].errors)
        self.assertEqual(Referral.objects.get(pk=referral.pk).state, ReferralState.SENT)

    def test_a_receiver_must_fit_its_kind_and_the_police_are_named(self):
        with self.assertRaises(services.ValidationError):
            self.refer(receiver_kind="civil_affairs")  # a federation is not civil affairs
        with self.assertRaises(services.ValidationError):
            self.refer(receiver_kind="police", to_unit=self.org("township_a1"))  # no name
        police = self.refer(
            receiver_kind="police", to_unit=self.org("township_a1"), receiver_name="东镇派出所"
        )
        self.assertEqual(police.receiver, "东镇派出所")
        with self.assertRaises(services.ValidationError):
            self.refer(to_unit=self.federation_b)  # another county's

    # --- escalation -------------------------------------------------------------------------

    def test_an_unanswered_referral_is_escalated_once_to_the_level_above(self):
        referral = self.refer()
        self.assertEqual(services.escalate_unanswered(DAY + timedelta(days=4)), 0)
        later = DAY + timedelta(days=5, minutes=1)
        with time_machine.travel(later, tick=False):
            self.assertEqual(services.escalate_unanswered(timezone.now()), 1)
            self.assertEqual(services.escalate_unanswered(timezone.now()), 0)
        with time_machine.travel(later + timedelta(days=3), tick=False):
            self.assertEqual(services.escalate_unanswered(timezone.now()), 0)
        referral.refresh_from_db()
        self.assertIsNotNone(referral.escalated_at)
        self.assertEqual(referral.escalated_to, self.org("county_a"))
        told = set(
            Notification.objects.filter(key=f"referral-escalated-{referral.pk}").values_list(
                "user__username", flat=True
            )
        )
        # The county's officer above the federation; not the federation's own officer, not
        # the other county's.
        self.assertIn("county_officer", told)
        self.assertNotIn("federation_officer", told)
        self.assertNotIn("officer_b", told)
        self.assertEqual(
            Notification.objects.filter(key=f"referral-escalated-{referral.pk}").count(), len(told)
        )

    def test_an_accepted_referral_is_not_escalated_and_the_region_sets_the_days(self):
        accepted = self.refer()
        services.accept(
            referral=accepted, by=self.county_officer, version=services.referral_version(accepted)
        )
        services.set_days(
            region=self.org("county_a"), days=2, since=DAY.date(), by=self.county_officer
        )
        waiting = self.refer()
        self.assertEqual(services.escalate_unanswered(DAY + timedelta(days=2, minutes=1)), 1)
        waiting.refresh_from_db()
        accepted.refresh_from_db()
        self.assertIsNotNone(waiting.escalated_at)
        self.assertIsNone(accepted.escalated_at)

    # --- scope, both ends -------------------------------------------------------------------

    def test_each_end_sees_it_and_another_county_does_not(self):
        referral = self.refer()
        url = reverse("referrals:detail", args=[referral.pk])
        for persona in (
            "school_admin",
            "federation_officer",
            "county_officer",
            "counselor",
            "sysadmin",
        ):
            with self.subTest(persona=persona):
                self.assertEqual(self.client_as(persona).get(url).status_code, 200)
        for persona in ("teacher", "volunteer", "teacher_b"):
            with self.subTest(persona=persona):
                self.assertEqual(self.client_as(persona).get(url).status_code, 404)
        other = self.client
        other.force_login(self.officer_b)
        self.assertEqual(other.get(url).status_code, 404)
        self.assertEqual(
            other.post(
                reverse("referrals:accept", args=[referral.pk]),
                {"version": services.referral_version(referral)},
            ).status_code,
            404,
        )
        self.assertEqual(
            other.post(reverse("referrals:note", args=[referral.pk]), {"text": "x"}).status_code,
            404,
        )
        self.assertFalse(ReferralNote.objects.exists())
        self.assertEqual(Referral.objects.get(pk=referral.pk).state, ReferralState.SENT)
        # The lists: received at the federation, sent at the school.
        self.assertIn(referral, selectors.received_by_units_of(self.federation_officer))
        self.assertIn(referral, selectors.sent_by_units_of(self.school_admin))
        self.assertNotIn(referral, selectors.received_by_units_of(self.school_admin))

    def test_the_referrer_cannot_accept_its_own_referral(self):
        referral = self.refer()
        response = self.client_as("school_admin").post(
            reverse("referrals:accept", args=[referral.pk]),
            {"version": services.referral_version(referral)},
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(Referral.objects.get(pk=referral.pk).state, ReferralState.SENT)

    def test_refer_from_the_childs_page(self):
        page = self.client_as("school_admin").get(reverse("children:detail", args=[self.a1.pk]))
        self.assertContains(page, reverse("referrals:refer", args=[self.a1.pk]))
        response = self.client_as("school_admin").post(
            reverse("referrals:refer", args=[self.a1.pk]),
            {
                "receiver_kind": "federation",
                "to_unit": self.org("federation_a").pk,
                "reason_kind": "abuse",
                "case_text": "身上有伤",
            },
        )
        self.assertEqual(response.status_code, 302)
        referral = Referral.objects.get()
        self.assertEqual(
            (referral.from_unit, referral.sent_by), (self.org("school_a"), self.school_admin)
        )
        # Another county's child cannot be referred by the school: 404, nothing written.
        self.assertEqual(
            self.client_as("school_admin")
            .post(
                reverse("referrals:refer", args=[self.c1.pk]),
                {
                    "receiver_kind": "federation",
                    "to_unit": self.federation_b.pk,
                    "reason_kind": "abuse",
                    "case_text": "x",
                },
            )
            .status_code,
            404,
        )
        self.assertEqual(Referral.objects.count(), 1)
        # A village's child director refers from the home village.
        self.client_as("village_director").post(
            reverse("referrals:refer", args=[self.a1.pk]),
            {
                "receiver_kind": "township",
                "to_unit": self.org("township_a1").pk,
                "reason_kind": "hardship",
                "case_text": "家中困难",
            },
        )
        self.assertEqual(Referral.objects.filter(from_unit=self.org("village_a1")).count(), 1)

    def test_the_list_of_the_unit(self):
        self.refer()
        for box in ("received", "sent", "escalated"):
            with self.subTest(box=box):
                response = self.client_as("county_officer").get(
                    reverse("referrals:index") + f"?box={box}"
                )
                self.assertEqual(response.status_code, 200)
        self.assertEqual(self.client_as("teacher").get(reverse("referrals:index")).status_code, 404)
        self.assertEqual(
            len(
                self.client_as("federation_officer")
                .get(reverse("referrals:index"))
                .context["referrals"]
            ),
            1,
        )
