"""`shouwang serve`: which server, how many processes and threads, on what address.

The servers themselves are replaced here; test_concurrent_writes.py runs the real one.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command

from shouwang import cli
from shouwang.core.management.commands import serve


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What `serve` started: {"gunicorn": its settings} or {"waitress": its arguments}."""
    calls: dict[str, Any] = {}
    monkeypatch.setattr(serve, "run_gunicorn", lambda options: calls.update(gunicorn=options))
    monkeypatch.setattr(serve, "run_waitress", lambda **kwargs: calls.update(waitress=kwargs))
    monkeypatch.setattr(serve, "cores", lambda: 6)
    return calls


def test_gunicorn_runs_one_worker_process_per_core_by_default(started, capsys):
    call_command("serve")
    options = started["gunicorn"]
    assert options["bind"] == ["127.0.0.1:8000"]
    assert options["workers"] == 6
    assert options["worker_class"] == "gthread"
    assert options["threads"] == 4
    assert options["accesslog"] is None
    assert options["preload_app"] is True
    assert options["control_socket_disable"] is True
    assert 0 < options["graceful_timeout"] < options["timeout"]
    # `make run` shows where to open Shouwang.
    assert "守望 Shouwang: http://localhost:8000/" in capsys.readouterr().out


def test_host_port_workers_threads_and_access_log_are_the_operators(started, capsys):
    call_command(
        "serve",
        "--host=0.0.0.0",
        "--port=9000",
        "--workers=3",
        "--threads=2",
        "--timeout=90",
        "--access-log=var/access.log",
    )
    options = started["gunicorn"]
    assert options["bind"] == ["0.0.0.0:9000"]
    assert (options["workers"], options["threads"], options["timeout"]) == (3, 2, 90)
    assert options["accesslog"] == "var/access.log"
    assert "http://localhost:9000/" in capsys.readouterr().out


def test_an_ipv6_address_is_bracketed(started, capsys):
    call_command("serve", "--host=::1", "--port=8080")
    assert started["gunicorn"]["bind"] == ["[::1]:8080"]
    assert "http://[::1]:8080/" in capsys.readouterr().out


def test_waitress_when_asked(started):
    call_command("serve", "--server=waitress", "--port=8001")
    assert started == {"waitress": {"host": "127.0.0.1", "port": 8001, "threads": 8}}


def test_waitress_where_gunicorn_cannot_run(started, monkeypatch):
    monkeypatch.setattr(serve, "gunicorn_runs_here", lambda: False)
    call_command("serve", "--threads=12")
    assert started == {"waitress": {"host": "127.0.0.1", "port": 8000, "threads": 12}}
    with pytest.raises(CommandError, match="waitress"):
        call_command("serve", "--server=gunicorn")


@pytest.mark.parametrize(
    "arguments",
    [
        ["--workers=0"],
        ["--threads=-1"],
        ["--port=eighty"],
        ["--server=uwsgi"],
        ["--server=waitress", "--workers=2"],
        ["--server=waitress", "--access-log=-"],
    ],
)
def test_arguments_that_cannot_be_served_are_refused(started, arguments):
    with pytest.raises(CommandError):
        call_command("serve", *arguments)
    assert started == {}


def test_the_console_script_dispatches_to_serve(started):
    cli.main(["serve", "--port", "8123", "--workers", "2"])
    assert started["gunicorn"]["bind"] == ["127.0.0.1:8123"]
    assert started["gunicorn"]["workers"] == 2
