"""Work the background worker (django-q2, `shouwang qcluster`) does for the ledger: reading a big
upload for its preview, deleting uploads never applied, writing a big export and removing
exports past their time (the schedules are in the migrations)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from shouwang.core.sheets import uploads
from shouwang.core.sheets.reader import estimate_rows

# Files up to this size are read in the request (a ledger of about a thousand children: a
# second or so); bigger ones by the worker, the preview showing how far it got.
READ_IN_REQUEST = 128 * 1024
# Below Q_CLUSTER's retry (300 s), or the broker would hand the task to a second worker while
# the first still reads: the most rows a file may have are read in about 200 s.
READ_TIMEOUT = 280
PROGRESS_EVERY = 0.5  # seconds between two writes of how far the reading got


def purge_stale_uploads() -> int:
    """Ledgers and check-up sheets previewed a day ago and never applied: they hold ID numbers."""
    return uploads.purge_stale()


def queue_reading(path: Path, *, filename: str, org: str, user: int, encoding: str | None) -> None:
    """The worker reads the upload at ``path``; the preview polls its state meanwhile."""
    from django_q.tasks import async_task

    uploads.save_state(path, {"state": "queued"})
    async_task(
        "shouwang.ledger.tasks.read_upload",
        str(path),
        filename,
        org,
        user,
        encoding,
        timeout=READ_TIMEOUT,
        task_name=f"read ledger {path.name[:12]}",
    )


def stalled(state: dict[str, Any]) -> bool:
    """A reading that stopped reporting: the worker was stopped, or the task timed out."""
    return state["state"] == "reading" and time.time() - state.get("at", 0) > READ_TIMEOUT + 60


def read_upload(path: str, filename: str, org: str, user: int, encoding: str | None) -> str:
    """A dry run of the upload, its summary kept beside it: the preview's one reading."""
    from shouwang.accounts.models import User
    from shouwang.orgs.models import Org

    from . import services

    staged = Path(path)
    if not staged.exists():
        return "gone"  # applied or deleted meanwhile
    estimate = estimate_rows(staged, filename, encoding=encoding)
    last = 0.0

    def progress(rows: int) -> None:
        nonlocal last
        if time.monotonic() - last >= PROGRESS_EVERY:
            last = time.monotonic()
            uploads.save_state(
                staged, {"state": "reading", "rows": rows, "of": estimate, "at": time.time()}
            )

    progress(0)
    unit = Org.objects.get(code=org)
    state = services.reading_state(
        lambda: services.import_ledger(
            source=staged,
            filename=filename,
            org=unit,
            by=User.objects.get(pk=user),
            dry_run=True,
            mapping=services.mapping_for(unit),
            progress=progress,
            encoding=encoding,
        )
    )
    if staged.exists():
        uploads.save_state(staged, state)
    return str(state["state"])


# Below Q_CLUSTER's retry (300 s), like the reading: a county of 64,000 children is written in
# about 50 s on this machine, a province's county in a few times that.
EXPORT_TIMEOUT = 280


def queue_export(job: int) -> None:
    """The worker writes the export job ``job`` (ledger.exports.build)."""
    from django_q.tasks import async_task

    async_task(
        "shouwang.ledger.tasks.build_export",
        job,
        timeout=EXPORT_TIMEOUT,
        task_name=f"export ledger {job}",
    )


def build_export(job: int) -> str:
    from . import exports

    return exports.build(job_pk=job)


def purge_expired_exports() -> int:
    """Exported ledgers past their time: they hold children's personal data."""
    from . import exports

    return exports.purge_expired()
