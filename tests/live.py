"""A real Shouwang server for the tests that need one (the browser tests, concurrent writers,
signals): `shouwang` commands in a throw-away var directory, `shouwang serve` on a free port of
the loopback, and waiting until `/healthz` answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(var: Path, **extra: str) -> dict[str, str]:
    """This process's environment for a server of its own in ``var``: the embedded database
    unless ``extra`` names one (``DATABASE_URL``)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return (
        env | {"SHOUWANG_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "shouwang.settings"} | extra
    )


def shouwang(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shouwang.cli", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )


def serve(env: dict[str, str], port: int, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "shouwang.cli", "serve", "--port", str(port), *extra],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_until_up(
    url: str, server: subprocess.Popen[bytes], log: Path, seconds: float = 60
) -> None:
    """Until ``url``/healthz answers 200; the server's log as the error when it stops first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log.read_text()) from None
            time.sleep(0.2)


@contextmanager
def running(env: dict[str, str], log: Path, *extra: str) -> Iterator[str]:
    """A server on a free port while the block runs; its address."""
    port = free_port()
    server = serve(env, port, log, *extra)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, server, log)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
