"""Phone numbers as tap-to-call links (the ``{{ phone|tel }}`` filter, and pages that answer
with a number revealed).

Give it the number the user may see. A masked number (138****5678), or text that is no phone
number, stays plain (escaped) text: only a number that parses becomes a ``tel:`` link, its
address built from the digits alone, so no input can reach the attribute.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

from shouwang.core.validators import normalise_phone


def tel_link(value: Any) -> SafeString:
    text = "" if value is None else str(value).strip()
    if not text or "*" in text:
        return conditional_escape(text)
    try:
        canonical = normalise_phone(text)
    except ValidationError:
        return conditional_escape(text)
    area_or_mobile, _dash, rest = canonical.partition("-")
    number, _dash, extension = rest.partition("-")
    address = area_or_mobile + number + (f";ext={extension}" if extension else "")
    return format_html('<a href="tel:{}" class="tel">{}</a>', address, text)
