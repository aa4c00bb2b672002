"""What an uploaded file may be, checked while it streams in and while it is read, so no file can
cost the server more than a bounded amount of memory and time (issue 18: a 400 KB workbook
holding one 419 MB cell grew the web process by 1.5 GB).

Three places check, each as early as it can:

- the request body (:class:`LimitedUploadHandler`, installed per view with
  :func:`limited_upload`): the upload stops as soon as it passes the byte limit, and a file whose
  first bytes are not what its name says (a "ledger.xlsx" that is no zip, a "scan.jpg" that is
  no JPEG) is refused with them;
- the zip of an .xlsx, before anything is parsed (:func:`inspect_zip`): how many members, their
  declared uncompressed sizes (``zipfile`` never inflates a member past its declared size) and
  compression ratios;
- the XML while it is parsed (:class:`GuardedZipFile`): no run of text between two tags longer
  than a cell can be, so the XML parser never holds a huge string; then rows, columns and cells
  are counted as they come (``reader``).

Every refusal is an :class:`~shouwang.core.sheets.reader.UnreadableFile` saying in the user's
language what was too big.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import IO, Any

from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopUpload
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The largest file we read. A county's ledger (50,000 children, 27 columns) is about 6 MB
    as .xlsx and 80 MB of sheet XML: every limit leaves it room."""

    max_bytes: int = 50 * MB  # the file as uploaded
    max_sheets: int = 50
    max_rows: int = 200_000  # in the whole file
    max_columns: int = 200  # filled columns of a row
    max_cell: int = 32_767  # characters in a cell: Excel's own limit
    # The zip of an .xlsx, from its directory before anything is inflated:
    max_members: int = 1_000
    max_member_bytes: int = 400 * MB  # one sheet's XML, declared uncompressed
    max_strings_bytes: int = 100 * MB  # sharedStrings.xml, read whole by openpyxl
    max_total_bytes: int = 800 * MB  # all members together
    max_ratio: int = 200  # uncompressed / compressed, for members over RATIO_FROM bytes
    # The longest run of XML text between two tags: a cell's 32,767 characters written out
    # (each at most 6 bytes as an entity such as &quot;) fit; a 419 MB string does not.
    max_text_run: int = 256 * 1024


LIMITS = Limits()
SHEET_SUFFIXES = (".xlsx", ".xls", ".csv")
RATIO_FROM = 1 * MB


class UnreadableFile(Exception):
    """Not a spreadsheet we can read: the import stops before looking at any row (exit 2)."""


class TooLarge(UnreadableFile):
    """A limit passed: the message says which, in the user's language."""


def _mb(n: int) -> str:
    return f"{n / MB:.0f} MB"


# --- the request body -------------------------------------------------------------------------

# The first bytes each kind of file starts with (xlsx is a zip, xls an OLE2 compound file).
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".xlsx": (b"PK\x03\x04",),
    ".xlsm": (b"PK\x03\x04",),
    ".xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".pdf": (b"%PDF-",),
}
REFUSED = "_shouwang_upload_refused"


class LimitedUploadHandler(FileUploadHandler):
    """First in the request's handlers: counts the body's bytes as they arrive and stops the
    upload once they pass ``max_bytes``; checks each file's first bytes against its name's
    suffix (``suffixes``: those allowed). What it refused is kept on the request for the view
    (:func:`refusal`)."""

    def __init__(self, request: HttpRequest, *, max_bytes: int, suffixes: tuple[str, ...]):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.suffixes = suffixes
        self.received = 0
        self.declared = 0
        self.first: bytes | None = None

    def _refuse(self, message: str) -> None:
        setattr(self.request, REFUSED, message)

    def _too_large(self) -> StopUpload:
        self._refuse(
            _("The file is larger than %(limit)s: it was not received.")
            % {"limit": _mb(self.max_bytes)}
        )
        # A body far over the limit is not read to its end (the connection is closed); one a
        # little over is, so the browser shows the page that says why.
        return StopUpload(connection_reset=self.declared > 2 * self.max_bytes)

    def handle_raw_input(self, input_data: Any, META: Any, content_length: int, *args: Any) -> None:
        self.declared = content_length or 0
        return None

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        self.first = None
        if self.declared > self.max_bytes + MB:  # the form's other fields are small
            raise self._too_large()
        suffix = Path(file_name or "").suffix.lower()
        if suffix not in self.suffixes:
            self._refuse(
                _("Only these files can be uploaded here: %(kinds)s.")
                % {"kinds": "、".join(self.suffixes)}
            )
            raise SkipFile

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            raise self._too_large()
        if self.first is None:
            self.first = raw_data[:16]
            expected = SIGNATURES.get(Path(self.file_name or "").suffix.lower())
            if expected and not raw_data.startswith(expected):
                self._refuse(
                    _("%(name)s is not the kind of file its name says.") % {"name": self.file_name}
                )
                raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def limited_upload(
    max_bytes: int, suffixes: tuple[str, ...]
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A view whose request body is read through :class:`LimitedUploadHandler`. As Django's
    documentation shows: the CSRF middleware would read the body before the view could change
    its handlers, so the view is exempt from the middleware and protected inside, after the
    handler is in place."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        protected = csrf_protect(view)

        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            request.upload_handlers.insert(  # type: ignore[union-attr]
                0, LimitedUploadHandler(request, max_bytes=max_bytes, suffixes=suffixes)
            )
            return protected(request, *args, **kwargs)

        return wrapper

    return decorator


def refusal(request: HttpRequest) -> str | None:
    """What the upload handler refused in this request, if anything (read the body first)."""
    return getattr(request, REFUSED, None)


def refuse_into(form: Any, field: str, request: HttpRequest) -> None:
    """The handler's refusal as the form's error on ``field`` (a bound form only)."""
    if request.method == "POST":
        request.POST  # noqa: B018 - the body is parsed here, through the handler
        message = refusal(request)
        if message:
            form.add_error(field, message)


# --- the zip of an .xlsx ----------------------------------------------------------------------


def inspect_zip(archive: zipfile.ZipFile, limits: Limits = LIMITS) -> None:
    """The workbook's zip as its directory declares it, before anything is inflated."""
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise TooLarge(
            _("The workbook has %(n)s parts; at most %(max)s are read.")
            % {"n": len(members), "max": limits.max_members}
        )
    total = 0
    for info in members:
        total += info.file_size
        name = info.filename.lower()
        most = limits.max_strings_bytes if "sharedstrings" in name else limits.max_member_bytes
        if info.file_size > most:
            raise TooLarge(
                _("A part of the workbook (%(part)s) unpacks to %(size)s; at most %(max)s is read.")
                % {"part": info.filename, "size": _mb(info.file_size), "max": _mb(most)}
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FROM and ratio > limits.max_ratio:
            raise TooLarge(
                _(
                    "A part of the workbook (%(part)s) unpacks %(ratio)s times larger than it is "
                    "stored: this is how zip bombs are made, and it is not read."
                )
                % {"part": info.filename, "ratio": f"{ratio:.0f}"}
            )
    if total > limits.max_total_bytes:
        raise TooLarge(
            _("The workbook unpacks to %(size)s; at most %(max)s is read.")
            % {"size": _mb(total), "max": _mb(limits.max_total_bytes)}
        )


class _GuardedStream:
    """A zip member's stream that refuses a run of text longer than ``limit`` bytes between two
    tags, before the XML parser is given it."""

    def __init__(self, raw: IO[bytes], limit: int, name: str) -> None:
        self.raw, self.limit, self.name = raw, limit, name
        self.run = 0  # bytes since the last "<"

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self._check(data)
        return data

    def _check(self, data: bytes) -> None:
        limit = self.limit
        first = data.find(b"<")
        if first == -1:
            self.run += len(data)
            if self.run > limit:
                raise self._refuse()
            return
        if self.run + first > limit:
            raise self._refuse()
        last = data.rfind(b"<")
        # A run of ``limit`` bytes inside the data covers a whole window of limit/2 bytes
        # starting at a multiple of limit/2: only those windows are looked into.
        step = max(limit // 2, 1)
        for start in range(first, last, step):
            if data.find(b"<", start, start + step) == -1:
                before = data.rfind(b"<", 0, start)
                after = data.find(b"<", start)
                if after - before - 1 > limit:
                    raise self._refuse()
        self.run = len(data) - last - 1

    def _refuse(self) -> TooLarge:
        return TooLarge(
            _(
                "The workbook holds a piece of text longer than %(max)s characters (in "
                "%(part)s): no cell of a ledger is that long, and it is not read."
            )
            % {"max": f"{LIMITS.max_cell:,}", "part": self.name}
        )

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> _GuardedStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class GuardedZipFile(zipfile.ZipFile):
    """An .xlsx's zip whose XML members are read through :class:`_GuardedStream`."""

    text_run = LIMITS.max_text_run

    def open(self, name: Any, mode: str = "r", pwd: Any = None, **kwargs: Any) -> Any:
        raw = super().open(name, mode, pwd, **kwargs)
        filename = name.filename if isinstance(name, zipfile.ZipInfo) else str(name)
        if mode == "r" and filename.lower().endswith((".xml", ".rels")):
            return _GuardedStream(raw, self.text_run, filename)
        return raw
