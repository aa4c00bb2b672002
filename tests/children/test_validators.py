"""Property tests of the archive's pure validators: ID numbers, phones, masks, loose dates."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given
from hypothesis import strategies as st

from shouwang.core.validators import (
    AGREEMENT_CODES,
    IdGender,
    IdNumberInfo,
    check_id_agrees,
    id_check_digit,
    mask_id_number,
    mask_phone,
    normalise_id_number,
    normalise_phone,
    parse_date_loose,
    parse_id_number,
)

TODAY = date(2026, 1, 1)
FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
CANONICAL_PHONE = re.compile(
    r"1[3-9][0-9]{9}"  # mobile
    r"|(?:010|02[0-9]|0[3-9][0-9]{2})-[1-9][0-9]{6,7}(?:-[0-9]{1,6})?"  # landline
)


def code_of(call: Callable[..., object], *args: object, **kwargs: object) -> str | None:
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value.code


def with_check_digit(first17: str) -> str:
    return first17 + id_check_digit(first17)


@st.composite
def id_numbers(draw: st.DrawFn) -> tuple[str, date, IdGender]:
    region = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    birth = draw(st.dates(min_value=date(1950, 1, 1), max_value=date(2025, 12, 31)))
    sequence = draw(st.integers(min_value=0, max_value=999))
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    gender: IdGender = "male" if sequence % 2 else "female"
    return with_check_digit(first17), birth, gender


# --- ID numbers -------------------------------------------------------------------------------


def test_check_digit_of_the_standards_example() -> None:
    # The examples of GB 11643-1999: 11010519491231002X and 440524188001010014.
    assert id_check_digit("11010519491231002") == "X"
    assert id_check_digit("44052418800101001") == "4"
    with pytest.raises(ValueError):
        id_check_digit("1101051949123100")
    with pytest.raises(ValueError):
        id_check_digit("1101051949123100X")


@given(id_numbers())
def test_valid_id_numbers_parse_and_give_back_birth_date_and_gender(
    generated: tuple[str, date, IdGender],
) -> None:
    number, birth, gender = generated
    info = parse_id_number(number, today=TODAY)
    assert info == IdNumberInfo(
        number=number, birth_date=birth, gender=gender, region_code=number[:6]
    )
    assert check_id_agrees(info=info, birth_date=birth, gender=gender) == {}


@given(id_numbers(), st.sampled_from("0123456789X"))
def test_any_other_check_digit_fails(generated: tuple[str, date, IdGender], wrong: str) -> None:
    number = generated[0]
    if wrong == number[-1]:
        return
    flipped = number[:-1] + wrong
    expected = "id_lost_precision" if flipped.endswith("000") else "id_check_digit"
    assert code_of(parse_id_number, flipped, today=TODAY) == expected


@given(id_numbers())
def test_lower_case_x_full_width_and_spaces_are_accepted(
    generated: tuple[str, date, IdGender],
) -> None:
    number = generated[0]
    typed = f" {number[:6]} {number[6:14]}\u3000{number[14:]} ".translate(FULL_WIDTH).lower()
    assert normalise_id_number(typed) == number
    assert parse_id_number(typed, today=TODAY).number == number


def test_lower_case_x() -> None:
    number = with_check_digit("11010120160101049")
    assert number.endswith("X")
    assert normalise_id_number(number.lower()) == number
    assert parse_id_number(number[:-1] + "ｘ", today=TODAY).gender == "male"


@pytest.mark.parametrize(
    "raw",
    [
        "5.20330201503041E+17",
        "5.20330201503041e+17",
        "5.20330201503041E17",
        "５.２０３３０２０１５０３０４１Ｅ＋１７",
        "520330201503041000.0",
        "5.20330201503041",
        5.20330201503041e17,
        520330201503041000.0,
    ],
)
def test_numbers_excel_lost_digits_of_say_so(raw: object) -> None:
    assert code_of(normalise_id_number, raw) == "id_lost_precision"


def test_trailing_zeros_with_a_wrong_check_digit_are_lost_digits() -> None:
    first17 = "52033020150304100"
    assert id_check_digit(first17) != "0"
    assert code_of(parse_id_number, first17 + "0", today=TODAY) == "id_lost_precision"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "id_length"),
        ("1101052015030412", "id_length"),
        ("1101052015030412345", "id_length"),
        ("110105150304123", "id_length"),  # the old 15-digit kind
        ("11010520150304X123", "id_characters"),
        ("X10105201503041234", "id_characters"),
        ("11010520150304123-", "id_characters"),
        ("110105-20150304-1234", "id_characters"),
        ("11010520150304123Y", "id_characters"),
        ("١١٠١٠٥٢٠١٥٠٣٠٤١٢٣٤", "id_characters"),  # Arabic-Indic digits are not ASCII ones
    ],
)
def test_malformed_id_numbers(raw: str, code: str) -> None:
    assert code_of(normalise_id_number, raw) == code


@pytest.mark.parametrize(
    "first17",
    [
        "11010520150230123",  # 30 February
        "11010520151301123",  # month 13
        "11010520150400123",  # day 0
        "11010518991231123",  # before 1900
        "11010520260102123",  # after TODAY
    ],
)
def test_impossible_birth_dates(first17: str) -> None:
    assert code_of(parse_id_number, with_check_digit(first17), today=TODAY) == "id_date"


def test_birth_date_is_bounded_by_the_local_date_by_default() -> None:
    future = with_check_digit(f"110105{date.today().year + 1}0101123")
    assert code_of(parse_id_number, future) == "id_date"


def test_check_id_agrees_reports_what_the_id_number_contradicts() -> None:
    info = parse_id_number(with_check_digit("11010520150304123"), today=TODAY)
    assert (info.birth_date, info.gender, info.region_code) == (date(2015, 3, 4), "male", "110105")
    assert check_id_agrees(info=info, birth_date=None, gender=None) == {}
    assert check_id_agrees(info=info, birth_date=datetime(2015, 3, 4, 8), gender="male") == {}
    errors = check_id_agrees(info=info, birth_date=date(2015, 3, 5), gender="female")
    assert set(errors) == {"birth_date", "gender"}
    assert all(isinstance(message, str) and message for message in errors.values())
    assert "2015-03-04" in errors["birth_date"]
    assert set(check_id_agrees(info=info, birth_date=date(2015, 3, 4), gender="female")) == {
        "gender"
    }
    girl = parse_id_number(with_check_digit("11010520150304122"), today=TODAY)
    assert set(check_id_agrees(info=girl, birth_date=date(2015, 3, 4), gender="male")) == {"gender"}
    assert AGREEMENT_CODES == {"birth_date": "birth_date_mismatch", "gender": "gender_mismatch"}


# --- Phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("13812345678", "13812345678"),
        (" 138 1234 5678 ", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("138.1234.5678", "13812345678"),
        ("(138)1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+86-139-0013-9000", "13900139000"),
        ("(+86)13812345678", "13812345678"),
        ("＋８６　１３８１２３４５６７８", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("199\u200b12345678", "19912345678"),
        (13812345678, "13812345678"),
        (13812345678.0, "13812345678"),
        ("0851-22345678", "0851-22345678"),
        ("0851 22345678", "0851-22345678"),
        ("085122345678", "0851-22345678"),
        ("(0851)2234567", "0851-2234567"),
        ("（０８５１）２２３４５６７", "0851-2234567"),
        ("(0851) 2234 5678", "0851-22345678"),
        ("0851-2234 5678", "0851-22345678"),
        ("0851-2234-5678", "0851-22345678"),
        ("010 12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("021-61234567", "021-61234567"),
        ("0851-22345678-123", "0851-22345678-123"),
        ("0851-22345678转123", "0851-22345678-123"),
        ("0851-22345678 转 123", "0851-22345678-123"),
        ("0851-22345678分机8", "0851-22345678-8"),
        ("0851-22345678 ext. 123", "0851-22345678-123"),
        ("021-61381234-5678", "021-61381234-5678"),
    ],
)
def test_phone_formats(raw: object, canonical: str) -> None:
    assert normalise_phone(raw) == canonical
    assert normalise_phone(canonical) == canonical


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "None",
        "1381234567",  # ten digits
        "138123456789",  # twelve
        "12812345678",  # no mobile begins 12
        "+13812345678",
        "+87 13812345678",
        "013812345678",  # 01x is not an area code, only 010 is
        "0851-123456",  # six digits
        "0851-123456789",  # nine digits
        "0851-02345678",
        "08-22345678",
        "(0851-22345678",
        "0851-22345678-",
        "0851-22345678转",
        "0851-22345678-1234567",
        "13812345678-123",  # a mobile has no extension
        "138 1234 5678 x",
        "tel:13812345678",
        "١٣٨١٢٣٤٥٦٧٨",
    ],
)
def test_not_phones(raw: str) -> None:
    assert code_of(normalise_phone, raw) == "phone_invalid"


separators = st.text(alphabet=" -.()\u3000－（）", max_size=2)


@given(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.lists(separators, min_size=12, max_size=12),
    st.sampled_from(["", "+86", "0086", "86", "+86 ", "(+86)", "＋８６-"]),
    st.booleans(),
)
def test_mobile_with_any_separators_normalises_back_to_itself(
    mobile: str, gaps: list[str], prefix: str, full_width: bool
) -> None:
    typed = prefix + "".join(gap + digit for gap, digit in zip(gaps, mobile + " ", strict=True))
    if full_width:
        typed = typed.translate(FULL_WIDTH)
    assert normalise_phone(typed) == mobile


@given(
    st.one_of(
        st.text(max_size=25),
        st.text(alphabet="0123456789 -+().转x", max_size=20),
        st.from_regex(r"\(?0[0-9]{2,3}\)?[ -]?[0-9]{6,9}(-[0-9]{1,7})?", fullmatch=True),
    )
)
@example("0851-22345678")
@example("13812345678")
def test_anything_accepted_as_a_phone_is_canonical(raw: str) -> None:
    try:
        phone = normalise_phone(raw)
    except ValidationError as exc:
        assert exc.code == "phone_invalid"
        return
    assert CANONICAL_PHONE.fullmatch(phone), phone
    assert normalise_phone(phone) == phone


# --- Masks ------------------------------------------------------------------------------------


def test_mask_examples() -> None:
    assert mask_id_number("520330201503041234") == "5203**********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0851-22345678") == "0851-****5678"
    assert mask_phone("0851-2234567-123") == "0851-***4567"
    assert mask_phone("+86 138 1234 5678") == "138****5678"
    assert mask_id_number("") == mask_phone("") == ""
    assert mask_id_number("1") == mask_phone("1") == "*"
    assert mask_id_number("12") == "*2"
    assert mask_id_number("1234567") == "*****67"
    assert mask_phone("12345") == "***45"


@given(id_numbers())
def test_masked_id_number_keeps_its_length_and_hides_the_middle(
    generated: tuple[str, date, IdGender],
) -> None:
    number = generated[0]
    masked = mask_id_number(number)
    assert len(masked) == len(number)
    assert masked == number[:4] + "*" * 10 + number[-4:]


no_stars = st.text(alphabet=st.characters(exclude_characters="*"), min_size=1, max_size=30)


@given(st.one_of(no_stars, st.from_regex(r"[0-9]{1,20}", fullmatch=True)))
@example("13812345678")
@example("0851-22345678-123")
@example("12345678")
def test_masks_never_give_the_whole_value(value: str) -> None:
    masked_id = mask_id_number(value)
    assert len(masked_id) == len(value)
    assert value not in masked_id
    assert value not in mask_phone(value)
    if len(value) < 8:
        assert masked_id[: len(value) - 2].strip("*") == ""


# --- Dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        date(2015, 3, 4),
        datetime(2015, 3, 4, 13, 30),
        42067,
        42067.0,
        42067.75,  # with a time of day
        "2015.3.4",
        "2015-03-04",
        "2015/3/4",
        "2015年3月4日",
        "2015 年 3 月 4 日",
        "2015年3月4号",
        "2015年03月04",
        "20150304",
        "  2015-03-04\t",
        "２０１５．３．４",
        "２０１５年３月４日",
        "２０１５０３０４",
        "２０１５／０３／０４",
    ],
)
def test_dates_as_clerks_write_them(raw: object) -> None:
    assert parse_date_loose(raw) == date(2015, 3, 4)


@pytest.mark.parametrize(
    ("serial", "day"),
    [
        (1, date(1900, 1, 1)),
        (59, date(1900, 2, 28)),
        (61, date(1900, 3, 1)),
        (25569, date(1970, 1, 1)),
        (42441, date(2016, 3, 12)),
        (2958465, date(9999, 12, 31)),
    ],
)
def test_excel_serials(serial: int, day: date) -> None:
    assert parse_date_loose(serial) == day


@pytest.mark.parametrize(
    "raw",
    [
        0,
        -1,
        0.5,
        60,  # Excel's 29 February 1900, a day that never was
        2958466,
        float("nan"),
        float("inf"),
        True,
        None,
        "",
        "42067",
        "2015.2.30",
        "2015-13-01",
        "2015-3/4",
        "2015.3-4",
        "2015年3-4",
        "15.3.4",
        "2015.3",
        "201534",
        "2015030",
        "201503041",
        "2015 03 04",
        "4.3.2015",
        "2015-03-04 trailing",
        "March 4, 2015",
        "١٥/٣/٢٠١٥",
    ],
)
def test_not_dates(raw: object) -> None:
    assert code_of(parse_date_loose, raw) == "date_invalid"


def test_a_long_value_is_shortened_in_the_message() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_date_loose("x" * 500)
    (message,) = caught.value.messages
    assert "x" * 40 in message
    assert "x" * 41 not in message


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)), st.booleans())
def test_any_date_in_the_usual_forms_parses(day: date, full_width: bool) -> None:
    for text in [
        f"{day.year}.{day.month}.{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day:%Y%m%d}",
        f"{day:%Y/%m/%d}",
        f"{day:%Y-%m-%d}",
        day.isoformat(),
    ]:
        typed = text.translate(FULL_WIDTH) if full_width else text
        assert parse_date_loose(f" {typed} ") == day


@given(st.text(alphabet=st.characters(exclude_categories=["Nd"]), max_size=20))
def test_text_without_digits_is_never_a_date(raw: str) -> None:
    assert code_of(parse_date_loose, raw) == "date_invalid"


@given(st.text(alphabet="0123456789.-/年月日 ", max_size=14))
def test_any_accepted_string_is_a_real_date(raw: str) -> None:
    try:
        day = parse_date_loose(raw)
    except ValidationError as exc:
        assert exc.code == "date_invalid"
        return
    assert isinstance(day, date)
    assert str(day.year) in raw
