"""The pages: a list paid after its preview, a payment with its receipt's scan."""

from __future__ import annotations

from datetime import date

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shouwang.assistance import services
from shouwang.assistance.models import Payment
from tests.personas import TempMediaTestCase

from .helpers import AssistanceCase

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@time_machine.travel(date(2026, 11, 24), tick=False)
class PageTests(AssistanceCase, TempMediaTestCase):
    def test_a_list_is_paid_after_its_preview_shows_who_and_who_not(self):
        girls = self.girls(3)
        outside = self.c1  # county B: never in the school's list
        body = {
            "programme": self.programme("spring_bud").pk,
            "unit": self.org("school_a").pk,
            "paid_on": "2026-10-08",
            "signed": "on",
        }
        client = self.client_as("school_admin")
        preview = client.post(reverse("assistance:batch"), body)
        self.assertEqual(preview.status_code, 200)
        self.assertEqual(Payment.objects.count(), 0)
        # a1 is a girl of school A too: four to pay, the county-B boy never listed.
        self.assertContains(preview, 'data-testid="payable"')
        self.assertEqual(sum(1 for p in preview.context["planned"] if not p.refused), 4)
        self.assertNotContains(preview, outside.name)
        paid = client.post(reverse("assistance:batch"), body | {"confirm": "1"})
        self.assertEqual(paid.status_code, 302)
        self.assertEqual(Payment.objects.filter(programme__code="spring_bud").count(), 4)
        again = client.post(reverse("assistance:batch"), body)
        self.assertEqual(sum(1 for p in again.context["planned"] if not p.refused), 0)
        for girl in girls:
            self.assertContains(again, girl.name)

    def test_a_payment_with_a_receipt_scan_and_no_signature(self):
        client = self.client_as("school_admin")
        response = client.post(
            reverse("assistance:pay"),
            {
                "child": self.a1.pk,
                "programme": self.programme("living_allowance").pk,
                "paid_on": "2026-10-08",
                "receipt": SimpleUploadedFile("收据-李小梅.png", PNG, content_type="image/png"),
            },
        )
        self.assertEqual(
            response.status_code, 302, response.context and response.context["form"].errors
        )
        payment = Payment.objects.get()
        self.assertFalse(payment.signed)
        self.assertNotIn("李小梅", payment.receipt.name)  # a random name, never the phone's
        url = reverse("assistance:payment", args=[payment.pk]) + "?receipt"
        self.assertEqual(client.get(url).status_code, 200)
        self.assertEqual(self.client_as("teacher").get(url).status_code, 404)
        self.assertEqual(self.client_as("village_director").get(url).status_code, 404)

    def test_a_receipt_that_is_not_an_image_or_pdf_is_refused(self):
        response = self.client_as("school_admin").post(
            reverse("assistance:pay"),
            {
                "child": self.a1.pk,
                "programme": self.programme("living_allowance").pk,
                "paid_on": "2026-10-08",
                "receipt": SimpleUploadedFile("receipt.png", b"MZ not a picture"),
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(Payment.objects.count(), 0)


@time_machine.travel(date(2026, 11, 24), tick=False)
class QueryCountTests(AssistanceCase):
    def queries_for(self, url: str) -> int:
        client = self.client_as("county_officer")
        client.get(url)  # the session and the scope, once
        with CaptureQueriesContext(connection) as captured:
            self.assertEqual(client.get(url).status_code, 200)
        return len(captured)

    def test_the_assistance_page_does_not_grow_with_its_rows(self):
        url = reverse("assistance:home")
        girls = self.girls(6)
        services.pay_batch(
            children=girls[:2],
            programme=self.programme("spring_bud"),
            paid_on=date(2026, 10, 8),
            by=self.school_admin,
        )
        services.apply_for(
            children=girls[:2], programme=self.programme("subsidy_primary"), by=self.school_admin
        )
        few = self.queries_for(url)
        services.pay_batch(
            children=girls[2:],
            programme=self.programme("spring_bud"),
            paid_on=date(2026, 10, 8),
            by=self.school_admin,
        )
        services.apply_for(
            children=girls[2:], programme=self.programme("subsidy_primary"), by=self.school_admin
        )
        self.assertEqual(self.queries_for(url), few)
