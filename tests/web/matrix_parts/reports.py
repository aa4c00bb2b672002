"""工作总结 / 简报: the page and the download are the readers' of a unit's reports (the region's
officers, a school's leaders, a village's child director); the variables and the default
template also open to those who change a region's template (Area.SETTINGS CHANGE: the region's
officers, the system's administrators), who alone upload a new version of their region's."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from shouwang.reports import services
from shouwang.reports.render import DEFAULT_TEMPLATE
from tests.web.writes import Write

# A federation's officers reach their county (the gate's table); the system's administrators
# everything.
READERS = frozenset(
    {
        "sysadmin",
        "county_officer",
        "federation_officer",
        "township_officer",
        "school_admin",
        "village_director",
    }
)
TEMPLATES_A = frozenset({"county_officer", "federation_officer", "sysadmin"})
TEMPLATES_A1 = TEMPLATES_A | {"township_officer"}
EITHER = READERS

URLS = [
    ("reports:index", None, READERS),
    ("reports:download", None, READERS),
    ("reports:variables", None, EITHER),
    ("reports:default_template", None, EITHER),
    ("reports:templates", "county_a", TEMPLATES_A),
    ("reports:templates", "township_a1", TEMPLATES_A1),
    ("reports:template_file", "report_template:county_a", TEMPLATES_A),
]

GET_ONLY = {
    "reports:index",
    "reports:download",
    "reports:variables",
    "reports:default_template",
    "reports:template_file",
}


def _upload(t: Any, persona: str) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("模板.docx", DEFAULT_TEMPLATE.read_bytes())}


def writes() -> list[Write]:
    return [
        Write("reports:templates", "county_a", TEMPLATES_A, _upload),
        Write("reports:templates", "township_a1", TEMPLATES_A1, _upload),
    ]


def plant(world: Any) -> dict[str, Any]:
    template = services.upload_template(
        region=world.world.orgs["county_a"],
        data=DEFAULT_TEMPLATE.read_bytes(),
        filename="甲县模板.docx",
        by=None,
    )
    return {"report_template:county_a": template}
