"""Issue 18: the guardian's consent per child (PIPL arts. 28 and 31; 未成年人保护法 art. 72):
recorded with its scope and signed form, withdrawn by a new row, children without it flagged on
the register and counted on the dashboard."""

from __future__ import annotations

import stat
from datetime import date, timedelta
from pathlib import Path

import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from faker import Faker

from shouwang.audit.models import AuditEntry
from shouwang.children import services
from shouwang.children.models import ConsentRecord
from shouwang.stats import selectors as stats
from tests.personas import TempMediaTestCase

from .factories import make_child

TODAY = date(2026, 11, 24)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
fake = Faker("zh_CN")
Faker.seed(18)


@time_machine.travel(TODAY, tick=False)
class ConsentTests(TempMediaTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.child = make_child(school_class=self.org("class_a1"), name=fake.name())
        self.other = make_child(school_class=self.org("class_a1"), name=fake.name(), male=False)
        self.guardian = fake.name()

    def consent_page(self, child=None, *, withdraw: bool = False) -> str:
        name = "children:withdraw_consent" if withdraw else "children:consent"
        return reverse(name, args=[(child or self.child).pk])

    def post_consent(self, persona: str = "teacher", child=None, **overrides):
        child = child or self.child
        data = {
            "version": services.consent_version(child),
            "on": TODAY.isoformat(),
            "given_by": self.guardian,
            "relation": "grandparent",
            "scopes": ["archive", "photos"],
            **overrides,
        }
        return self.client_as(persona).post(self.consent_page(child), data)

    def give(self, child, on=TODAY, **kwargs):
        return services.record_consent(
            child=child,
            on=on,
            given_by=self.guardian,
            relation="grandparent",
            scopes=kwargs.pop("scopes", ["archive"]),
            by=self.teacher,
            version=services.consent_version(child),
            **kwargs,
        )

    def test_a_class_teacher_records_the_consent_with_its_signed_form(self):
        scan = SimpleUploadedFile("签字表.pdf", PDF, content_type="application/pdf")
        response = self.post_consent(scan=scan)
        self.assertRedirects(
            response,
            reverse("children:detail", args=[self.child.pk]) + "#consent",
            fetch_redirect_response=False,
        )
        record = ConsentRecord.objects.get(child=self.child)
        self.assertEqual(
            (record.on, record.given_by, record.archive, record.photos, record.sharing),
            (TODAY, self.guardian, True, True, False),
        )
        self.assertEqual(record.by, self.teacher)
        # Stored under a random name (a phone's file name may carry the child's), 600.
        self.assertNotIn("签字表", record.scan.name)
        path = Path(settings.MEDIA_ROOT) / record.scan.name
        self.assertEqual(stat.S_IMODE(path.stat().st_mode), 0o600)
        entry = AuditEntry.objects.filter(object_id=str(self.child.pk)).latest("id")
        self.assertEqual(entry.actor, self.teacher)
        self.assertEqual(entry.changes["consent"], "given")
        self.assertEqual(entry.changes["scopes"], ["archive", "photos"])
        self.assertTrue(entry.changes["scanned"])

        page = self.client_as("teacher").get(reverse("children:detail", args=[self.child.pk]))
        self.assertContains(page, 'data-testid="consent-history"')
        self.assertContains(page, self.guardian)
        self.assertNotContains(page, 'data-testid="no-consent"')
        # The signed form: for the archive's keepers, each look audited.
        url = reverse("children:consent_scan", args=[record.pk])
        got = self.client_as("teacher").get(url)
        self.assertEqual(b"".join(got.streaming_content), PDF)
        self.assertEqual(self.client_as("teacher_b").get(url).status_code, 404)
        self.assertEqual(self.client_as("volunteer").get(url).status_code, 404)

    def test_a_file_that_is_not_what_its_name_says_is_refused_and_nothing_recorded(self):
        fake_pdf = SimpleUploadedFile("form.pdf", b"MZ\x90\x00 not a pdf", content_type="x")
        response = self.post_consent(scan=fake_pdf)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["form"].errors["scan"])
        self.assertFalse(ConsentRecord.objects.exists())

    def test_the_register_flags_children_without_consent_and_filters_them(self):
        self.give(self.child)
        register = self.client_as("teacher").get(reverse("children:register"))
        rows = {c.pk: c.consented for c in register.context["page"]}
        self.assertEqual(rows, {self.child.pk: True, self.other.pk: False})
        self.assertContains(register, 'data-testid="no-consent">无监护人同意', count=1)

        filtered = self.client_as("teacher").get(
            reverse("children:register"), {"without_consent": "on"}
        )
        self.assertEqual([c.pk for c in filtered.context["page"]], [self.other.pk])

    def test_a_consent_to_photos_only_does_not_cover_the_archive(self):
        self.give(self.child, scopes=["photos"])
        filtered = self.client_as("teacher").get(
            reverse("children:register"), {"without_consent": "on"}
        )
        self.assertEqual({c.pk for c in filtered.context["page"]}, {self.child.pk, self.other.pk})

    def test_the_dashboard_counts_children_without_consent_as_of_its_day(self):
        county = self.org("county_a")
        self.assertEqual(stats.figures(org=county, on=TODAY).without_consent, 2)
        self.give(self.child, on=TODAY - timedelta(days=10))
        self.assertEqual(stats.figures(org=county, on=TODAY).without_consent, 1)
        # Before the day it was given, the child was without it.
        earlier = TODAY - timedelta(days=20)
        self.assertEqual(stats.figures(org=county, on=earlier).without_consent, 2)

        page = self.client_as("county_officer").get(
            reverse("stats:dashboard"), {"org": county.code, "on": TODAY.isoformat()}
        )
        self.assertEqual(page.context["without_consent"], 1)
        page = self.client_as("school_admin").get(
            reverse("stats:dashboard"), {"org": self.org("school_a").code}
        )
        self.assertContains(page, 'data-testid="without-consent"')
        self.assertEqual(page.context["without_consent"], 1)
        behind = self.client_as("school_admin").get(page.context["behind_without_consent"])
        self.assertEqual([c.pk for c in behind.context["page"]], [self.other.pk])

    def test_a_withdrawal_is_a_new_row_and_the_child_is_flagged_again(self):
        self.give(self.child, on=TODAY - timedelta(days=30))
        page = self.client_as("school_admin").get(self.consent_page(withdraw=True))
        self.assertNotIn("scopes", page.context["form"].fields)
        response = self.client_as("school_admin").post(
            self.consent_page(withdraw=True),
            {
                "version": page.context["form"].initial["version"],
                "on": TODAY.isoformat(),
                "given_by": self.guardian,
                "relation": "grandparent",
            },
        )
        self.assertEqual(response.status_code, 302)
        rows = list(ConsentRecord.objects.filter(child=self.child).order_by("on"))
        self.assertEqual([(r.withdrawn, r.archive) for r in rows], [(False, True), (True, False)])
        self.assertEqual(stats.figures(org=self.org("county_a"), on=TODAY).without_consent, 2)
        yesterday = TODAY - timedelta(days=1)
        self.assertEqual(stats.figures(org=self.org("county_a"), on=yesterday).without_consent, 1)
        entry = AuditEntry.objects.filter(object_id=str(self.child.pk)).latest("id")
        self.assertEqual((entry.actor, entry.changes["consent"]), (self.school_admin, "withdrawn"))

        # Nothing left to withdraw.
        again = self.client_as("school_admin").post(
            self.consent_page(withdraw=True),
            {
                "version": services.consent_version(self.child),
                "on": TODAY.isoformat(),
                "given_by": self.guardian,
                "relation": "grandparent",
            },
        )
        self.assertContains(again, "没有可撤回的同意")
        self.assertEqual(ConsentRecord.objects.filter(child=self.child).count(), 2)

    def test_a_form_opened_before_someone_else_recorded_a_consent_is_refused(self):
        opened = services.consent_version(self.child)
        self.give(self.child)  # the school admin, meanwhile
        response = self.post_consent(version=opened, scopes=["sharing"])
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["form"].non_field_errors())
        self.assertEqual(ConsentRecord.objects.filter(child=self.child).count(), 1)

    def test_a_future_date_is_refused(self):
        response = self.post_consent(on=(TODAY + timedelta(days=1)).isoformat())
        self.assertTrue(response.context["form"].errors["on"])
        self.assertFalse(ConsentRecord.objects.exists())

    def test_out_of_scope_the_consent_pages_are_404(self):
        child_b = make_child(school_class=self.org("class_b1"), name=fake.name())
        for persona in ("teacher_b", "volunteer", "counselor", "village_director"):
            with self.subTest(persona):
                client = self.client_as(persona)
                self.assertEqual(client.get(self.consent_page()).status_code, 404)
                self.assertEqual(self.post_consent(persona).status_code, 404)
        self.assertEqual(self.client_as("teacher").get(self.consent_page(child_b)).status_code, 404)
        self.assertFalse(ConsentRecord.objects.exists())
        # The counselor sees the child, not the guardian's consent and its signed forms.
        page = self.client_as("counselor").get(reverse("children:detail", args=[self.child.pk]))
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, 'id="consent"')
        # The sysadmin keeps every archive.
        self.assertEqual(self.client_as("sysadmin").get(self.consent_page()).status_code, 200)
