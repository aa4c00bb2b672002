from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shouwang.orgs.models import Enrolment, Org, OrgKind, Stage
from shouwang.orgs.selectors import enrolment_under

pytestmark = pytest.mark.django_db


def shouwang(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def county() -> Org:
    shouwang("org", "add", "--code", "520330000000", "--name", "习水县", "--kind", "county")
    shouwang(
        "org",
        "add",
        "--code",
        "520330100000",
        "--name",
        "东皇镇",
        "--kind",
        "township",
        "--parent",
        "520330000000",
    )
    shouwang(
        "org",
        "add",
        "--code",
        "5203300001",
        "--name",
        "东皇镇中心小学",
        "--kind",
        "school",
        "--parent",
        "520330100000",
    )
    return Org.objects.get(code="520330000000")


def test_org_add_builds_the_tree(county):
    school = Org.objects.get(code="5203300001")
    assert school.kind == OrgKind.SCHOOL
    assert Org.objects.get(code="520330100000") in Org.objects.get_ancestors(school)
    assert school.path.startswith(county.path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--code", "5203", "--name", "坏县", "--kind", "county"], "12"),
        (["--code", "520330200000", "--name", "孤镇", "--kind", "township"], "上级"),
        (
            [
                "--code",
                "520330200000",
                "--name",
                "错镇",
                "--kind",
                "township",
                "--parent",
                "5203300001",
            ],
            "不能",
        ),
        (
            [
                "--code",
                "520330200000",
                "--name",
                "无镇",
                "--kind",
                "township",
                "--parent",
                "999999999999",
            ],
            "999999999999",
        ),
        (["--code", "520330000000", "--name", "重复", "--kind", "county"], "520330000000"),
    ],
    ids=[
        "short-region-code",
        "township-without-parent",
        "township-under-school",
        "unknown-parent",
        "duplicate-code",
    ],
)
def test_org_add_refuses_bad_input_with_exit_1_in_chinese(county, args, message):
    before = Org.objects.count()
    with pytest.raises(CommandError) as exc:
        shouwang("org", "add", *args)
    assert exc.value.returncode == 1
    assert message in str(exc.value)
    assert Org.objects.count() == before


def test_units_without_a_code_get_one_from_their_parent(county):
    shouwang(
        "org", "add", "--name", "习水县妇联", "--kind", "federation", "--parent", "520330000000"
    )
    assert Org.objects.get(name="习水县妇联").code == "520330000000-01"


def test_enrolment_by_grade_is_dated_and_sums_to_the_school(county):
    school = Org.objects.get(code="5203300001")
    shouwang(
        "enrolment",
        "--org",
        "5203300001",
        "--grade",
        "一年级",
        "--male",
        "30",
        "--female",
        "28",
        "--on",
        "2026-09-01",
    )
    shouwang(
        "enrolment",
        "--org",
        "5203300001",
        "--grade",
        "七年级",
        "--male",
        "50",
        "--female",
        "40",
        "--on",
        "2026-09-01",
    )
    shouwang(
        "enrolment",
        "--org",
        "5203300001",
        "--grade",
        "一年级",
        "--male",
        "31",
        "--female",
        "28",
        "--on",
        "2026-10-08",
    )
    grade = Org.objects.get(name="一年级")
    assert (grade.kind, grade.stage) == (OrgKind.GRADE, Stage.PRIMARY)
    assert Org.objects.get(name="七年级").stage == Stage.JUNIOR
    september = enrolment_under(school, date(2026, 9, 30))
    assert (september.male, september.female, september.total) == (80, 68, 148)
    october = enrolment_under(county, date(2026, 10, 31))
    assert october.total == 149
    assert october.by_stage == {"kindergarten": 0, "primary": 59, "junior": 90, "senior": 0}
    assert enrolment_under(county, date(2026, 8, 31)).total == 0


def test_whole_school_enrolment_without_grades(county):
    shouwang(
        "enrolment", "--org", "5203300001", "--male", "500", "--female", "458", "--on", "2026-09-01"
    )
    figures = enrolment_under(county, date(2026, 9, 2))
    assert figures.total == 958  # seed 000: 学生958名


@pytest.mark.parametrize(
    "args",
    [
        ["--org", "520330000000", "--male", "1", "--female", "1"],  # a county, not a school
        ["--org", "5203300001", "--male", "-1", "--female", "1"],
        ["--org", "5203300001", "--male", "1", "--female", "1", "--on", "2026-13-01"],
    ],
    ids=["not-a-school", "negative", "bad-date"],
)
def test_enrolment_refuses_bad_input_with_exit_1(county, args):
    with pytest.raises(CommandError) as exc:
        shouwang("enrolment", *args)
    assert exc.value.returncode == 1
    assert not Enrolment.objects.exists()


def test_the_newest_count_of_a_school_wins_whether_by_grade_or_whole(county):
    school = Org.objects.get(code="5203300001")
    shouwang(
        "enrolment",
        "--org",
        "5203300001",
        "--grade",
        "一年级",
        "--male",
        "10",
        "--female",
        "10",
        "--on",
        "2025-09-01",
    )
    shouwang(
        "enrolment", "--org", "5203300001", "--male", "300", "--female", "300", "--on", "2026-09-01"
    )
    assert enrolment_under(school, date(2026, 9, 2)).total == 600
    assert enrolment_under(school, date(2026, 8, 31)).total == 20
    shouwang(
        "enrolment",
        "--org",
        "5203300001",
        "--grade",
        "一年级",
        "--male",
        "11",
        "--female",
        "9",
        "--on",
        "2026-10-01",
    )
    assert enrolment_under(school, date(2026, 10, 2)).total == 20


@pytest.mark.parametrize(
    "args",
    [
        ["--name", "九年级", "--kind", "grade", "--parent", "5203300001", "--stage", "nonsense"],
        [
            "--name",
            "乙校",
            "--kind",
            "school",
            "--parent",
            "520330100000",
            "--stage",
            "primary",
            "--code",
            "5203300002",
        ],
        [
            "--name",
            "长" * 101,
            "--kind",
            "school",
            "--parent",
            "520330100000",
            "--code",
            "5203300003",
        ],
    ],
    ids=["unknown-stage", "stage-on-a-school", "name-too-long"],
)
def test_org_add_checks_every_typed_value(county, args):
    before = Org.objects.count()
    with pytest.raises(CommandError) as exc:
        shouwang("org", "add", *args)
    assert exc.value.returncode == 1
    assert Org.objects.count() == before


@pytest.mark.parametrize(
    "args",
    [
        ["org", "add", "--name", "某县", "--kind", "kingdom"],
        ["org", "add", "--kind", "county"],
        ["enrolment", "--org", "5203300001", "--male", "many", "--female", "3"],
        ["stats", "--json"],
        ["export-ledger", "--org", "5203300001"],
    ],
    ids=["unknown-kind", "missing-name", "count-not-a-number", "stats-no-org", "export-no-out"],
)
def test_a_wrong_or_missing_option_on_the_command_line_is_bad_input_exit_1(county, args, capsys):
    from shouwang.cli import main

    before = Org.objects.count()
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 1
    assert "usage:" in capsys.readouterr().err  # argparse still says how to call it
    assert Org.objects.count() == before
