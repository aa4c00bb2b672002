"""The browser is told to run no script but Shouwang's own files, and no page asks it to.

Every page of the URL matrix (the menu's pages among them) is opened as every persona it lets
in: the answer carries the Content-Security-Policy, and its HTML holds no script the policy
would refuse (an inline <script>, an on…= handler, a javascript: link, htmx's hx-on).
"""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser

import time_machine
from django.test import Client, override_settings
from django.urls import reverse

from shouwang.web.navigation import NAV_ITEMS
from tests.web.test_url_matrix import MATRIX, MatrixWorld
from tests.world import PERSONAS

# Data, not code: the browser never runs these (Django's json_script writes the first).
DATA_TYPES = {"application/json", "application/ld+json"}


class InlineCode(HTMLParser):
    """Collects whatever in a page the browser would run inline."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "script":
            kind = (named.get("type") or "").split(";")[0].strip().lower()
            if not named.get("src") and kind not in DATA_TYPES:
                self.found.append(f"<script {attrs}> without src")
        for name, value in attrs:
            if name.startswith("on") or name.startswith(("hx-on", "data-hx-on")):
                self.found.append(f"<{tag} {name}={value!r}>")
            if (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def test_the_detector_finds_inline_scripts_handlers_and_javascript_links():
    """The page walk below can fail: what it looks for is found where it is."""
    page = (
        '<script>alert(1)</script><script type="module">x()</script>'
        '<button onclick="go()">x</button><select ONCHANGE="f()"></select>'
        '<a href=" javascript:void(0)">x</a><div hx-on:click="f()"></div>'
    )
    assert len(inline_code(page)) == 6


def test_the_detector_lets_data_and_script_files_pass():
    page = (
        '<script src="/static/web/charts.js"></script>'
        '<script type="application/json" id="d">{"a": 1}</script>'
        '<div data-chart=\'{"on": 1}\' data-busy hx-get="/x"></div>'
    )
    assert inline_code(page) == []


@time_machine.travel(date(2026, 11, 24), tick=False)
class ContentSecurityPolicyTests(MatrixWorld):
    def test_the_policy_allows_only_our_own_scripts(self):
        response = self.client_as("teacher").get(reverse("web:home"))
        policy = directives(response["Content-Security-Policy"])
        self.assertEqual(policy["script-src"], ["'self'"])
        self.assertEqual(policy["default-src"], ["'self'"])
        self.assertEqual(policy["img-src"], ["'self'", "data:"])
        self.assertEqual(policy["frame-ancestors"], ["'none'"])
        self.assertEqual(policy["form-action"], ["'self'"])
        self.assertEqual(policy["base-uri"], ["'none'"])
        self.assertEqual(policy["object-src"], ["'none'"])
        # No <style> element but our files'; inline style attributes only (ECharts' tooltips).
        self.assertEqual(policy["style-src"], ["'self'"])
        self.assertNotIn("'unsafe-eval'", response["Content-Security-Policy"])

    def test_no_page_of_any_persona_carries_inline_script(self):
        pages = 0
        for name, arg, allowed in MATRIX:
            url = reverse(name, args=self.args_for(arg))
            for persona in sorted(allowed):
                with self.subTest(url=url, persona=persona):
                    response = self.client_as(persona).get(url)
                    self.assertEqual(response.status_code, 200)
                    self.assert_safe(response)
                    pages += 1
        # Every menu page is in the matrix, so each persona's menu was walked too.
        self.assertTrue({item.url_name for item in NAV_ITEMS} <= {n for n, _, _ in MATRIX})
        self.assertGreater(pages, 300)

    def test_the_parts_htmx_fetches_and_the_login_page_carry_none_either(self):
        client = self.client_as("county_officer")
        code = self.org("county_a").code
        trend = client.get(reverse("stats:dashboard"), {"org": code, "part": "trend"})
        self.assertEqual(trend.status_code, 200)
        self.assert_safe(trend)
        compliance = client.get(reverse("care:compliance"), {"org": code}, HTTP_HX_REQUEST="1")
        self.assert_safe(compliance)
        login = Client().get(reverse("accounts:login"))
        self.assertEqual(login.status_code, 200)
        self.assert_safe(login)

    def test_the_api_docs_load_their_script_as_a_file(self):
        client = self.client_as("teacher")
        docs = client.get(reverse("api:docs"))
        self.assert_safe(docs)
        script = client.get(reverse("api:docs"), {"script": ""})
        self.assertEqual(script.status_code, 200)
        self.assertEqual(script["Content-Type"].split(";")[0], "application/javascript")

    def assert_safe(self, response) -> None:
        self.assertIn("Content-Security-Policy", response)
        self.assertEqual(directives(response["Content-Security-Policy"])["script-src"], ["'self'"])
        if response.get("Content-Type", "").startswith("text/html"):
            self.assertEqual(inline_code(response.content.decode()), [])


class HttpsTests(MatrixWorld):
    """With the settings an https:// SHOUWANG_SITE_URL gives (tests/test_settings.py checks that
    it gives them), the answers say so."""

    @override_settings(
        SECURE_HSTS_SECONDS=31536000,
        SECURE_HSTS_INCLUDE_SUBDOMAINS=False,
        SESSION_COOKIE_SECURE=True,
        CSRF_COOKIE_SECURE=True,
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    )
    def test_behind_a_tls_proxy_pages_carry_hsts_and_the_login_cookie_is_secure(self):
        client = Client(HTTP_X_FORWARDED_PROTO="https")
        page = client.get(reverse("accounts:login"))
        self.assertEqual(page["Strict-Transport-Security"], "max-age=31536000")
        self.assertTrue(page.cookies["csrftoken"]["secure"])
        from tests.world import PASSWORD

        client.post(reverse("accounts:login"), {"username": "teacher", "password": PASSWORD})
        self.assertTrue(client.cookies["sessionid"]["secure"])
        # Over plain http (nothing said it was https) no HSTS: it would mean nothing there.
        self.assertNotIn("Strict-Transport-Security", Client().get(reverse("accounts:login")))


def test_every_persona_is_walked():
    """The matrix names each persona somewhere, so none is left out of the page walk."""
    assert set().union(*(allowed for _, _, allowed in MATRIX)) == set(PERSONAS)
