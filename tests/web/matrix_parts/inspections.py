"""The matrices' rows of inspections (督查, issue 22).

Planted at school a: an inspection the township's officer held on 11-20 with two findings, one
open (the school's admin responsible) and one answered with a photo. Who reaches what is the
policy table's (Area.INSPECTIONS, reach UNIT): its unit's side and the region's officers see it
(the system's administrators too); the unit's side answers (CHANGE: the school's admin and the
region's officers); the region's officers — the inspectors — record, change, close, return and
void (ADD). A village's director, a teacher, a counselor and school c's people see nothing of
it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from shouwang.inspections import services
from tests.web.writes import Write

REGION_A = frozenset({"county_officer", "township_officer", "federation_officer"})
SEES_INSPECTION_A = REGION_A | {"sysadmin", "school_admin"}
VIEWS_INSPECTIONS = SEES_INSPECTION_A | {"village_director"}
ANSWERS_AT_SCHOOL_A = REGION_A | {"school_admin"}
# A JPEG's first bytes are enough for the upload handler's check.
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64

URLS: list[tuple[str, str | None, frozenset[str]]] = [
    ("inspections:index", None, VIEWS_INSPECTIONS),
    ("inspections:add", None, REGION_A),
    ("inspections:detail", "inspection:a", SEES_INSPECTION_A),
    ("inspections:edit", "inspection:a", REGION_A),
    ("inspections:void", "inspection:a", REGION_A),
    ("inspections:add_rectification", "inspection:a", REGION_A),
    ("inspections:edit_rectification", "rectification:open", REGION_A),
    ("inspections:void_rectification", "rectification:open", REGION_A),
    ("inspections:answer", "rectification:open", ANSWERS_AT_SCHOOL_A),
    ("inspections:close", "rectification:answered", REGION_A),
    ("inspections:return", "rectification:answered", REGION_A),
    ("inspections:photo", "evidence:a", SEES_INSPECTION_A),
]

GET_ONLY = {"inspections:index", "inspections:detail", "inspections:photo"}


def _add(t: Any, _persona: str) -> dict[str, Any]:
    return {
        "unit": t.org("school_a").pk,
        "on": "2026-11-23",
        "kind": "special",
        "inspectors": "李督学",
        "summary_text": "查看档案",
    }


def _edit(t: Any, _persona: str) -> dict[str, Any]:
    inspection = t.care["inspection:a"]
    return {
        "on": "2026-11-20",
        "kind": "follow_up",
        "inspectors": "张督学、李督学",
        "summary_text": "回头看",
        "version": services.inspection_version(inspection),
    }


def _edit_rectification(t: Any, _persona: str) -> dict[str, Any]:
    rectification = t.care["rectification:open"]
    return {
        "finding_text": "档案缺少方便联系人",
        "responsible_name": "德育处干事",
        "deadline": "2026-12-20",
        "version": services.rectification_version(rectification),
    }


def _answer(t: Any, _persona: str) -> dict[str, Any]:
    return {
        "evidence_text": "已补齐",
        "photos": SimpleUploadedFile("e.jpg", JPEG, "image/jpeg"),
        "version": services.rectification_version(t.care["rectification:open"]),
    }


def _answered(**more: str) -> Any:
    def body(t: Any, _persona: str) -> dict[str, Any]:
        return {"version": services.rectification_version(t.care["rectification:answered"])} | more

    return body


def writes() -> list[Write]:
    return [
        Write("inspections:add", None, REGION_A, _add),
        Write("inspections:edit", "inspection:a", REGION_A, _edit),
        Write("inspections:void", "inspection:a", REGION_A, {"reason": "重复录入"}),
        Write(
            "inspections:add_rectification",
            "inspection:a",
            REGION_A,
            {"finding_text": "台账未更新", "responsible_name": "王老师", "deadline": "2026-12-31"},
        ),
        Write(
            "inspections:edit_rectification", "rectification:open", REGION_A, _edit_rectification
        ),
        Write("inspections:void_rectification", "rectification:open", REGION_A, {"reason": "误录"}),
        Write("inspections:answer", "rectification:open", ANSWERS_AT_SCHOOL_A, _answer),
        Write("inspections:close", "rectification:answered", REGION_A, _answered(comment="已核实")),
        Write("inspections:return", "rectification:answered", REGION_A, _answered(reason="缺照片")),
    ]


def plant(world: Any) -> dict[str, Any]:
    users, orgs = world.world.users, world.world.orgs
    inspector = users["township_officer"]
    inspection = services.record_inspection(
        unit=orgs["school_a"],
        on=date(2026, 11, 20),
        kind="routine",
        inspectors="张督学",
        summary_text="查阅档案和结对记录",
        by=inspector,
    )
    open_one = services.add_rectification(
        inspection=inspection,
        finding_text="部分档案缺少方便联系人",
        deadline=date(2026, 12, 10),
        responsible_user=users["school_admin"],
        by=inspector,
    )
    answered = services.add_rectification(
        inspection=inspection,
        finding_text="亲情电话登记不全",
        deadline=date(2026, 12, 10),
        responsible_name="德育处干事",
        by=inspector,
    )
    step = services.answer(
        rectification=answered,
        evidence_text="已补登",
        photos=[SimpleUploadedFile("p.jpg", JPEG, "image/jpeg")],
        by=users["school_admin"],
        version=services.rectification_version(answered),
    )
    return {
        "inspection:a": inspection,
        "rectification:open": open_one,
        "rectification:answered": answered,
        "evidence:a": step.photos.get(),
    }
