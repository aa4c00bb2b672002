from __future__ import annotations

import json
from datetime import date

import openpyxl
import pytest
from django.core.management import call_command

from shouwang.audit.models import AuditAction, AuditEntry
from shouwang.children.models import Child, Parent
from shouwang.core.fieldcrypt import lookup_hash
from shouwang.core.sheets.reader import UnreadableFile
from shouwang.ledger.services import import_ledger

from .files import Ledger, child_row

pytestmark = pytest.mark.django_db


def run(world, path, *, org="school_a", by=None, dry_run=False):
    return import_ledger(
        source=path, filename=path.name, org=world.orgs[org], by=by, dry_run=dry_run
    ).result


def messages(result):
    return [(e.row, e.column, e.message) for e in result.errors]


def test_a_plain_ledger_creates_every_child(world, tmp_path):
    path = Ledger([child_row(n) for n in range(5)]).write_xlsx(tmp_path / "plain.xlsx")
    result = run(world, path)
    assert (result.applied, result.rows, result.created, result.errors) == (True, 5, 5, [])
    child = Child.objects.get(name=child_row(0)["姓名"])
    assert child.school_class == world.orgs["class_a1"]
    assert child.guardian.relation == "grandparent"
    assert child.left_behind_type in ("both_parents_away", "father_away")
    assert Parent.objects.filter(child=child, relation="father").get().work_place == "广东省东莞市"
    entry = AuditEntry.objects.filter(object_id=str(child.pk), action=AuditAction.IMPORT).get()
    assert "plain.xlsx" in entry.changes["_source"]


def test_title_rows_merged_cells_and_two_header_rows(world, tmp_path):
    ledger = Ledger(
        [child_row(n) for n in range(3)],
        two_row_header=True,
        title_rows=["东镇中心小学留守儿童花名册（2024年秋季）"],
    )
    result = run(world, ledger.write_xlsx(tmp_path / "two.xlsx"))
    assert result.errors == [] and result.created == 3
    child = Child.objects.get(name=child_row(1)["姓名"])
    assert child.parents.get(relation="mother").phone == child_row(1)["母亲电话"]
    assert child.guardian.phone == child_row(1)["监护人电话"]


def test_headers_with_spaces_full_width_brackets_and_traditional_characters(world, tmp_path):
    ledger = Ledger([child_row(n) for n in range(2)], traditional=True, spaced=True)
    result = run(world, ledger.write_xlsx(tmp_path / "trad.xlsx"))
    assert result.errors == [] and result.created == 2
    assert Child.objects.get(name=child_row(0)["姓名"]).guardian.phone == child_row(0)["监护人电话"]


def test_columns_in_any_order_unknown_reported_optional_missing(world, tmp_path):
    headers = [
        "身份证号",
        "姓名",
        "班级",
        "年级",
        "学校",
        "父亲状况",
        "母亲状况",
        "与儿童关系",
        "监护人电话",
    ]
    ledger = Ledger(
        [child_row(n) for n in range(2)],
        headers=headers,
        extra_columns={"联系老师": "王老师", "座位号": "12"},
    )
    result = run(world, ledger.write_xlsx(tmp_path / "order.xlsx"))
    assert result.errors == []
    assert result.unknown_columns == ["座位号", "联系老师"]
    assert Child.objects.count() == 2


@pytest.mark.parametrize(
    "birth",
    [
        42441,
        "2016.3.12",
        "2016-03-12",
        "2016/3/12",
        "2016年3月12日",
        "20160312",
        "２０１６年３月１２日",
        date(2016, 3, 12),
    ],
    ids=["serial", "dots", "iso", "slashes", "chinese", "compact", "full-width", "date-cell"],
)
def test_dates_as_clerks_write_them(world, tmp_path, birth):
    row = child_row(2)
    row["出生日期"] = birth
    row["身份证号"] = "110101" + "20160312" + "005"  # a boy, as child_row(2) is
    from shouwang.core.validators import id_check_digit

    row["身份证号"] += id_check_digit(row["身份证号"])
    result = run(world, Ledger([row]).write_xlsx(tmp_path / "dates.xlsx"))
    assert result.errors == []
    assert Child.objects.get().birth_date == date(2016, 3, 12)


def test_id_numbers_with_lower_case_x_full_width_or_lost_to_a_number(world, tmp_path):
    from shouwang.core.validators import id_check_digit

    rows = []
    for n, first17 in enumerate(["11010120160105011", "11010120160107013", "11010120160109015"]):
        row = child_row(n + 10)
        row["出生日期"] = None
        row["性别"] = None
        number = first17 + id_check_digit(first17)
        row["身份证号"] = number
        rows.append(row)
    rows[0]["身份证号"] = rows[0]["身份证号"].translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    rows[1]["身份证号"] = rows[1]["身份证号"].lower()
    lost = child_row(20)
    lost["身份证号"] = float(lost["身份证号"][:17] + "0")
    result = run(world, Ledger([*rows, lost]).write_xlsx(tmp_path / "ids.xlsx"))
    assert [(r, c) for r, c, _m in messages(result)] == [(5, "身份证号")]
    assert "Excel" in result.errors[0].message or "数字" in result.errors[0].message
    assert Child.objects.count() == 0  # all or nothing
    del rows[-1:]
    lower = child_row(21)
    first17 = "11010120160101" + "049"  # a boy whose check digit is X
    assert id_check_digit(first17) == "X"
    lower["身份证号"], lower["出生日期"], lower["性别"] = (first17 + "x"), None, None
    result = run(world, Ledger([*rows, lower]).write_xlsx(tmp_path / "ids2.xlsx"))
    assert result.errors == []
    assert Child.objects.filter(id_hash=lookup_hash(first17 + "X")).exists()


def test_phones_with_spaces_dashes_and_country_code(world, tmp_path):
    row = child_row(3)
    row["父亲电话"], row["母亲电话"], row["监护人电话"] = (
        "138 0013 8000",
        "+86-139-0013-9000",
        "0851-2234 5678",
    )
    run(world, Ledger([row]).write_xlsx(tmp_path / "phones.xlsx"))
    child = Child.objects.get()
    assert child.parents.get(relation="father").phone == "13800138000"
    assert child.parents.get(relation="mother").phone == "13900139000"
    assert child.guardian.phone == "0851-22345678"


def test_gender_boarding_and_parent_status_words(world, tmp_path):
    rows = [child_row(n) for n in range(4)]
    rows[0]["性别"], rows[0]["是否住校"], rows[0]["父亲状况"] = "M", "√", "打工"
    rows[1]["性别"], rows[1]["是否住校"], rows[1]["母亲状况"] = "F", "走读", "已故"
    rows[2]["父亲状况"], rows[2]["母亲状况"] = "在外", "离异"
    rows[3]["父亲状况"] = "出海捕鱼"
    result = run(world, Ledger(rows).write_xlsx(tmp_path / "words.xlsx"))
    assert [(r, c) for r, c, _m in messages(result)] == [(5, "父亲状况")]
    assert "出海捕鱼" in result.errors[0].message
    rows[3]["父亲状况"] = "外出"
    result = run(world, Ledger(rows).write_xlsx(tmp_path / "words.xlsx"))
    assert result.errors == []
    first = Child.objects.get(name=rows[0]["姓名"])
    assert (first.gender, first.boarding) == ("male", True)
    assert Child.objects.get(name=rows[1]["姓名"]).left_behind_type == "one_away_other_unable"


def test_blank_rows_total_row_and_several_sheets(world, tmp_path):
    rows = [child_row(n) for n in range(6)]
    rows[3]["班级"] = "三年级（2）班"
    ledger = Ledger(rows, sheets=2, blank_rows=True, total_row=True)
    result = run(world, ledger.write_xlsx(tmp_path / "sheets.xlsx"))
    assert (result.rows, result.created, result.errors) == (6, 6, [])
    assert Child.objects.filter(school_class=world.orgs["class_a2"]).count() == 1


def test_the_same_child_twice_is_one_error_per_row_naming_the_other(world, tmp_path):
    rows = [child_row(1), child_row(2), child_row(1)]
    result = run(world, Ledger(rows).write_xlsx(tmp_path / "twice.xlsx"))
    assert [(e.row, e.column) for e in result.errors] == [(2, "身份证号"), (4, "身份证号")]
    assert "4" in result.errors[0].message and "2" in result.errors[1].message
    assert Child.objects.count() == 0


@pytest.mark.parametrize("kind", ["xls", "csv-utf-8", "csv-gb18030"])
def test_xls_and_csv_in_utf8_or_gb18030(world, tmp_path, kind):
    ledger = Ledger([child_row(n) for n in range(3)])
    if kind == "xls":
        path = ledger.write_xls(tmp_path / "old.xls")
    else:
        path = ledger.write_csv(tmp_path / "rows.csv", encoding=kind.removeprefix("csv-"))
    result = run(world, path)
    assert (result.errors, result.created) == ([], 3)
    assert Child.objects.get(name=child_row(2)["姓名"]).birth_date == child_row(2)["出生日期"]


def test_one_bad_row_writes_nothing_and_every_bad_row_is_listed(world, tmp_path):
    rows = [child_row(n) for n in range(5)]
    rows[1]["监护人年龄"] = 15
    rows[3]["身份证号"] = rows[3]["身份证号"][:17] + (
        "0" if rows[3]["身份证号"][17] != "0" else "1"
    )
    rows[4]["班级"] = "火箭班"  # names no class (a class the school lacks is made instead)
    result = run(world, Ledger(rows).write_xlsx(tmp_path / "bad.xlsx"))
    assert result.applied is False
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "监护人年龄"),
        (5, "身份证号"),
        (6, "班级"),
    ]
    assert Child.objects.count() == Parent.objects.count() == 0


def test_unreadable_file_is_refused_whole(world, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a workbook")
    with pytest.raises(UnreadableFile):
        run(world, path)
    text = tmp_path / "notes.xlsx"
    openpyxl.Workbook().save(text)
    with pytest.raises(UnreadableFile):
        run(world, text)


def test_importing_the_same_file_twice_changes_nothing(world, tmp_path):
    path = Ledger([child_row(n) for n in range(4)]).write_xlsx(tmp_path / "again.xlsx")
    run(world, path)
    before = AuditEntry.objects.count(), Child.objects.count(), Parent.objects.count()
    result = run(world, path)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 4)
    assert (AuditEntry.objects.count() - 1, Child.objects.count(), Parent.objects.count()) == before


def test_a_changed_row_updates_with_history_and_missing_children_are_kept(world, tmp_path):
    rows = [child_row(n) for n in range(4)]
    run(world, Ledger(rows).write_xlsx(tmp_path / "first.xlsx"))
    rows[0]["兴趣爱好"] = "篮球"
    rows[0]["父亲状况"] = "在家"
    result = run(world, Ledger(rows[:3]).write_xlsx(tmp_path / "second.xlsx"))
    assert (result.created, result.updated, result.unchanged, result.not_in_file) == (0, 1, 2, 1)
    child = Child.objects.get(name=rows[0]["姓名"])
    assert child.hobbies == "篮球"
    entry = AuditEntry.objects.filter(object_id=str(child.pk), action=AuditAction.IMPORT).first()
    assert entry.changes["hobbies"] == ["画画", "篮球"]
    assert "second.xlsx" in entry.changes["_source"]
    assert Child.objects.count() == 4  # the one missing from the file is kept


def test_cli_exit_codes_and_json_shape(world, tmp_path, capsys):
    good = Ledger([child_row(n) for n in range(2)]).write_xlsx(tmp_path / "good.xlsx")
    call_command(
        "import-ledger".replace("-", "_"), str(good), "--org", "1101010001", "--json", "--dry-run"
    )
    shown = json.loads(capsys.readouterr().out)
    assert set(shown) == {
        "file",
        "org",
        "dry_run",
        "applied",
        "rows",
        "created",
        "updated",
        "unchanged",
        "not_in_file",
        "unknown_columns",
        "classes_created",
        "grades_created",
        "errors",
    }
    assert (shown["dry_run"], shown["applied"], shown["created"]) == (True, False, 2)
    assert Child.objects.count() == 0
    rows = [child_row(n) for n in range(2)]
    rows[1]["性别"] = "?"
    bad = Ledger(rows).write_xlsx(tmp_path / "bad.xlsx")
    report = tmp_path / "errors.xlsx"
    with pytest.raises(SystemExit) as exit_1:
        call_command(
            "import_ledger", str(bad), "--org", "1101010001", "--json", "--errors", str(report)
        )
    assert exit_1.value.code == 1
    shown = json.loads(capsys.readouterr().out)
    assert shown["errors"] == [
        {"sheet": "三(1)班", "row": 3, "column": "性别", "message": shown["errors"][0]["message"]}
    ]
    sheet = openpyxl.load_workbook(report).active
    assert sheet.cell(3, 1).value == rows[1]["姓名"]
    assert "性别" in sheet.cell(3, len(rows[0]) + 1).value
    broken = tmp_path / "broken.csv"
    broken.write_bytes("\ufffe".encode("utf-16"))
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as exit_2:
        call_command("import_ledger", str(tmp_path / "x.pdf"), "--org", "1101010001")
    assert exit_2.value.returncode == 2


def test_the_console_script_takes_the_dashed_command_names(world, tmp_path):
    import os
    import subprocess
    import sys

    path = Ledger([child_row(1)]).write_csv(tmp_path / "one.csv")
    env = {**os.environ, "SHOUWANG_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-m", "shouwang.cli", "migrate", "-v0"], env=env, check=True, timeout=300
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "shouwang.cli",
            "import-ledger",
            str(path),
            "--org",
            "nowhere",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1  # the command ran and refused the unknown unit (bad input)
    assert "nowhere" in result.stderr


def test_the_error_report_covers_every_sheet(world, tmp_path):
    from shouwang.ledger.report import write_error_report

    rows = [child_row(n) for n in range(4)]
    rows[3]["性别"] = "?"
    path = Ledger(rows, sheets=2).write_xlsx(tmp_path / "two-sheets.xlsx")
    plan = import_ledger(source=path, filename=path.name, org=world.orgs["school_a"], by=None)
    report = tmp_path / "report.xlsx"
    write_error_report(plan, report, by=None)
    book = openpyxl.load_workbook(report)
    assert book.sheetnames == ["三(1)班", "三(2)班"]
    second = list(book["三(2)班"].iter_rows(values_only=True))
    assert len(second) == 3  # header and its two rows
    assert "性别" in second[2][-1]


def test_an_id_number_already_in_another_county_is_raised_as_a_duplicate(world, tmp_path):
    from shouwang.children.models import DuplicateCase
    from tests.children.factories import make_child

    row = child_row(5)
    elsewhere = make_child(
        school_class=world.orgs["class_c1"],
        id_number=row["身份证号"],
        birth=row["出生日期"],
        male=False,
    )
    run(world, Ledger([row]).write_xlsx(tmp_path / "dup.xlsx"))
    case = DuplicateCase.objects.get()
    assert elsewhere in (case.first, case.second)
    assert Child.objects.filter(id_hash=lookup_hash(row["身份证号"])).count() == 2
