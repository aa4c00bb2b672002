"""The matrices' rows of activities, interest groups, training and commendations (issue 20).

Planted at school a: an activity the class teacher of a1 is in charge of and the volunteer
helps at, with a session held on 11-20 and a photo; an interest group, a 家长学校 session and a
commendation. Who reaches what is the policy table's (Area.ACTIVITIES / TRAINING /
COMMENDATIONS, reach UNIT): a unit's rows for those working in or above it (a class teacher
works in the class's school), an activity also for the people in charge (change) and its
volunteers (see)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from shouwang.activities import services
from shouwang.activities.models import Photo
from tests.web.writes import Write
from tests.world import PERSONAS

EVERYONE = frozenset(PERSONAS)
SEES_SCHOOL_A = frozenset(
    {
        "sysadmin",
        "county_officer",
        "township_officer",
        "federation_officer",
        "school_admin",
        "counselor",
    }
)
REGION_A = frozenset({"county_officer", "township_officer", "federation_officer"})
# Plan an activity or an interest group: the units' keepers, each at their own unit.
PLANS = REGION_A | {"school_admin", "teacher", "teacher_b", "village_director"}
# The school's activity: those working in or above school a, and its volunteer.
SEES_ACTIVITY = SEES_SCHOOL_A | {"teacher", "volunteer"}
# Change it and take attendance: the keepers over school a and the teacher in charge (never the
# system's administrator, a counselor or a volunteer).
CHANGES_ACTIVITY = REGION_A | {"school_admin", "teacher"}
SEES_GROUP = SEES_SCHOOL_A | {"teacher"}
CHANGES_GROUP = REGION_A | {"school_admin", "teacher"}
SEES_TRAINING = SEES_SCHOOL_A | {"teacher"}
KEEPS_TRAINING = REGION_A | {"school_admin", "village_director"}
COMMENDS = REGION_A | {"school_admin"}
# A JPEG's first bytes are enough for the upload handler's check.
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64

URLS: list[tuple[str, str | None, frozenset[str]]] = [
    ("activities:list", None, EVERYONE),
    ("activities:add", None, PLANS),
    ("activities:detail", "activity:a", SEES_ACTIVITY),
    ("activities:edit", "activity:a", CHANGES_ACTIVITY),
    ("activities:add_session", "activity:a", CHANGES_ACTIVITY),
    ("activities:add_photo", "activity:a", CHANGES_ACTIVITY),
    ("activities:attendance", "session:a", SEES_ACTIVITY),
    ("activities:photo", "photo:a", SEES_ACTIVITY),
    ("activities:groups", None, EVERYONE - {"volunteer"}),
    ("activities:add_group", None, PLANS),
    ("activities:group", "group:a", SEES_GROUP),
    ("activities:training", None, EVERYONE - {"volunteer"}),
    ("activities:add_training", None, KEEPS_TRAINING),
    ("activities:training_detail", "training:a", SEES_TRAINING),
    (
        "activities:commendations",
        None,
        SEES_SCHOOL_A - {"counselor"} | {"teacher", "teacher_b", "village_director"},
    ),
    ("activities:add_commendation", None, COMMENDS),
    ("api:activity-list", None, EVERYONE),
    ("api:activity-detail", "activity:a", SEES_ACTIVITY),
]

GET_ONLY = {
    "activities:list",
    "activities:detail",
    "activities:photo",
    "activities:groups",
    "activities:training",
    "activities:commendations",
    "api:activity-detail",
}


def _own_unit(t: Any, persona: str) -> Any:
    return t.org(PERSONAS[persona][1])


def _plan(t: Any, persona: str) -> dict[str, Any]:
    return {
        "unit": _own_unit(t, persona).pk,
        "kind": "reading",
        "title": "读书会",
        "starts_on": "2026-11-24",
        "in_charge": persona,
        "budget": "100",
    }


def _edit(t: Any, persona: str) -> dict[str, Any]:
    # The form as the school's admin opens it (its version), with the outcome written.
    from tests.web.test_write_matrix import offered

    body = offered("activities:edit activity:a", by="school_admin", outcome="孩子们很开心")
    return dict(body(t, persona))  # type: ignore[operator]


def _attendance(t: Any, persona: str) -> dict[str, Any]:
    session, group = t.care["session:a"], t.org("class_a1")
    return {
        "action": "children",
        "group": group.pk,
        "version": services.attendance_version(session, group),
        "present": [t.children["a1"].pk],
    }


def _photo(_t: Any, _persona: str) -> dict[str, Any]:
    return {"image": SimpleUploadedFile("p.jpg", JPEG, "image/jpeg"), "caption": "合影"}


def _api_plan(t: Any, persona: str) -> dict[str, Any]:
    return {
        "unit": _own_unit(t, persona).code or "",
        "kind": "visit",
        "title": "走访慰问",
        "starts_on": "2026-11-24",
        "attendance": {"adults": [{"kind": "cadre", "count": 32}]},
    }


def writes() -> list[Write]:
    return [
        Write("activities:add", None, PLANS, _plan),
        Write("activities:edit", "activity:a", CHANGES_ACTIVITY, _edit),
        Write("activities:add_session", "activity:a", CHANGES_ACTIVITY, {"on": "2026-11-24"}),
        Write("activities:add_photo", "activity:a", CHANGES_ACTIVITY, _photo),
        Write("activities:attendance", "session:a", CHANGES_ACTIVITY, _attendance, listed=True),
        Write(
            "activities:add_group",
            None,
            PLANS,
            lambda t, p: {"unit": _own_unit(t, p).pk, "name": "书法", "started_on": "2026-11-24"},
        ),
        Write(
            "activities:group",
            "group:a",
            CHANGES_GROUP,
            lambda t, _p: {"action": "join", "child": t.children["a1"].pk, "on": "2026-11-24"},
            listed=True,
        ),
        Write(
            "activities:add_training",
            None,
            KEEPS_TRAINING,
            lambda t, p: {
                "unit": _own_unit(t, p).pk,
                "kind": "parent_school",
                "title": "家庭教育讲座",
                "on": "2026-11-24",
            },
        ),
        Write(
            "activities:training_detail",
            "training:a",
            KEEPS_TRAINING - {"village_director"},
            {"action": "add", "kind": "guardian", "names": "王奶奶"},
            listed=True,
        ),
        Write(
            "activities:add_commendation",
            None,
            COMMENDS,
            lambda t, p: {
                "unit": _own_unit(t, p).pk,
                "on": "2026-11-24",
                "occasion": "年度表彰",
                "honour": "优秀志愿者",
                "recipient_kind": "volunteer",
                "recipient": "李阿姨",
            },
        ),
        Write("api:activity-list", None, PLANS, _api_plan, status=201, listed=True),
    ]


def plant(world: Any) -> dict[str, Any]:
    orgs, users = world.world.orgs, world.world.users
    activity = services.plan_activity(
        unit=orgs["school_a"],
        kind="reading",
        title="读书分享会",
        starts_on=date(2026, 11, 20),
        in_charge=[users["teacher"]],
        volunteers=[users["volunteer"]],
        budget=Decimal("300"),
        by=users["school_admin"],
    )
    photo = Photo.objects.create(
        activity=activity, image=default_storage.save("activities/matrix/p.jpg", ContentFile(JPEG))
    )
    world.addClassCleanup(default_storage.delete, photo.image.name)
    return {
        "activity:a": activity,
        "session:a": activity.sessions.get(),
        "photo:a": photo,
        "group:a": services.add_group(
            unit=orgs["school_a"], name="象棋", started_on=date(2026, 9, 1), by=None
        ),
        "training:a": services.add_training(
            unit=orgs["school_a"],
            kind="parent_school",
            title="家长学校",
            on=date(2026, 11, 20),
            by=None,
        ),
        "commendation:a": services.commend(
            unit=orgs["school_a"],
            on=date(2026, 11, 20),
            occasion="表彰",
            honour="三好学生",
            recipient_kind="teacher",
            recipient="王老师",
            by=None,
        )[0],
    }
