"""Who sees assistance and money: the unit's leaders and the region's officers (and, for
assistance, the village's child director); never a teacher, a counselor or a volunteer — no
page, no API answer, no section on the child's page, no figure."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import time_machine
from django.urls import reverse

from shouwang.assistance import services
from shouwang.assistance.models import Payment, Programme, Wish
from shouwang.core.concurrency import StaleEdit
from tests.children.factories import make_child

from .helpers import AssistanceCase

NO_MONEY = ("teacher", "counselor", "volunteer")


@time_machine.travel(date(2026, 11, 24), tick=False)
class ScopeTests(AssistanceCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        orgs, admin = cls.world.orgs, cls.world.users["school_admin"]
        cls.b1 = make_child(school_class=orgs["class_b1"], name="孙小兰", male=False)
        cls.paid_a = services.pay(
            child=cls.a1,
            programme=cls.living(),
            paid_on=date(2026, 10, 8),
            amount=Decimal("375.00"),
            signed=True,
            by=admin,
        )
        cls.paid_b = services.pay(
            child=cls.b1,
            programme=cls.living(),
            paid_on=date(2026, 10, 9),
            signed=True,
            by=cls.world.users["county_officer"],
        )

    @classmethod
    def living(cls) -> Programme:
        return Programme.objects.get(region=cls.world.orgs["county_a"], code="living_allowance")

    def test_teachers_counselors_and_volunteers_see_no_money_anywhere(self):
        for persona in NO_MONEY:
            client = self.client_as(persona)
            with self.subTest(persona=persona):
                for url in (
                    reverse("assistance:home"),
                    reverse("assistance:funds"),
                    reverse("assistance:payment", args=[self.paid_a.pk]),
                    reverse("api:assistance-list"),
                    reverse("api:assistance-detail", args=[self.paid_a.pk]),
                ):
                    self.assertEqual(client.get(url).status_code, 404, url)
                page = client.get(reverse("children:detail", args=[self.a1.pk]))
                if page.status_code == 200:  # the teacher's own class child: no section
                    self.assertNotContains(page, 'data-testid="assistance"')
                    self.assertNotContains(page, "375")

    def test_the_school_admin_sees_the_schools_payments_only(self):
        response = self.client_as("school_admin").get(reverse("api:assistance-list"))
        ids = {row["id"] for row in response.json()["results"]}
        self.assertEqual(ids, {self.paid_a.pk})
        self.assertEqual(
            self.client_as("school_admin")
            .get(reverse("assistance:payment", args=[self.paid_b.pk]))
            .status_code,
            404,
        )

    def test_the_county_officer_sees_the_whole_county(self):
        response = self.client_as("county_officer").get(reverse("api:assistance-list"))
        ids = {row["id"] for row in response.json()["results"]}
        self.assertEqual(ids, {self.paid_a.pk, self.paid_b.pk})
        page = self.client_as("county_officer").get(reverse("assistance:home"))
        self.assertContains(page, "孙小兰")
        self.assertContains(page, "李小梅")

    def test_the_childs_page_shows_what_the_child_received(self):
        page = self.client_as("school_admin").get(reverse("children:detail", args=[self.a1.pk]))
        self.assertContains(page, 'data-testid="assistance"')
        self.assertContains(page, "375.00")
        self.assertContains(page, "生活费")

    def test_the_api_refuses_a_double_payment_with_the_earlier_one_named(self):
        body = {
            "child": self.a1.pk,
            "programme": self.living().pk,
            "paid_on": "2026-11-20",
            "signed": True,
        }
        response = self.client_as("county_officer").post(
            reverse("api:assistance-list"), json.dumps(body), content_type="application/json"
        )
        self.assertEqual(response.status_code, 400)
        text = json.dumps(response.json(), ensure_ascii=False)
        self.assertIn("2026-10-08", text)
        self.assertIn("测试school_admin", text)
        self.assertEqual(Payment.objects.filter(child=self.a1).count(), 1)

    def test_the_api_pays_through_the_same_service_and_404s_out_of_scope(self):
        programme = self.programme("condolence")
        body = {"programme": programme.pk, "paid_on": "2026-11-20", "amount": "200", "signed": True}
        client = self.client_as("school_admin")
        outside = client.post(
            reverse("api:assistance-list"),
            json.dumps(body | {"child": self.c1.pk}),
            content_type="application/json",
        )
        self.assertEqual(outside.status_code, 404)
        made = client.post(
            reverse("api:assistance-list"),
            json.dumps(body | {"child": self.a1.pk}),
            content_type="application/json",
        )
        self.assertEqual(made.status_code, 201, made.content)
        self.assertEqual(made.json()["amount"], "200.00")
        self.assertEqual(made.json()["period"], "2026-11-20")

    def test_the_api_applies_for_a_list(self):
        response = self.client_as("village_director").post(
            reverse("api:assistance-applications"),
            json.dumps(
                {"children": [self.a1.pk], "programme": self.programme("subsidy_primary").pk}
            ),
            content_type="application/json",
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()[0]["unit"], self.org("village_a1").code)

    def test_a_stale_void_form_is_refused(self):
        url = reverse("assistance:void", args=[self.paid_a.pk])
        opened = self.client_as("school_admin").get(url).context["form"]["version"].value()
        services.void_payment(
            payment=self.paid_a,
            reason="录错",
            by=self.county_officer,
            version=services.version_of(self.paid_a),
        )
        # A form opened before the other officer voided it: refused, the first reason kept.
        with self.assertRaises(StaleEdit):
            services.void_payment(
                payment=self.paid_a, reason="重复", by=self.school_admin, version=opened
            )
        self.assertEqual(Payment.objects.get(pk=self.paid_a.pk).void_reason, "录错")

    def test_a_stale_decision_is_refused(self):
        [application] = services.apply_for(
            children=[self.a1], programme=self.programme("subsidy_primary"), by=self.school_admin
        )
        url = reverse("assistance:decide", args=[application.pk])
        opened = self.client_as("federation_officer").get(url).context["form"]["version"].value()
        services.decide(
            application=application,
            approve=False,
            reason="材料不全",
            by=self.county_officer,
            version=services.version_of(application),
        )
        # A second officer's form, opened before the first decided: refused, not a second say.
        with self.assertRaises(StaleEdit):
            services.decide(
                application=application, approve=True, by=self.federation_officer, version=opened
            )

    def test_a_wish_matched_meanwhile_refuses_the_older_form_on_the_page(self):
        wish = services.add_wish(child=self.a1, wish="一双球鞋", by=self.school_admin)
        url = reverse("assistance:match_wish", args=[wish.pk])
        opened = self.client_as("school_admin").get(url).context["form"]["version"].value()
        self.client_as("county_officer").post(
            url, {"version": services.version_of(wish), "donor": "王女士"}
        )
        response = self.client_as("school_admin").post(url, {"version": opened, "donor": "李先生"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "王女士")  # the refusal names what changed
        self.assertEqual(Wish.objects.get(pk=wish.pk).donor, "王女士")
        wish.refresh_from_db()
        services.fulfil_wish(
            wish=wish,
            on=date(2026, 11, 24),
            by=self.school_admin,
            version=services.version_of(wish),
        )
        page = self.client_as("school_admin").get(reverse("children:detail", args=[self.a1.pk]))
        self.assertContains(page, "一双球鞋")
