"""审核 (review of archives): a change of a1's archive waits for the level above. The keepers
of a1 see it (what of theirs waits); the officers of the regions above a1's school or home
village decide it; the region officers set whether their region asks for review."""

from __future__ import annotations

import json
from typing import Any

from django.utils import timezone

from shouwang.children import services
from shouwang.children.models import ArchiveReview, ReviewKind
from tests.web.writes import Write

# Area.REVIEW VIEW over a1: the archive's keepers (KEEPERS in accounts/policy.py).
SEES_REVIEW_A1 = frozenset(
    {
        "sysadmin",
        "county_officer",
        "township_officer",
        "federation_officer",
        "school_admin",
        "teacher",
        "village_director",
    }
)
LISTS_REVIEWS = SEES_REVIEW_A1 | {"teacher_b"}
# Area.REVIEW CHANGE over a1: the region officers above its school or home village.
DECIDES_A1 = frozenset({"sysadmin", "county_officer", "township_officer", "federation_officer"})
SETS_REGION = frozenset({"sysadmin", "county_officer", "federation_officer", "township_officer"})

URLS = [
    ("children:reviews", None, LISTS_REVIEWS),
    ("children:review", "review:a1", SEES_REVIEW_A1),
    ("children:review_setting", None, SETS_REGION),
]

GET_ONLY = {"children:reviews"}


def _decide(t: Any, persona: str) -> dict[str, Any]:
    return {"decision": "confirm", "version": services.review_version(t.care["review:a1"])}


def writes() -> list[Write]:
    return [
        # (Its keepers read the page; a decision sent by one of them is a 404.)
        Write("children:review", "review:a1", DECIDES_A1, _decide, listed=True),
        Write("children:review_setting", None, SETS_REGION, {"required": "on"}),
    ]


def plant(world: Any) -> dict[str, Any]:
    a1 = world.children["a1"]
    review = ArchiveReview.objects.create(
        child=a1,
        kind=ReviewKind.CHANGED,
        changes=json.dumps({"hobbies": ["画画", "篮球"]}, ensure_ascii=False),
        by=world.world.users["teacher"],
        at=timezone.now(),
    )
    return {"review:a1": review}
