"""Province scale (issue 17): a generated province on PostgreSQL, and the pages that must hold.

    bash scripts/test_postgres.sh .venv/bin/python -m tests.perf.province \\
        --children 1000000 --records 20000000 [--variant no-jit] \\
        [--partition] [--explain] [--only PAGE …]

Fills a scratch database (created on the server DATABASE_URL names, dropped at exit; or
``--database NAME``, kept, and only migrated and measured when it is already full) with one
province of ``--counties`` counties (15), each ``children / counties`` children in schools of
6 grades × 4 classes (about 14 children a class, 10 schools and 15 villages a township), their
parents, guardians, status history, classifications, teachers (one per three children of a
class) and village cadres, pairings, ``--records`` care records over the last 12 months written
in the order of their moments (each page of the table holds every county's records of that
time, as a running system writes them), follow-ups of the abnormal ones, care plans and
enrolment counts. Everything is set-based SQL (INSERT … SELECT generate_series, ids computed
from the child's number), with the bulk tables' secondary indexes and foreign keys dropped
while they fill and rebuilt after (the keys are then checked in one pass each); the calendar,
the duty policies in force and the people who log in go through the services, and the rows are
checked against the models' own derivations. Names are synthetic ('儿童123'), phone numbers
start with 10 (no mobile number does), ID numbers with the region code 99 (no province has it).

Then it measures what the issue names, as the pages do it (Django's test client, logged in):
the county dashboard (``/`` and ``/stats/`` as the county's officer), the county's ledger export
(asked on ``/ledger/export/…/``, and written as the worker writes it: every child in the
register), 我的任务 (``/care/`` as a teacher and as a school admin, and its selector), and for
information the county's duty compliance (and, as ``kept``, how its kept count is read back,
handed out after a record and counted again by the worker) and the province's own dashboard:
the first request and the best of three (a page that keeps what it counted answers the repeats
from it), the queries and the time the database spent in them.
``--explain`` prints EXPLAIN (ANALYZE, BUFFERS) of every query slower than 0.2 s. Each
``--variant`` patches a change into this process and measures again (an experiment for what
another module could do: JIT off). ``--partition`` then rebuilds the care
records as a table partitioned by county (LIST on ``county_id``, one partition per county) and
measures again. docs/scaling.md reports the figures.
"""

# Every statement here is built from this script's own integers and literals (S608).
# ruff: noqa: S608

from __future__ import annotations

import argparse
import atexit
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

# Parents' and guardians' situations, per mille of children: (share, father, mother, guardian's
# relation). The left-behind type and the guardian class are derived from them by the model's
# own functions (children.types), so the rows agree with what the services would write.
PATTERNS = [
    (300, "migrant", "migrant", "grandparent"),
    (100, "migrant", "migrant", "maternal_grandparent"),
    (50, "migrant", "migrant", "relative"),
    (20, "migrant", "migrant", "entrusted"),
    (250, "migrant", "at_home", "parent"),
    (100, "at_home", "migrant", "parent"),
    (60, "migrant", "divorced_away", "grandparent"),
    (30, "deceased", "migrant", "grandparent"),
    (40, "deceased", "at_home", "parent"),
    (50, "at_home", "at_home", "parent"),
]
# What a caregiver records, in turn (bench_care's month).
KINDS = ["home_visit", "parent_call", "talk", "talk", "tutoring", "guardian_contact", "letter"]
WITH_WHOM = {"parent_call": "parents", "letter": "parents", "guardian_contact": "guardian"}
FINDINGS = [
    "孩子情绪稳定，学习认真，按时完成作业。",
    "与孩子谈心，了解近期在校情况，鼓励其积极参加集体活动。",
    "电话联系家长，告知孩子近况，提醒家长每周与孩子通话。",
    "到家中走访，监护人身体尚好，家中卫生一般，叮嘱注意用电安全。",
    "辅导数学作业一小时，分数计算仍需巩固。",
    "孩子反映想念父母，已安排亲情电话。",
    "",
]
GRADES = ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"]
CLASSES_PER_GRADE = 4
VILLAGES_PER_TOWNSHIP = 15
SCHOOLS_PER_TOWNSHIP = 10
CHILDREN_PER_SCHOOL = 333
B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# The tables filled here: their secondary indexes and keys are rebuilt after the fill.
BULK_TABLES = [
    "orgs_org",
    "orgs_enrolment",
    "children_child",
    "children_parent",
    "children_guardian",
    "children_statuschange",
    "children_assessment",
    "care_caregiver",
    "care_pairing",
    "care_carerecord",
    "care_followup",
    "care_careplan",
]
SIZED_TABLES = [
    "care_carerecord",
    "children_child",
    "children_parent",
    "children_statuschange",
    "children_assessment",
    "children_guardian",
    "care_pairing",
    "care_caregiver",
    "care_followup",
    "care_careplan",
    "orgs_org",
]


@dataclass(frozen=True)
class Shape:
    """The province's dimensions; every id is a function of them and a row's number."""

    children: int
    records: int
    counties: int
    townships: int  # per county
    schools: int  # per township
    villages: int = VILLAGES_PER_TOWNSHIP
    grades: int = len(GRADES)
    classes: int = CLASSES_PER_GRADE  # per grade

    @classmethod
    def of(cls, children: int, records: int, counties: int) -> Shape:
        per_county_schools = max(1, round(children / counties / CHILDREN_PER_SCHOOL))
        townships = max(1, per_county_schools // SCHOOLS_PER_TOWNSHIP)
        schools = max(1, per_county_schools // townships)
        return cls(children, records, counties, townships, schools)

    # Org ids, level by level: the province is 1, then counties, townships, villages, schools,
    # grades and classes, each level numbered in tree order.
    @property
    def base_township(self) -> int:
        return 1 + self.counties

    @property
    def n_townships(self) -> int:
        return self.counties * self.townships

    @property
    def base_village(self) -> int:
        return self.base_township + self.n_townships

    @property
    def base_school(self) -> int:
        return self.base_village + self.n_townships * self.villages

    @property
    def n_schools(self) -> int:
        return self.n_townships * self.schools

    @property
    def base_grade(self) -> int:
        return self.base_school + self.n_schools

    @property
    def base_class(self) -> int:
        return self.base_grade + self.n_schools * self.grades

    @property
    def n_classes(self) -> int:
        return self.n_schools * self.grades * self.classes

    @property
    def slots(self) -> int:
        """Teachers per class at most: one per three children."""
        per_class = -(-self.children // self.n_classes)
        return -(-per_class // 3)

    @property
    def base_cadre(self) -> int:
        return self.n_classes * self.slots

    @property
    def passes(self) -> int:
        """Care records per child (the last pass covers only the first children)."""
        return -(-self.records // self.children)


# --- the scratch database -------------------------------------------------------------------


def _database(name: str | None) -> bool:
    """Point Django at a database of its own on DATABASE_URL's server; True when it is already
    filled (``--database`` given a second time)."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "province: PostgreSQL only; run it through scripts/test_postgres.sh (DATABASE_URL)"
        )
    server = make_conninfo(url, dbname="postgres")
    keep = name is not None
    name = name or f"shouwang_province_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(server, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    if not keep:

        def drop() -> None:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )

        atexit.register(drop)
    os.environ["DATABASE_URL"] = urlsplit(url)._replace(path=f"/{name}").geturl()
    os.environ["DJANGO_SETTINGS_MODULE"] = "shouwang.settings"
    if keep:
        # A kept database is read again by later runs: its field keys (var/field_keys, which
        # encrypted its ID numbers and phones) must be the same ones, so its var/ is too.
        var = os.path.join(tempfile.gettempdir(), f"shouwang-province-{name}")
        os.makedirs(var, mode=0o700, exist_ok=True)
    else:
        var = tempfile.mkdtemp(prefix="shouwang-province-")
    os.environ["SHOUWANG_VAR_DIR"] = var
    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('care_carerecord') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SELECT EXISTS (SELECT 1 FROM care_carerecord)")
        return bool(cursor.fetchone()[0])


@contextmanager
def step(label: str) -> Iterator[None]:
    begin = time.perf_counter()
    print(f"  {label} …", end="", flush=True)
    yield
    print(f" {time.perf_counter() - begin:.0f} s", flush=True)


def _run(sql: str, params: Any = None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _one(sql: str, params: Any = None) -> Any:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _all(sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- the fill -------------------------------------------------------------------------------


def fill(shape: Shape, today: date) -> None:
    from django.core.management import call_command

    begin = time.perf_counter()
    print(
        f"filling: {shape.counties} counties × {shape.townships} townships × "
        f"({shape.villages} villages + {shape.schools} schools × {shape.grades} grades × "
        f"{shape.classes} classes); {shape.children:,} children, {shape.records:,} records",
        flush=True,
    )
    with step("migrate"):
        call_command("migrate", verbosity=0)
    _run("SET maintenance_work_mem = '1GB'")
    _run("SET work_mem = '256MB'")
    _functions(shape, today)
    with step("secondary indexes and keys of the bulk tables dropped"):
        restore = _drop_indexes(BULK_TABLES)
    with step("org tree"):
        _orgs(shape)
    with step("children, parents, guardians"):
        _children(shape, today)
    with step("their ID numbers, phones and addresses encrypted, ID numbers hashed"):
        for table, columns, hashed in ENCRYPTED:
            _encrypt(table, columns, hashed)
    with step("status history, classifications"):
        _history(shape, today)
    with step("caregivers, pairings"):
        _caregivers(shape, today)
    for j in range(shape.passes):
        with step(f"care records, pass {j + 1} of {shape.passes}"):
            _records(shape, today, j)
    with step("follow-ups, care plans, enrolment"):
        _follow_ups(shape, today)
    with step(f"{len(restore)} indexes and keys rebuilt (keys checked)"):
        for statement in restore:
            _run(statement)
    with step("sequences"):
        for table in BULK_TABLES:
            _run(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(max(id), 0) + 1 FROM {table}), false)"
            )
    with step("calendar, duty policies, people"):
        _through_services(shape, today)
    with step("VACUUM ANALYZE"):
        _run("VACUUM ANALYZE")
    _check(shape, today)
    print(f"filled in {time.perf_counter() - begin:.0f} s", flush=True)


def _functions(shape: Shape, today: date) -> None:
    """Session functions: a step of a path, an ID number's check digit, and where child ``n``
    sits (all inlined by the planner: plain SQL expressions of ``n``)."""
    s = shape
    # Child n's class is the (n-1)·classes/children-th: classes fill in tree order.
    klass = f"((($1 - 1) * {s.n_classes}::bigint) / {s.children} + 1)"
    first = f"((( {klass} - 1) * {s.children}::bigint + {s.n_classes} - 1) / {s.n_classes} + 1)"
    school = f"(({klass} - 1) / {s.grades * s.classes} + 1)"
    township = f"(({school} - 1) / {s.schools} + 1)"
    functions = {
        "b36(bigint) RETURNS text": (
            f"SELECT substr('{B36}', ($1 / 46656 % 36 + 1)::int, 1)"
            f" || substr('{B36}', ($1 / 1296 % 36 + 1)::int, 1)"
            f" || substr('{B36}', ($1 / 36 % 36 + 1)::int, 1)"
            f" || substr('{B36}', ($1 % 36 + 1)::int, 1)"
        ),
        "id_check(text) RETURNS text": (
            "SELECT substr('10X98765432', (SELECT sum(substr($1, i::int, 1)::int * w)"
            " FROM unnest(ARRAY[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2]) WITH ORDINALITY AS t(w, i))"
            "::int % 11 + 1, 1)"
        ),
        "hash(bigint) RETURNS bigint": "SELECT ($1 * 2654435761) % 4294967296",
        "class_idx(bigint) RETURNS bigint": f"SELECT {klass}",
        "school_idx(bigint) RETURNS bigint": f"SELECT {school}",
        "township_idx(bigint) RETURNS bigint": f"SELECT {township}",
        "county_id(bigint) RETURNS bigint": f"SELECT ({township} - 1) / {s.townships} + 2",
        "village_id(bigint) RETURNS bigint": (
            f"SELECT {s.base_village} + ({township} - 1) * {s.villages} + $1 % {s.villages} + 1"
        ),
        # A teacher looks after three children of a class: the class's slot (pos / 3).
        "teacher_id(bigint) RETURNS bigint": (
            f"SELECT ({klass} - 1) * {s.slots} + ($1 - {first}) / 3 + 1"
        ),
        # The school a transferred child came from: the next one of its township.
        "neighbour_school(bigint) RETURNS bigint": (
            f"SELECT {s.base_school} + ({township} - 1) * {s.schools}"
            f" + ({school} - ({township} - 1) * {s.schools}) % {s.schools} + 1"
        ),
        # Out of school (1 in 100: registered at their village), transferred (1 in 100 where a
        # township has two schools), back with their parents and out of the register (1 in 25).
        "out_of_school(bigint) RETURNS boolean": "SELECT $1 % 100 = 37",
        "transferred(bigint) RETURNS boolean": f"SELECT $1 % 100 = 53 AND {s.schools} > 1",
        "returned(bigint) RETURNS boolean": "SELECT $1 % 25 = 7",
        "collected_on(bigint) RETURNS date": (
            f"SELECT DATE '{today}' - 400 - (pg_temp.hash($1) / 1000000 % 700)::int"
        ),
        "moved_on(bigint) RETURNS date": (
            f"SELECT DATE '{today}' - 20 - (pg_temp.hash($1) / 1000000 % 300)::int"
        ),
        # Which of PATTERNS the child's family is (-1: back with their parents).
        "bucket(bigint) RETURNS int": (
            "SELECT CASE WHEN pg_temp.returned($1) THEN -1 ELSE (pg_temp.hash($1) % 1000)::int END"
        ),
        "heart(bigint) RETURNS smallint": (
            "SELECT CASE WHEN pg_temp.hash($1) % 10 >= 4 THEN NULL"
            " WHEN pg_temp.hash($1) / 1000 % 100 < 50 THEN 1"
            " WHEN pg_temp.hash($1) / 1000 % 100 < 80 THEN 2"
            " WHEN pg_temp.hash($1) / 1000 % 100 < 93 THEN 3 ELSE 4 END::smallint"
        ),
    }
    for signature, body in functions.items():
        _run(
            f"CREATE OR REPLACE FUNCTION pg_temp.{signature} LANGUAGE sql IMMUTABLE AS $f${body}$f$"
        )
    from shouwang.children.types import guardian_class, left_behind_type

    _run(
        "CREATE TEMP TABLE pattern (lo int, hi int, father text, mother text, lbt text,"
        " relation text, gclass text)"
    )
    lo = 0
    for share, father, mother, relation in PATTERNS:
        _run(
            "INSERT INTO pattern VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                lo,
                lo + share,
                father,
                mother,
                str(left_behind_type(father, mother)),
                relation,
                guardian_class(relation),
            ],
        )
        lo += share
    assert lo == 1000, lo
    # A child back with their parents has both at home.
    _run(
        "INSERT INTO pattern VALUES (-1, 0, 'at_home', 'at_home', %s, 'parent', '')",
        [str(left_behind_type("at_home", "at_home"))],
    )


def _drop_indexes(tables: list[str]) -> list[str]:
    """Drop the secondary indexes, unique constraints and foreign keys of ``tables`` (and the
    keys pointing at them); return the statements that make them again, in a working order."""
    names = "ARRAY[" + ", ".join(f"'{t}'::regclass" for t in tables) + "]"
    keys = _all(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype"
        " FROM pg_constraint WHERE (contype = 'u' AND conrelid = ANY(" + names + "))"
        " OR (contype = 'f' AND (conrelid = ANY(" + names + ") OR confrelid = ANY(" + names + ")))"
    )
    indexes = _all(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " WHERE i.indrelid = ANY(" + names + ") AND NOT i.indisprimary AND NOT EXISTS ("
        " SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid"
        " AND c.contype IN ('p', 'u', 'x'))"
    )
    for table, name, _definition, _kind in sorted(keys, key=lambda k: k[3] != "f"):
        _run(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        _run(f"DROP INDEX {name}")
    restore = [definition for _name, definition in indexes]
    for table, name, definition, _kind in sorted(keys, key=lambda k: k[3] == "f"):
        restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    return restore


ORG_COLUMNS = "id, path, depth, numchild, code, name, kind, stage, is_active, created_at"


def _orgs(shape: Shape) -> None:
    s = shape
    grades = "ARRAY[" + ", ".join(f"'{g}'" for g in GRADES) + "]"
    region = (
        "'99' || '01' || lpad({c}::text, 2, '0') || lpad({t}::text, 3, '0')"
        " || lpad({v}::text, 3, '0')"
    )
    statements = [
        f"INSERT INTO orgs_org ({ORG_COLUMNS}) VALUES"
        f" (1, '0001', 1, {s.counties}, '990000000000', '样本省', 'province', '', true, now())",
        f"INSERT INTO orgs_org ({ORG_COLUMNS}) SELECT 1 + c, '0001' || pg_temp.b36(c), 2,"
        f" {s.townships}, {region.format(c='c', t=0, v=0)}, '样本' || c || '县', 'county', '',"
        f" true, now() FROM generate_series(1, {s.counties}) c",
        f"INSERT INTO orgs_org ({ORG_COLUMNS}) SELECT {s.base_township} + (c - 1) * {s.townships}"
        f" + t, '0001' || pg_temp.b36(c) || pg_temp.b36(t), 3, {s.villages + s.schools},"
        f" {region.format(c='c', t='t', v=0)}, '样本' || c || '县' || t || '镇', 'township', '',"
        f" true, now() FROM generate_series(1, {s.counties}) c,"
        f" generate_series(1, {s.townships}) t",
        f"INSERT INTO orgs_org ({ORG_COLUMNS}) SELECT {s.base_village}"
        f" + ((c - 1) * {s.townships} + t - 1) * {s.villages} + v,"
        f" '0001' || pg_temp.b36(c) || pg_temp.b36(t) || pg_temp.b36(v), 4, 0,"
        f" {region.format(c='c', t='t', v='v')}, '样本' || c || '县' || t || '镇' || v || '村',"
        f" 'village', '', true, now() FROM generate_series(1, {s.counties}) c,"
        f" generate_series(1, {s.townships}) t, generate_series(1, {s.villages}) v",
        f"INSERT INTO orgs_org ({ORG_COLUMNS}) SELECT {s.base_school} + n, p.path"
        f" || pg_temp.b36({s.villages} + (n - 1) % {s.schools} + 1), 4, {s.grades},"
        f" '99' || lpad(n::text, 8, '0'), '样本第' || n || '小学', 'school', '', true, now()"
        f" FROM generate_series(1, {s.n_schools}) n JOIN orgs_org p"
        f" ON p.id = {s.base_township} + (n - 1) / {s.schools} + 1",
        f"INSERT INTO orgs_org ({ORG_COLUMNS}) SELECT {s.base_grade} + (p.id - {s.base_school} - 1)"
        f" * {s.grades} + g, p.path || pg_temp.b36(g), 5, {s.classes},"
        f" p.code || '-' || lpad(g::text, 2, '0'), ({grades})[g], 'grade', 'primary', true, now()"
        f" FROM orgs_org p, generate_series(1, {s.grades}) g WHERE p.kind = 'school'",
        f"INSERT INTO orgs_org ({ORG_COLUMNS}) SELECT {s.base_class} + (p.id - {s.base_grade} - 1)"
        f" * {s.classes} + k, p.path || pg_temp.b36(k), 6, 0,"
        f" p.code || '-' || lpad(k::text, 2, '0'), p.name || '（' || k || '）班', 'class', '',"
        f" true, now() FROM orgs_org p, generate_series(1, {s.classes}) k WHERE p.kind = 'grade'",
    ]
    for statement in statements:
        _run(statement)


def _children(shape: Shape, today: date) -> None:
    s = shape
    family = "JOIN pattern p ON p.lo <= pg_temp.bucket({n}) AND pg_temp.bucket({n}) < p.hi"
    _run(
        "INSERT INTO children_child (id, name, name_initials, gender, ethnicity, birth_date,"
        " id_number, boarding, address, personality, hobbies, health, study, note, contact_name,"
        " contact_phone, left_behind_type, status, guardian_class, risk_grade, heart_level,"
        " collected_by, collected_on, verified_on, created_at, updated_at, county_id,"
        " home_village_id, merged_into_id, school_id, school_class_id, id_hash, review_state)"
        " SELECT n, '儿童' || n, 'et' || n, CASE WHEN n % 2 = 1 THEN 'male' ELSE 'female' END,"
        " '汉族', birth, first17 || pg_temp.id_check(first17), n % 5 = 0,"
        " '样本村' || n % 97 || '组',"
        " '', '', '', '', '', '', '', p.lbt,"
        " CASE WHEN pg_temp.returned(n) THEN 'returned' ELSE 'active' END, p.gclass,"
        " CASE WHEN n % 10 = 3 THEN 'grade_' || (1 + pg_temp.hash(n) / 7 % 4) ELSE '' END,"
        " pg_temp.heart(n), '班主任', pg_temp.collected_on(n), NULL, now(), now(),"
        " pg_temp.county_id(n), pg_temp.village_id(n), NULL,"
        " CASE WHEN pg_temp.out_of_school(n) THEN pg_temp.village_id(n)"
        f" ELSE {s.base_school} + pg_temp.school_idx(n) END,"
        f" CASE WHEN pg_temp.out_of_school(n) THEN NULL ELSE {s.base_class} + pg_temp.class_idx(n)"
        " END, '', 'confirmed'"
        # ID numbers: region 99xxxx, the birth date, an odd sequence for boys, the check digit.
        " FROM (SELECT n, birth, '99' || lpad(((n - 1) / 5000 % 10000)::text, 4, '0')"
        " || to_char(birth, 'YYYYMMDD') || lpad((n / 2 % 500 * 2 + n % 2)::text, 3, '0') AS first17"
        f" FROM (SELECT n, DATE '{today}' - 1100 - (pg_temp.hash(n) / 1000 % 4700)::int AS birth"
        f" FROM generate_series(1, {s.children}) n) b) x " + family.format(n="n") + " ORDER BY n"
    )
    for relation, prefix, phone in (("father", "父亲", "100"), ("mother", "母亲", "101")):
        status = f"p.{relation}"
        _run(
            "INSERT INTO children_parent (relation, name, phone, status, work_place, employer,"
            " away_since, visits_home, child_id)"
            f" SELECT '{relation}', '{prefix}' || c.id, '{phone}' || lpad(c.id::text, 8, '0'),"
            f" {status}, CASE WHEN {status} = 'migrant' THEN '样本市' ELSE '' END, '',"
            f" CASE WHEN {status} = 'migrant'"
            f" THEN c.collected_on - 100 - (pg_temp.hash(c.id) % 900)::int END,"
            f" CASE WHEN {status} = 'migrant' THEN '春节' ELSE '' END, c.id"
            " FROM children_child c " + family.format(n="c.id") + " ORDER BY c.id"
        )
    _run(
        "INSERT INTO children_guardian (name, relation, age, health, literacy, phone, address,"
        " responsibility_letter_signed_on, child_id)"
        " SELECT '监护人' || c.id, p.relation, CASE WHEN p.relation LIKE '%%grandparent'"
        " THEN 58 + c.id % 20 ELSE 30 + c.id % 20 END, '良好', '初中',"
        " '102' || lpad(c.id::text, 8, '0'), '', c.collected_on, c.id"
        " FROM children_child c " + family.format(n="c.id") + " ORDER BY c.id"
    )


# The columns the models keep encrypted (core.fieldcrypt), by table, and the one whose keyed
# hash the table keeps: written plain by the SQL above, then rewritten as the models write them.
ENCRYPTED = [
    ("children_child", ["id_number", "address"], "id_number"),
    ("children_parent", ["phone"], None),
    ("children_guardian", ["phone"], None),
]


def _encrypt(table: str, columns: list[str], hashed: str | None, chunk: int = 100_000) -> None:
    """Each non-blank value of ``columns`` as its Fernet token and ``hashed``'s HMAC in
    ``id_hash`` (core.fieldcrypt's own functions, so the pages decrypt and search them): read
    in chunks of ids, copied into a temporary table, written by one UPDATE … FROM, and the table
    rewritten compact (its indexes are not built yet)."""
    from django.db import connection

    from shouwang.core.fieldcrypt import encrypt, lookup_hash

    out = [*columns, *(["id_hash"] if hashed else [])]
    listed = ", ".join(columns)
    _run(f"CREATE TEMP TABLE crypt (id bigint, {', '.join(f'{c} text' for c in out)})")
    last = 0
    with connection.cursor() as cursor:
        while True:
            rows = _all(
                f"SELECT id, {listed} FROM {table} WHERE id > %s ORDER BY id LIMIT {chunk}",
                [last],
            )
            if not rows:
                break
            last = rows[-1][0]
            written = []
            for pk, *values in rows:
                row = [pk, *(encrypt(v) if v else "" for v in values)]
                if hashed:
                    row.append(lookup_hash(values[columns.index(hashed)]))
                written.append(row)
            with cursor.cursor.copy(f"COPY crypt (id, {', '.join(out)}) FROM STDIN") as copy:
                for row in written:
                    copy.write_row(row)
    assigned = ", ".join(f"{c} = crypt.{c}" for c in out)
    _run(f"UPDATE {table} t SET {assigned} FROM crypt WHERE t.id = crypt.id")
    _run("DROP TABLE crypt")
    _run(f"VACUUM FULL {table}")


def _history(shape: Shape, today: date) -> None:
    """Every child's status rows with their periods (until) and places (placed_at), as
    children.models.periods derives them: a transfer is 'transferred' then 'active' on one
    day, both naming the school left; going home is 'returned'."""
    s = shape
    school = f"{s.base_school} + pg_temp.school_idx(c.id)"
    _run(
        'INSERT INTO children_statuschange (status, "on", reason, created_at, by_id, child_id,'
        " from_school_id, to_school_id, placed_at_id, until)"
        " SELECT 'active', c.collected_on, '建档', c.created_at, NULL, c.id, NULL, NULL,"
        " CASE WHEN pg_temp.transferred(c.id) THEN pg_temp.neighbour_school(c.id) END,"
        " CASE WHEN c.status = 'returned' OR pg_temp.transferred(c.id)"
        " THEN pg_temp.moved_on(c.id) END FROM children_child c ORDER BY c.id"
    )
    _run(
        'INSERT INTO children_statuschange (status, "on", reason, created_at, by_id, child_id,'
        " from_school_id, to_school_id, placed_at_id, until)"
        " SELECT 'returned', pg_temp.moved_on(c.id), '父母返乡', c.created_at, NULL, c.id, NULL,"
        " NULL, NULL, NULL FROM children_child c WHERE c.status = 'returned' ORDER BY c.id"
    )
    for status, until, placed, later in (
        ("transferred", "pg_temp.moved_on(c.id)", "pg_temp.neighbour_school(c.id)", 0),
        ("active", "NULL", "NULL", 1),
    ):
        _run(
            'INSERT INTO children_statuschange (status, "on", reason, created_at, by_id,'
            " child_id, from_school_id, to_school_id, placed_at_id, until)"
            f" SELECT '{status}', pg_temp.moved_on(c.id), '转学', c.created_at"
            f" + interval '{later} second', NULL, c.id, pg_temp.neighbour_school(c.id), {school},"
            f" {placed}, {until} FROM children_child c"
            " WHERE pg_temp.transferred(c.id) ORDER BY c.id"
        )
    # Classifications behind the derived columns: the guardian class (from the guardian's
    # relation), the heart level (the five ratings) and the risk grade.
    _run(
        "INSERT INTO children_assessment (kind, value, assessed_on, reasons, created_at, by_id,"
        " child_id) SELECT 'guardian_class', c.guardian_class, c.collected_on,"
        " jsonb_build_object('guardian_relation', g.relation), c.created_at, NULL, c.id"
        " FROM children_child c JOIN children_guardian g ON g.child_id = c.id"
        " WHERE c.guardian_class <> '' ORDER BY c.id"
    )
    _run(
        "INSERT INTO children_assessment (kind, value, assessed_on, reasons, created_at, by_id,"
        " child_id) SELECT 'heart_level', c.heart_level::text, c.collected_on + 30,"
        " jsonb_build_object('sum', c.heart_level * 3 - 2, 'forced_by', '[]'::jsonb,"
        " 'rule', 'xishui'), c.created_at, NULL, c.id FROM children_child c"
        " WHERE c.heart_level IS NOT NULL ORDER BY c.id"
    )
    _run(
        "INSERT INTO children_assessment (kind, value, assessed_on, reasons, created_at, by_id,"
        " child_id) SELECT 'risk_grade', c.risk_grade, c.collected_on + 30, '{}'::jsonb,"
        " c.created_at, NULL, c.id FROM children_child c WHERE c.risk_grade <> '' ORDER BY c.id"
    )


def _caregivers(shape: Shape, today: date) -> None:
    s = shape
    size = (
        f"(((k * {s.children}::bigint + {s.n_classes} - 1) / {s.n_classes})"
        f" - (((k - 1) * {s.children}::bigint + {s.n_classes} - 1) / {s.n_classes}))"
    )
    per_county = s.n_schools // s.counties
    _run(
        "INSERT INTO care_caregiver (id, name, kind, phone, is_active, created_at, county_id,"
        " org_id, user_id)"
        f" SELECT (k - 1) * {s.slots} + j + 1, '教师' || ((k - 1) * {s.slots} + j + 1),"
        f" 'teacher', '', true, now(), ((k - 1) / {s.grades * s.classes}) / {per_county} + 2,"
        f" {s.base_school} + (k - 1) / {s.grades * s.classes} + 1, NULL"
        f" FROM generate_series(1, {s.n_classes}) k,"
        f" LATERAL generate_series(0, ({size} - 1) / 3) j WHERE {size} > 0"
    )
    villages = s.n_townships * s.villages
    _run(
        "INSERT INTO care_caregiver (id, name, kind, phone, is_active, created_at, county_id,"
        " org_id, user_id)"
        f" SELECT {s.base_cadre} + v, '村干部' || v, 'village_cadre', '', true, now(),"
        f" (v - 1) / {s.townships * s.villages} + 2, {s.base_village} + v, NULL"
        f" FROM generate_series(1, {villages}) v"
    )
    # Nine in ten children have a teacher; a 4-heart child a village cadre too (seed 002's
    # 二对一). A child back home with their parents had theirs end that day.
    pairing = (
        "INSERT INTO care_pairing (role, starts_on, ends_on, end_reason, created_at,"
        " caregiver_id, child_id, county_id, created_by_id, handed_over_to_id)"
        " SELECT {role}, c.collected_on + 10,"
        " CASE WHEN c.status = 'returned' THEN pg_temp.moved_on(c.id) END,"
        " CASE WHEN c.status = 'returned' THEN '父母返乡' ELSE '' END, c.created_at,"
        " {caregiver}, c.id, c.county_id, NULL, NULL FROM children_child c WHERE {where}"
        " ORDER BY c.id"
    )
    _run(
        pairing.format(
            role="'teacher'", caregiver="pg_temp.teacher_id(c.id)", where="c.id % 10 <> 0"
        )
    )
    _run(
        pairing.format(
            role="'village_cadre'",
            caregiver=f"{s.base_cadre} + c.home_village_id - {s.base_village}",
            where="c.heart_level = 4",
        )
    )


def _records(shape: Shape, today: date, j: int) -> None:
    """The j-th record of each child (the last pass: of the first children only), on a day of
    the j-th of ``passes`` slices of the last 12 months, at a time of that day; numbered and
    written in the order of their moments, so the table lies as a running system writes it:
    in time order, each page holding the records of every county written at that time."""
    s = shape
    count = min(s.children, s.records - j * s.children)
    kinds = "ARRAY[" + ", ".join(f"'{k}'" for k in KINDS) + "]"
    findings = "ARRAY[" + ", ".join(f"'{f}'" for f in FINDINGS) + "]"
    whom = " ".join(f"WHEN '{k}' THEN '{w}'" for k, w in WITH_WHOM.items())
    _run(
        'INSERT INTO care_carerecord (id, kind, "on", minutes, with_whom, findings, abnormal,'
        " version, is_current, withdrawn, reason, created_at, caregiver_id, child_id, county_id,"
        " original_id, recorded_by_id)"
        f" SELECT {j * s.children} + row_number() OVER (ORDER BY day, moment, n), kind, day,"
        f" (15 + (n + {j}) % 46)::smallint, CASE kind {whom} ELSE 'child' END,"
        f" ({findings})[1 + (n * 7 + {j}) % {len(FINDINGS)}], (n * 31 + {j} * 17) % 100 = 0, 1,"
        " true, false, '', day + time '08:00' + moment * interval '1 second',"
        " pg_temp.teacher_id(n), n, pg_temp.county_id(n), NULL, NULL"
        f" FROM (SELECT n, ({kinds})[1 + (n + {j}) % {len(KINDS)}] AS kind,"
        f" DATE '{today}' - 364 + (({j} * 1000 + pg_temp.hash(n) % 1000) * 364"
        f" / ({s.passes} * 1000))::int AS day, pg_temp.hash(n + {j}) / 1000 % 43200 AS moment"
        f" FROM generate_series(1, {count}) n) r ORDER BY day, moment, n"
    )


def _follow_ups(shape: Shape, today: date) -> None:
    s = shape
    _run(
        "INSERT INTO care_followup (kind, summary, opened_on, closed_on, outcome, created_at,"
        " child_id, closed_by_id, county_id, record_id, school_id, school_class_id)"
        " SELECT 'abnormal_finding', CASE WHEN r.findings = '' THEN '走访发现异常' ELSE r.findings"
        f' END, r."on", CASE WHEN r."on" < DATE \'{today}\' - 30 THEN r."on" + 7 END,'
        f" CASE WHEN r.\"on\" < DATE '{today}' - 30 THEN '已跟进处理' ELSE '' END, r.created_at,"
        " r.child_id, NULL, r.county_id, r.id, c.school_id, c.school_class_id"
        " FROM care_carerecord r JOIN children_child c ON c.id = r.child_id WHERE r.abnormal"
        " ORDER BY r.id"
    )
    _run(
        "INSERT INTO care_careplan (started_on, review_on, created_at, child_id, county_id,"
        " created_by_id) SELECT c.collected_on + 40,"
        f" DATE '{today}' - 10 + (c.id % 60)::int, c.created_at, c.id, c.county_id, NULL"
        " FROM children_child c WHERE c.heart_level >= 3 AND c.status = 'active' ORDER BY c.id"
    )
    term_start = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    _run(
        'INSERT INTO orgs_enrolment ("on", male, female, recorded_at, recorded_by_id, grade_id,'
        f" school_id) SELECT DATE '{term_start}', 40 + g.id % 30, 36 + g.id % 30, now(), NULL,"
        f" g.id, {s.base_school} + (g.id - {s.base_grade} - 1) / {s.grades} + 1"
        " FROM orgs_org g WHERE g.kind = 'grade' ORDER BY g.id"
    )


@dataclass
class People:
    province: Any
    county: Any
    school: Any
    klass: Any
    province_officer: Any
    county_officer: Any
    school_admin: Any
    teacher: Any


def _through_services(shape: Shape, today: date) -> None:
    """What a province sets up by hand: its calendar, the duty policies in force (三个一 for
    caregivers, 期初·期中·期末 visits for class teachers, the leadership's monthly visit of
    四个一), and the people measured."""
    from shouwang.accounts import services as accounts
    from shouwang.accounts.models import Role
    from shouwang.care import services as care
    from shouwang.care.models import DutyPolicy
    from shouwang.orgs import services as orgs
    from shouwang.orgs.models import HolidaySeason, Org

    province = Org.objects.get(pk=1)
    for year in (today.year - 1, today.year):
        orgs.add_term(
            region=province,
            name=f"{year}年春季学期",
            start=date(year, 3, 1),
            midterm=date(year, 4, 27),
            end=date(year, 7, 10),
            by=None,
        )
        orgs.add_term(
            region=province,
            name=f"{year}年秋季学期",
            start=date(year, 9, 1),
            midterm=date(year, 11, 9),
            end=date(year + 1, 1, 20),
            by=None,
        )
        for name, start, end, season in (
            ("寒假", date(year, 1, 21), date(year, 2, 28), HolidaySeason.WINTER),
            ("暑假", date(year, 7, 11), date(year, 8, 31), HolidaySeason.SUMMER),
            ("国庆节", date(year, 10, 1), date(year, 10, 7), HolidaySeason.OTHER),
        ):
            orgs.add_holiday(
                region=province,
                name=f"{year}年{name}",
                start=start,
                end=end,
                season=season,
                by=None,
            )
    for code in ("three_ones", "term_phase_visits", "four_ones"):
        care.apply_preset(
            preset=DutyPolicy.objects.get(code=code, org__isnull=True), org=province, by=None
        )
    people = _people_orgs(shape)
    password = secrets.token_urlsafe(16)  # nobody logs in with it: force_login below
    for username, role, org in (
        ("province-officer", Role.REGION_OFFICER, people["province"]),
        ("county-officer", Role.REGION_OFFICER, people["county"]),
        ("school-admin", Role.SCHOOL_ADMIN, people["school"]),
        ("teacher", Role.TEACHER, people["klass"]),
    ):
        user = accounts.create_user(
            username=f"scale-{username}", password=password, role=role, org=org, by=None
        )
        if role == Role.TEACHER:
            # The class's first teacher logs in: their pairings are the class's first three.
            _run("UPDATE care_caregiver SET user_id = %s WHERE id = 1", [user.pk])


def _people_orgs(shape: Shape) -> dict[str, Any]:
    from shouwang.orgs.models import Org

    return {
        "province": Org.objects.get(pk=1),
        "county": Org.objects.get(pk=2),
        "school": Org.objects.get(pk=shape.base_school + 1),
        "klass": Org.objects.get(pk=shape.base_class + 1),
    }


def _people(shape: Shape) -> People:
    from shouwang.accounts.models import User

    orgs = _people_orgs(shape)
    users = {u.username: u for u in User.objects.filter(username__startswith="scale-")}
    return People(
        **orgs,
        province_officer=users["scale-province-officer"],
        county_officer=users["scale-county-officer"],
        school_admin=users["scale-school-admin"],
        teacher=users["scale-teacher"],
    )


def _check(shape: Shape, today: date) -> None:
    """The generated rows are what the models would have written: periods as link_histories
    derives them, left-behind types from the parents, valid ID numbers, one tree."""
    from shouwang.children.models import HISTORY_ORDER, Child, StatusChange, periods
    from shouwang.core.validators import parse_id_number

    sample = list(
        Child.objects.filter(pk__in=list(range(1, shape.children + 1, 97))[:3000])
        .prefetch_related("parents")
        .select_related("school")
    )
    wrong = [c.pk for c in sample if c.derive_left_behind_type() != c.left_behind_type]
    assert not wrong, f"left-behind types differ from the parents' for {wrong[:5]}"
    for child in sample[:200]:
        parse_id_number(child.id_number)
    transferred = list(range(53, min(shape.children, 20_000), 100))
    histories: dict[int, list[Any]] = {}
    rows = StatusChange.objects.filter(child_id__in=[c.pk for c in sample] + transferred)
    for row in rows.order_by("child_id", *HISTORY_ORDER):
        histories.setdefault(row.child_id, []).append(row)
    wrong = [
        row.pk
        for history in histories.values()
        for row, until, placed in periods(history)
        if (row.until, row.placed_at_id) != (until, placed)
    ]
    assert not wrong, f"status periods differ from the model's for rows {wrong[:5]}"
    bad = _one(
        "SELECT count(*) FROM orgs_org o WHERE length(o.path) <> 4 * o.depth OR o.depth > 1"
        " AND NOT EXISTS (SELECT 1 FROM orgs_org p WHERE p.path = left(o.path, -4))"
    )[0]
    assert bad == 0, f"{bad} orgs without a parent or with a wrong depth"
    bad = _one(
        "SELECT count(*) FROM orgs_org p LEFT JOIN (SELECT left(path, -4) AS parent,"
        " count(*) AS n FROM orgs_org WHERE depth > 1 GROUP BY 1) k ON k.parent = p.path"
        " WHERE p.numchild <> COALESCE(k.n, 0)"
    )[0]
    assert bad == 0, f"{bad} orgs with a wrong numchild"
    print("  checked: derived columns, status periods, ID numbers, the tree", flush=True)


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Figure:
    label: str
    first: float  # the first request: what is counted, before anything is kept
    seconds: float  # the best of the runs
    queries: int
    sql_seconds: float
    note: str = ""


def sizes() -> list[tuple[str, int, int]]:
    rows = []
    for table in SIZED_TABLES:
        count = _one(f"SELECT reltuples::bigint FROM pg_class WHERE oid = '{table}'::regclass")[0]
        size = _one(f"SELECT pg_total_relation_size('{table}')")[0]
        parts = _all(
            "SELECT COALESCE(sum(pg_total_relation_size(inhrelid)), 0),"
            " COALESCE(sum(c.reltuples), 0)::bigint FROM pg_inherits"
            f" JOIN pg_class c ON c.oid = inhrelid WHERE inhparent = '{table}'::regclass"
        )
        if parts and parts[0][0]:
            size, count = parts[0]
        rows.append((table, int(count), int(size)))
    return rows


def print_sizes() -> None:
    total = _one("SELECT pg_database_size(current_database())")[0]
    print(f"sizes (database {total / 1e9:.1f} GB):")
    for table, count, size in sizes():
        print(f"  {table:<24} {count:>12,} rows {size / 1e9:8.2f} GB")


def measure(
    label: str,
    fn: Callable[[], Any],
    *,
    explain: bool,
    runs: int = 3,
) -> Figure:
    """The first of ``runs`` and the best (a page that keeps what it counted answers the
    repeats from what it kept), then one more run with its queries captured: their number and
    the time the database spent in them (with nothing kept)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    note = ""
    for _ in range(runs):
        begin = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - begin)
        note = result if isinstance(result, str) else note
    cache.clear()  # counted again, not read from what was kept
    with CaptureQueriesContext(connection) as captured:
        fn()
    sql_seconds = sum(float(q["time"]) for q in captured.captured_queries)
    figure = Figure(label, times[0], min(times), len(captured), sql_seconds, note)
    print(
        f"  {label:<46} {figure.first:7.2f} s first {figure.seconds:7.2f} s best"
        f"  {figure.queries:4d} queries {sql_seconds:6.2f} s in the database  {note}",
        flush=True,
    )
    if explain:
        for query in captured.captured_queries:
            if float(query["time"]) >= 0.2:
                _explain(query["sql"])
    return figure


def _explain(sql: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = "\n".join("      " + row[0] for row in cursor.fetchall())
    print(f"    {sql[:300]}\n{plan}", flush=True)


def page(client: Any, url: str, data: dict[str, str] | None = None) -> Callable[[], str]:
    def get() -> str:
        response = client.get(url, data or {})
        assert response.status_code == 200, (url, response.status_code)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return f"{len(body) / 1000:.0f} kB"

    return get


def ask_export(client: Any, code: str) -> Callable[[], str]:
    """The export page's request: it queues the job (the worker writes the file) and sends
    the asker to the exports page."""

    def post() -> str:
        response = client.post(f"/ledger/export/{code}/")
        assert response.status_code == 302, (code, response.status_code)
        return "queued for the worker"

    return post


def write_export(officer: Any, county: Any) -> str:
    """What the worker does with a county's export job (ledger.exports.build), timed in this
    process: every child in the register written to the workbook, with its progress saved."""
    from shouwang.ledger import exports
    from shouwang.ledger.models import ExportJob, ExportState

    job = exports.request_export(org=county, by=officer, unmasked=False)
    exports.build(job_pk=job.pk)
    job = ExportJob.objects.get(pk=job.pk)
    assert job.state == ExportState.READY, (job.state, job.error)
    size = exports._file_of(job).stat().st_size
    return f"{job.rows_done:,} rows, {size / 1e6:.1f} MB"


# What is measured: key (for --only), label, the request or call, how many runs.
PAGES = (
    "dashboard",
    "stats",
    "export",
    "teacher",
    "school",
    "selector",
    "compliance",
    "province",
    "kept",
)


def measure_all(
    shape: Shape, *, explain: bool, title: str, only: set[str] | None = None
) -> list[Figure]:
    from django.test import Client
    from django.utils import timezone

    from shouwang.care import selectors as care
    from shouwang.children.models import IN_REGISTER, Child

    people = _people(shape)
    today = timezone.localdate()
    county = people.county
    in_county = Child.objects.filter(county=county, status__in=IN_REGISTER).count()
    print(
        f"{title}: county {county.code} ({in_county:,} children in the register), "
        f"school {people.school.code}, class {people.klass.code}; {today}",
        flush=True,
    )

    def client(user: Any) -> Any:
        c = Client(HTTP_HOST="localhost")
        c.force_login(user)
        return c

    officer = client(people.county_officer)
    tasks = lambda: f"{len(_tasks(care.my_tasks(people.school_admin, today)))} obligations"  # noqa: E731
    plan: list[tuple[str, str, Callable[[], Any], int]] = [
        ("dashboard", "county dashboard: / (county officer)", page(officer, "/"), 3),
        (
            "stats",
            "county statistics: /stats/ (county officer)",
            page(officer, "/stats/", {"org": county.code}),
            3,
        ),
        (
            "export",
            "county ledger export: asked on its page (POST)",
            ask_export(officer, county.code),
            3,
        ),
        (
            "export",
            f"county ledger export: written by the worker, {in_county:,} rows",
            lambda: write_export(people.county_officer, county),
            1,
        ),
        ("teacher", "我的任务: /care/ (teacher)", page(client(people.teacher), "/care/"), 3),
        (
            "school",
            "我的任务: /care/ (school admin)",
            page(client(people.school_admin), "/care/"),
            3,
        ),
        ("selector", "我的任务 selector (school admin)", tasks, 3),
        (
            "compliance",
            "county compliance: /care/compliance/ (officer)",
            page(officer, "/care/compliance/", {"org": county.code}),
            2,
        ),
        (
            "province",
            "province dashboard: / (province officer)",
            page(client(people.province_officer), "/"),
            2,
        ),
    ]
    figures = [
        measure(label, fn, explain=explain, runs=runs)
        for key, label, fn, runs in plan
        if only is None or key in only
    ]
    if only is None or "kept" in only:
        kept_compliance(officer, people.county_officer, county)
    return figures


def kept_compliance(client: Any, officer: Any, county: Any) -> None:
    """The county's duty compliance as it is kept (care.KeptCompliance): counted by a page,
    read back by another process, handed out with its time after a care record, counted again
    by the worker (care.tasks.refresh_compliance), then current."""
    from django.core.cache import cache
    from django.utils import timezone

    from shouwang.care import services, tasks
    from shouwang.care.models import KeptCompliance, Pairing

    url = f"/care/compliance/?org={county.code}"

    def step(label: str, fn: Callable[[], Any]) -> Any:
        begin = time.perf_counter()
        result = fn()
        print(f"  {label:<60} {time.perf_counter() - begin:7.2f} s", flush=True)
        return result

    def view() -> None:
        cache.clear()  # what this process kept in memory: another process has not
        assert client.get(url).status_code == 200

    print("county compliance, kept:", flush=True)
    KeptCompliance.objects.filter(org=county).delete()
    step("counted by the first page, kept", view)
    step("another process: the kept count", view)
    pairing = Pairing.objects.filter(county=county, ends_on__isnull=True).first()
    assert pairing is not None
    services.record_care(
        child=pairing.child,
        caregiver=pairing.caregiver,
        kind="talk",
        on=timezone.localdate(),
        by=None,
    )
    step("after a care record: the kept count, with its time", view)
    # Three minutes on: the worker counts it again.
    KeptCompliance.objects.filter(org=county).update(
        made_at=timezone.now() - tasks.REFRESH_COMPLIANCE_AFTER
    )
    counted = step("the worker counts it again", tasks.refresh_compliance)
    assert counted >= 1, counted
    step("the page after the worker: current", view)


def _tasks(tasks: Any) -> list[Any]:
    return [*tasks.overdue, *tasks.due, *tasks.done]


# --- experiments: what a change elsewhere would give ---------------------------------------


def no_jit() -> None:
    """PostgreSQL's JIT compiler off (``-c jit=off`` in the connection's options: a setting).
    On by default, it compiles any query the planner costs above 100,000, which the grouped
    reads of a county are: seconds of compiling for a query that runs in one."""
    from django.db import connection
    from django.db.backends.signals import connection_created

    def off(sender: Any, connection: Any, **kwargs: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")

    connection_created.connect(off, weak=False)
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")


VARIANTS: dict[str, Callable[[], None]] = {"no-jit": no_jit}


# --- partitioning by county -----------------------------------------------------------------


def partition_records() -> None:
    """Rebuild care_carerecord as a table partitioned by LIST (county_id), one partition per
    county. The primary key becomes (id, county_id): a partitioned table's unique keys must hold
    the partition key, so the two keys that point at a record by id alone (a correction's
    ``original``, a follow-up's ``record``) cannot stay foreign keys."""
    counties = [pk for (pk,) in _all("SELECT id FROM orgs_org WHERE kind = 'county' ORDER BY id")]
    indexes = _all(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
        " WHERE indrelid = 'care_carerecord'::regclass AND NOT indisprimary"
    )
    keys = _all(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = 'care_carerecord'::regclass AND contype = 'f'"
        " AND confrelid <> 'care_carerecord'::regclass"
    )
    with step("care records copied into a table partitioned by county"):
        _run("ALTER TABLE care_carerecord RENAME TO care_carerecord_flat")
        _run(
            "CREATE TABLE care_carerecord (LIKE care_carerecord_flat INCLUDING DEFAULTS)"
            " PARTITION BY LIST (county_id)"
        )
        for pk in counties:
            _run(
                f"CREATE TABLE care_carerecord_c{pk} PARTITION OF care_carerecord"
                f" FOR VALUES IN ({pk})"
            )
        _run("CREATE TABLE care_carerecord_other PARTITION OF care_carerecord DEFAULT")
        _run("INSERT INTO care_carerecord SELECT * FROM care_carerecord_flat ORDER BY id")
        _run("DROP TABLE care_carerecord_flat CASCADE")
        # The id keeps coming from the old identity's numbers (the copy has no identity).
        _run("CREATE SEQUENCE care_carerecord_part_id_seq OWNED BY care_carerecord.id")
        _run("SELECT setval('care_carerecord_part_id_seq', (SELECT max(id) FROM care_carerecord))")
        _run(
            "ALTER TABLE care_carerecord ALTER COLUMN id"
            " SET DEFAULT nextval('care_carerecord_part_id_seq')"
        )
    with step("its keys and indexes, per partition"):
        _run("SET maintenance_work_mem = '1GB'")
        _run("ALTER TABLE care_carerecord ADD PRIMARY KEY (id, county_id)")
        for _name, definition in indexes:
            if "UNIQUE" in definition:
                # (original_id, version) is unique only with the county in it.
                definition = definition.replace(
                    "(original_id, version)", "(original_id, version, county_id)"
                )
            _run(definition.replace(" ONLY ", " "))
        for name, definition in keys:
            _run(f'ALTER TABLE care_carerecord ADD CONSTRAINT "{name}" {definition}')
    with step("ANALYZE"):
        _run("VACUUM ANALYZE care_carerecord")


# --- main -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=20_000_000)
    parser.add_argument("--counties", type=int, default=15)
    parser.add_argument("--database", default=None, help="fill (once) and keep this database")
    parser.add_argument("--partition", action="store_true", help="measure partitioned by county")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN the slow queries")
    parser.add_argument(
        "--only", action="append", choices=PAGES, default=None, help="measure only these"
    )
    parser.add_argument(
        "--variant",
        choices=sorted(VARIANTS),
        action="append",
        default=[],
        help="measure again with this change patched in (an experiment)",
    )
    args = parser.parse_args()
    # The officers are logged in with force_login: two-step verification would send every page
    # to its enrolment (the pages are timed, not the wall before them).
    os.environ.setdefault("SHOUWANG_2FA_ROLES", "")
    shape = Shape.of(args.children, args.records, args.counties)
    only = set(args.only) if args.only else None
    filled = _database(args.database)
    from django.utils import timezone

    today = timezone.localdate()
    if filled:
        from django.core.management import call_command

        print("database already filled: migrated (others' new migrations) and measured", flush=True)
        call_command("migrate", verbosity=0)
    else:
        fill(shape, today)
    print_sizes()
    last = measure_all(shape, explain=args.explain, title="measured", only=only)
    for name in args.variant:
        VARIANTS[name]()
        last = measure_all(shape, explain=args.explain, title=f"with {name}", only=only)
    if args.partition:
        partition_records()
        print_sizes()
        after = measure_all(shape, explain=args.explain, title="partitioned by county", only=only)
        print("care records partitioned by county, against one table:")
        for one, two in zip(last, after, strict=True):
            print(
                f"  {one.label:<46} first {one.first:7.2f} s → {two.first:7.2f} s,"
                f" best {one.seconds:7.2f} s → {two.seconds:7.2f} s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
