"""An https:// SHOUWANG_SITE_URL turns on HSTS and Secure cookies; the proxy header is trusted
only when SHOUWANG_BEHIND_PROXY says a proxy is there. Settings are read afresh in a process of
their own with the environment given, as at a real start."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SHOW = (
    "import json; from shouwang import settings as s; print(json.dumps({"
    "'hsts': s.SECURE_HSTS_SECONDS, 'subdomains': s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
    "'session': s.SESSION_COOKIE_SECURE, 'csrf': s.CSRF_COOKIE_SECURE,"
    "'proxy': getattr(s, 'SECURE_PROXY_SSL_HEADER', None)}))"
)
YEAR = 365 * 24 * 3600


def settings_with(env: dict[str, str], tmp_path) -> dict[str, object]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SHOUWANG_") and k not in ("DATABASE_URL", "SECRET_KEY")
    }
    result = subprocess.run(
        [sys.executable, "-c", SHOW],
        env={**clean, "SHOUWANG_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return dict(json.loads(result.stdout))


def test_plain_http_has_no_hsts_and_cookies_that_travel_in_the_clear(tmp_path):
    found = settings_with({"SHOUWANG_SITE_URL": "http://shouwang.example.cn"}, tmp_path)
    assert found == {"hsts": 0, "subdomains": False, "session": False, "csrf": False, "proxy": None}


@pytest.mark.parametrize("url", ["https://shouwang.example.cn", "HTTPS://Shouwang.example.cn/"])
def test_https_turns_on_a_years_hsts_and_secure_cookies(tmp_path, url):
    found = settings_with({"SHOUWANG_SITE_URL": url}, tmp_path)
    assert found == {
        "hsts": YEAR,
        "subdomains": False,
        "session": True,
        "csrf": True,
        "proxy": None,
    }


def test_https_cookies_cannot_be_turned_off_by_the_old_switch(tmp_path):
    found = settings_with(
        {"SHOUWANG_SITE_URL": "https://x.example.cn", "SHOUWANG_SECURE_COOKIES": "0"}, tmp_path
    )
    assert (found["session"], found["csrf"]) == (True, True)


def test_the_old_switch_still_forces_secure_cookies_over_an_http_address(tmp_path):
    found = settings_with(
        {"SHOUWANG_SITE_URL": "http://x.example.cn", "SHOUWANG_SECURE_COOKIES": "1"}, tmp_path
    )
    assert (found["session"], found["csrf"], found["hsts"]) == (True, True, 0)


def test_subdomains_and_the_proxy_header_only_when_asked(tmp_path):
    found = settings_with(
        {
            "SHOUWANG_SITE_URL": "https://x.example.cn",
            "SHOUWANG_HSTS_INCLUDE_SUBDOMAINS": "1",
            "SHOUWANG_BEHIND_PROXY": "1",
        },
        tmp_path,
    )
    assert found["subdomains"] is True
    assert found["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.mark.parametrize(
    "name", ["SHOUWANG_BEHIND_PROXY", "SHOUWANG_HSTS_INCLUDE_SUBDOMAINS", "SHOUWANG_HSTS_SECONDS"]
)
def test_a_value_that_cannot_be_read_stops_the_start(tmp_path, name):
    env = {"SHOUWANG_SITE_URL": "https://x.example.cn", name: "perhaps"}
    with pytest.raises(subprocess.CalledProcessError) as failed:
        settings_with(env, tmp_path)
    assert name in failed.value.stderr


@pytest.mark.parametrize(
    "name",
    [
        "SHOUWANG_LOGIN_RATE_PER_USERNAME",
        "SHOUWANG_LOGIN_RATE_PER_ADDRESS",
        "SHOUWANG_API_RATE_USER",
        "SHOUWANG_API_RATE_ANONYMOUS",
    ],
)
def test_a_rate_that_cannot_be_read_stops_the_start(tmp_path, name):
    with pytest.raises(subprocess.CalledProcessError) as failed:
        settings_with({name: "ten a minute"}, tmp_path)
    assert name in failed.value.stderr
