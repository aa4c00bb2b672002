"""Password strength beyond Django's own validators."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class MixedCharacterClassesValidator:
    """A password must mix letters and digits: a child's archive is behind it."""

    def validate(self, password: str, user: object = None) -> None:
        has_letter = any(ch.isalpha() for ch in password)
        has_digit = any(ch.isdigit() for ch in password)
        if not (has_letter and has_digit):
            raise ValidationError(
                _("The password must contain both letters and digits."),
                code="password_needs_letters_and_digits",
            )

    def get_help_text(self) -> str:
        return _("Your password must contain both letters and digits.")
