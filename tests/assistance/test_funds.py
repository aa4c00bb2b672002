"""Funds: money and goods in and out form a ledger with a running balance that never goes below
zero unless a reason is given."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from shouwang.assistance import selectors, services

from .helpers import AssistanceCase

FUNDS_PAGE_QUERIES = 6  # session, user, roles, the funds with balances, notices, units


@time_machine.travel(date(2026, 11, 24), tick=False)
class BalanceTests(AssistanceCase):
    def test_payments_against_a_fund_count_as_money_out(self):
        fund = self.fund(Decimal(1000))
        self.pay(self.a1, fund=fund, by=self.county_officer)
        self.assertEqual(selectors.balance_of(fund), Decimal(625))

    def test_a_balance_never_goes_negative_without_a_reason(self):
        fund = self.fund(Decimal(300))
        with self.assertRaisesMessage(ValidationError, "余额为负"):
            self.pay(self.a1, fund=fund, by=self.county_officer)
        with self.assertRaisesMessage(ValidationError, "余额为负"):
            services.add_spending(
                fund=fund,
                on=date(2026, 10, 1),
                purpose="六一活动",
                amount=Decimal(500),
                by=self.county_officer,
            )
        services.add_spending(
            fund=fund,
            on=date(2026, 10, 1),
            purpose="六一活动",
            amount=Decimal(500),
            overdraw_reason="县财政拨款下月到账",
            by=self.county_officer,
        )
        self.assertEqual(selectors.balance_of(fund), Decimal(-200))

    def test_the_funds_page_shows_each_balance_in_a_fixed_number_of_queries(self):
        funds = [self.fund(Decimal(1000)) for _ in range(3)]
        self.pay(self.a1, fund=funds[0], by=self.county_officer)
        services.add_spending(
            fund=funds[1],
            on=date(2026, 10, 1),
            purpose="慰问",
            amount=Decimal(100),
            by=self.county_officer,
        )
        listed = {f.pk: f.balance for f in selectors.funds_with_balance(self.county_officer)}
        self.assertEqual(listed, {f.pk: selectors.balance_of(f) for f in funds})
        self.assertEqual(sorted(listed.values()), [625, 900, 1000])
        client = self.client_as("county_officer")
        client.get(reverse("assistance:funds"))  # the session and the scope, once
        with self.assertNumQueries(FUNDS_PAGE_QUERIES):
            response = client.get(reverse("assistance:funds"))
        self.assertContains(response, "625.00")

    def test_a_school_cannot_draw_on_the_countys_fund(self):
        fund = self.fund(Decimal(1000))
        with self.assertRaisesMessage(ValidationError, "不能用于"):
            self.pay(self.a1, fund=fund, by=self.school_admin)

    def test_the_ledger_runs_a_balance_and_shows_voided_rows_uncounted(self):
        fund = self.fund(Decimal(1000))
        payment = self.pay(self.a1, fund=fund, by=self.county_officer)
        services.add_donation(
            fund=fund,
            donor="张先生",
            on=date(2026, 10, 20),
            item="毛衣",
            quantity=30,
            by=self.county_officer,
        )
        services.add_spending(
            fund=fund,
            on=date(2026, 11, 1),
            purpose="集体生日蛋糕",
            amount=Decimal(200),
            by=self.county_officer,
        )
        services.void_payment(
            payment=payment,
            reason="录错",
            by=self.county_officer,
            version=services.version_of(payment),
        )
        rows = selectors.ledger_of(fund)
        self.assertEqual([r.what for r in rows], ["in", "paid", "in", "spent"])
        self.assertEqual([r.balance for r in rows], [1000, 1000, 1000, 800])
        self.assertTrue(rows[1].voided)
        self.assertEqual(rows[2].goods, "毛衣 × 30")


@time_machine.travel(date(2026, 11, 24), tick=False)
class StatementTests(AssistanceCase):
    def test_the_donors_statement_says_what_the_gift_became_naming_no_child(self):
        fund = self.fund(Decimal(10000))
        donation = fund.donations.get()
        children = [self.a1, *self.girls(3)]
        services.pay_batch(
            children=children,
            programme=self.programme("living_allowance"),
            paid_on=date(2026, 10, 8),
            fund=fund,
            by=self.county_officer,
        )
        statement = selectors.statement_of(donation)
        self.assertEqual(statement.children, 4)
        self.assertEqual(statement.by_programme, [("生活费", 4, Decimal(1500))])
        self.assertEqual(statement.balance, Decimal(8500))
        response = self.client_as("county_officer").get(
            f"/assistance/donation/{donation.pk}/statement/?html=1"
        )
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertIn("青山爱心企业", html)
        self.assertIn("1500.00", html)
        for child in children:
            self.assertNotIn(child.name, html)
        pdf = self.client_as("county_officer").get(f"/assistance/donation/{donation.pk}/statement/")
        self.assertEqual(pdf["Content-Type"], "application/pdf")
        self.assertTrue(pdf.content.startswith(b"%PDF"))
        # The school sees no county fund's donor.
        self.assertEqual(
            self.client_as("school_admin")
            .get(f"/assistance/donation/{donation.pk}/statement/")
            .status_code,
            404,
        )
