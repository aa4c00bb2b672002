"""Encrypted backups (issue 18): the backup's tar, sealed in chunks with AES-256-GCM.

The construction is the "STREAM" online AEAD of Hoang, Reyhanitabar, Rogaway and Vizár (2015),
as age and Tink's streaming AEAD use it, built from ``cryptography``'s reviewed primitives only:

- The operator's secret (``SHOUWANG_BACKUP_KEY`` or ``--key-file``: a passphrase, or a random
  key written as text, both are treated the same) goes through scrypt (N=2^17, r=8, p=1: 128 MiB
  and about half a second per guess) with a random 32-byte salt of this file: every file has keys
  of its own. HKDF-SHA256 splits scrypt's output into a header key and an AES-256 data key.
- The file starts with two readable lines: ``SHOUWANG-BACKUP-ENCRYPTED 1`` and one line of JSON
  (the cipher, scrypt's parameters and salt, the chunk size, and what tells files apart without
  a key: the engine, when and by which version the backup was made — nothing about anyone's
  data), followed by the HMAC-SHA256 of the two lines under the header key. A wrong key fails
  here, before any data is read; so does an edited header.
- Then the plaintext in chunks of 1 MiB, each sealed by AES-256-GCM with the nonce
  ``chunk number (11 bytes, big-endian) || 1 if it is the last chunk else 0`` and the header's
  HMAC as associated data. A changed, moved, removed or added chunk fails its tag; a file cut at
  a chunk boundary lacks the chunk flagged last; bytes after that chunk are refused. So every
  byte of the file is authenticated, and the reader never holds more than one chunk.

Reading yields plaintext one authenticated chunk at a time; whoever consumes it (the restore)
must call :meth:`Opener.finish` before acting on what it read: only then is the whole file known
to be intact.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import io
import json
import os
import secrets
import stat
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.utils.translation import gettext as _

MAGIC = b"SHOUWANG-BACKUP-ENCRYPTED 1\n"
FORMAT = "shouwang-backup-encrypted"
VERSION = 1
CIPHER = "AES-256-GCM-STREAM"
CHUNK = 1 << 20
TAG = 16
MAC = 32
KEY_ENV = "SHOUWANG_BACKUP_KEY"
MIN_KEY = 16  # characters (bytes) of a passphrase a backup is encrypted with
SCRYPT = {"n": 1 << 17, "r": 8, "p": 1}
# What a header may ask of the reader before it is authenticated (a crafted file must not make
# scrypt or a chunk take the machine's memory).
_MAX_HEADER = 4096
_MAX_CHUNK = 16 << 20
_MAX_SCRYPT_N = 1 << 20


class CryptError(Exception):
    """A key that is missing or wrong, or a file that is not what it says; said for the operator."""


# --------------------------------------------------------------------------------------------
# The key


def passphrase(key_file: str | Path | None = None, *, to_encrypt: bool = False) -> bytes | None:
    """The secret from ``--key-file`` (which must be readable by its owner only), else from
    ``SHOUWANG_BACKUP_KEY``; None when neither gives one. A trailing line break is not part of it,
    so the same secret in the file or in the variable opens the same backups."""
    if key_file is not None:
        path = Path(key_file)
        try:
            info = path.stat()
            if stat.S_IMODE(info.st_mode) & 0o077:
                raise CryptError(
                    _(
                        "The key file %(file)s can be read by other users: make it readable by "
                        "its owner only (chmod 600 %(file)s)."
                    )
                    % {"file": path}
                )
            secret = path.read_bytes()
        except OSError as exc:
            raise CryptError(
                _("The key file %(file)s cannot be read: %(error)s")
                % {"file": path, "error": exc.strerror or exc}
            ) from exc
        where = str(path)
    else:
        value = os.environb.get(KEY_ENV.encode())
        if value is None:
            return None
        secret, where = value, KEY_ENV
    secret = secret.rstrip(b"\r\n")
    if not secret:
        raise CryptError(_("The backup key in %(where)s is empty.") % {"where": where})
    if to_encrypt and len(secret) < MIN_KEY:
        raise CryptError(
            _(
                "The backup key in %(where)s is too short to protect children's data: use at "
                "least %(n)s characters (a random key: `openssl rand -base64 32`)."
            )
            % {"where": where, "n": MIN_KEY}
        )
    return secret


@functools.lru_cache(maxsize=4)
def _keys(secret: bytes, salt: bytes, n: int, r: int, p: int) -> tuple[bytes, bytes]:
    """(header key, data key) of this secret and this file's salt (cached: the restore opens the
    file twice, for its manifest and for its data)."""
    master = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(secret)
    header, data = (
        HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(master)
        for info in (b"shouwang-backup header", b"shouwang-backup data")
    )
    return header, data


def _nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


# --------------------------------------------------------------------------------------------
# Writing


class Sealer(io.RawIOBase):
    """A write-only file that seals what is written to it into ``raw``; :meth:`finish` writes
    the last chunk (the file is incomplete, and refused, without it)."""

    def __init__(
        self,
        raw: IO[bytes],
        secret: bytes,
        clear: dict[str, Any],
        *,
        chunk: int = CHUNK,
        scrypt_n: int = SCRYPT["n"],
    ) -> None:
        super().__init__()
        salt = secrets.token_bytes(32)
        kdf = SCRYPT | {"n": scrypt_n}
        header = {
            "format": FORMAT,
            "version": VERSION,
            "cipher": CIPHER,
            "chunk": chunk,
            "kdf": {"name": "scrypt", **kdf, "salt": salt.hex()},
            **clear,
        }
        head = MAGIC + json.dumps(header, ensure_ascii=False, sort_keys=True).encode() + b"\n"
        header_key, data_key = _keys(secret, salt, kdf["n"], kdf["r"], kdf["p"])
        self._mac = hmac.new(header_key, head, hashlib.sha256).digest()
        self._aead = AESGCM(data_key)
        self._raw, self._chunk, self._counter, self._written = raw, chunk, 0, 0
        self._buffer = bytearray()
        raw.write(head + self._mac)

    def writable(self) -> bool:
        return True

    def tell(self) -> int:  # tarfile asks; the plaintext's offset
        return self._written

    def write(self, data: Any) -> int:
        data = bytes(data)
        self._buffer += data
        self._written += len(data)
        # A chunk goes out once more follows it: the last one is known only at finish().
        while len(self._buffer) > self._chunk:
            self._seal(bytes(memoryview(self._buffer)[: self._chunk]), last=False)
            del self._buffer[: self._chunk]
        return len(data)

    def finish(self) -> None:
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()

    def _seal(self, plain: bytes, *, last: bool) -> None:
        self._raw.write(self._aead.encrypt(_nonce(self._counter, last), plain, self._mac))
        self._counter += 1


# --------------------------------------------------------------------------------------------
# Reading


def is_encrypted(path: Path) -> bool:
    try:
        with Path(path).open("rb") as fh:
            return fh.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def read_header(raw: IO[bytes]) -> tuple[bytes, dict[str, Any]]:
    """The header's bytes and what it says, not yet authenticated; raw is left at its MAC."""
    damaged = _("The encrypted backup's header is damaged.")
    if raw.read(len(MAGIC)) != MAGIC:
        raise CryptError(damaged)
    line = raw.readline(_MAX_HEADER)
    try:
        header = json.loads(line)
        chunk, kdf = int(header["chunk"]), header["kdf"]
        n, r, p, salt = int(kdf["n"]), int(kdf["r"]), int(kdf["p"]), bytes.fromhex(kdf["salt"])
    except (ValueError, TypeError, KeyError) as exc:
        raise CryptError(damaged) from exc
    if header.get("format") != FORMAT or not line.endswith(b"\n"):
        raise CryptError(damaged)
    if int(header.get("version", 0)) > VERSION or header.get("cipher") != CIPHER:
        raise CryptError(
            _(
                "This backup was encrypted by a newer version of Shouwang (%(version)s): "
                "upgrade first."
            )
            % {"version": header.get("app_version", "?")}
        )
    sane = (
        0 < chunk <= _MAX_CHUNK
        and kdf.get("name") == "scrypt"
        and 1 < n <= _MAX_SCRYPT_N
        and 0 < r <= 32
        and 0 < p <= 16
        and len(salt) >= 16
    )
    if not sane:
        raise CryptError(damaged)
    return MAGIC + line, header


class Opener(io.RawIOBase):
    """Reads the plaintext of a sealed file, one authenticated chunk at a time."""

    def __init__(self, raw: IO[bytes], secret: bytes) -> None:
        super().__init__()
        head, self.header = read_header(raw)
        kdf = self.header["kdf"]
        header_key, data_key = _keys(
            secret, bytes.fromhex(kdf["salt"]), int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
        )
        self._mac = raw.read(MAC)
        if not hmac.compare_digest(self._mac, hmac.new(header_key, head, hashlib.sha256).digest()):
            raise CryptError(
                _(
                    "This key does not open this backup (or the backup's header was altered): "
                    "nothing was restored."
                )
            )
        self._aead = AESGCM(data_key)
        self._raw, self._sealed = raw, int(self.header["chunk"]) + TAG
        self._counter, self._plain, self._at, self._done = 0, b"", 0, False
        self._ahead = raw.read(self._sealed)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._at == len(self._plain) and not self._done:
            self._next()
        n = min(len(buffer), len(self._plain) - self._at)
        buffer[:n] = memoryview(self._plain)[self._at : self._at + n]
        self._at += n
        return n

    def _next(self) -> None:
        sealed, self._ahead = self._ahead, self._raw.read(self._sealed)
        last = not self._ahead  # nothing follows this chunk: it must be the one sealed as last
        try:
            self._plain = self._aead.decrypt(_nonce(self._counter, last), sealed, self._mac)
            self._at = 0
        except InvalidTag as exc:
            raise CryptError(
                _(
                    "The encrypted backup was altered or is incomplete (its part %(n)s fails its "
                    "check): nothing was restored."
                )
                % {"n": self._counter + 1}
            ) from exc
        self._counter += 1
        self._done = last

    def finish(self) -> None:
        """Read (and authenticate) whatever is left: the whole file is then known intact."""
        while not self._done:
            self._next()
        self._plain, self._at = b"", 0
