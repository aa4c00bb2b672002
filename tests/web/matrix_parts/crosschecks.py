"""Cross-checks (比对核实): a 低保 list checked for school A by its admin, which flagged a1.
Region officers and school admins over the unit upload, see the result and clear a flag;
nobody else (not the system's administrators: the policy gives them no cross-checks)."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from shouwang.crosschecks import selectors, services
from tests.web.writes import Write

CROSS_CHECKS_A = frozenset(
    {"county_officer", "township_officer", "federation_officer", "school_admin"}
)

URLS = [
    ("crosschecks:upload", None, CROSS_CHECKS_A),
    ("crosschecks:result", "crosscheck:a", CROSS_CHECKS_A),
    ("crosschecks:clear", "flag:a1", CROSS_CHECKS_A),
]

GET_ONLY = {"crosschecks:result"}


def _list_of(child: Any) -> bytes:
    return f"姓名,身份证号\n{child.name},{child.id_number}\n".encode()


def _upload(t: Any, persona: str) -> dict[str, Any]:
    return {
        "org": t.org("school_a").code,
        "list_kind": "orphan",
        "file": SimpleUploadedFile("孤儿名单.csv", _list_of(t.children["a1"])),
    }


def writes() -> list[Write]:
    return [
        Write("crosschecks:upload", None, CROSS_CHECKS_A, _upload, choice="org"),
        Write("crosschecks:clear", "flag:a1", CROSS_CHECKS_A, {"reason": "已退出低保"}),
    ]


def plant(world: Any) -> dict[str, Any]:
    users, orgs = world.world.users, world.world.orgs
    school, admin = orgs["school_a"], users["school_admin"]
    check, _result = services.cross_check(
        source=io.BytesIO(_list_of(world.children["a1"])),
        filename="低保名单.csv",
        org=school,
        list_kind="dibao",
        scope=selectors.scope_for(admin, school),
        by=admin,
    )
    return {"crosscheck:a": check, "flag:a1": check.flags.get()}
