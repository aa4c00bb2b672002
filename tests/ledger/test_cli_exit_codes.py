"""``shouwang import-ledger`` exits 3 when the system fails, not 1 (issue 14.10).

interfaces.md: 0 all applied; 1 rows rejected; 2 unusable file; 3 system failure (nothing
written). The database's refusals are raised where the database raises them: in the cursor,
through Django's ``execute_wrapper``.
"""

from __future__ import annotations

import errno
import io
import json
import re
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection, connections
from openpyxl import Workbook

from shouwang import cli
from shouwang.audit.models import AuditAction, AuditEntry
from shouwang.children.models import Child

from .files import Ledger, child_row

SCHOOL = "1101010001"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@contextmanager
def database_fails(message: str, *, when: str = "audit"):
    """The database raises ``message``: at the first query (``when="start"``), or at the audit
    entry written after the children were inserted (``when="audit"``), so what was already
    written in the import's transaction must be rolled back."""
    children, audit = f'"{Child._meta.db_table}"', f'"{AuditEntry._meta.db_table}"'
    seen = {"children": 0}

    def wrapper(execute, sql, params, many, context):
        if sql.startswith("INSERT") and children in sql:
            seen["children"] += 1
        if when == "start" or (seen["children"] and sql.startswith("INSERT") and audit in sql):
            raise OperationalError(message)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield seen


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in text
    assert CHINESE.search(lines[0]), lines[0]
    return lines[0]


def nothing_written() -> bool:
    return (
        not Child.objects.exists()
        and not AuditEntry.objects.filter(action=AuditAction.IMPORT).exists()
    )


@pytest.fixture
def ledger(world, tmp_path):
    return Ledger([child_row(n) for n in range(3)]).write_xlsx(tmp_path / "台账.xlsx")


def test_a_full_disk_while_writing_exits_3_with_one_chinese_line_and_nothing_written(
    ledger, capsys
):
    with database_fails("database or disk is full") as seen, pytest.raises(SystemExit) as exit_:
        call_command("import_ledger", str(ledger), "--org", SCHOOL)
    assert exit_.value.code == 3
    assert seen["children"]  # the children were inserted, then rolled back
    line = one_line(capsys.readouterr().err)
    assert "磁盘已满" in line and "database or disk is full" in line
    assert nothing_written()


def test_with_json_the_reason_is_the_one_error(ledger, capsys):
    with database_fails("database or disk is full"), pytest.raises(SystemExit) as exit_:
        call_command("import_ledger", str(ledger), "--org", SCHOOL, "--json")
    assert exit_.value.code == 3
    captured = capsys.readouterr()
    shown = json.loads(captured.out)
    assert (shown["file"], shown["org"], shown["applied"]) == ("台账.xlsx", SCHOOL, False)
    [error] = shown["errors"]
    assert "database or disk is full" in error["message"]
    assert error["message"] == one_line(captured.err)
    assert nothing_written()


def test_a_read_only_or_unreachable_database_exits_3(ledger, capsys):
    for message, when in [
        ("attempt to write a readonly database", "audit"),
        ("cannot execute INSERT in a read-only transaction", "audit"),
        ('connection to server at "db" failed: Connection refused', "start"),
    ]:
        with database_fails(message, when=when), pytest.raises(SystemExit) as exit_:
            call_command("import_ledger", str(ledger), "--org", SCHOOL)
        assert exit_.value.code == 3, message
        line = one_line(capsys.readouterr().err)
        assert "数据库拒绝写入或无法连接" in line and message in line
        assert nothing_written()


def test_the_console_script_exits_3_too(ledger, capsys):
    # In-process, through argv parsing and run_from_argv; the test's own connection stays open.
    with (
        database_fails("database or disk is full"),
        mock.patch.object(connections, "close_all"),
        pytest.raises(SystemExit) as exit_,
    ):
        cli.main(["import-ledger", str(ledger), "--org", SCHOOL])
    assert exit_.value.code == 3
    one_line(capsys.readouterr().err)
    assert nothing_written()


def test_a_full_disk_while_writing_the_error_report_leaves_no_half_file(world, tmp_path, capsys):
    rows = [child_row(n) for n in range(2)]
    rows[1]["性别"] = "?"
    bad = Ledger(rows).write_xlsx(tmp_path / "bad.xlsx")
    report = tmp_path / "errors.xlsx"
    save = Workbook.save

    def half_then_full(book, out):
        whole = io.BytesIO()
        save(book, whole)
        out.write_bytes(whole.getvalue()[:100])
        raise OSError(errno.ENOSPC, "No space left on device", str(out))

    with (
        mock.patch.object(Workbook, "save", half_then_full),
        pytest.raises(SystemExit) as exit_,
    ):
        call_command("import_ledger", str(bad), "--org", SCHOOL, "--errors", str(report))
    assert exit_.value.code == 3
    assert "磁盘已满" in one_line(capsys.readouterr().err)
    assert not report.exists()
    assert nothing_written()


def test_rejected_rows_are_still_1_with_json(ledger, tmp_path, capsys):
    rows = [child_row(1)]
    rows[0]["性别"] = "?"
    bad = Ledger(rows).write_xlsx(tmp_path / "bad.xlsx")
    with pytest.raises(SystemExit) as exit_1:
        call_command("import_ledger", str(bad), "--org", SCHOOL, "--json")
    assert exit_1.value.code == 1
    assert json.loads(capsys.readouterr().out)["errors"]


def test_an_unknown_unit_is_bad_input_1_and_json_still_says_why(ledger, capsys):
    with pytest.raises(CommandError) as exit_:
        call_command("import_ledger", str(ledger), "--org", "nowhere", "--json")
    assert exit_.value.returncode == 1
    shown = json.loads(capsys.readouterr().out)
    assert (shown["org"], shown["applied"]) == ("nowhere", False)
    [error] = shown["errors"]
    assert "nowhere" in error["message"] and CHINESE.search(error["message"])
    assert nothing_written()


# One console-script run per test: Django closes the database connection when a command ends,
# and on PostgreSQL a test's transaction does not survive that.
def test_the_console_script_exits_1_for_an_unknown_unit(ledger, capsys):
    with pytest.raises(SystemExit) as unknown:
        cli.main(["import-ledger", str(ledger), "--org", "nowhere", "--json"])
    assert unknown.value.code == 1
    assert "nowhere" in json.loads(capsys.readouterr().out)["errors"][0]["message"]


def test_the_console_script_exits_2_for_an_unusable_file(ledger, tmp_path, capsys):
    not_a_sheet = tmp_path / "台账.xlsx"
    not_a_sheet.write_bytes(b"not a workbook")
    with pytest.raises(SystemExit) as unusable:
        cli.main(["import-ledger", str(not_a_sheet), "--org", SCHOOL, "--json"])
    assert unusable.value.code == 2
    [error] = json.loads(capsys.readouterr().out)["errors"]
    assert CHINESE.search(error["message"])
    # (The database cannot be asked afterwards here: the command closed the connection; the
    # next test checks that the same refusal writes nothing.)


def test_an_unusable_file_writes_nothing(ledger, tmp_path, capsys):
    not_a_sheet = tmp_path / "台账.xlsx"
    not_a_sheet.write_bytes(b"not a workbook")
    with pytest.raises(CommandError) as exit_:
        call_command("import_ledger", str(not_a_sheet), "--org", SCHOOL, "--json")
    assert exit_.value.returncode == 2
    assert json.loads(capsys.readouterr().out)["applied"] is False
    assert nothing_written()
