"""An uploaded sheet kept between "check it" and "save it": stored under a random token in
var/media/uploads, the token remembered in the uploader's session only (someone else's token is
a 404)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest


def _upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep(request: HttpRequest, upload: UploadedFile, *, bucket: str, **entry: Any) -> str:
    token = secrets.token_urlsafe(16)
    suffix = Path(upload.name or "").suffix.lower()
    with (_upload_dir() / f"{token}{suffix}").open("wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    kept = request.session.get(bucket, {})
    kept[token] = {"stored": f"{token}{suffix}", "filename": upload.name, **entry}
    request.session[bucket] = kept
    return token


def pending(request: HttpRequest, token: str, *, bucket: str) -> tuple[Path, dict[str, Any]]:
    """The file this user uploaded under ``token``, and what was said with it; or 404."""
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
    kept = request.session.get(bucket, {})
    kept.pop(token, None)
    request.session[bucket] = kept
