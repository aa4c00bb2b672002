"""`make load`: the demo county under a realistic load, on this machine's loopback only.

1. builds the demo county (``shouwang demo --children N``) in a database of its own: SQLite under
   var/load/site, or DATABASE_URL when it is set (the demo refuses a database with real data);
2. exports the first school's 台账 and changes one row in five, to import during the load;
3. serves it (``shouwang serve --host 127.0.0.1``), runs locust headless for a bounded time and
   number of users (tests/load/locustfile.py), and imports that 台账 through ``shouwang
   import-ledger`` while the load runs;
4. counts the care records the run posted successfully in the database (none may be lost) and
   writes the p50 / p95 / p99 / errors table to var/load/report.md.

    .venv/bin/python tests/load/run.py --children 20000 --users 50 --seconds 90

Exit code: 0 when the run finished and every care record locust saw saved is in the database;
1 otherwise (a record lost, the import failed, a step failed). Errors of pages are in the table.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import report
from county import RECORD_POST, SCHOOL

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"  # loopback only: nothing of the demo county is served beyond this machine


def say(text: str) -> None:
    print(f"load: {text}", file=sys.stderr, flush=True)


def shouwang(*args: str, env: dict[str, str], log: Path | None = None) -> str:
    started = time.monotonic()
    out = subprocess.run(
        [str(BIN / "shouwang"), *args],
        env=env,
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
    )
    if log is not None:
        log.write_text(out.stdout + out.stderr, encoding="utf-8")
    if out.returncode != 0:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit(f"load: shouwang {args[0]} failed ({out.returncode})")
    say(f"shouwang {' '.join(args[:3])[:60]}: {time.monotonic() - started:.0f} s")
    return out.stdout


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((HOST, port)) != 0


def wait_until_up(url: str, server: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"load: the server stopped ({server.returncode}); see serve.log")
        try:
            with urllib.request.urlopen(f"{url}healthz", timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"load: the server did not answer within {seconds:.0f} s")


def ledger_to_import(env: dict[str, str], out: Path, marker: str) -> tuple[Path, int]:
    """The first school's 台账 as exported, one row in five with a new 备注: an update of a
    few hundred archives among thousands unchanged, as a clerk's re-import is."""
    import openpyxl

    exported = out / "ledger.xlsx"
    shouwang("export-ledger", "--org", SCHOOL, "--out", str(exported), "--unmasked", env=env)
    book = openpyxl.load_workbook(exported)
    sheet = book.worksheets[0]
    header_row = next(
        n for n, row in enumerate(sheet.iter_rows(values_only=True), start=1) if "姓名" in row
    )
    headers = [cell.value for cell in sheet[header_row]]
    note = headers.index("备注") + 1
    changed = 0
    for n in range(header_row + 1, sheet.max_row + 1):
        if (n - header_row) % 5 == 1:
            sheet.cell(row=n, column=note, value=f"{marker} 台账复核")
            changed += 1
    changed_file = out / "ledger-changed.xlsx"
    book.save(changed_file)
    return changed_file, changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--children", type=int, default=20000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=90)
    parser.add_argument("--port", type=int, default=8097)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--wait", default="2 8", help="think time between clicks: 'MIN MAX' s")
    parser.add_argument("--import-after", type=int, default=15, help="seconds into the load")
    parser.add_argument("--reuse", action="store_true", help="keep the county the last run built")
    parser.add_argument("--workers", type=int, help="shouwang serve --workers (default: its own)")
    parser.add_argument("--threads", type=int, help="shouwang serve --threads (default: its own)")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "load")
    args = parser.parse_args()

    out: Path = args.out.resolve()
    site = out / "site"
    site.mkdir(parents=True, exist_ok=True)
    # No second step at login: the run measures the pages, and locust's officers would need a
    # TOTP code each (a code is not taken twice). Logins are done before the figures count.
    # Fifty people share five logins and one address here: the login and API rate limits,
    # which count per username and per address, are lifted for the run.
    unlimited = "100000/minute"
    env = {
        **os.environ,
        "SHOUWANG_VAR_DIR": str(site),
        "PYTHONUNBUFFERED": "1",
        "SHOUWANG_2FA_ROLES": "",
        "SHOUWANG_LOGIN_RATE_PER_USERNAME": unlimited,
        "SHOUWANG_LOGIN_RATE_PER_ADDRESS": unlimited,
        "SHOUWANG_API_RATE_USER": unlimited,
    }
    database = env.get("DATABASE_URL", "") or f"sqlite:{site / 'shouwang.sqlite3'}"
    vendor = "PostgreSQL" if database.startswith("postgres") else "SQLite"
    if not port_free(args.port):
        raise SystemExit(f"load: port {args.port} is taken; choose another: make load LOAD_PORT=…")
    marker = f"[load {datetime.now():%Y%m%d-%H%M%S}]"
    say(f"{vendor}, {args.children} children, {args.users} users for {args.seconds} s")

    stamp = site / f"demo-{args.children}-{args.seed}"
    reuse = args.reuse and stamp.exists() and vendor == "SQLite"
    if vendor == "SQLite" and not reuse:
        # A new file each run: a rebuilt demo keeps the old audit log (append-only), which
        # would grow by a county's worth of entries every run.
        for path in site.glob("shouwang.sqlite3*"):
            path.unlink()
    shouwang("migrate", "--noinput", "-v0", env=env)
    # No collectstatic: the pages name their static files without reading them, and locust
    # asks for pages only.
    built = time.monotonic()
    if reuse:
        say("the county of the last run is kept (--reuse)")
        build_seconds = None
    else:
        stamp.unlink(missing_ok=True)
        shouwang(
            "demo",
            "--children",
            str(args.children),
            "--seed",
            str(args.seed),
            env=env,
            log=out / "demo.log",
        )
        stamp.touch()
        build_seconds = time.monotonic() - built
    ledger, changed = ledger_to_import(env, out, marker)

    url = f"http://{HOST}:{args.port}/"
    prefix = out / "locust"
    (out / "saved.txt").unlink(missing_ok=True)
    for old in out.glob("locust_*.csv"):
        old.unlink()
    with (out / "serve.log").open("w") as serve_log:
        server = subprocess.Popen(
            [
                str(BIN / "shouwang"),
                *("serve", "--host", HOST, "--port", str(args.port)),
                *(("--workers", str(args.workers)) if args.workers else ()),
                *(("--threads", str(args.threads)) if args.threads else ()),
            ],
            env=env,
            cwd=ROOT,
            stdout=serve_log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(url, server, 180)
        say(f"serving {url}; locust starts")
        started, load_before = datetime.now(), os.getloadavg()[0]
        with (out / "locust.log").open("w") as locust_log:
            locust = subprocess.Popen(
                [
                    str(BIN / "locust"),
                    "-f",
                    str(HERE / "locustfile.py"),
                    "--headless",
                    "--users",
                    str(args.users),
                    "--spawn-rate",
                    str(max(1, args.users // 20)),
                    "--run-time",
                    f"{args.seconds}s",
                    "--stop-timeout",
                    "30",
                    "--host",
                    url.rstrip("/"),
                    "--csv",
                    str(prefix),
                    "--only-summary",
                    # The figures of the steady state: counted once every user has logged in
                    # (50 password hashes in the first half-minute are not a page's cost).
                    "--reset-stats",
                ],
                env={
                    **env,
                    "SHOUWANG_LOAD_RUN": marker,
                    "SHOUWANG_LOAD_WAIT": args.wait,
                    "SHOUWANG_LOAD_SAVED": str(out / "saved.txt"),
                },
                cwd=ROOT,
                stdout=locust_log,
                stderr=subprocess.STDOUT,
            )
            time.sleep(args.import_after)
            say(f"importing {ledger.name} ({changed} rows changed) while the load runs")
            began = time.monotonic()
            imported = subprocess.run(
                [str(BIN / "shouwang"), "import-ledger", str(ledger), "--org", SCHOOL, "--json"],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            import_seconds = time.monotonic() - began
            say(f"import finished: exit {imported.returncode} after {import_seconds:.0f} s")
            locust.wait(timeout=args.seconds + 120)
            load_after = os.getloadavg()[0]
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    if not Path(f"{prefix}_stats.csv").exists():
        raise SystemExit("load: locust wrote no statistics; see var/load/locust.log")

    # Counted by the locustfile from the first user on (the table's figures start once every
    # user has logged in, and would undercount what was posted).
    saved = out / "saved.txt"
    posted = int(saved.read_text()) if saved.exists() else report.succeeded(prefix, RECORD_POST)
    found = int(
        shouwang(
            "shell",
            "-v0",
            "-c",
            "from shouwang.care.models import CareRecord; "
            f"print(CareRecord.objects.filter(findings__startswith={marker!r}).count())",
            env=env,
        ).split()[-1]
    )
    try:
        result = json.loads(imported.stdout)
        import_text = (
            f"{result['rows']} rows, {result['updated']} updated, {result['unchanged']} "
            f"unchanged, {len(result['errors'])} errors, applied: {result['applied']}"
        )
    except (ValueError, KeyError):
        import_text = f"no JSON ({imported.stderr.strip()[-300:]})"
    lost = posted - found if found < posted else 0
    commit = subprocess.run(
        ["git", "log", "-1", "--format=%h %cd", "--date=format:%Y-%m-%d %H:%M"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    serving = next(
        (line for line in (out / "serve.log").read_text().splitlines() if "gunicorn" in line), ""
    )
    built_text = f"built in {build_seconds:.0f} s" if build_seconds is not None else "reused"
    text = "\n".join(
        [
            f"# Load test, {started:%Y-%m-%d %H:%M}",
            "",
            f"- code: {commit}; database: {vendor}; demo county: {args.children:,} children "
            f"(seed {args.seed}, {built_text})",
            f"- load: {args.users} users (spawned {max(1, args.users // 20)}/s) for "
            f"{args.seconds} s, think time {args.wait.replace(' ', '–')} s; server: "
            f"`shouwang serve` ({serving.strip() or 'see serve.log'}), locust on the same machine "
            f"({os.cpu_count()} cores; load average {load_before:.1f} before, "
            f"{load_after:.1f} at the end); figures counted from the moment every user had "
            "logged in (locust --reset-stats); two-step verification and the rate limits off for "
            "the run (fifty people on five logins from one address)",
            f"- import during the load: `shouwang import-ledger` of the first school's 台账, "
            f"{import_text}; {import_seconds:.0f} s, exit {imported.returncode}",
            f"- care records the server saved (the whole run): {posted}; found in the database: "
            f"{found}; lost: {lost}",
            "",
            report.table(prefix),
        ]
    )
    (out / "report.md").write_text(text, encoding="utf-8")
    print(text)
    say(f"written to {out / 'report.md'}")
    return 1 if lost or imported.returncode != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
