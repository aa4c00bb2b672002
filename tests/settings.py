"""Test settings: the product's own, with a fast password hasher (tests hash hundreds)."""

from shouwang.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# No writer thread for the read log (its thread would open a database of its own): a test that
# looks for a read on the log writes the waiting reads with shouwang.audit.reads.flush().
SHOUWANG_AUDIT_READS_SECONDS = 0
