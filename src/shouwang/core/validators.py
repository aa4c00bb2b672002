"""Parsers and validators of the archive's values: one place for each rule.

Used by the archive's models and forms and by the ledger importer alike, so a rule cannot differ
between a page and an Excel file. Pure functions: no database.

Every rejection is a ``ValidationError`` with a stable ``code`` (``id_lost_precision``,
``id_characters``, ``id_length``, ``id_check_digit``, ``id_date``, ``phone_invalid``,
``date_invalid``); callers and tests go by the code, people read the message.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final, Literal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

__all__ = [
    "AGREEMENT_CODES",
    "IdGender",
    "IdNumberInfo",
    "check_id_agrees",
    "id_check_digit",
    "mask_id_number",
    "mask_phone",
    "normalise_id_number",
    "normalise_phone",
    "parse_date_loose",
    "parse_id_number",
    "to_half_width",
]

# Full-width digits, letters and punctuation, as Chinese input methods type them.
_FULL_WIDTH: Final = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Invisible characters that come along when a value is copied out of Excel, Word or WeChat.
_INVISIBLE: Final = dict.fromkeys((0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF))


def to_half_width(text: str) -> str:
    """Full-width ０-９, Ａ-Ｚ, punctuation and the ideographic space as their ASCII twins."""
    return text.translate(_FULL_WIDTH)


def _clean(raw: object) -> str:
    return to_half_width(str(raw)).translate(_INVISIBLE).strip()


# --- 公民身份号码 (GB 11643-1999) --------------------------------------------------------------

_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK: Final = "10X98765432"
_FIRST17: Final = re.compile(r"[0-9]{17}")
_ID_SHAPE: Final = re.compile(r"[0-9]{17}[0-9X]")
_ID_CHARACTERS: Final = re.compile(r"[0-9]*X?")
# How Excel shows an 18-digit number it has kept as a number: 5.20330201503041E+17, or the
# same with a decimal point and no exponent once the cell is formatted "0.0".
_SCIENTIFIC: Final = re.compile(r"[0-9]*\.?[0-9]*E[+]?[0-9]+|[0-9]+\.[0-9]*|\.[0-9]+")

IdGender = Literal["male", "female"]

# The ValidationError code a caller should give each field check_id_agrees reports.
AGREEMENT_CODES: Final[dict[str, str]] = {
    "birth_date": "birth_date_mismatch",
    "gender": "gender_mismatch",
}


def _lost_precision() -> ValidationError:
    return ValidationError(
        _(
            "The ID number was stored as a number in Excel and lost its last digits: "
            "format the column as text and type it again."
        ),
        code="id_lost_precision",
    )


def id_check_digit(first17: str) -> str:
    """The 18th character of the ID number whose first 17 digits are given (GB 11643-1999)."""
    if not _FIRST17.fullmatch(first17):
        raise ValueError(f"17 ASCII digits expected, got {len(first17)} characters")
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


@dataclass(frozen=True, slots=True)
class IdNumberInfo:
    number: str
    birth_date: date
    gender: IdGender
    region_code: str


def normalise_id_number(raw: object) -> str:
    """18 characters, upper-case X: spaces dropped and full-width characters made ASCII.

    Only the shape is checked here; ``parse_id_number`` checks the check digit and the date.
    A float (a number cell of a spreadsheet) is always refused: a double keeps 15-16
    significant digits, so its last digits are already gone.
    """
    if isinstance(raw, float):
        raise _lost_precision()
    text = re.sub(r"\s+", "", _clean(raw)).upper()
    if _SCIENTIFIC.fullmatch(text):
        raise _lost_precision()
    if not _ID_CHARACTERS.fullmatch(text):
        raise ValidationError(
            _("An ID number has only digits and a final X."), code="id_characters"
        )
    if len(text) == 15 and text.isdigit():
        raise ValidationError(
            _("This is an old 15-digit ID number: type the 18-digit one."), code="id_length"
        )
    if not _ID_SHAPE.fullmatch(text):
        raise ValidationError(
            _("An ID number has 18 characters (%(n)s given)."),
            code="id_length",
            params={"n": len(text)},
        )
    return text


def parse_id_number(raw: object, *, today: date | None = None) -> IdNumberInfo:
    """The ID number, its holder's birth date, gender and region; ``today`` defaults to the
    local date and bounds the birth date."""
    number = normalise_id_number(raw)
    if id_check_digit(number[:17]) != number[17]:
        if number.endswith("000"):
            # Excel keeps 15 significant digits and shows the rest as zeros.
            raise _lost_precision()
        raise ValidationError(_("The check digit is wrong."), code="id_check_digit")
    try:
        birth: date | None = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        birth = None
    if birth is None or birth.year < 1900 or birth > (today or timezone.localdate()):
        raise ValidationError(_("The birth date in the ID number is impossible."), code="id_date")
    gender: IdGender = "male" if int(number[16]) % 2 else "female"
    return IdNumberInfo(number=number, birth_date=birth, gender=gender, region_code=number[:6])


def check_id_agrees(
    *, info: IdNumberInfo, birth_date: date | None, gender: str | None
) -> dict[str, str]:
    """Field ("birth_date", "gender") → message for what the ID number contradicts.

    Empty values are not contradictions. ``AGREEMENT_CODES`` names the code for each field.
    """
    errors: dict[str, str] = {}
    if isinstance(birth_date, datetime):
        birth_date = birth_date.date()
    if birth_date and birth_date != info.birth_date:
        errors["birth_date"] = _("The ID number says the child was born on %(date)s.") % {
            "date": info.birth_date.isoformat()
        }
    if gender and gender != info.gender:
        errors["gender"] = (
            _("The ID number belongs to a boy.")
            if info.gender == "male"
            else _("The ID number belongs to a girl.")
        )
    return errors


# --- Phone numbers ----------------------------------------------------------------------------

# Spaces, dashes (ASCII, en and em), dots and parentheses may fall anywhere in a mobile number.
_PHONE_SEPARATORS: Final = re.compile(r"[\s\-.()\u2013\u2014]+")
_MOBILE: Final = re.compile(r"(?:\+86|0086|86)?(1[3-9][0-9]{9})")
# Area codes: 010 and 02x have three digits, 03xx-09xx four; 01x other than 010 do not exist.
_AREA: Final = r"010|02[0-9]|0[3-9][0-9]{2}"
_LANDLINE: Final = re.compile(
    rf"(?:\((?P<bracketed>{_AREA})\)|(?P<area>{_AREA}))\s*[-.]?\s*"
    # 7 or 8 digits, perhaps split 3-4 or 4-4 by one space or dash.
    r"(?P<head>[1-9][0-9]{2,3})[\s\-]?(?P<tail>[0-9]{4})"
    r"(?:\s*(?:-|转|分机|ext\.?|x|#)\s*(?P<ext>[0-9]{1,6}))?",
    flags=re.IGNORECASE,
)


def _invalid_phone() -> ValidationError:
    return ValidationError(_("Not a Chinese mobile or landline number."), code="phone_invalid")


def normalise_phone(raw: object) -> str:
    """A Chinese mobile ("13812345678") or landline ("0851-22345678", "0851-22345678-123").

    Mobiles may carry +86, 0086 or 86 and any spaces, dashes, dots or parentheses; landlines
    are an area code (in parentheses or not), 7-8 digits and an optional extension after
    "-", "转", "分机", "ext" or "x". Full-width characters are read as their ASCII twins.
    """
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # a number cell of a spreadsheet: 13812345678.0
    text = _clean(raw)
    mobile = _MOBILE.fullmatch(_PHONE_SEPARATORS.sub("", text))
    if mobile:
        return mobile.group(1)
    landline = _LANDLINE.fullmatch(text)
    if landline:
        area = landline.group("bracketed") or landline.group("area")
        number = landline.group("head") + landline.group("tail")
        extension = landline.group("ext")
        return f"{area}-{number}" + (f"-{extension}" if extension else "")
    raise _invalid_phone()


# --- Masks ------------------------------------------------------------------------------------


def _mask(text: str, *, head: int, tail: int) -> str:
    """Keep ``head`` and ``tail`` characters if at least four are hidden between them; shorter
    values keep at most their last two characters and always hide at least half."""
    n = len(text)
    if n - head - tail < 4:
        head, tail = 0, min(2, n // 2)
    return text[:head] + "*" * (n - head - tail) + text[n - tail :]


def mask_id_number(number: str) -> str:
    """5203**********1234: the first four and last four characters, the length kept."""
    return _mask(number, head=4, tail=4)


def mask_phone(phone: str) -> str:
    """138****5678 for a mobile, 0851-****5678 for a landline (its extension dropped)."""
    try:
        canonical = normalise_phone(phone)
    except ValidationError:
        return _mask(phone, head=3, tail=4)
    area, _dash, rest = canonical.partition("-")
    if not rest:
        return _mask(canonical, head=3, tail=4)
    number = rest.partition("-")[0]
    return f"{area}-" + "*" * (len(number) - 4) + number[-4:]


# --- Dates ------------------------------------------------------------------------------------

# Excel's 1900 date system counts 1900-01-01 as 1 and believes in a 1900-02-29 (serial 60),
# so from serial 61 (1900-03-01) on day 0 is 1899-12-30.
_EXCEL_EPOCH: Final = date(1899, 12, 30)
_EXCEL_FAKE_LEAP_DAY: Final = 60
_EXCEL_LAST_SERIAL: Final = 2958465  # 9999-12-31
_DATE_SEPARATED: Final = re.compile(r"([0-9]{4})([./-])([0-9]{1,2})\2([0-9]{1,2})")
_DATE_CHINESE: Final = re.compile(r"([0-9]{4})\s*年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*[日号]?")
_DATE_COMPACT: Final = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")


def _not_a_date(raw: object) -> ValidationError:
    shown = str(raw).strip()
    if len(shown) > 40:
        shown = shown[:40] + "…"
    return ValidationError(
        _("%(value)s is not a date."), code="date_invalid", params={"value": shown}
    )


def _from_excel_serial(serial: float) -> date:
    if not math.isfinite(serial) or not 1 <= serial <= _EXCEL_LAST_SERIAL:
        raise _not_a_date(serial)
    days = int(serial)  # a fraction is the time of day
    if days == _EXCEL_FAKE_LEAP_DAY:
        raise _not_a_date(serial)
    if days < _EXCEL_FAKE_LEAP_DAY:
        days += 1
    return _EXCEL_EPOCH + timedelta(days=days)


def parse_date_loose(raw: object) -> date:
    """A date as clerks give it: a date or datetime, an Excel serial (1900 date system), or
    2015.3.4, 2015-03-04, 2015/3/4, 2015年3月4日, 20150304, full-width digits allowed."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, bool):
        raise _not_a_date(raw)
    if isinstance(raw, int | float):
        return _from_excel_serial(raw)
    text = _clean(raw)
    parts: tuple[str, ...] | None = None
    if match := _DATE_SEPARATED.fullmatch(text):
        parts = (match.group(1), match.group(3), match.group(4))
    elif match := _DATE_CHINESE.fullmatch(text) or _DATE_COMPACT.fullmatch(text):
        parts = match.groups()
    if parts is not None:
        try:
            return date(*(int(p) for p in parts))
        except ValueError:
            pass
    raise _not_a_date(raw)
