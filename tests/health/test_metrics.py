"""BMI and the flags, read against the national screening tables as loaded by the migration."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shouwang.health import metrics
from shouwang.health.importer import number, vision
from shouwang.health.selectors import references

D = Decimal


def test_bmi_is_kilograms_over_metres_squared_to_one_decimal():
    assert metrics.bmi_of(D("140.0"), D("33.2")) == D("16.9")  # 16.938…
    assert metrics.bmi_of(D("150"), D("45")) == D("20.0")
    assert metrics.bmi_of(None, D("45")) is None


def test_age_counts_half_years_from_the_birthday():
    birth = date(2016, 3, 4)
    assert metrics.half_year_age(birth, date(2026, 3, 3)) == D("9.5")
    assert metrics.half_year_age(birth, date(2026, 3, 4)) == D("10")
    assert metrics.half_year_age(birth, date(2026, 9, 3)) == D("10")
    assert metrics.half_year_age(birth, date(2026, 9, 4)) == D("10.5")
    assert metrics.half_year_age(birth, date(2015, 1, 1)) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("gender", "age", "bmi", "status"),
    [
        # WS/T 586-2018: boy of 10.0 overweight from 19.2, obese from 21.9
        ("male", "10.0", "19.1", "normal"),
        ("male", "10.0", "19.2", "overweight"),
        ("male", "10.0", "21.8", "overweight"),
        ("male", "10.0", "21.9", "obese"),
        # girl of 13.0: 22.2 / 25.0
        ("female", "13.0", "22.1", "normal"),
        ("female", "13.0", "22.2", "overweight"),
        ("female", "13.0", "25.0", "obese"),
        # WS/T 456-2014: boy of 12.0 moderate/severe ≤ 14.4, mild ≤ 15.4
        ("male", "12.0", "14.4", "thin_severe"),
        ("male", "12.0", "14.5", "thin_mild"),
        ("male", "12.0", "15.4", "thin_mild"),
        ("male", "12.0", "15.5", "normal"),
        # girl of 6.5: ≤ 12.9 / ≤ 13.3
        ("female", "6.5", "12.9", "thin_severe"),
        ("female", "6.5", "13.3", "thin_mild"),
    ],
)
def test_weight_status_against_the_tables(gender, age, bmi, status):
    reference = references()[(gender, D(age))]
    assert metrics.weight_status(D(bmi), reference) == status


@pytest.mark.django_db
def test_the_tables_cover_both_sexes_from_6_to_18_by_half_years():
    refs = references()
    ages = [D(6) + D("0.5") * n for n in range(25)]
    for gender in ("male", "female"):
        for age in ages:
            row = refs[(gender, age)]
            assert row.overweight_min < row.obese_min
            if row.thin_mild_max is not None:
                assert row.thin_severe_max < row.thin_mild_max < row.overweight_min


@pytest.mark.django_db
def test_a_reading_flags_an_overweight_boy_with_poor_vision():
    reading = metrics.read(
        gender="male",
        birth=date(2016, 3, 4),
        on=date(2026, 5, 1),  # 10.0 years
        height_cm=D("140.0"),
        weight_kg=D("40.0"),  # BMI 20.4
        vision_left=D("4.7"),
        vision_right=D("5.0"),
        references=references(),
    )
    assert reading.bmi == D("20.4")
    assert reading.weight == "overweight"
    assert reading.vision == "moderate"
    assert reading.flags == [
        str(metrics.WeightStatus.OVERWEIGHT.label),
        str(metrics.VisionStatus.MODERATE.label),
    ]


@pytest.mark.django_db
def test_no_weight_flag_below_six_where_the_tables_start():
    reading = metrics.read(
        gender="female",
        birth=date(2021, 1, 1),
        on=date(2026, 11, 1),
        height_cm=D("110"),
        weight_kg=D("30"),
        references=references(),
    )
    assert reading.bmi == D("24.8")
    assert reading.weight == ""
    assert not reading.flagged


@pytest.mark.parametrize(
    ("left", "right", "status"),
    [
        ("5.1", "5.0", "normal"),
        ("4.9", "5.2", "mild"),
        ("4.6", "4.8", "moderate"),
        ("4.5", "5.0", "severe"),
        (None, None, ""),
    ],
)
def test_vision_by_the_worse_eye(left, right, status):
    as_decimal = [D(v) if v else None for v in (left, right)]
    assert metrics.vision_status(*as_decimal) == status


@given(
    birth=st.dates(min_value=date(2000, 1, 1), max_value=date(2025, 1, 1)),
    days=st.integers(min_value=0, max_value=9000),
)
def test_half_year_age_never_goes_backwards(birth, days):
    on = birth + timedelta(days=days)
    later = on + timedelta(days=1)
    age, next_age = metrics.half_year_age(birth, on), metrics.half_year_age(birth, later)
    assert age is not None and next_age is not None
    assert D(0) <= age <= next_age <= age + D("0.5")
    assert age * 2 == int(age * 2)


@given(st.decimals(min_value=D("60"), max_value=D("220"), places=1))
def test_a_measure_reads_back_whatever_way_it_was_typed(value):
    assert number(f"{value}cm") == value
    assert (
        number(str(value).translate(str.maketrans("0123456789.", "０１２３４５６７８９．")))
        == value
    )
    assert number(float(value)) == value


def test_decimal_vision_is_turned_into_the_five_point_record():
    assert vision("1.0") == D("5.0")
    assert vision("0.1") == D("4.0")
    assert vision("0.6") == D("4.8")
    assert vision("4.8") == D("4.8")


@given(st.decimals(min_value=D("0.1"), max_value=D("1.9"), places=1))
def test_decimal_vision_becomes_the_five_point_record_monotonically(value):
    five = vision(value)
    assert D("4.0") <= five <= D("5.3")
    assert vision(value + D("0.1")) >= five
