from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from waitress import serve

from shouwang.wsgi import application


class Command(BaseCommand):
    help = "Serve Shouwang with the waitress production WSGI server."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args: Any, host: str, port: int, threads: int, **options: Any) -> None:
        shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host  # noqa: S104
        self.stdout.write(f"守望 Shouwang: http://{shown}:{port}/  (Ctrl-C to stop)")
        serve(application, host=host, port=port, threads=threads, ident="shouwang")
