"""Children for tests, made through the same service users go through."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from shouwang.children import services
from shouwang.children.models import Child
from shouwang.children.types import ParentStatus
from shouwang.core.validators import id_check_digit
from shouwang.orgs.models import Org

_serial = itertools.count(1)


def id_number_for(birth: date, *, male: bool, region: str = "110101") -> str:
    n = next(_serial) % 500
    seq = n * 2 + (1 if male else 0)
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_digit(first17)


def make_child(
    *,
    school_class: Org,
    name: str = "张小明",
    male: bool = True,
    birth: date = date(2016, 3, 4),
    father: str = ParentStatus.MIGRANT,
    mother: str = ParentStatus.MIGRANT,
    home_village: Org | None = None,
    by: Any = None,
    on: date | None = None,
    **overrides: Any,
) -> Child:
    school = Org.objects.get(path=school_class.path[: -2 * Org.steplen])
    child = {
        "name": name,
        "gender": "male" if male else "female",
        "birth_date": birth,
        "id_number": id_number_for(birth, male=male),
        "school": school,
        "school_class": school_class,
        "home_village": home_village,
        "address": "东村3组12号",
        "personality": "活泼",
        "hobbies": "画画",
        "health": "健康",
        **overrides,
    }
    return services.register_child(
        child=child,
        father={
            "name": "张大山",
            "phone": "13800000001",
            "status": father,
            "away_since": date(2024, 2, 1) if father == ParentStatus.MIGRANT else None,
            "work_place": "广东省东莞市" if father == ParentStatus.MIGRANT else "",
        },
        mother={
            "name": "李小花",
            "phone": "13800000002",
            "status": mother,
            "away_since": date(2024, 2, 1) if mother == ParentStatus.MIGRANT else None,
        },
        guardian={"name": "张爷爷", "relation": "grandparent", "age": 66, "phone": "13800000003"},
        by=by,
        on=on or date(2026, 9, 1),
    )
