"""Encryption at rest (issue 18): ID numbers, phones, addresses and counseling and incident texts
are tokens in the database, found again through their keyed hash; the keys rotate."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from shouwang.accounts.models import User
from shouwang.audit.models import AuditAction, AuditEntry
from shouwang.care.models import Caregiver
from shouwang.children import selectors
from shouwang.children.models import Child, DuplicateCase, Guardian, Parent
from shouwang.core import fieldcrypt
from shouwang.core.fieldcrypt import lookup_hash
from shouwang.counseling.models import CounselingSession
from shouwang.demo.services import build_demo_county
from shouwang.ledger.services import import_ledger
from shouwang.safety.models import Incident
from tests.children.factories import make_child
from tests.ledger.files import Ledger, child_row
from tests.personas import PersonaTestCase

REPO = Path(__file__).resolve().parents[2]
ENCRYPTED = {
    "children_child": ("id_number", "address", "contact_phone"),
    "children_parent": ("phone",),
    "children_guardian": ("phone", "address"),
    "children_duplicatecase": ("id_number",),
    "care_caregiver": ("phone",),
    "counseling_counselingsession": ("notes",),
    "counseling_mailboxletter": ("text", "reply"),
    "counseling_individualplan": ("problem", "measures"),
    "counseling_planreview": ("progress",),
    "safety_incident": ("description", "outcome"),
    "accounts_user": ("phone",),
    "notices_outboxmessage": ("address",),
}


def raw(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}"')  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


def whole_database() -> str:
    """Every row of every table, as text: what a stolen database file holds."""
    text = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608
            text += [repr(row) for row in cursor.fetchall()]
    return "\n".join(text)


def secrets_of_the_demo(county: Any) -> dict[str, set[str]]:
    """What must never be found in clear, read back through the models (so decrypted)."""
    children = Child.objects.filter(county=county)
    phones = {p.phone for p in Parent.objects.filter(child__county=county)}
    phones |= {g.phone for g in Guardian.objects.filter(child__county=county)}
    phones |= {c.contact_phone for c in children}
    # Every caregiver's phone, and every user's: the SMS outbox keeps them as addresses,
    # encrypted like the rest.
    phones |= {c.phone for c in Caregiver.objects.filter(county=county)}
    phones |= set(User.objects.values_list("phone", flat=True))
    return {
        "id numbers": {c.id_number for c in children},
        "phones": phones - {""},
        "addresses": {c.address for c in children} - {""},
        "notes": {s.notes for s in CounselingSession.objects.all()}
        | {i.description for i in Incident.objects.all()},
    }


def found_in(text: str, secrets: dict[str, set[str]]) -> dict[str, list[str]]:
    return {kind: sorted(v for v in values if v in text) for kind, values in secrets.items()}


NOTHING = {"id numbers": [], "phones": [], "addresses": [], "notes": []}


@pytest.fixture
def demo(db: Any) -> Any:
    return build_demo_county(seed=11, children=30, today=timezone.localdate()).county


def test_the_database_holds_no_id_number_phone_address_or_note_in_clear(demo: Any) -> None:
    secrets = secrets_of_the_demo(demo)
    assert all(len(n) == 18 for n in secrets["id numbers"]) and len(secrets["id numbers"]) == 30
    assert secrets["phones"] and secrets["addresses"] and secrets["notes"]
    # The columns hold tokens (written by the demo's bulk inserts and by the services alike)…
    for table, columns in ENCRYPTED.items():
        for column in columns:
            stored = [v for v in raw(table, column) if v]
            assert all(fieldcrypt.is_token(v) for v in stored), (table, column)
    # …and nothing anywhere (the audit log, notifications, every other table) has them in clear.
    assert found_in(whole_database(), secrets) == NOTHING


def test_the_users_phones_are_encrypted_too(demo: Any) -> None:
    phones = {u.phone for u in User.objects.exclude(phone="")}
    assert phones and not phones & set(raw("accounts_user", "phone"))


def test_every_child_written_in_bulk_has_the_hash_of_its_id_number(demo: Any) -> None:
    pairs = list(Child.objects.filter(county=demo).values_list("id_number", "id_hash"))
    assert pairs and all(h == lookup_hash(n) and len(h) == 64 for n, h in pairs)


def test_an_encrypted_column_is_asked_only_whether_it_is_blank(demo: Any) -> None:
    child = Child.objects.filter(county=demo).first()
    assert child is not None
    with pytest.raises(FieldError):
        Child.objects.filter(id_number=child.id_number).exists()
    with pytest.raises(FieldError):
        Child.objects.filter(address__contains="组").exists()
    blank_phones = Parent.objects.filter(phone="")
    assert blank_phones.exists()
    assert all(p.phone == "" for p in blank_phones)
    assert Child.objects.filter(id_hash=lookup_hash(child.id_number)).get() == child


def test_the_audit_log_keeps_numbers_masked_and_texts_as_a_marker_and_still_verifies(
    demo: Any,
) -> None:
    child = Child.objects.filter(county=demo).first()
    assert child is not None
    from shouwang.children import services

    services.update_child(
        child=child,
        data={"address": "新村5组1号", "contact_phone": "13912345678"},
        father={},
        mother={},
        guardian={},
        by=None,
    )
    entry = AuditEntry.objects.filter(
        object_id=str(child.pk), action=AuditAction.UPDATE, object_type="children.child"
    ).latest("id")
    assert entry.changes["address"][1] == fieldcrypt.TEXT_MARKER
    assert entry.changes["contact_phone"][1] == "139****5678"
    call_command("audit", "verify", stdout=io.StringIO())  # raises unless the chain is intact


class LookUpTests(PersonaTestCase):
    def test_searching_the_register_by_a_whole_id_number_finds_the_child(self) -> None:
        child = make_child(school_class=self.org("class_a1"), name="甲一")
        make_child(school_class=self.org("class_a1"), name="甲二")
        client = self.client_as("school_admin")
        for q in (child.id_number, child.id_number.lower(), child.id_number[-6:]):
            with self.subTest(q=q):
                html = client.get(reverse("children:register"), {"q": q}).content.decode()
                self.assertIn("甲一", html)
                self.assertNotIn("甲二", html)
        found = selectors.with_id_number(Child.objects.all(), child.id_number)
        self.assertEqual(list(found), [child])

    def test_the_same_id_number_in_two_schools_still_opens_a_duplicate_case(self) -> None:
        first = make_child(school_class=self.org("class_a1"))
        second = make_child(school_class=self.org("class_b1"), id_number=first.id_number)
        case = DuplicateCase.objects.get()
        self.assertEqual({case.first_id, case.second_id}, {first.pk, second.pk})
        self.assertEqual(case.id_number, first.id_number)
        self.assertEqual(case.id_hash, lookup_hash(first.id_number))
        self.assertNotIn(first.id_number, raw("children_duplicatecase", "id_number"))

    def test_importing_a_ledger_with_a_known_id_number_updates_the_archive(self) -> None:
        row = child_row(1)
        school = self.org("school_a")
        path = Path(self.enterContext(_tmp())) / "ledger.xlsx"
        import_ledger(source=Ledger([row]).write_xlsx(path), filename="a.xlsx", org=school, by=None)
        row["兴趣爱好"] = "下棋"
        again = import_ledger(
            source=Ledger([row]).write_xlsx(path), filename="b.xlsx", org=school, by=None
        ).result
        self.assertEqual((again.created, again.updated), (0, 1))
        child = Child.objects.get(id_hash=lookup_hash(row["身份证号"]))
        self.assertEqual((child.hobbies, child.id_number), ("下棋", row["身份证号"]))
        self.assertNotIn(row["身份证号"], raw("children_child", "id_number"))


def _tmp() -> Any:
    import tempfile

    return tempfile.TemporaryDirectory()


# --- key rotation -------------------------------------------------------------------------------


def _everything_reads(county: Any, expected: dict[str, set[str]]) -> None:
    assert secrets_of_the_demo(county) == expected
    for number in expected["id numbers"]:
        assert Child.objects.filter(id_hash=lookup_hash(number)).count() == 1


def test_after_a_rotation_the_old_key_can_go_and_everything_still_reads(db: Any) -> None:
    key1, key2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(SHOUWANG_FIELD_KEYS=[key1], SHOUWANG_FIELD_KEYS_FILE=None):
        county = build_demo_county(seed=5, children=12, today=timezone.localdate()).county
        written = secrets_of_the_demo(county)
        under_key1 = raw("children_child", "id_number")
    with override_settings(SHOUWANG_FIELD_KEYS=[key2, key1], SHOUWANG_FIELD_KEYS_FILE=None):
        out = io.StringIO()
        call_command("rotate_keys", "--batch", "5", stdout=out)
        assert "children.Child: 12/12" in out.getvalue()
    with override_settings(SHOUWANG_FIELD_KEYS=[key2], SHOUWANG_FIELD_KEYS_FILE=None):
        _everything_reads(county, written)
        assert not set(raw("children_child", "id_number")) & set(under_key1)
        entry = AuditEntry.objects.latest("id")
        assert entry.changes["values"] > 0 and entry.changes["new_key"] is False
        assert "children_child.id_number" in entry.changes["columns"]
    with override_settings(SHOUWANG_FIELD_KEYS=[key1]), pytest.raises(fieldcrypt.FieldKeyError):
        Child.objects.filter(county=county).first()


def test_rotate_keys_in_the_embedded_set_up_writes_the_new_key_to_var(
    db: Any, tmp_path: Path
) -> None:
    old = Fernet.generate_key().decode()
    keys = tmp_path / "field_keys"
    keys.write_text(old + "\n")
    with override_settings(SHOUWANG_FIELD_KEYS=[old], SHOUWANG_FIELD_KEYS_FILE=keys):
        county = build_demo_county(seed=5, children=6, today=timezone.localdate()).county
        written = secrets_of_the_demo(county)
        call_command("rotate_keys", "--new-key", "--drop-old", stdout=io.StringIO())
        new = keys.read_text().split()
        assert len(new) == 1 and new != [old]
        assert oct(keys.stat().st_mode & 0o777) == "0o600"
    with override_settings(SHOUWANG_FIELD_KEYS=new):
        _everything_reads(county, written)


def test_a_new_key_alone_is_only_put_first_until_the_processes_restart(
    db: Any, tmp_path: Path
) -> None:
    """Running processes know only the older keys: nothing is written under the new one yet."""
    old = Fernet.generate_key().decode()
    keys = tmp_path / "field_keys"
    keys.write_text(old + "\n")
    with override_settings(SHOUWANG_FIELD_KEYS=[old], SHOUWANG_FIELD_KEYS_FILE=keys):
        county = build_demo_county(seed=5, children=6, today=timezone.localdate()).county
        before = raw("children_child", "id_number")
        out = io.StringIO()
        call_command("rotate_keys", "--new-key", stdout=out)
        assert len(keys.read_text().split()) == 2
        assert raw("children_child", "id_number") == before  # nothing re-encrypted yet
        assert "重启" in out.getvalue()
    with override_settings(SHOUWANG_FIELD_KEYS=[old]):  # a server still on the old key reads
        assert Child.objects.filter(county=county).count() == 6
        assert all(len(c.id_number) == 18 for c in Child.objects.filter(county=county))


# --- rows written before the columns were encrypted ----------------------------------------------


def test_the_migration_encrypts_the_rows_already_there_and_fills_the_hashes(db: Any) -> None:
    from tests.world import build_world

    world = build_world()
    child = make_child(school_class=world.orgs["class_a1"])
    with connection.cursor() as cursor:  # as the columns were before: plain text
        cursor.execute(
            'UPDATE "children_child" SET "id_number" = %s, "id_hash" = %s WHERE "id" = %s',
            [child.id_number, "", child.pk],
        )
    editor = type("Editor", (), {"connection": connection})()
    migrate = fieldcrypt.encrypt_existing(
        "children_child", ["id_number", "address", "contact_phone"], {"id_hash": "id_number"}
    )
    migrate(None, editor)
    migrate(None, editor)  # a second run changes nothing
    stored = raw("children_child", "id_number")
    assert child.id_number not in stored and all(fieldcrypt.is_token(v) for v in stored)
    child.refresh_from_db()
    assert child.id_hash == lookup_hash(child.id_number)
    fieldcrypt.decrypt_existing("children_child", ["id_number"])(None, editor)
    assert child.id_number in raw("children_child", "id_number")


# --- the files a thief would take ---------------------------------------------------------------

BUILD = """
import json, sys
import django
django.setup()
from django.utils import timezone
from shouwang.demo.services import build_demo_county
from tests.security.test_encryption_at_rest import secrets_of_the_demo
county = build_demo_county(seed=3, children=40, today=timezone.localdate()).county
json.dump({k: sorted(v) for k, v in secrets_of_the_demo(county).items()}, sys.stdout)
"""


def _build_elsewhere(var: Path, url: str = "") -> dict[str, set[str]]:
    """Migrate a database of its own (a file under var, or the PostgreSQL database at url) and
    build a demo county there, committed, as `shouwang demo` does; its secrets back."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {
        "SHOUWANG_VAR_DIR": str(var),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    if url:
        env["DATABASE_URL"] = url
    migrate = [sys.executable, "-m", "shouwang.cli", "migrate", "--noinput", "-v0"]
    subprocess.run(migrate, env=env, cwd=REPO, check=True, timeout=900)
    built = subprocess.run(
        [sys.executable, "-c", BUILD], env=env, cwd=REPO, check=True, timeout=900,
        capture_output=True, text=True,
    )  # fmt: skip
    secrets = {k: set(v) for k, v in json.loads(built.stdout).items()}
    assert len(secrets["id numbers"]) == 40
    return secrets


@pytest.mark.sqlite
def test_the_sqlite_file_holds_no_demo_id_number(tmp_path: Path) -> None:
    secrets = _build_elsewhere(tmp_path)
    file = tmp_path / "shouwang.sqlite3"
    with sqlite3.connect(file) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = b"".join(
        Path(f"{file}{suffix}").read_bytes()
        for suffix in ("", "-wal")
        if Path(f"{file}{suffix}").exists()
    )
    text = data.decode("utf-8", errors="replace")
    assert "守望演示" in text  # the scan sees the data: the county's names are there in clear
    assert found_in(text, secrets) == NOTHING


@pytest.mark.postgresql
def test_a_postgresql_dump_holds_no_demo_id_number(tmp_path: Path) -> None:
    from shouwang.core.backup import pg_program
    from tests.audit.test_backup import _pg_admin, _pg_url

    name = f"crypt_{uuid.uuid4().hex[:8]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        secrets = _build_elsewhere(tmp_path, _pg_url(name))
        dump = subprocess.run(
            [pg_program("pg_dump"), "--no-owner", "--dbname", _pg_url(name)],
            check=True, capture_output=True, timeout=600,
        ).stdout  # fmt: skip
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    text = dump.decode("utf-8", errors="replace")
    assert "守望演示" in text  # the dump holds the data…
    assert found_in(text, secrets) == NOTHING  # …and none of it in clear


def test_the_field_keys_are_independent_of_the_secret_key(demo: Any) -> None:
    before = secrets_of_the_demo(demo)
    with override_settings(SECRET_KEY="another-secret-key-of-at-least-32-characters"):
        fieldcrypt.forget_keys()  # the keys read afresh, under the other secret key
        assert secrets_of_the_demo(demo) == before
    fieldcrypt.forget_keys()


def test_a_new_key_for_the_environment_is_printed_and_nothing_changes(db: Any) -> None:
    out = io.StringIO()
    call_command("rotate_keys", "--print-new-key", stdout=out)
    Fernet(out.getvalue().strip())  # a valid key
    assert not AuditEntry.objects.exists()
