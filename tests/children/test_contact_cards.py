"""联系卡 (issue 19): on each card the class teacher and the caregivers paired now, with their
phones; a caregiver whose pairing ended is not on it; a class of 94 prints in sheets of six."""

from __future__ import annotations

import io
from datetime import date

import time_machine
from django.urls import reverse
from pypdf import PdfReader

from shouwang.care import services as care
from tests.personas import PersonaTestCase

from .factories import make_child

TODAY = date(2026, 10, 15)


def pdf_text(response) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


@time_machine.travel(TODAY, tick=False)
class ContactCardTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        orgs = cls.world.orgs
        with time_machine.travel(TODAY, tick=False):
            cls.child = make_child(school_class=orgs["class_a1"], name="甲一")
            mother = care.add_caregiver(
                name="吴爱心",
                kind="caring_mother",
                org=orgs["village_a1"],
                by=None,
                phone="13912345678",
            )
            former = care.add_caregiver(
                name="郑前任", kind="village_cadre", org=orgs["village_a1"], by=None
            )
            care.pair(
                child=cls.child, caregiver=mother, role="caring_mother", starts_on=TODAY, by=None
            )
            care.pair(
                child=cls.child,
                caregiver=former,
                role="village_cadre",
                starts_on=date(2026, 9, 1),
                ends_on=date(2026, 10, 1),
                by=None,
            )

    def cards(self, persona: str = "teacher", count: int | None = None):
        url = reverse("children:cards") + "?class=" + self.org("class_a1").code
        return self.client_as(persona).get(url)

    def test_the_card_names_the_paired_caregiver_with_their_phone(self):
        text = pdf_text(self.cards())
        self.assertIn("吴爱心", text)
        self.assertIn("13912345678", text)

    def test_a_caregiver_whose_pairing_ended_is_not_on_the_card(self):
        self.assertNotIn("郑前任", pdf_text(self.cards()))

    def test_the_class_teacher_is_on_the_card(self):
        teacher = self.world.users["teacher"]
        self.assertIn(teacher.display_name, pdf_text(self.cards()))

    def test_a_class_of_ninety_four_prints_six_cards_a_sheet(self):
        for n in range(93):
            make_child(school_class=self.org("class_a1"), name=f"卡{n:02d}")
        response = self.cards()
        pages = PdfReader(io.BytesIO(response.content)).pages
        self.assertEqual(len(pages), 16)  # 94 cards, six to an A4 sheet
