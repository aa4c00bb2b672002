"""Contact cards benchmark (issue 19): a school class of 100 children printed as 联系卡.

    python -m tests.perf.bench_cards [--children 100]

Builds the test world (tests/world.py) on a throw-away database (tests/perf/common.py), puts
``--children`` children in one class, each paired with a caregiver, and times the class
teacher's request for the class's cards (the page users open: query, render, WeasyPrint) as the
best of three. The baseline, measured in the same run, is one sheet's worth (six children in
another class) scaled to the same number of cards: the ratio says whether printing grows with
the cards (about 1×) or faster (a class of 94 took 90 s when the cards flowed as one box). No
timing is asserted.
"""

from __future__ import annotations

import argparse
from datetime import date

from tests.perf.common import best_of, describe_database, machine_load, throwaway_django

ON = date(2026, 10, 15)
SHEET = 6


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=100)
    args = parser.parse_args()
    throwaway_django()
    import time_machine
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from shouwang.care import services as care
    from tests.children.factories import make_child
    from tests.world import build_world

    call_command("migrate", verbosity=0)
    with time_machine.travel(ON, tick=False):
        world = build_world()
        orgs = world.orgs
        mother = care.add_caregiver(
            name="吴爱心",
            kind="caring_mother",
            org=orgs["village_a1"],
            by=None,
            phone="13912345678",
        )
        for n, unit in [(args.children, "class_a1"), (SHEET, "class_a2")]:
            for i in range(n):
                child = make_child(school_class=orgs[unit], name=f"卡{unit[-2:]}{i:03d}")
                care.pair(
                    child=child, caregiver=mother, role="caring_mother", starts_on=ON, by=None
                )
    setup_test_environment()  # the test client's host is allowed
    client = Client()
    client.force_login(world.users["school_admin"])

    def cards(unit: str) -> int:
        url = reverse("children:cards") + "?class=" + orgs[unit].code
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return len(response.content)

    print(f"database: {describe_database()}; {machine_load()}")
    print(f"contact cards: a class of {args.children} children, each paired", flush=True)
    whole, size = best_of(f"{args.children} cards (one class)", lambda: cards("class_a1"))
    sheet, _ = best_of(f"{SHEET} cards (one sheet)", lambda: cards("class_a2"))
    scaled = sheet.wall * args.children / SHEET
    print(f"  PDF {size / 1e3:.0f} kB; {whole.wall / args.children * 1000:.0f} ms a card")
    print(
        f"{args.children} cards over {SHEET} scaled: {whole.wall / scaled:5.2f}×  "
        f"(target: about 1×, under 5 s for a class of 94: {whole.wall:.2f} s)",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
