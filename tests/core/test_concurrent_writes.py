"""Many people saving at once on the embedded database: every record is kept, nobody sees a 500.

The real thing, not the test client: `shouwang serve` (several worker processes) on a SQLite
file named by ``DATABASE_URL=sqlite:///…``, the demo county in it, and threads that post the
care-record form together as a logged-in caregiver. Before settings gave a sqlite:// URL the
same WAL, busy timeout and immediate transactions as the default file, 21 to 24 of these 30
posts failed ("database is locked", answered 503), under gunicorn or waitress alike.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from shouwang.demo.services import DEMO_PASSWORD
from tests import live as live_server

POSTS = 30
MARK = "concurrent write"


@dataclass
class Live:
    url: str
    db: Path
    env: dict[str, str]
    log: Path

    def serve(self, port: int, *extra: str) -> subprocess.Popen[bytes]:
        return live_server.serve(self.env, port, self.log, *extra)

    def wait_until_up(self, url: str, server: subprocess.Popen[bytes]) -> None:
        live_server.wait_until_up(url, server, self.log)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    var = tmp_path_factory.mktemp("var")
    db = var / "county.sqlite3"
    env = live_server.environment(var, DATABASE_URL=f"sqlite:///{db}")
    live_server.shouwang("migrate", "--noinput", "-v0", env=env)
    live_server.shouwang("demo", "--children", "40", "--seed", "7", env=env)
    log = var / "server.log"
    # Two worker processes whatever the machine: writers in separate processes are the case
    # that locks SQLite, and the one a county's server has.
    with live_server.running(env, log, "--workers", "2", "--threads", "8") as url:
        yield Live(url=url, db=db, env=env, log=log)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass
class Browser:
    """A logged-in browser, reduced to its cookies; no redirect is followed."""

    url: str
    cookies: dict[str, str] = field(default_factory=dict)

    def open(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        request = urllib.request.Request(  # noqa: S310
            self.url + path,
            data=urllib.parse.urlencode(form).encode() if form is not None else None,
            headers={
                "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                "Referer": self.url + path,
            },
        )
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=60) as response:
                status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            status, headers, body = exc.code, exc.headers, exc.read()
        for header in headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return status, body.decode()

    def csrf(self, page: str) -> str:
        return found(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)


def found(pattern: str, page: str) -> str:
    match = re.search(pattern, page, re.S)
    assert match, f"{pattern} not in the page"
    return match[1]


def log_in(url: str, username: str) -> Browser:
    browser = Browser(url)
    _, page = browser.open("/accounts/login/")
    status, _ = browser.open(
        "/accounts/login/",
        {
            "username": username,
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": browser.csrf(page),
        },
    )
    assert status == 302, f"{username} could not log in"
    return browser


def records_written(db: Path) -> int:
    with sqlite3.connect(db, timeout=30) as connection:
        (count,) = connection.execute(
            "SELECT count(*) FROM care_carerecord WHERE findings LIKE ?", [f"{MARK} %"]
        ).fetchone()
    return int(count)


def test_a_crowd_of_posts_loses_no_record_and_fails_none(live):
    teacher = log_in(live.url, "demo-teacher")
    status, form = teacher.open("/care/record/")
    assert status == 200
    # The first child the demo teacher may record care for, on the date the form offers.
    child = found(r'<select name="child".*?<option value="(\d+)"', form)
    on = found(r'name="on" value="([\d-]+)"', form)
    token = teacher.csrf(form)
    before = records_written(live.db)

    statuses: list[int] = []
    start = threading.Barrier(POSTS)

    def post(number: int) -> None:
        data = {
            "csrfmiddlewaretoken": token,
            "child": child,
            "kind": "home_visit",
            "on": on,
            "minutes": "30",
            "with_whom": "child",
            "findings": f"{MARK} {number}",
        }
        start.wait()
        # Each thread its own copy of the cookies: the responses' cookies are not shared.
        status, _ = Browser(live.url, dict(teacher.cookies)).open("/care/record/", data)
        statuses.append(status)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(POSTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    failed = sorted(s for s in statuses if s != 302)
    assert failed == [], f"{len(failed)} of {POSTS} posts failed: {failed}"
    assert len(statuses) == POSTS
    assert records_written(live.db) - before == POSTS
    assert "database is locked" not in live.log.read_text()


def children_of(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (name) state ppid …": the name may hold spaces, so split after its ")".
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            children.append(int(stat.parent.name))
    return children


@pytest.mark.parametrize(("server", "processes"), [("gunicorn", 2), ("waitress", 0)])
def test_sigterm_stops_the_server_and_its_workers(live, server, processes):
    port = live_server.free_port()
    url = f"http://127.0.0.1:{port}"
    extra = ["--workers", str(processes)] if processes else []
    running = live.serve(port, "--server", server, *extra)
    try:
        live.wait_until_up(url, running)
        # The first worker may answer before the master has forked the second.
        deadline = time.monotonic() + 30
        while len(workers := children_of(running.pid)) < processes and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(workers) == processes
        running.send_signal(signal.SIGTERM)
        assert running.wait(timeout=30) == 0
    finally:
        if running.poll() is None:
            running.kill()
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/healthz", timeout=2)  # noqa: S310


def day_figures_kept(db: Path) -> int:
    with sqlite3.connect(db, timeout=30) as connection:
        (count,) = connection.execute("SELECT count(*) FROM stats_unitdayfigures").fetchone()
    return int(count)


def test_a_read_answers_while_another_writer_holds_the_database(live):
    """An import holds SQLite's one write lock for seconds at a time. The county's dashboard
    counts its figures and would keep them for the next reader: that copy is skipped while the
    lock is taken, instead of the page waiting its turn (up to the 20 s timeout), and kept by
    the next reader once the lock is free."""
    county = log_in(live.url, "demo-county")
    assert county.open("/")[0] == 200
    with sqlite3.connect(live.db, timeout=30) as connection:
        connection.execute("DELETE FROM stats_unitdayfigures")  # a copy: counted again
    writer = sqlite3.connect(live.db, timeout=30, isolation_level=None)
    answered: list[int] = []
    try:
        writer.execute("BEGIN IMMEDIATE")  # the write lock, as an import's transaction holds it
        reader = threading.Thread(target=lambda: answered.append(county.open("/")[0]))
        reader.start()
        reader.join(timeout=10)  # half the busy timeout: a page waiting for the lock misses it
        assert answered == [200], "the dashboard waited for the write lock"
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert day_figures_kept(live.db) == 0
    assert county.open("/")[0] == 200
    assert day_figures_kept(live.db) > 0  # kept by the next reader, the lock free
