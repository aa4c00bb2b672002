"""`make load`: a county's day on the demo county (tests/load/run.py starts everything).

The people of the demo logins, in a realistic mix: region officers open the county dashboard,
school admins page through their register and open children, caregivers look at 我的任务, open
their children and write care records through the real form (CSRF and all), and a provincial
system pulls the statistics API with a token. Each page is named once in the table, whatever
its child or page number.

Environment (set by run.py): SHOUWANG_LOAD_RUN marks every care record this run posts (so the
runner can count them in the database afterwards); SHOUWANG_LOAD_WAIT is the think time between
two clicks, "MIN MAX" seconds (default "2 8").
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

from county import (
    CHILD,
    COUNTY,
    DASHBOARD,
    RECORD_FORM,
    RECORD_POST,
    REGISTER,
    SCHOOL,
    STATS_API,
    TASKS,
)
from locust import FastHttpUser, between, task

PASSWORD = os.environ.get("SHOUWANG_DEMO_PASSWORD", "shouwang-demo-2026")
RUN = os.environ.get("SHOUWANG_LOAD_RUN", "load")
WAIT = [float(s) for s in os.environ.get("SHOUWANG_LOAD_WAIT", "2 8").split()]
TIMEOUT = 120.0
LOGIN = "login  POST /accounts/login/"

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CHILD_LINK = re.compile(r'href="/children/(\d+)/"')
OPTION = re.compile(r'<option value="(\d+)"')
TODAY = re.compile(r'name="on" value="([^"]+)"')
LAST_PAGE = re.compile(r"[?&]page=(\d+)")


class Client(FastHttpUser):
    """locust's light client (geventhttpclient): the load test shares the server's cores, and
    the requests library cost several times its CPU per request (issue 17)."""

    abstract = True
    wait_time = between(WAIT[0], WAIT[-1])
    network_timeout = TIMEOUT  # seconds: a page slower than that is an error, not a hang
    connection_timeout = TIMEOUT


# Every care record the server said it saved, from the first user on (the table's counts start
# later): the runner compares it with the records found in the database (SHOUWANG_LOAD_SAVED).
SAVED_FILE = os.environ.get("SHOUWANG_LOAD_SAVED", "")
SAVED = [0]


def _saved() -> None:
    SAVED[0] += 1
    if SAVED_FILE:
        Path(SAVED_FILE).write_text(str(SAVED[0]))


LOGGED_IN: list[str] = []


def _logged_in(user: Client, who: str) -> None:
    """The figures of the steady state start once the last user has logged in: locust's
    --reset-stats resets when the last user is spawned, while logins (a password hash each,
    seconds apiece on a loaded machine) may still be running and slow every page beside them."""
    LOGGED_IN.append(who)
    runner = user.environment.runner
    if runner is not None and len(LOGGED_IN) == runner.target_user_count:
        user.environment.stats.reset_all()
        print(f"load: all {len(LOGGED_IN)} users logged in; figures counted from now", flush=True)


class Person(Client):
    """Someone of the demo county, logged in through the login page."""

    abstract = True
    logins: tuple[str, ...] = ()

    def on_start(self) -> None:
        self.username = random.choice(self.logins)
        page = self.client.get("/accounts/login/", name="login form")
        token = CSRF.search(page.text)
        with self.client.post(
            "/accounts/login/",
            data={
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            name=LOGIN,
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"{self.username} was not logged in ({answer.status_code})")
        _logged_in(self, self.username)

    def page(self, url: str, name: str) -> str:
        with self.client.get(url, name=name, catch_response=True, allow_redirects=False) as answer:
            if answer.status_code in (301, 302) and "/accounts/login/" in (
                answer.headers.get("Location") or ""
            ):
                answer.failure("sent to the login page")
            elif answer.status_code != 200:
                answer.failure(f"{answer.status_code}")
            return answer.text or ""


class RegionOfficer(Person):
    """县 officer: the county dashboard."""

    weight = 2
    logins = ("demo-county",)

    @task
    def dashboard(self) -> None:
        self.page("/", DASHBOARD)


class SchoolAdmin(Person):
    """The first school's admin: pages through the register and opens children."""

    weight = 3
    logins = ("demo-school",)
    children: list[str]
    pages = 1

    def on_start(self) -> None:
        super().on_start()
        self.children = []
        self.register()

    @task(2)
    def register(self) -> None:
        page = random.randint(1, self.pages)
        html = self.page(f"/children/?page={page}" if page > 1 else "/children/", REGISTER)
        self.children = CHILD_LINK.findall(html) or self.children
        self.pages = max([self.pages, *(int(n) for n in LAST_PAGE.findall(html))])

    @task(3)
    def child(self) -> None:
        if self.children:
            self.page(f"/children/{random.choice(self.children)}/", CHILD)


class Caregiver(Person):
    """A teacher, the village's child director or a volunteer: 我的任务, their children, and a
    care record through the form."""

    weight = 6
    logins = ("demo-teacher", "demo-village", "demo-volunteer")
    children: list[str]

    def on_start(self) -> None:
        super().on_start()
        # Their children are the record form's choices.
        self.children = OPTION.findall(self.page("/care/record/", RECORD_FORM))

    @task(3)
    def my_tasks(self) -> None:
        self.page("/care/", TASKS)

    @task(2)
    def child(self) -> None:
        if self.children:
            self.page(f"/children/{random.choice(self.children)}/", CHILD)

    @task(2)
    def record(self) -> None:
        form = self.page("/care/record/", RECORD_FORM)
        self.children = OPTION.findall(form) or self.children
        token, today = CSRF.search(form), TODAY.search(form)
        if not (token and today and self.children):
            return
        with self.client.post(
            "/care/record/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "child": random.choice(self.children),
                "kind": random.choice(["home_visit", "talk", "parent_call"]),
                "on": today.group(1),
                "minutes": random.choice(["10", "20", "30"]),
                "with_whom": "child",
                "findings": f"{RUN} 孩子状态良好，作业已完成",
                "next": "",
            },
            name=RECORD_POST,
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            # Saved: the form sends the caregiver back (302). Shown again (200): refused.
            if answer.status_code != 302:
                answer.failure(f"not saved ({answer.status_code})")
            else:
                _saved()


class ProvincialSystem(Client):
    """A provincial system pulling the statistics with an API token."""

    weight = 1
    token = ""

    def on_start(self) -> None:
        answer = self.client.post(
            "/api/v1/token/",
            data={"username": "demo-county", "password": PASSWORD},
            name="API token  POST /api/v1/token/",
        )
        self.token = answer.json().get("token", "") if answer.status_code == 200 else ""
        _logged_in(self, "demo-county (API token)")

    @task
    def stats(self) -> None:
        org = random.choice([COUNTY, COUNTY, SCHOOL])
        with self.client.get(
            f"/api/v1/stats/?org={org}",
            name=STATS_API,
            catch_response=True,
            headers={"Authorization": f"Token {self.token}"},
        ) as answer:
            if answer.status_code != 200 or "left_behind_total" not in answer.text:
                answer.failure(f"{answer.status_code}")
