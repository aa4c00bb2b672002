"""Payments: once a period per child and programme, approval where the programme asks for it,
eligibility from the programme's rules, signatures or receipts, nothing deleted."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import time_machine
from django.core.exceptions import ValidationError

from shouwang.assistance import services
from shouwang.assistance.models import ApplicationStatus, Payment
from shouwang.assistance.selectors import period_figures
from shouwang.audit.models import AuditEntry
from tests.children.factories import make_child

from .helpers import AssistanceCase, by_programme


@time_machine.travel(date(2026, 11, 24), tick=False)
class PaymentTests(AssistanceCase):
    def test_the_same_programme_twice_in_a_term_is_refused_naming_the_earlier_payment(self):
        self.pay(self.a1)
        with self.assertRaises(ValidationError) as refused:
            self.pay(self.a1, paid_on=date(2026, 11, 20), by=self.county_officer)
        message = " ".join(refused.exception.messages)
        self.assertIn("2026-10-08", message)
        self.assertIn("375.00", message)
        self.assertIn("测试school_admin", message)
        self.assertIn("2026年秋季学期", message)
        self.assertEqual(Payment.objects.filter(child=self.a1).count(), 1)

    def test_a_voided_payment_leaves_the_period_free_and_stays_in_the_ledger(self):
        first = self.pay(self.a1)
        services.void_payment(
            payment=first,
            reason="金额录错",
            by=self.school_admin,
            version=services.version_of(first),
        )
        self.pay(self.a1, amount=Decimal(375))
        self.assertEqual(Payment.objects.filter(child=self.a1).count(), 2)
        self.assertTrue(Payment.objects.get(pk=first.pk).voided)

    def test_a_monthly_programme_pays_once_a_month(self):
        programme = services.add_programme(
            region=self.org("county_a"),
            by=self.county_officer,
            code="monthly",
            name="每月补助",
            amount=Decimal(100),
            period="month",
        )
        services.pay(
            child=self.a1,
            programme=programme,
            paid_on=date(2026, 10, 1),
            signed=True,
            by=self.school_admin,
        )
        services.pay(
            child=self.a1,
            programme=programme,
            paid_on=date(2026, 11, 1),
            signed=True,
            by=self.school_admin,
        )
        with self.assertRaises(ValidationError):
            services.pay(
                child=self.a1,
                programme=programme,
                paid_on=date(2026, 11, 30 - 6),
                signed=True,
                by=self.school_admin,
            )

    def test_payment_without_the_approval_the_programme_names_is_refused(self):
        with self.assertRaisesMessage(ValidationError, "尚未审核通过"):
            self.pay(self.a1, code="subsidy_primary")
        [application] = services.apply_for(
            children=[self.a1],
            programme=self.programme("subsidy_primary"),
            by=self.village_director,
        )
        self.assertEqual(application.unit, self.org("village_a1"))
        # Seed 002: the county checks — not the school, not the township.
        for persona in ("school_admin", "township_officer"):
            with self.subTest(persona=persona), self.assertRaises(ValidationError):
                services.decide(
                    application=application,
                    approve=True,
                    by=getattr(self, persona),
                    version=services.version_of(application),
                )
        services.decide(
            application=application,
            approve=True,
            by=self.county_officer,
            version=services.version_of(application),
        )
        payment = self.pay(self.a1, code="subsidy_primary")
        self.assertEqual(payment.amount, Decimal(500))

    def test_a_returned_application_says_why_and_pays_nothing(self):
        [application] = services.apply_for(
            children=[self.a1], programme=self.programme("subsidy_primary"), by=self.school_admin
        )
        with self.assertRaises(ValidationError):
            services.decide(
                application=application,
                approve=False,
                by=self.county_officer,
                version=services.version_of(application),
            )
        services.decide(
            application=application,
            approve=False,
            reason="材料不全",
            by=self.county_officer,
            version=services.version_of(application),
        )
        application.refresh_from_db()
        self.assertEqual(application.status, ApplicationStatus.RETURNED)
        with self.assertRaises(ValidationError):
            self.pay(self.a1, code="subsidy_primary")

    def test_spring_bud_is_for_girls_only(self):
        boy = make_child(school_class=self.org("class_a1"), name="刘小虎")
        with self.assertRaisesMessage(ValidationError, "仅资助女童"):
            self.pay(boy, code="spring_bud")

    def test_a_stage_programme_refuses_a_child_of_another_stage(self):
        # The world's 三年级 is primary: the junior subsidy refuses at the application.
        with self.assertRaises(ValidationError):
            services.apply_for(
                children=[self.a1], programme=self.programme("subsidy_junior"), by=self.school_admin
            )

    def test_no_signature_and_no_receipt_is_refused(self):
        with self.assertRaisesMessage(ValidationError, "签字"):
            self.pay(self.a1, signed=False)

    def test_goods_are_recorded_with_item_and_quantity(self):
        with self.assertRaises(ValidationError):
            self.pay(self.a1, code="goods")
        payment = self.pay(self.a1, code="goods", item="奶粉", quantity=2)
        self.assertIsNone(payment.amount)
        self.assertEqual((payment.item, payment.quantity), ("奶粉", 2))

    def test_a_child_outside_the_payers_units_is_refused(self):
        with self.assertRaises(ValidationError):
            self.pay(self.c1)  # school A's admin, a child of county B

    def test_each_write_is_audited(self):
        before = AuditEntry.objects.count()
        payment = self.pay(self.a1)
        services.void_payment(
            payment=payment,
            reason="重复录入",
            by=self.school_admin,
            version=services.version_of(payment),
        )
        entries = AuditEntry.objects.order_by("-pk")[:2]
        self.assertEqual(AuditEntry.objects.count(), before + 2)
        self.assertEqual({e.object_id for e in entries}, {str(payment.pk)})
        self.assertIn("reason", entries[0].changes)  # free text: kept masked in the log


@time_machine.travel(date(2026, 11, 24), tick=False)
class SeedFigureTests(AssistanceCase):
    def test_seed_000_fourteen_children_times_375_is_5250(self):
        children = self.girls(14)
        planned = services.preview_batch(
            by=self.school_admin,
            children=children,
            programme=self.programme("living_allowance"),
            paid_on=date(2026, 10, 8),
        )
        self.assertEqual([p.refused for p in planned], [""] * 14)
        services.pay_batch(
            children=children,
            programme=self.programme("living_allowance"),
            paid_on=date(2026, 10, 8),
            by=self.school_admin,
        )
        figures = period_figures(
            org=self.org("county_a"), start=date(2026, 9, 1), end=date(2027, 1, 22)
        )
        self.assertEqual(
            figures,
            {
                "assistance": {
                    "payments": 14,
                    "children_helped": 14,
                    "amount_total": "5250.00",
                    "by_programme": by_programme(
                        living_allowance={"children": 14, "amount": "5250.00"}
                    ),
                }
            },
        )
        # Out of the period, or of the org: nothing, with every key present.
        self.assertEqual(
            period_figures(org=self.org("county_b"), start=date(2026, 9, 1), end=date(2027, 1, 1)),
            {
                "assistance": {
                    "payments": 0,
                    "children_helped": 0,
                    "amount_total": "0.00",
                    "by_programme": {},
                }
            },
        )
        self.assertEqual(
            period_figures(
                org=self.org("county_a"), start=date(2026, 10, 9), end=date(2026, 11, 1)
            )["assistance"]["payments"],
            0,
        )

    def test_seed_003_fifty_girls_times_600_spring_bud_a_boy_refused(self):
        girls = self.girls(50)
        boy = make_child(school_class=self.org("class_a1"), name="刘小虎")
        planned = services.preview_batch(
            by=self.school_admin,
            children=[*girls, boy],
            programme=self.programme("spring_bud"),
            paid_on=date(2026, 10, 8),
        )
        self.assertEqual(sum(1 for p in planned if not p.refused), 50)
        self.assertIn("仅资助女童", planned[-1].refused)
        services.pay_batch(
            children=[p.child for p in planned if not p.refused],
            programme=self.programme("spring_bud"),
            paid_on=date(2026, 10, 8),
            by=self.school_admin,
        )
        figures = period_figures(
            org=self.org("school_a"), start=date(2026, 9, 1), end=date(2027, 1, 22)
        )["assistance"]
        self.assertEqual(figures["children_helped"], 50)
        self.assertEqual(figures["amount_total"], "30000.00")
        self.assertEqual(
            figures["by_programme"]["spring_bud"], {"children": 50, "amount": "30000.00"}
        )
        # 每人每学期600元: the next term pays again (6万元 over a school year).
        self.assertEqual(
            period_figures(org=self.org("county_b"), start=date(2026, 9, 1), end=date(2027, 1, 22))[
                "assistance"
            ]["payments"],
            0,
        )
