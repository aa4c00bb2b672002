"""Phone numbers as tap-to-call links: ``{{ phone|tel }}`` links a number one may see, leaves a
masked one and anything that is not a number as plain, escaped text."""

from __future__ import annotations

from django.template import Context, Template
from django.test import SimpleTestCase

from shouwang.core.validators import mask_phone


def render(phone: object) -> str:
    return Template("{% load phones %}{{ phone|tel }}").render(Context({"phone": phone}))


class TelFilterTests(SimpleTestCase):
    def test_a_mobile_becomes_a_tap_to_call_link(self):
        self.assertEqual(
            render("138 1234 5678"), '<a href="tel:13812345678" class="tel">138 1234 5678</a>'
        )

    def test_a_landline_with_its_extension_dials_the_extension(self):
        self.assertEqual(
            render("(0851)2234-5678转12"),
            '<a href="tel:085122345678;ext=12" class="tel">(0851)2234-5678转12</a>',
        )

    def test_a_masked_number_stays_plain_text(self):
        masked = mask_phone("13812345678")
        self.assertEqual(render(masked), masked)
        self.assertNotIn("tel:", render(masked))

    def test_hostile_input_is_escaped_and_never_a_link(self):
        for hostile in (
            '13812345678" onclick="alert(1)',
            "<script>alert(1)</script>",
            "javascript:alert(1)",
            "13812345678<img src=x onerror=alert(1)>",
        ):
            with self.subTest(hostile=hostile):
                out = render(hostile)
                self.assertNotIn("<script", out)
                self.assertNotIn("<img", out)
                self.assertNotIn('"', out.replace("&quot;", ""))
                self.assertNotIn("href", out)

    def test_nothing_renders_nothing(self):
        self.assertEqual(render(""), "")
        self.assertEqual(render(None), "")
