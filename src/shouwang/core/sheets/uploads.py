"""An uploaded sheet kept between "check it" and "save it": stored under a random token in
var/media/uploads (what reading it found in var/media/uploads_read), the token remembered in the
uploader's session only (someone else's token is a 404). The files hold children's ID numbers:
readable by the server's user only (directories 700, files 600), deleted once applied, and by
the worker a day after the upload when never applied.

Beside each file, what reading it found (``state``/``save_state``: a JSON file, 600 too), so a
preview is read once, by the worker for a big file, and every later look at it reads the
result, not the file."""

from __future__ import annotations

import json
import os
import secrets
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest

KEPT_FOR = timedelta(days=1)


def _upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "uploads"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)  # also where the directory was made before uploads were private
    return path


def keep(request: HttpRequest, upload: UploadedFile, *, bucket: str, **entry: Any) -> str:
    token = secrets.token_urlsafe(16)
    suffix = Path(upload.name or "").suffix.lower()
    # Created 600 from the start, never readable by others even for a moment.
    fd = os.open(_upload_dir() / f"{token}{suffix}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    kept = request.session.get(bucket, {})
    kept[token] = {"stored": f"{token}{suffix}", "filename": upload.name, **entry}
    request.session[bucket] = kept
    return token


def update(request: HttpRequest, token: str, *, bucket: str, **changes: Any) -> None:
    """Change what was said with the upload (an encoding the user chose, say)."""
    pending(request, token, bucket=bucket)
    kept = request.session.get(bucket, {})
    kept[token] = {**kept[token], **changes}
    request.session[bucket] = kept


def _state_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "uploads_read"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _state_path(path: Path) -> Path:
    return _state_dir() / f"{path.name}.json"


def state(path: Path) -> dict[str, Any] | None:
    """What reading the upload at ``path`` found so far, or None when it was never read."""
    try:
        return json.loads(_state_path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def save_state(path: Path, value: dict[str, Any]) -> None:
    """Replaced whole (written aside, then renamed), readable by the server's user only."""
    target = _state_path(path)
    aside = target.with_name(f"{target.name}.{secrets.token_hex(4)}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(value, fh, ensure_ascii=False, default=str)
    os.replace(aside, target)


def clear_state(path: Path) -> None:
    _state_path(path).unlink(missing_ok=True)


def pending(request: HttpRequest, token: str, *, bucket: str) -> tuple[Path, dict[str, Any]]:
    """The file this user uploaded under ``token``, and what was said with it; or 404 (also
    once the worker deleted it)."""
    entry = request.session.get(bucket, {}).get(token)
    if not entry:
        raise Http404
    path = _upload_dir() / entry["stored"]
    if not path.exists():
        raise Http404
    return path, entry


def forget(request: HttpRequest, token: str, *, bucket: str) -> None:
    path, _entry = pending(request, token, bucket=bucket)
    path.unlink(missing_ok=True)  # the rows are in the archive now
    clear_state(path)
    kept = request.session.get(bucket, {})
    kept.pop(token, None)
    request.session[bucket] = kept


def purge_stale(*, older_than: timedelta = KEPT_FOR) -> int:
    """Delete the uploads made longer ago than ``older_than`` (previewed, never applied);
    returns how many."""
    cutoff = time.time() - older_than.total_seconds()
    removed = 0
    for path in _upload_dir().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                clear_state(path)
                removed += 1
        except FileNotFoundError:
            continue  # applied, and so deleted, meanwhile
    for path in _state_dir().iterdir():  # what reading found, its upload gone
        upload = _upload_dir() / path.name.removesuffix(".json")
        try:
            if not upload.exists() and path.stat().st_mtime < time.time() - 60:
                path.unlink()
        except FileNotFoundError:
            continue
    return removed
