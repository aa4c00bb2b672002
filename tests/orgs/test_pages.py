from __future__ import annotations

from datetime import date

from django.urls import reverse

from shouwang.orgs.models import Enrolment, Holiday, Org, Term
from shouwang.orgs.selectors import enrolment_under, term_on
from tests.personas import PersonaTestCase


class OrgPageTests(PersonaTestCase):
    def test_school_admin_adds_a_class_under_a_grade(self):
        grade = self.org("grade_a1")
        response = self.client_as("school_admin").post(
            reverse("units:add_child", args=[grade.code]),
            {"name": "三年级（3）班", "kind": "class"},
        )
        self.assertRedirects(response, grade.get_absolute_url())
        self.assertTrue(Org.objects.get(name="三年级（3）班").path.startswith(grade.path))

    def test_a_township_cannot_be_added_under_a_school(self):
        response = self.client_as("school_admin").post(
            reverse("units:add_child", args=[self.org("school_a").code]),
            {"name": "错镇", "kind": "township", "code": "110101009000"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "errorlist")
        self.assertFalse(Org.objects.filter(name="错镇").exists())

    def test_school_admin_records_enrolment_and_the_county_sums_it(self):
        response = self.client_as("school_admin").post(
            reverse("units:enrolment", args=[self.org("school_a").code]),
            {"grade": self.org("grade_a1").pk, "on": "2026-09-10", "male": "40", "female": "33"},
        )
        self.assertRedirects(response, self.org("school_a").get_absolute_url())
        self.assertEqual(enrolment_under(self.org("county_a"), date(2026, 9, 10)).total, 73)
        page = self.client_as("county_officer").get(self.org("county_a").get_absolute_url())
        self.assertContains(page, 'data-testid="enrolment-total">73<')

    def test_negative_enrolment_is_refused_at_the_field(self):
        response = self.client_as("school_admin").post(
            reverse("units:enrolment", args=[self.org("school_a").code]),
            {"on": "2026-09-10", "male": "-4", "female": "33"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "errorlist")
        self.assertFalse(Enrolment.objects.exists())

    def test_county_officer_sets_terms_and_holidays_that_schools_follow(self):
        client = self.client_as("county_officer")
        county = self.org("county_a")
        response = client.post(
            reverse("units:add_term", args=[county.code]),
            {
                "name": "2027年春季学期",
                "start": "2027-03-01",
                "midterm": "2027-04-26",
                "end": "2027-07-09",
            },
        )
        self.assertRedirects(response, county.get_absolute_url())
        client.post(
            reverse("units:add_holiday", args=[county.code]),
            {"name": "2027年寒假", "season": "winter", "start": "2027-01-23", "end": "2027-02-28"},
        )
        self.assertTrue(
            Holiday.objects.filter(region=county, name="2027年寒假", season="winter").exists()
        )
        school = self.org("school_a")
        self.assertEqual(term_on(school, date(2027, 4, 1)).name, "2027年春季学期")
        self.assertEqual(term_on(school, date(2026, 10, 1)).name, "2026年秋季学期")
        self.assertIsNone(term_on(school, date(2027, 2, 1)))
        self.assertIsNone(term_on(self.org("school_c"), date(2027, 4, 1)))  # other county

    def test_term_dates_out_of_order_are_refused(self):
        response = self.client_as("county_officer").post(
            reverse("units:add_term", args=[self.org("county_a").code]),
            {
                "name": "乱序学期",
                "start": "2027-07-09",
                "midterm": "2027-04-26",
                "end": "2027-03-01",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "依次排列")
        self.assertNotContains(response, "term_dates_in_order")  # no database words for users
        self.assertFalse(Term.objects.filter(name="乱序学期").exists())

    def test_org_page_shows_the_units_below_and_the_current_term(self):
        page = self.client_as("school_admin").get(self.org("school_a").get_absolute_url())
        self.assertContains(page, "三年级")
        self.assertContains(page, "甲县")  # breadcrumb: the user's own place in the tree
