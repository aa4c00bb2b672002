"""Ledger import/export benchmark (issue 5), printed as ratios against openpyxl in the same run.

    python -m tests.perf.bench_ledger [--rows 50000]

Builds a throw-away county (50 schools × 6 grades × 4 classes) on the database of
DATABASE_URL (see tests/perf/common.py), writes a 27-column ledger of generated children, then
times: openpyxl reading it in read-only mode (the baseline), `import-ledger --dry-run`, the real
import, re-importing the unchanged file, openpyxl write-only writing the same rows (the export
baseline) and our export. The planner's statistics are refreshed after the county is built and
after the first import (what a running database's autovacuum does). Peak memory is the
process's maximum resident size after the imports.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.perf.common import (
    Took,
    analyze,
    best_of,
    describe_database,
    machine_load,
    ratio,
    throwaway_django,
)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--var", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--make", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    var = throwaway_django(Path(args.var) if args.var else None)
    if args.make:
        _make_county_and_ledger(var, args.rows)
        analyze()
        return 0
    # The county and its ledger are made in another process, so the memory figure below is
    # the import's own and not the fixture's.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.perf.bench_ledger",
            "--make",
            "--var",
            str(var),
            "--rows",
            str(args.rows),
        ],
        check=True,
    )
    import openpyxl

    from shouwang.ledger.ledgers import export_ledger
    from shouwang.ledger.services import import_ledger
    from shouwang.orgs.models import Org

    county = Org.objects.get(code="990101000000")
    path = var / "county.xlsx"

    print(f"database: {describe_database()}; {machine_load()}")
    print(f"ledger: {args.rows} rows × 27 columns, {path.stat().st_size / 1e6:.1f} MB", flush=True)

    def timed(label: str, fn: Callable[[], Any]) -> tuple[Took, Any]:
        return best_of(label, fn, runs=1, width=34)  # an import happens once

    def read_only() -> int:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        count = sum(1 for sheet in book.worksheets for _ in sheet.iter_rows(values_only=True))
        book.close()
        return count

    base, _ = timed("openpyxl read-only read (baseline)", read_only)
    dry, plan = timed(
        "import-ledger --dry-run",
        lambda: import_ledger(source=path, filename=path.name, org=county, by=None, dry_run=True),
    )
    assert not plan.result.errors, plan.result.errors[:5]
    real, plan = timed(
        "import-ledger (real)",
        lambda: import_ledger(source=path, filename=path.name, org=county, by=None),
    )
    assert plan.result.created == args.rows
    analyze()
    again, plan = timed(
        "re-import, unchanged",
        lambda: import_ledger(source=path, filename=path.name, org=county, by=None),
    )
    assert plan.result.unchanged == args.rows
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def write_only() -> None:
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("台账")
        for row in rows:
            sheet.append(row)
        book.save(var / "baseline.xlsx")

    # The same rows as the export writes, read back from the file (after memory was measured).
    reader = openpyxl.load_workbook(path, read_only=True)
    rows = [list(r) for r in reader.worksheets[0].iter_rows(min_row=3, values_only=True)]
    reader.close()

    wbase, _ = timed("openpyxl write-only (baseline)", write_only)
    export, written = timed(
        "export-ledger",
        lambda: export_ledger(org=county, out=var / "export.xlsx", by=None, unmasked=False),
    )
    assert written == args.rows
    ratio("dry run / read", dry, base, "≤ 3", width=21)
    ratio("import / read", real, base, "≤ 3", width=21)
    ratio("re-import / read", again, base, "≤ 2", width=21)
    ratio("export / write-only", export, wbase, "≤ 2", width=21)
    print(f"peak memory           {peak_mb:5.0f} MB (target < 500)")
    print(f"({machine_load()})")
    return 0


def _make_county_and_ledger(var: Path, count: int, schools: int = 50) -> None:
    from django.core.management import call_command

    from shouwang.orgs import services as orgs
    from shouwang.orgs.models import OrgKind
    from tests.ledger.files import child_row

    call_command("migrate", verbosity=0)
    county = orgs.add_org(
        code="990101000000", name="基准县", kind=OrgKind.COUNTY, parent=None, by=None
    )
    township = orgs.add_org(
        code="990101001000", name="基准镇", kind=OrgKind.TOWNSHIP, parent=county, by=None
    )
    grades = ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"]
    places = []
    for s in range(schools):
        school = orgs.add_org(
            code=f"99{s:08d}", name=f"基准{s}小学", kind=OrgKind.SCHOOL, parent=township, by=None
        )
        for g in grades:
            grade = orgs.add_org(name=g, kind=OrgKind.GRADE, parent=school, by=None)
            for c in range(1, 5):
                orgs.add_org(name=f"{g}（{c}）班", kind=OrgKind.SCHOOL_CLASS, parent=grade, by=None)
                places.append((school.name, g, f"{g}（{c}）班"))
    rows = []
    for n in range(count):
        school, grade, klass = places[n % len(places)]
        row = child_row(n, school=school, grade=grade, klass=klass)
        row["身份证号"] = _unique_id(n, row)
        row["姓名"] = row["姓名"] + str(n)
        rows.append(row)
    _write_ledger(var / "county.xlsx", rows)


def _write_ledger(path: Path, rows: list[dict]) -> None:  # type: ignore[type-arg]
    """Write-only, as a county's system would export it: the fixture must not be what the
    memory figure measures."""
    import openpyxl

    from tests.ledger.files import STANDARD

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    sheet.append(["基准县留守儿童台账"])
    sheet.append(STANDARD)
    for row in rows:
        sheet.append([row[h] for h in STANDARD])
    book.save(path)


def _unique_id(n: int, row: dict) -> str:  # type: ignore[type-arg]
    from shouwang.core.validators import id_check_digit

    birth = row["出生日期"]
    male = row["性别"] == "男"
    seq = (n % 500) * 2 + (1 if male else 0)
    region = f"{110101 + n // 500:06d}"
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_digit(first17)


if __name__ == "__main__":
    sys.exit(main())
