"""``shouwang serve``: the web app behind a production WSGI server.

gunicorn wherever it runs (Linux, macOS): one worker process per core, so pages are served by
every core rather than one Python interpreter, each with a few threads for requests that wait on
the database or the network. gunicorn needs fork() and POSIX signals, so on Windows, or with
``--server waitress``, waitress serves instead (one process, threads).
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils.translation import gettext as _

GUNICORN, WAITRESS = "gunicorn", "waitress"


def cores() -> int:
    """The cores this process may run on (a container's share, not the host's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def gunicorn_runs_here() -> bool:
    if os.name != "posix":
        return False
    try:
        import gunicorn.app.base  # noqa: F401
    except ImportError:
        return False
    return True


def positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text} is not 1 or more")
    return number


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def shown_address(host: str, port: int) -> str:
    if host in ("127.0.0.1", "0.0.0.0", "::"):  # noqa: S104
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def run_gunicorn(options: dict[str, Any]) -> None:
    from gunicorn.app.base import BaseApplication

    class Shouwang(BaseApplication):
        def load_config(self) -> None:
            for name, value in options.items():
                self.cfg.set(name, value)

        def load(self) -> Any:
            from shouwang.wsgi import application

            # The workers are forked from here: what is imported so far never changes, so the
            # garbage collector leaves it alone. Otherwise every collection (and the one at
            # exit) writes to each object and so copies the shared memory into every worker:
            # SIGTERM took 3-4 s to stop the server instead of half a second.
            gc.freeze()
            return application

    Shouwang().run()


def run_waitress(*, host: str, port: int, threads: int) -> None:
    # waitress stops on KeyboardInterrupt (Ctrl-C); SIGTERM (systemd, `kill`) stops it the same
    # way, rather than killing it in the middle of a request.
    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        from waitress import serve

        from shouwang.wsgi import application

        serve(application, host=host, port=port, threads=threads, ident="shouwang")
    except KeyboardInterrupt:  # stopped before waitress was listening
        pass


class Command(BaseCommand):
    help = "Serve Shouwang with a production WSGI server (gunicorn, or waitress where it cannot)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--server",
            choices=[GUNICORN, WAITRESS],
            default=None,
            help="gunicorn where it runs (Linux, macOS), else waitress",
        )
        parser.add_argument(
            "--workers",
            type=positive,
            default=None,
            help="worker processes under gunicorn (default: one per core)",
        )
        parser.add_argument(
            "--threads",
            type=positive,
            default=None,
            help="threads per process (default: 4 under gunicorn, 8 under waitress)",
        )
        parser.add_argument(
            "--timeout",
            type=positive,
            default=60,
            help="seconds before gunicorn restarts a worker that stopped answering",
        )
        parser.add_argument(
            "--access-log",
            metavar="FILE",
            default=None,
            help="log every request to FILE under gunicorn ('-': stderr); off by default",
        )

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        server: str | None,
        workers: int | None,
        threads: int | None,
        timeout: int,
        access_log: str | None,
        **options: Any,
    ) -> None:
        if server is None:
            server = GUNICORN if gunicorn_runs_here() else WAITRESS
        elif server == GUNICORN and not gunicorn_runs_here():
            raise CommandError(_("gunicorn does not run on this system: use --server waitress."))
        if server == WAITRESS and (workers is not None or access_log is not None):
            raise CommandError(_("--workers and --access-log need gunicorn (--server gunicorn)."))
        processes = (workers or cores()) if server == GUNICORN else 1
        threads = threads or (4 if server == GUNICORN else 8)

        self.stdout.write(f"守望 Shouwang: {shown_address(host, port)}  (Ctrl-C to stop)")
        self.stderr.write(
            _("%(server)s: %(processes)d process(es) × %(threads)d threads")
            % {"server": server, "processes": processes, "threads": threads}
        )
        # Forked workers would inherit what is still buffered and print it again, and a
        # database connection shared across processes corrupts SQLite's locks.
        sys.stdout.flush()
        sys.stderr.flush()
        connections.close_all()

        if server == WAITRESS:
            run_waitress(host=host, port=port, threads=threads)
            return
        run_gunicorn(
            {
                "bind": [bind_address(host, port)],
                "workers": processes,
                "worker_class": "gthread",
                "threads": threads,
                "timeout": timeout,
                # SIGTERM: requests under way get this long to finish, then the workers stop.
                "graceful_timeout": 20,
                "keepalive": 5,
                # The app is imported once, before the workers are forked: a broken start fails
                # at once, and the workers share the imported code's memory.
                "preload_app": True,
                "accesslog": access_log,
                "errorlog": "-",
                "loglevel": "warning",
                "proc_name": "shouwang",
                # gunicorn's control socket sits in the user's home directory, one path for
                # every server of that user: two servers on one machine would fight over it.
                "control_socket_disable": True,
            }
        )
