"""``shouwang import-ledger`` reads a file the way the web upload does (issue 15): with the
header words the unit taught on the preview page."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from shouwang.children.models import Child
from shouwang.ledger import services
from shouwang.orgs.models import Org

from .files import STANDARD, Ledger, child_row

SCHOOL = "1101010001"
OWN_WORD = "证件号码"  # the school's word for 身份证号, not one the importer knows


def test_a_header_taught_on_the_web_is_read_on_the_command_line(world, tmp_path, capsys):
    rows = [
        {OWN_WORD if k == "身份证号" else k: v for k, v in child_row(n).items()} for n in range(2)
    ]
    headers = [OWN_WORD if h == "身份证号" else h for h in STANDARD]
    path = Ledger(rows, headers=headers).write_xlsx(tmp_path / "own-words.xlsx")
    with pytest.raises(SystemExit) as untaught:
        call_command("import_ledger", str(path), "--org", SCHOOL, "--dry-run", "--json")
    assert untaught.value.code == 1
    assert OWN_WORD in json.loads(capsys.readouterr().out)["unknown_columns"]

    # What the preview page's "this column means" form saves.
    services.teach_column(
        org=Org.objects.get(code=SCHOOL), header=OWN_WORD, column="id_number", by=None
    )
    call_command("import_ledger", str(path), "--org", SCHOOL, "--json")  # exit 0: no SystemExit
    shown = json.loads(capsys.readouterr().out)
    assert (shown["errors"], shown["unknown_columns"], shown["created"]) == ([], [], 2)
    assert set(Child.objects.values_list("id_number", flat=True)) == {row[OWN_WORD] for row in rows}
