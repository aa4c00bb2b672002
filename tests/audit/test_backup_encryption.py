"""Encrypted backups (issue 18): ``shouwang backup --encrypt`` and the restore that opens them.

The operator's drill of tests/audit/test_backup.py (its fixtures: a database of the suite's
engine holding the demo county and the world, commands run in processes of their own), with the
file encrypted; then what an encrypted file must withstand: no key, a wrong key, any byte
changed, a reader looking for a child in it. The streaming itself (a file of many chunks, memory
bounded) is tested in this process.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import secrets
import shutil
import stat
import subprocess
import tarfile
import tracemalloc
from pathlib import Path
from typing import IO

import pytest
from django.db import connection

from shouwang.core import backup as core_backup
from shouwang.core import backupcrypt
from tests.audit import test_backup as drill
from tests.audit.test_backup import SQLITE, Site

# The drill's fixtures: a database of the suite's engine with the demo county, one per test.
origin = drill.origin
site = drill.site

KEY = secrets.token_urlsafe(32)  # what `openssl rand -base64 32` gives an operator
WITH_KEY = {backupcrypt.KEY_ENV: KEY}


@pytest.fixture(autouse=True)
def _no_key_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(backupcrypt.KEY_ENV, raising=False)


def add_ballast(site: Site, size: int = 3 << 20) -> None:
    """Random bytes that do not compress: the backup spans several of the cipher's chunks."""
    db = site.connect()
    try:
        kind = "BLOB" if SQLITE else "bytea"
        db.execute(f"CREATE TABLE ballast (b {kind})")
        db.execute(
            "INSERT INTO ballast VALUES (?)" if SQLITE else "INSERT INTO ballast VALUES (%s)",
            (os.urandom(size),),
        )
        if SQLITE:
            db.commit()
    finally:
        db.close()


def header_end(data: bytes) -> int:
    """Where the first sealed chunk starts: after the two header lines and their MAC."""
    return data.index(b"\n", len(backupcrypt.MAGIC)) + 1 + backupcrypt.MAC


def key_file(tmp_path: Path, secret: str, mode: int = 0o600) -> Path:
    path = tmp_path / "backup.key"
    path.write_text(secret + "\n")
    path.chmod(mode)
    return path


def encrypted_backup(site: Site, tmp_path: Path, name: str = "county.backup") -> Path:
    file = tmp_path / name
    made = site.shouwang("backup", "--out", str(file), "--encrypt", **WITH_KEY)
    assert made.returncode == 0, made.stderr
    return file


# ---------------------------------------------------------------------------------------------


def test_an_encrypted_backup_comes_back_whole_with_its_key_and_its_audit_chain(
    site: Site, tmp_path: Path
):
    add_ballast(site)
    before = site.tables()
    last_before = site.last_audit()[0]
    backup = tmp_path / "county.backup"

    made = site.shouwang("backup", "--out", str(backup), "--encrypt", **WITH_KEY)

    assert made.returncode == 0, made.stderr
    assert "加密备份已写入" in made.stdout
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    data = backup.read_bytes()
    assert data.startswith(backupcrypt.MAGIC) and not tarfile.is_tarfile(backup)
    assert len(data) - header_end(data) > 2 * (backupcrypt.CHUNK + backupcrypt.TAG)  # 3+ chunks
    with backup.open("rb") as fh:  # what tells files apart is readable; the manifest is not
        _, header = backupcrypt.read_header(fh)
    assert header["engine"] == connection.vendor and header["created_at"]
    assert not {"tables", "migrations", "rows", "audit"} & set(header)
    _, action, changes = site.last_audit()
    assert action == "export" and changes["encrypted"] is True

    site.destroy()
    key = key_file(tmp_path, KEY)  # the same key from a file instead of the environment
    restored = site.shouwang("restore", str(backup), "--key-file", str(key))

    assert restored.returncode == 0, restored.stderr
    assert site.tables(audit_up_to=last_before) == before
    pk, action, changes = site.last_audit()
    assert (pk, action) == (last_before + 1, "import")
    assert changes["encrypted"] is True and changes["chain_intact"] is True
    verified = site.shouwang("audit", "verify")
    assert verified.returncode == 0, verified.stderr


def test_an_encrypted_backup_without_its_key_is_refused_and_nothing_touched(
    site: Site, tmp_path: Path
):
    backup = encrypted_backup(site, tmp_path)
    before = site.tables()

    refused = site.shouwang("restore", str(backup), "--force")

    assert refused.returncode == 1
    assert "此备份已加密" in refused.stderr and backupcrypt.KEY_ENV in refused.stderr
    assert "Traceback" not in refused.stderr
    # A key file others can read is not used (it says how to fix it).
    shared = key_file(tmp_path, KEY, mode=0o644)
    refused = site.shouwang("restore", str(backup), "--force", "--key-file", str(shared))
    assert refused.returncode == 1 and "chmod 600" in refused.stderr
    assert site.tables() == before


def test_a_wrong_key_is_refused_and_nothing_touched(site: Site, tmp_path: Path):
    backup = encrypted_backup(site, tmp_path)
    before = site.tables()

    refused = site.shouwang(
        "restore", str(backup), "--force", **{backupcrypt.KEY_ENV: KEY[:-1] + "x"}
    )

    assert refused.returncode == 1
    assert "密钥不对" in refused.stderr and "Traceback" not in refused.stderr
    assert site.tables() == before


def test_a_byte_changed_anywhere_in_an_encrypted_backup_is_refused_and_nothing_touched(
    site: Site, tmp_path: Path
):
    add_ballast(site)
    backup = encrypted_backup(site, tmp_path)
    data = backup.read_bytes()
    start, sealed = header_end(data), backupcrypt.CHUNK + backupcrypt.TAG
    full_chunks = (len(data) - start - 1) // sealed

    def flipped(at: int) -> bytes:
        changed = bytearray(data)
        changed[at] ^= 0x01
        return bytes(changed)

    def other_hex_digit(data: bytes, at: int) -> bytes:
        return data[:at] + (b"1" if data[at : at + 1] == b"0" else b"0") + data[at + 1 :]

    cases = {
        "magic": (flipped(3), "不是守望的备份"),
        "header": (data.replace(b'"chunk": 1048576', b'"chunk": 1048577'), "密钥不对"),
        "salt": (other_hex_digit(data, data.index(b'"salt": "') + 12), "密钥不对"),
        "mac": (flipped(start - 5), "密钥不对"),
        "first chunk": (flipped(start + 700), "被改动过或不完整"),
        "middle chunk": (flipped(start + sealed + 1234), "被改动过或不完整"),
        # The tar's zero padding, after the database: only reading to the end finds it.
        "last chunk's padding": (flipped(len(data) - backupcrypt.TAG - 1), "被改动过或不完整"),
        "last tag": (flipped(len(data) - 1), "被改动过或不完整"),
        "cut at a chunk": (data[: start + full_chunks * sealed], "被改动过或不完整"),
        "cut a byte short": (data[:-1], "被改动过或不完整"),
        "a byte added": (data + b"\x00", "被改动过或不完整"),
        "chunks swapped": (
            data[:start]
            + data[start + sealed : start + 2 * sealed]
            + data[start : start + sealed]
            + data[start + 2 * sealed :],
            "被改动过或不完整",
        ),
    }
    before = site.tables()
    for name, (content, says) in cases.items():
        assert content != data, name
        bad = tmp_path / "bad.backup"
        bad.write_bytes(content)

        refused = site.shouwang("restore", str(bad), "--force", **WITH_KEY)

        assert refused.returncode == 1, name
        assert says in refused.stderr, (name, refused.stderr)
        assert "Traceback" not in refused.stderr, name
    assert site.tables() == before  # every refusal left the database as it was


def test_no_child_s_id_number_or_name_can_be_read_in_an_encrypted_backup(
    site: Site, tmp_path: Path
):
    db = site.connect()
    try:
        children = db.execute("SELECT id_number, name FROM children_child").fetchall()
    finally:
        db.close()
    assert len(children) >= 20
    needles = [value.encode() for row in children for value in row if value]
    plain = tmp_path / "plain.backup"
    assert site.shouwang("backup", "--out", str(plain)).returncode == 0
    encrypted = encrypted_backup(site, tmp_path)

    # The scan finds them in an unencrypted backup (it can see them)…
    readable = everything_readable_in(plain, tmp_path)
    assert all(needle in readable for needle in needles)
    # …and none of them in the encrypted one.
    readable = everything_readable_in(encrypted, tmp_path)
    assert not tarfile.is_tarfile(encrypted)
    found = [needle.decode() for needle in needles if needle in readable]
    assert found == []


def everything_readable_in(file: Path, tmp_path: Path) -> bytes:
    """The file's bytes, and when it is a tar its members unpacked as far as tools unpack them:
    gunzipped, or a pg_dump archive turned back into SQL."""
    parts = [file.read_bytes()]
    if tarfile.is_tarfile(file):
        with tarfile.open(file) as tar:
            for member in tar.getmembers():
                data = tar.extractfile(member).read()  # type: ignore[union-attr]
                parts.append(data)
                if member.name.endswith(".gz"):
                    parts.append(gzip.decompress(data))
                if member.name.endswith(".pgdump"):
                    dump = tmp_path / "dump.pgdump"
                    dump.write_bytes(data)
                    sql = subprocess.run(
                        [core_backup.pg_program("pg_restore"), "--file=-", str(dump)],
                        capture_output=True,
                        check=True,
                    )
                    parts.append(sql.stdout)
    return b"\n".join(parts)


def test_backup_encrypt_without_a_usable_key_writes_nothing(site: Site, tmp_path: Path):
    out = tmp_path / "county.backup"

    no_key = site.shouwang("backup", "--out", str(out), "--encrypt")
    short = site.shouwang("backup", "--out", str(out), "--encrypt", SHOUWANG_BACKUP_KEY="123456")
    shared = site.shouwang(
        "backup", "--out", str(out), "--key-file", str(key_file(tmp_path, KEY, mode=0o640))
    )

    assert no_key.returncode == 1 and "--encrypt" in no_key.stderr
    assert short.returncode == 1 and "太短" in short.stderr
    assert shared.returncode == 1 and "chmod 600" in shared.stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".shouwang")] == []


# --------------------------------------------------------------------------------------------
# The stream, in this process (a weaker scrypt: the construction is the same, the tests quicker)

CHUNK = backupcrypt.CHUNK


def seal(source: IO[bytes], sink: IO[bytes]) -> None:
    sealer = backupcrypt.Sealer(sink, b"k" * 32, {"engine": "test"}, scrypt_n=1 << 12)
    shutil.copyfileobj(source, sealer, 64 << 10)
    sealer.finish()


def test_a_file_many_chunks_long_is_sealed_and_opened_with_memory_bounded(tmp_path: Path):
    source, sealed = tmp_path / "large.bin", tmp_path / "large.sealed"
    digest = hashlib.sha256()
    with source.open("wb") as fh:
        for _ in range(24):
            block = os.urandom(CHUNK)
            digest.update(block)
            fh.write(block)
        fh.write(b"tail")  # not a whole number of chunks
        digest.update(b"tail")

    tracemalloc.start()
    try:
        with source.open("rb") as src, sealed.open("wb") as dst:
            seal(src, dst)
        sealing_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        opened = hashlib.sha256()
        with sealed.open("rb") as raw:
            opener = backupcrypt.Opener(raw, b"k" * 32)
            reader = io.BufferedReader(opener, 64 << 10)
            first = reader.read(100)
            # Plaintext comes out before the file has been read: two chunks at most so far.
            assert raw.tell() <= header_end(first_bytes(sealed)) + 2 * (CHUNK + backupcrypt.TAG)
            opened.update(first)
            while block := reader.read(64 << 10):
                opened.update(block)
            opener.finish()
        opening_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert opened.hexdigest() == digest.hexdigest()
    size = source.stat().st_size
    assert sealed.stat().st_size == header_end(first_bytes(sealed)) + size + 25 * backupcrypt.TAG
    # 25 MB through, a few chunks held at most.
    assert sealing_peak < 5 * CHUNK and opening_peak < 5 * CHUNK, (sealing_peak, opening_peak)


def first_bytes(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(8192)


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK])
def test_every_length_comes_back_and_a_cut_at_any_chunk_is_refused(size: int):
    plain = os.urandom(size)
    sink = io.BytesIO()
    seal(io.BytesIO(plain), sink)
    data = sink.getvalue()
    start, sealed = header_end(data), CHUNK + backupcrypt.TAG

    def opened(content: bytes) -> bytes:
        opener = backupcrypt.Opener(io.BytesIO(content), b"k" * 32)
        got = io.BufferedReader(opener).read()
        opener.finish()
        return got

    assert opened(data) == plain
    for cut in range(start, len(data), sealed):  # every chunk boundary, the header's end too
        with pytest.raises(backupcrypt.CryptError):
            opened(data[:cut])
    with pytest.raises(backupcrypt.CryptError):
        opened(data + data[start:])  # the chunks again, after the last


def test_a_byte_changed_after_the_database_ends_is_refused_before_anything_is_replaced(
    site: Site, tmp_path: Path
):
    # A backup whose tar is followed by 2 MiB that no tar reader reads (zeros after the end of
    # the archive), sealed with the key: a change there is found only by reading to the end.
    plain = tmp_path / "plain.backup"
    assert site.shouwang("backup", "--out", str(plain)).returncode == 0
    sink = io.BytesIO()
    sealer = backupcrypt.Sealer(sink, KEY.encode(), {"engine": connection.vendor})
    sealer.write(plain.read_bytes() + bytes(2 << 20))
    sealer.finish()
    data = bytearray(sink.getvalue())
    data[-backupcrypt.TAG - 10] ^= 0x01  # in the last chunk: zeros only
    bad, good = tmp_path / "bad.backup", tmp_path / "good.backup"
    bad.write_bytes(bytes(data))
    good.write_bytes(sink.getvalue())
    before = site.tables()

    refused = site.shouwang("restore", str(bad), "--force", **WITH_KEY)

    assert refused.returncode == 1 and "被改动过或不完整" in refused.stderr, refused.stderr
    assert site.tables() == before
    restored = site.shouwang("restore", str(good), "--force", **WITH_KEY)  # the same, unchanged
    assert restored.returncode == 0, restored.stderr
