"""Test settings: the product's own, with a fast password hasher (tests hash hundreds)."""

from shouwang.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
