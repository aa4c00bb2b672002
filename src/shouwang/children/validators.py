"""Parsers and validators of the archive's values: one place for each rule.

Used by the archive's models and forms and by the ledger importer alike, so a rule cannot differ
between a page and an Excel file. Pure functions: no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

# Full-width digits, letters and punctuation, as Chinese input methods type them.
_FULL_WIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

# GB 11643-1999: the check digit of an 18-digit 公民身份号码.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def to_half_width(text: str) -> str:
    return text.translate(_FULL_WIDTH)


def id_check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


@dataclass(frozen=True)
class IdNumberInfo:
    number: str
    birth_date: date
    gender: str
    region_code: str


def normalise_id_number(raw: object) -> str:
    text = re.sub(r"\s+", "", to_half_width(str(raw))).upper()
    # Excel turns an 18-digit number into 5.20330201503041E+17 or 520330201503041000:
    # the last digits are gone and cannot be guessed back.
    if "E+" in text or re.fullmatch(r"\d+\.\d*", text) or isinstance(raw, float):
        raise ValidationError(
            _(
                "The ID number was stored as a number in Excel and lost its last digits: "
                "format the column as text and type it again."
            ),
            code="id_lost_precision",
        )
    if not re.fullmatch(r"[0-9X]*", text):
        raise ValidationError(
            _("An ID number has only digits and a final X."), code="id_characters"
        )
    if len(text) != 18 or "X" in text[:17]:
        raise ValidationError(
            _("An ID number has 18 characters (%(n)s given).") % {"n": len(text)},
            code="id_length",
        )
    return text


def parse_id_number(raw: object) -> IdNumberInfo:
    number = normalise_id_number(raw)
    if id_check_digit(number[:17]) != number[17]:
        raise ValidationError(_("The check digit is wrong."), code="id_check_digit")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        birth = None
    if birth is None or birth.year < 1900 or birth > timezone.localdate():
        raise ValidationError(_("The birth date in the ID number is impossible."), code="id_date")
    gender = "male" if int(number[16]) % 2 else "female"
    return IdNumberInfo(number=number, birth_date=birth, gender=gender, region_code=number[:6])


def check_id_agrees(
    *, info: IdNumberInfo, birth_date: date | None, gender: str | None
) -> dict[str, str]:
    """Field → message for what the ID number contradicts."""
    errors: dict[str, str] = {}
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


_MOBILE = re.compile(r"1[3-9]\d{9}")


def normalise_phone(raw: object) -> str:
    """A Chinese mobile (13812345678) or landline (0851-22345678[-ext]) in one canonical form."""
    text = to_half_width(str(raw)).strip()
    extension = ""
    match = re.search(r"(?:转|ext\.?|x|-)\s*(\d{1,5})$", text, flags=re.IGNORECASE)
    digits_all = re.sub(r"\D", "", text)
    if match and not _MOBILE.fullmatch(digits_all[-11:] if len(digits_all) >= 11 else ""):
        head = text[: match.start()]
        head_digits = re.sub(r"\D", "", head)
        if head_digits.startswith("0") and 10 <= len(head_digits) <= 12:
            extension = match.group(1)
            text = head
    if re.search(r"[^\d\s()+\-.]", text):
        raise ValidationError(_("Not a Chinese mobile or landline number."), code="phone_invalid")
    digits = re.sub(r"\D", "", text)
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and _MOBILE.fullmatch(digits[len(prefix) :]):
            digits = digits[len(prefix) :]
    if not extension and _MOBILE.fullmatch(digits):
        return digits
    if digits.startswith("0"):
        # Area codes: 010 and 02x have three digits, every other one four.
        area_len = 3 if digits.startswith(("010", "02")) else 4
        area, number = digits[:area_len], digits[area_len:]
        if len(area) == area_len and 7 <= len(number) <= 8:
            return f"{area}-{number}" + (f"-{extension}" if extension else "")
    raise ValidationError(_("Not a Chinese mobile or landline number."), code="phone_invalid")


def mask_id_number(number: str) -> str:
    if len(number) < 8:
        return "*" * max(len(number) - 2, 0) + number[-2:] if len(number) > 2 else "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(phone: str) -> str:
    if "-" in phone:
        area, _dash, rest = phone.partition("-")
        number = rest.split("-")[0]
        return f"{area}-{'*' * max(len(number) - 4, 1)}{number[-4:] if len(number) > 4 else ''}"
    if len(phone) < 8:
        return "*" * max(len(phone) - 2, 0) + phone[-2:] if len(phone) > 2 else "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 in Excel's 1900 date system
_DATE_PATTERNS = [
    re.compile(r"(\d{4})[.\-/年](\d{1,2})[.\-/月](\d{1,2})日?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
]


def parse_date_loose(raw: object) -> date:
    """A date as clerks type it: Excel serials, 2015.3.4, 2015-03-04, 2015/3/4, 2015年3月4日,
    20150304, full-width digits."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if 1 <= raw <= 2958465:
            return _EXCEL_EPOCH + timedelta(days=int(raw))
        raise ValidationError(_("%(value)s is not a date.") % {"value": raw}, code="date_invalid")
    text = re.sub(r"\s+", "", to_half_width(str(raw)))
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            try:
                return date(*(int(g) for g in match.groups()))
            except ValueError:
                break
    raise ValidationError(_("%(value)s is not a date.") % {"value": raw}, code="date_invalid")
