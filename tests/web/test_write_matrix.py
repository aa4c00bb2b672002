"""Every write of the app — form pages, POST-only endpoints, the API's POST and PATCH — sent as
every persona: in scope it takes effect; out of scope it is a 404 and the database is as it was.

One exception, by design: where a page is open to the persona and the thing written about is
chosen in the form (the child of 记录, the class of a new archive), a thing outside the scope is
simply not among the choices, so the form answers "not a valid choice" at that field, exactly as
for a thing that does not exist — a 200 with the form, nothing written, nothing confirmed.

The list of writes is checked against the URL configuration: every named URL is a write here or
a read in GET_ONLY, and a view that can take a POST cannot hide among the reads.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import shutil
import tempfile
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import time_machine
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.forms import BaseForm
from django.shortcuts import resolve_url
from django.test import Client, RequestFactory
from django.urls import get_resolver, reverse
from django.utils import timezone

from shouwang.accounts import services as account_services
from shouwang.accounts.models import Role
from shouwang.audit.models import AuditEntry
from shouwang.care import selectors as care_selectors
from shouwang.care import services as care_services
from shouwang.children import services as children_services
from shouwang.children.models import DefinitionProfile, DuplicateCase, HeartLevelRule
from shouwang.children.profiles import profile_for
from shouwang.core.sheets import uploads
from shouwang.counseling import services as counseling_services
from shouwang.family import services as family_services
from shouwang.health import views as health_views
from shouwang.ledger import exports
from shouwang.ledger import views as ledger_views
from shouwang.notices import services as notice_services
from shouwang.safety.chains import AUDIENCES
from tests.children.factories import id_number_for, make_child
from tests.health.test_checkups import sheet_file
from tests.ledger.files import Ledger, child_row
from tests.world import PASSWORD, PERSONAS

from .matrix_parts import parts
from .test_url_matrix import (
    EDITS_CHILD_A1,
    EVERYONE,
    INCIDENT_A1,
    MANAGES_COUNTY_A,
    MANAGES_SCHOOL_A,
    MATRIX,
    RECORDS_CHILD_A1,
    SEES_CHILD_A1,
    SEES_SCHOOL_A,
    MatrixWorld,
    _all_url_names,
)
from .writes import AUDIT, NOTHING, ROWS, Body, Write

NOBODY: frozenset[str] = frozenset()
SYSADMIN = frozenset({"sysadmin"})
SETS_REGION_A1 = MANAGES_COUNTY_A | {"township_officer"}
# The record a1's volunteer wrote: corrected by its author and the school's managers only.
CORRECTS_RECORD_A1 = MANAGES_SCHOOL_A - {"sysadmin"} | {"volunteer"}
# The second person for an unmasked ledger the county's (township a1's) officer asked for.
SECOND_FOR_COUNTY_A = SYSADMIN | {"federation_officer"}
SECOND_FOR_TOWNSHIP_A1 = SECOND_FOR_COUNTY_A | {"county_officer"}

# --- bodies ---------------------------------------------------------------------------------


def now_local() -> str:
    return f"{timezone.localtime():%Y-%m-%dT%H:%M}"


def offered(url: str, *, by: str, **changes: Any) -> Body:
    """The form as the page offers it to ``by`` (its stored values and version), with
    ``changes``: a correction sends back what it was shown."""

    def body(t: WriteMatrixTests, persona: str) -> dict[str, Any]:
        response = t.fresh_client(by).get(t.resolve(url))
        assert response.status_code == 200, (url, by, response.status_code)
        data: dict[str, Any] = {}
        for form in forms_in(response):
            for bound in form:
                value = bound.value()
                if value is None or value == "" or value is False:
                    continue
                if value is True:
                    data[bound.html_name] = "on"
                elif isinstance(value, list | tuple):
                    data[bound.html_name] = [str(v) for v in value]
                else:
                    data[bound.html_name] = str(value)
        return data | changes

    return body


def new_archive(t: WriteMatrixTests, persona: str) -> dict[str, Any]:
    return {
        "name": "刘小雨",
        "id_number": id_number_for(date(2017, 5, 6), male=False),
        "ethnicity": "汉族",
        "school_class": t.org("class_a1").pk,
        "address": "东村5组",
        "father-status": "migrant",
        "father-name": "刘大海",
        "father-phone": "13800000011",
        "father-away_since": "2025-02-01",
        "mother-status": "at_home",
        "mother-name": "王小芳",
        "mother-phone": "13800000012",
        "guardian-relation": "parent",
        "guardian-name": "王小芳",
        "guardian-phone": "13800000012",
    }


def heart_ratings(t: WriteMatrixTests, persona: str) -> dict[str, Any]:
    rule = HeartLevelRule.objects.get(is_default=True)
    return {"which": "heart", "on": "2026-11-24"} | {f"rating_{d}": 2 for d in rule.dimensions}


def other_profile(t: WriteMatrixTests, persona: str) -> dict[str, Any]:
    # Any profile the region does not use yet.
    used = profile_for(t.org("county_a"), timezone.localdate())
    profile = DefinitionProfile.objects.exclude(pk=getattr(used, "pk", None)).first()
    assert profile is not None
    return {"profile": profile.pk, "since": "2026-11-24"}


def tick_step(t: WriteMatrixTests, persona: str) -> dict[str, Any]:
    prefix = f"s{t.care['step:a1'].pk}"
    return {f"{prefix}-told_whom": "王校长", f"{prefix}-how": "phone", f"{prefix}-at": now_local()}


def ledger_file() -> SimpleUploadedFile:
    path = Path(tempfile.mkdtemp()) / "花名册.xlsx"
    Ledger([child_row(901), child_row(902)]).write_xlsx(path)
    data = path.read_bytes()
    shutil.rmtree(path.parent)
    return SimpleUploadedFile(path.name, data)


def health_sheet() -> SimpleUploadedFile:
    path = Path(tempfile.mkdtemp()) / "体检表.xlsx"
    sheet_file(path, [["张小明", "男", 141, 36, 100, 70, 5.0, 5.0, 1500, "正常"]])
    data = path.read_bytes()
    shutil.rmtree(path.parent)
    return SimpleUploadedFile(path.name, data)


def plant(bucket: str, upload: Callable[[], SimpleUploadedFile], unit: str, **entry: str) -> Any:
    """The persona has uploaded a file for ``unit`` (as if the upload page had let them): the
    steps after it must check the scope again, not trust the session."""

    def prepare(t: WriteMatrixTests, persona: str, client: Client) -> None:
        request = RequestFactory().post("/")
        request.session = client.session
        t.token = uploads.keep(request, upload(), bucket=bucket, org=t.org(unit).code, **entry)
        request.session.save()

    return prepare


def own_token(t: WriteMatrixTests, persona: str, client: Client) -> None:
    account_services.issue_token(user=t.world.users[persona])


def consent_in_force(t: WriteMatrixTests, persona: str, client: Client) -> None:
    """The guardian of a1 has consented (for a withdrawal to withdraw)."""
    a1 = t.children["a1"]
    children_services.record_consent(
        child=a1,
        on=date(2026, 9, 1),
        given_by="张爷爷",
        relation="grandparent",
        scopes=["archive"],
        version=children_services.consent_version(a1),
        by=None,
    )


def pairing_with(caregiver: str) -> Body:
    def body(t: WriteMatrixTests, persona: str) -> dict[str, Any]:
        return {
            "children": [t.children["a1b"].pk],  # a1's neighbour, paired with nobody yet
            "caregiver_1": t.care[f"caregiver:{caregiver}"].pk,
            "role_1": "teacher",
            "role_2": "village_cadre",
            "role_3": "volunteer",
            "starts_on": "2026-11-24",
        }

    return body


def handover(t: WriteMatrixTests, persona: str) -> dict[str, Any]:
    return {"to_teacher": t.world.users["teacher_a2"].pk, "on": "2026-11-24"}


ROOM = {"name": "亲情视频室", "kind": "video", "weekdays": [1, 3], "start": "16:00", "end": "17:30"}
TERM = {
    "name": "2027年春季学期",
    "start": "2027-02-22",
    "midterm": "2027-04-19",
    "end": "2027-07-02",
}
GRADE = {"name": "四年级", "kind": "grade", "stage": "primary"}
ENROLMENT = {"on": "2026-11-24", "male": 120, "female": 110}
LETTER = {"opened_on": "2026-11-24", "text": "老师，我想妈妈"}
NEW_PASSWORD = "Another-pass-2027"

WRITES: list[Write] = [
    # --- accounts: one's own password, sessions and token; people, for the sysadmin --------
    Write(
        "accounts:password_change",
        None,
        EVERYONE,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    ),
    Write("accounts:logout", None, EVERYONE, effect=NOTHING),  # the session only
    Write("accounts:logout_everywhere", None, EVERYONE, prepare=own_token),
    Write(
        "accounts:user_create",
        None,
        SYSADMIN,
        lambda t, _p: {
            "username": "new.teacher",
            "full_name": "新老师",
            "role": Role.TEACHER,
            "org": t.org("class_a2").code,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    ),
    Write(
        "accounts:user_detail",
        "user:teacher",
        SYSADMIN,
        {"action": "profile", "full_name": "王老师", "phone": "13900000001"},
    ),
    Write(
        "accounts:user_detail",
        "user:teacher",
        SYSADMIN,
        lambda t, _p: {"action": "add_role", "role": Role.TEACHER, "org": t.org("class_a2").code},
    ),
    Write(
        "accounts:user_detail",
        "user:teacher",
        SYSADMIN,
        lambda t, _p: {"action": "end_role", "assignment": t.teacher.assignments.get().pk},
    ),
    Write("accounts:user_detail", "user:volunteer", SYSADMIN, {"action": "deactivate"}),
    # 忘记密码: the temporary password is on the answer (200), shown once.
    Write("accounts:reset", "user:teacher", MANAGES_SCHOOL_A, status=200),
    # --- the API: a token for anyone with a password; corrections with If-Match -------------
    Write(
        "api:token",
        None,
        EVERYONE,
        lambda _t, persona: {"username": persona, "password": PASSWORD},
        status=200,
    ),
    Write(
        "api:care-record-detail",
        "record:a1",
        CORRECTS_RECORD_A1,
        {"findings": "爷爷已出院", "reason": "补充情况"},
        method="patch",
        status=200,
    ),
    # --- care ------------------------------------------------------------------------------
    Write(
        "care:record",
        None,
        RECORDS_CHILD_A1,
        lambda t, _p: {
            "child": t.children["a1"].pk,
            "kind": "home_visit",
            "on": "2026-11-20",
            "minutes": 40,
            "with_whom": "guardian",
            "findings": "作业按时完成",
        },
        choice="child",
    ),
    Write(
        "care:correct",
        "record:a1",
        CORRECTS_RECORD_A1,
        offered("care:correct record:a1", by="volunteer", findings="爷爷已出院", reason="补充"),
    ),
    # a1 has a plan already; a1b, beside a1 in class and village, has none.
    Write("care:start_plan", "child:a1b", EDITS_CHILD_A1, {"review_on": "2026-12-20"}),
    Write(
        "care:add_plan_item",
        "child:a1",
        EDITS_CHILD_A1,
        {"area": "study", "need": "数学跟不上", "measure": "每周两次辅导"},
    ),
    Write("care:end_plan_item", "plan_item:a1", EDITS_CHILD_A1),
    Write(
        "care:review_plan",
        "child:a1",
        RECORDS_CHILD_A1,
        {"progress": "按时完成作业", "next_review_on": "2026-12-20"},
    ),
    Write(
        "care:close_follow_up",
        "follow_up:a1",
        frozenset({"teacher", "school_admin"}),
        {"outcome": "已联系姑姑照看"},
    ),
    Write("care:pair", None, MANAGES_SCHOOL_A, pairing_with("teacher")),
    # Pairing widens the caregiver's view to the child: a school's leaders pair with their own
    # school's caregivers, region officers across the region (teacher_b teaches at school B).
    Write("care:pair", None, MANAGES_COUNTY_A, pairing_with("teacher_b"), choice="caregiver_1"),
    Write(
        "care:end_pairing", "pairing:a1", MANAGES_SCHOOL_A, {"on": "2026-11-24", "reason": "调离"}
    ),
    Write(
        "care:end_pairing",
        "pairing:a1",
        MANAGES_COUNTY_A,
        lambda t, _p: {
            "on": "2026-11-24",
            "reason": "调离",
            "handover_to": t.care["caregiver:teacher_b"].pk,
        },
        choice="handover_to",
    ),
    Write(
        "care:add_caregiver",
        None,
        MANAGES_SCHOOL_A,
        lambda t, _p: {"name": "李阿姨", "kind": "caring_mother", "org": t.org("school_a").pk},
    ),
    Write("care:apply_preset", "preset:school_a", MANAGES_SCHOOL_A),
    # Taken out of force (a new policy is in force from the start).
    Write("care:set_in_force", "policy:school_a", MANAGES_SCHOOL_A, {"in_force": "0"}),
    Write("care:add_policy", "school_a", MANAGES_SCHOOL_A, {"name": "本校家访制度"}),
    Write("care:add_policy", "school_c", SYSADMIN, {"name": "本校家访制度"}),
    Write(
        "care:add_rule",
        "policy:school_a",
        MANAGES_SCHOOL_A,
        {
            "label": "每月家访一次",
            "kinds": ["home_visit"],
            "count": 1,
            "period": "month",
            "season": "term",
            "assignee": "caregiver",
            "each_child": "on",
        },
    ),
    # --- the archive -----------------------------------------------------------------------
    Write("children:add", None, MANAGES_SCHOOL_A | {"teacher"}, new_archive, choice="school_class"),
    # The add and edit forms' check as one types: for those who fill them in.
    Write(
        "children:validate",
        None,
        EVERYONE - {"counselor", "volunteer"},
        {"_field": "address", "address": "东村5组"},
        effect=NOTHING,
        status=200,
    ),
    Write("children:reveal", "reveal:id_number", EDITS_CHILD_A1, effect=AUDIT, status=200),
    Write(
        "children:reveal",
        "reveal:guardian.phone",
        SEES_CHILD_A1 | {"volunteer"},
        effect=AUDIT,
        status=200,
    ),
    Write(
        "children:edit",
        "child:a1",
        EDITS_CHILD_A1,
        offered("children:edit child:a1", by="school_admin", hobbies="下棋"),
    ),
    Write(
        "children:status",
        "child:a1",
        EDITS_CHILD_A1,
        {"status": "returned", "on": "2026-11-24", "reason": "父母返乡"},
    ),
    Write(
        "children:transfer",
        "child:a1",
        EDITS_CHILD_A1,
        lambda t, _p: {"to_school": t.org("school_b").code, "on": "2026-11-24", "reason": "迁居"},
    ),
    Write("children:assess", "child:a1", EDITS_CHILD_A1, heart_ratings),
    Write(
        "children:assess",
        "child:a1",
        EDITS_CHILD_A1,
        {"which": "other", "kind": "risk_grade", "value": "grade_2", "on": "2026-11-24"}
        | {"reason": "监护缺失"},
    ),
    # a1 again in class a2 (same home village): merged by those who may change both archives.
    Write(
        "children:duplicates",
        None,
        EDITS_CHILD_A1 - {"teacher"},
        lambda t, _p: {"case": t.care["case:a1"].pk, "keep": t.children["a1"].pk},
        listed=True,
    ),
    Write("children:definition", "county_a", MANAGES_COUNTY_A, other_profile),
    Write("children:definition", "school_a", NOBODY, other_profile),  # profiles are a region's
    Write("children:handover", "class_a1", MANAGES_SCHOOL_A, handover),
    Write("children:handover", "school_a", NOBODY, handover),  # a class is handed over
    # The guardian's consent, and its withdrawal: by those who keep the archive.
    Write(
        "children:consent",
        "child:a1",
        EDITS_CHILD_A1,
        offered("children:consent child:a1", by="school_admin", scopes=["archive", "photos"]),
    ),
    Write(
        "children:consent",
        "child:c1",
        SYSADMIN,
        offered("children:consent child:c1", by="sysadmin", scopes=["archive"]),
    ),
    Write(
        "children:withdraw_consent",
        "child:a1",
        EDITS_CHILD_A1,
        offered("children:withdraw_consent child:a1", by="school_admin"),
        prepare=consent_in_force,
    ),
    # --- the ledger: upload (kept, not yet written), teach a column, apply -----------------
    Write(
        "ledger:upload",
        None,
        MANAGES_SCHOOL_A,
        lambda t, _p: {"org": t.org("school_a").code, "file": ledger_file()},
        effect=NOTHING,
    ),
    Write(
        "ledger:teach",
        "upload",
        MANAGES_SCHOOL_A,
        {"header": "爱好特长", "column": "hobbies"},
        prepare=plant(ledger_views.BUCKET, ledger_file, "school_a"),
    ),
    Write(  # a CSV's encoding, chosen when reading could not tell
        "ledger:preview",
        "upload",
        MANAGES_SCHOOL_A,
        {"encoding": "gb18030"},
        prepare=plant(ledger_views.BUCKET, ledger_file, "school_a"),
        effect=NOTHING,
    ),
    Write(
        "ledger:apply",
        "upload",
        MANAGES_SCHOOL_A,
        prepare=plant(ledger_views.BUCKET, ledger_file, "school_a"),
    ),
    # An export asked for: a job (written once the request commits, or by the worker).
    Write("ledger:export", "school_a", SEES_SCHOOL_A),
    Write("ledger:export", "school_c", frozenset({"sysadmin"})),
    # An unmasked ledger above a school waits for a second person who may make the same
    # export: never the one who asked, nor an officer of the township below, nor a school.
    Write("ledger:export_approve", "export:county_a", SECOND_FOR_COUNTY_A),
    Write("ledger:export_refuse", "export:county_a", SECOND_FOR_COUNTY_A),
    Write("ledger:export_approve", "export:township_a1", SECOND_FOR_TOWNSHIP_A1),
    Write("ledger:export_refuse", "export:township_a1", SECOND_FOR_TOWNSHIP_A1),
    # --- health ----------------------------------------------------------------------------
    Write(
        "health:add",
        "child:a1",
        EDITS_CHILD_A1,
        {"examined_on": "2026-11-20", "height_cm": "141", "weight_kg": "36"},
    ),
    Write(
        "health:correct",
        "checkup:a1",
        EDITS_CHILD_A1,
        offered("health:correct checkup:a1", by="teacher", weight_kg="35.5"),
    ),
    Write(
        "health:upload",
        None,
        MANAGES_SCHOOL_A | {"teacher"},
        lambda t, _p: (
            {"org": t.org("class_a1").code, "file": health_sheet()} | {"examined_on": "2026-11-20"}
        ),
        choice="org",
        effect=NOTHING,
    ),
    Write(
        "health:apply",
        "upload",
        MANAGES_SCHOOL_A | {"teacher"},
        prepare=plant(health_views.BUCKET, health_sheet, "class_a1", examined_on="2026-11-20"),
    ),
    # --- counseling ------------------------------------------------------------------------
    Write("counseling:open_mailbox", "school_a", SEES_SCHOOL_A),
    Write("counseling:add_letter", "school_a", SEES_SCHOOL_A, LETTER),
    Write("counseling:add_letter", "school_c", SYSADMIN, LETTER),
    Write("counseling:reply", "letter:a", SEES_SCHOOL_A, {"text": "妈妈也想你"}),
    Write(
        "counseling:add_session",
        "child:a1",
        SEES_SCHOOL_A,
        {"kind": "session", "on": "2026-11-24", "minutes": 30, "topic": "想家", "notes": "谈心"},
    ),
    Write(
        "counseling:start_plan",
        "child:a1",
        SEES_SCHOOL_A,
        {"problem": "厌学", "measures": "每周谈心", "review_on": "2026-12-08"},
    ),
    Write(
        "counseling:review_plan",
        "counseling_plan:a1",
        SEES_SCHOOL_A,
        {"progress": "按时上学了", "next_review_on": "2026-12-20"},
    ),
    # --- family contact --------------------------------------------------------------------
    Write("family:add_room", "school_a", MANAGES_SCHOOL_A, ROOM),
    Write("family:add_room", "school_c", SYSADMIN, ROOM),
    Write("family:silence", None, SETS_REGION_A1, {"days": 21}),  # each their own region
    Write(
        "family:child",
        "child:a1",
        RECORDS_CHILD_A1,
        lambda t, _p: {
            "call-parent": t.children["a1"].parents.get(relation="father").pk,
            "call-at": "2026-11-23T19:00",
            "call-minutes": 10,
            "call-reached": "on",
        },
    ),
    Write(
        "family:child",
        "child:a1",
        RECORDS_CHILD_A1,
        lambda t, _p: {"book-room": t.care["room:a"].pk, "book-starts_at": "2026-11-25T16:00"},
    ),
    # --- notices: one's own (each persona has one unread) ------------------------------------
    Write("notices:read_all", None, EVERYONE),
    # --- the org tree and calendars --------------------------------------------------------
    Write("units:add_child", "school_a", MANAGES_SCHOOL_A, GRADE),
    Write("units:add_child", "school_c", SYSADMIN, GRADE),
    Write("units:enrolment", "school_a", MANAGES_SCHOOL_A, ENROLMENT),
    Write("units:enrolment", "township_a1", NOBODY, ENROLMENT),  # not a school
    Write("units:add_term", "county_a", MANAGES_COUNTY_A, TERM),
    Write("units:add_term", "township_a1", SETS_REGION_A1, TERM),
    Write("units:add_term", "school_a", NOBODY, TERM),  # calendars are a region's
    Write(
        "units:add_holiday",
        "county_a",
        MANAGES_COUNTY_A,
        {"name": "元旦", "season": "other", "start": "2027-01-01", "end": "2027-01-03"},
    ),
    # --- emergencies -----------------------------------------------------------------------
    Write(
        "safety:report",
        None,
        EDITS_CHILD_A1,
        lambda _t, _p: (
            {"kind": "injury", "occurred_at": now_local()}
            | {"place": "操场", "description": "摔伤了膝盖"}
        ),
        query=("child", "child:a1"),
    ),
    Write("safety:tick", "step:a1", INCIDENT_A1, tick_step),
    Write(
        "safety:police",
        "incident:a1",
        INCIDENT_A1,
        lambda _t, _p: {"at": now_local(), "receipt": "110-2026-1124"},
    ),
    Write("safety:close", "incident:a1", INCIDENT_A1, {"outcome": "已送医，无大碍"}),
    Write("safety:chain", None, SETS_REGION_A1, dict.fromkeys(AUDIENCES, 30)),
]

# Every other named URL only reads (checked below against the views themselves).
WRITES += [write for part in parts() for write in part.writes()]

GET_ONLY = {
    "children:consent_scan",
    "children:retention",
    "web:home",
    "healthz",  # it writes its heartbeat row, bookkeeping
    "units:tree",
    "units:detail",
    "accounts:users",
    "accounts:audit",
    "accounts:reset_list",
    "accounts:two_factor_codes",  # new recovery codes shown once (taken from the session)
    "children:register",
    "children:detail",
    "children:cards",
    "children:transfers",
    "ledger:errors",
    "ledger:done",
    "ledger:exports",
    "ledger:export_download",  # counts the download on its job and the log: tests/ledger
    "care:tasks",
    "care:record_detail",
    "care:child",
    "care:pairings",
    "care:caregivers",
    "care:policies",
    "care:compliance",
    "stats:dashboard",
    "stats:children",
    "stats:export",
    "safety:incidents",
    "safety:detail",
    "notices:centre",
    "notices:open",  # opening one's own notification marks it read: tests/notices
    "health:overview",
    "health:references",
    "health:child",
    "health:sheet",
    "health:preview",
    "health:errors",
    "counseling:overview",
    "counseling:child",
    "counseling:letter_scan",
    "family:rooms",
    "api:api-root",
    "api:schema",
    "api:docs",
    "api:stats",
    "api:org-list",
    "api:org-detail",
    "api:child-list",
    "api:child-detail",
    "api:guardian-list",
    "api:guardian-detail",
    "api:pairing-list",
    "api:pairing-detail",
    "api:care-record-list",
    "api:incident-list",
    "api:incident-detail",
}
# Writes with behaviour of their own, tested in their own files.
GET_ONLY |= {name for part in parts() for name in part.GET_ONLY}

NOT_IN_WRITE_MATRIX = {
    "accounts:login",  # anonymous, with lockouts: tests/accounts
    # The second step and one's own 两步验证 page, with codes: tests/accounts/test_two_factor.py
    "accounts:two_factor",
    "accounts:two_factor_verify",
    "accounts:two_factor_enrol",
    "accounts:password_required",  # one's own, after a reset: tests/accounts/test_reset.py
}

SAFE_METHODS = {"get", "head", "options"}
LOGIN = resolve_url(settings.LOGIN_URL)
# Pure bookkeeping, written by reads too: the audit log, sessions, django-axes' records of
# logins, /healthz's heartbeat.
BOOKKEEPING_APPS = {"axes", "sessions"}
BOOKKEEPING_MODELS = {AuditEntry._meta.label, "core.Heartbeat"}


def takes_writes(callback: Any) -> bool:
    """Whether a view can be sent a POST, PUT, PATCH or DELETE."""
    if hasattr(callback, "cls"):  # Django REST framework
        actions = getattr(callback, "actions", None)
        if actions is not None:
            return bool(set(actions) - SAFE_METHODS)
        return any(hasattr(callback.cls, m) for m in ("post", "put", "patch", "delete"))
    if hasattr(callback, "view_class"):
        return any(hasattr(callback.view_class, m) for m in ("post", "put", "patch", "delete"))
    allowed = inspect.getclosurevars(callback).nonlocals.get("request_method_list")
    if allowed is not None:  # require_POST, require_http_methods
        return bool({m.lower() for m in allowed} - SAFE_METHODS)
    return "POST" in inspect.getsource(inspect.unwrap(callback))


def views_by_name() -> dict[str, Any]:
    out: dict[str, Any] = {}

    def walk(resolver: Any, prefix: str) -> None:
        for entry in resolver.url_patterns:
            if hasattr(entry, "url_patterns"):
                walk(entry, f"{prefix}{entry.namespace}:" if entry.namespace else prefix)
            elif entry.name:
                out[prefix + entry.name] = entry.callback

    walk(get_resolver(), "")
    return out


@cache
def tables() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.app_label in BOOKKEEPING_APPS:
            continue
        if meta.label in BOOKKEEPING_MODELS:
            continue
        seen.setdefault(meta.db_table, meta.pk.column)
    return sorted(seen.items())


def snapshot() -> dict[str, str]:
    """Each table's row count and a checksum of its values."""
    quote = connection.ops.quote_name
    out = {}
    with connection.cursor() as cursor:
        for table, pk in tables():
            # Names from the models' own meta, quoted.
            cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {quote(pk)}")  # noqa: S608
            rows = cursor.fetchall()
            digest = hashlib.blake2b(repr(rows).encode(), digest_size=8).hexdigest()
            out[table] = f"{len(rows)} rows {digest}"
    return out


def changed_since(before: dict[str, str]) -> list[str]:
    return sorted(table for table, now in snapshot().items() if before[table] != now)


def forms_in(response: Any) -> list[BaseForm]:
    contexts = response.context or []
    if not isinstance(contexts, list):
        contexts = [contexts]
    found = {
        id(value): value
        for context in contexts
        for value in context.flatten().values()
        if isinstance(value, BaseForm)
    }
    return list(found.values())


def form_errors(response: Any) -> dict[str, Any]:
    return {
        f"{form.prefix or ''}{'-' if form.prefix else ''}{name}": errors
        for form in forms_in(response)
        for name, errors in form.errors.items()
    }


@time_machine.travel(date(2026, 11, 24), tick=False)
class WriteMatrixTests(MatrixWorld):
    token: str = ""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        orgs, users = cls.world.orgs, cls.world.users
        a1 = cls.children["a1"]
        # Beside a1 (class and home village), without a care plan; a1 again in class a2.
        cls.children["a1b"] = make_child(
            school_class=orgs["class_a1"], home_village=orgs["village_a1"], name="王小红"
        )
        cls.children["dup"] = make_child(
            school_class=orgs["class_a2"],
            home_village=orgs["village_a1"],
            name="张晓明",
            id_number=a1.id_number,
        )
        cls.care["case:a1"] = DuplicateCase.objects.get()
        users["teacher_a2"] = account_services.create_user(
            username="teacher_a2",
            password=PASSWORD,
            role=Role.TEACHER,
            org=orgs["class_a2"],
            full_name="测试teacher_a2",
            by=None,
        )
        for teacher in ("teacher", "teacher_b"):
            cls.care[f"caregiver:{teacher}"] = care_services.caregiver_for_login(users[teacher])
        plan = care_selectors.plan_of(a1)
        assert plan is not None
        cls.care["plan_item:a1"] = care_services.add_plan_item(
            plan=plan, area="life", need="午饭", measure="学校供餐", by=None
        )
        cls.care["preset:school_a"] = care_selectors.presets().first()
        cls.care["step:a1"] = cls.care["incident:a1"].steps.order_by("pk").first()
        school_a, counselor = orgs["school_a"], users["counselor"]
        cls.care["letter:a"] = counseling_services.add_letter(
            school=school_a, opened_on=date(2026, 11, 20), text="我想爸爸", by=counselor
        )
        cls.care["counseling_plan:a1"] = counseling_services.start_plan(
            child=a1, problem="想家", measures="每周谈心", review_on=date(2026, 12, 1), by=counselor
        )
        every_day = [{"weekday": d, "start": "16:00", "end": "18:00"} for d in range(7)]
        cls.care["room:a"] = family_services.add_room(
            school=school_a, name="亲情电话室", kind="phone", slots=every_day, by=None
        )
        notice_services.notify(
            [users[p] for p in PERSONAS], text="请查看本周任务", key="write-matrix"
        )
        # Unmasked ledgers above a school, waiting for a second person.
        for unit, asker in [("county_a", "county_officer"), ("township_a1", "township_officer")]:
            cls.care[f"export:{unit}"] = exports.request_export(
                org=orgs[unit], by=users[asker], unmasked=True
            )

    def args_for(self, arg: str | None) -> list[object]:
        if arg == "upload":
            return [self.token]
        if arg is not None and arg.startswith("reveal:"):
            return [self.children["a1"].pk, arg.removeprefix("reveal:")]
        if arg == "plan_item:a1":
            return [self.children["a1"].pk, self.care[arg].pk]
        if arg == "preset:school_a":
            return [self.org("school_a").code, self.care[arg].pk]
        return super().args_for(arg)

    def resolve(self, named: str) -> str:
        """``"name key"`` → the URL, as the matrices name them."""
        name, _space, arg = named.partition(" ")
        return reverse(name, args=self.args_for(arg or None))

    def url_of(self, write: Write) -> str:
        url = reverse(write.name, args=self.args_for(write.arg))
        if write.query:
            parameter, key = write.query
            url += f"?{parameter}={self.args_for(key)[0]}"
        return url

    def fresh_client(self, persona: str) -> Client:
        # One per write: a write may end or renew the session (logout, a new password).
        client = Client(REMOTE_ADDR="127.0.0.1")
        client.force_login(self.world.users[persona])
        return client

    # --- the lists --------------------------------------------------------------------------

    def test_every_named_url_is_a_write_here_or_a_read(self):
        writes = {w.name for w in WRITES} | NOT_IN_WRITE_MATRIX
        self.assertEqual(_all_url_names() - writes - GET_ONLY, set())
        self.assertEqual(writes & GET_ONLY, set())

    def test_the_reads_take_no_writes_and_the_writes_do(self):
        views = views_by_name()
        self.assertEqual({n for n in GET_ONLY if takes_writes(views[n])}, set())
        writes = {w.name for w in WRITES} | NOT_IN_WRITE_MATRIX
        self.assertEqual({n for n in writes if not takes_writes(views[n])}, set())

    def test_a_form_takes_the_post_of_whoever_it_opens_for(self):
        """A write answers as its page does: a form shown is a form that saves, and a page
        that is a 404 takes no POST. Where the thing is chosen in the form, those who open
        the page and may not write about it are told at that field."""
        opens = {(name, arg): allowed for name, arg, allowed in MATRIX}
        for write in WRITES:
            # The API's GET of a record is a read, not a form; a page needing a query is in
            # the GET matrix without it.
            if (write.name, write.arg) not in opens or write.query or write.method == "patch":
                continue
            with self.subTest(write=write.name, arg=write.arg):
                page = opens[(write.name, write.arg)]
                if write.choice or write.listed:
                    self.assertLessEqual(write.may, page)
                else:
                    self.assertEqual(write.may, page)

    # --- the matrix -------------------------------------------------------------------------

    def test_each_persona_writes_in_scope_and_gets_404_elsewhere(self):
        opens = {(name, arg): allowed for name, arg, allowed in MATRIX}
        checked = 0
        for write in WRITES:
            page = opens.get((write.name, write.arg), NOBODY)
            for persona in PERSONAS:
                if persona in write.may:
                    expected = "written"
                elif write.choice and persona in page:
                    expected = "not a choice"
                else:
                    expected = "404"
                with self.subTest(write=write.name, arg=write.arg, persona=persona):
                    self.attempt(write, persona, expected)
                    checked += 1
        self.assertEqual(checked, len(WRITES) * len(PERSONAS))

    def test_an_anonymous_write_is_sent_to_log_in_and_changes_nothing(self):
        for write in WRITES:
            if write.name == "api:token":
                continue  # the one write for those not logged in: tests/accounts/test_tokens.py
            with self.subTest(write=write.name, arg=write.arg), transaction.atomic():
                try:
                    self.token = "unknown"
                    body = self.body_of(write, "sysadmin")
                    before = snapshot()
                    response = self.send(Client(), write, body)
                    if write.name.startswith("api:"):
                        self.assertEqual(response.status_code, 401)
                    else:
                        self.assertEqual(response.status_code, 302)
                        self.assertTrue(response["Location"].startswith(f"{LOGIN}?next="))
                    self.assertEqual(changed_since(before), [])
                finally:
                    transaction.set_rollback(True)

    def attempt(self, write: Write, persona: str, expected: str) -> None:
        with transaction.atomic():
            try:
                self.write_once(write, persona, expected)
            finally:
                # Each write alone: the next persona finds the world as it was.
                transaction.set_rollback(True)

    def write_once(self, write: Write, persona: str, expected: str) -> None:
        client = self.fresh_client(persona)
        self.token = ""
        if write.prepare is not None:
            write.prepare(self, persona, client)
        body = self.body_of(write, persona)
        before, audited = snapshot(), AuditEntry.objects.count()
        response = self.send(client, write, body)
        changed = changed_since(before)
        said = getattr(response, "data", None) or form_errors(response)
        if expected == "404":
            self.assertEqual(response.status_code, 404, said)
            self.assertEqual(changed, [])
        elif expected == "not a choice":
            self.assertEqual(response.status_code, 200, said)
            # Only there: the rest of the form was fine.
            self.assertEqual({k.rpartition("-")[2] for k in said}, {write.choice})
            self.assertEqual(changed, [])
        else:
            self.assertEqual(response.status_code, write.status, said)
            if response.status_code == 302:  # on, not back to the login wall
                self.assertFalse(response["Location"].startswith(f"{LOGIN}?next="))
            self.assertEqual(form_errors(response), {})
            if write.effect == ROWS:
                self.assertNotEqual(changed, [], "an accepted write changed nothing")
            else:
                self.assertEqual(changed, [])
            if write.effect == AUDIT:
                self.assertGreater(AuditEntry.objects.count(), audited)

    def body_of(self, write: Write, persona: str) -> dict[str, Any]:
        return dict(write.body(self, persona) if callable(write.body) else write.body)

    def send(self, client: Client, write: Write, body: dict[str, Any]) -> Any:
        url = self.url_of(write)
        if write.method == "patch":
            return client.patch(
                url,
                json.dumps(body),
                content_type="application/json",
                headers={"If-Match": f'"care-record-{self.care["record:a1"].pk}"'},
            )
        if url.startswith("/api/"):
            return client.post(url, json.dumps(body), content_type="application/json")
        return client.post(url, body)
