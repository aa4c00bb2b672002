"""What the assistance tests share: the county's presets, children, a fund with money in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from shouwang.assistance import services
from shouwang.assistance.models import Fund, FundKind, Programme
from shouwang.assistance.presets import PRESETS
from tests.children.factories import make_child
from tests.personas import PersonaTestCase


def by_programme(**paid: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The county's ``by_programme``: every preset's code, zeros unless paid."""
    return {p["code"]: {"children": 0, "amount": "0.00"} for p in PRESETS} | paid


class AssistanceCase(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        services.apply_presets(region=cls.world.orgs["county_a"], by=None)
        cls.a1 = make_child(
            school_class=cls.world.orgs["class_a1"],
            home_village=cls.world.orgs["village_a1"],
            name="李小梅",
            male=False,
        )
        cls.c1 = make_child(school_class=cls.world.orgs["class_c1"], name="赵小刚")

    def programme(self, code: str) -> Programme:
        return Programme.objects.get(region=self.org("county_a"), code=code)

    def fund(self, amount: Decimal = Decimal(10000), unit: str = "county_a") -> Fund:
        fund = services.add_fund(
            unit=self.org(unit), name="关爱基金", kind=FundKind.RELIEF, by=self.county_officer
        )
        if amount:
            services.add_donation(
                fund=fund,
                donor="青山爱心企业",
                on=date(2026, 9, 5),
                purpose="留守儿童生活费",
                amount=amount,
                by=self.county_officer,
            )
        return fund

    def pay(self, child: Any, code: str = "living_allowance", **kwargs: Any) -> Any:
        values = {"paid_on": date(2026, 10, 8), "signed": True, "by": self.school_admin} | kwargs
        return services.pay(child=child, programme=self.programme(code), **values)

    def girls(self, n: int, unit: str = "class_a1") -> list[Any]:
        return [
            make_child(school_class=self.org(unit), name=f"王{n}妹{i}", male=False)
            for i in range(n)
        ]
