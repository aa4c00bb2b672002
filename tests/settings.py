"""Test settings: the product's own, with a fast password hasher (tests hash hundreds)."""

import atexit
import shutil
import tempfile

from shouwang.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Two-step verification asked of no role (the tests log in as region officers), in the browser
# tests' server too (it reads the environment); tests/accounts/test_two_factor.py turns it on.
SHOUWANG_2FA_ROLES = os.environ.setdefault("SHOUWANG_2FA_ROLES", "")  # noqa: F405

# No writer thread for the read log (its thread would open a database of its own): a test that
# looks for a read on the log writes the waiting reads with shouwang.audit.reads.flush().
SHOUWANG_AUDIT_READS_SECONDS = 0

# Rate limits out of the way of tests that log in or call the API many times a minute, counted in
# this process's memory rather than the repository's var/. tests/web/test_security_headers.py
# lowers them again to test the limits themselves.
SHOUWANG_LOGIN_RATE_PER_USERNAME = "100000/minute"
SHOUWANG_LOGIN_RATE_PER_ADDRESS = "100000/minute"
SHOUWANG_API_RATE_USER = "100000/minute"
SHOUWANG_API_RATE_ANONYMOUS = "100000/minute"
CACHES = {
    **CACHES,  # noqa: F405
    "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rl"},
}

# The sysadmins' alerts on many 404s or many exports (notices/alerts.py) out of the way of the
# tests that walk every page as every persona; tests/notices/test_alerts.py lowers them.
SHOUWANG_ALERT_NOT_FOUND = 100000
SHOUWANG_ALERT_EXPORTS = 100000

# Files the tests keep (scans, photos, a round's frozen ledgers) go to a directory of this run's
# own, removed at its end, never the repository's var/media.
MEDIA_ROOT = tempfile.mkdtemp(prefix="shouwang-test-media-")
atexit.register(shutil.rmtree, MEDIA_ROOT, True)
