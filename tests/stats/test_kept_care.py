"""Issue 17: the 人次 of care of the closed days are kept per unit and day (stats.UnitDayCare) for
those who see the whole unit, and the statistics add them to a live count of the last two days.
Whatever was kept, every reader gets exactly what counting every record of the period live gives
them: records written late for a kept day, corrected, withdrawn, and children transferred."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from shouwang.care import selectors as care_selectors
from shouwang.care import services as care_services
from shouwang.care.models import CareRecord, RecordKind
from shouwang.children import services as child_services
from shouwang.children.models import Child
from shouwang.stats import selectors
from shouwang.stats.flows import children_of, period_of
from shouwang.stats.models import UnitDayCare
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

CST = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 24)  # in the county's autumn term (2026-09-01 – 2027-01-22)
DAYS = [date(2026, 9, 1), date(2026, 11, 2), date(2026, 11, 20), date(2026, 11, 22)]

# (persona, unit) pairs read in every test: the county and a school, each by someone who sees
# all of it and by someone who sees part of it; a village by the children who live in it.
READERS = [
    ("county_officer", "county_a"),
    ("county_officer", "school_a"),
    ("county_officer", "school_b"),
    ("county_officer", "township_a2"),
    ("county_officer", "village_a1"),
    ("township_officer", "township_a1"),
    ("school_admin", "school_a"),
    ("teacher", "school_a"),
    ("teacher", "class_a1"),
]


def morning(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=CST)


@time_machine.travel(morning(TODAY), tick=False)
class KeptCareTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        village = cls.world.orgs["village_a1"]
        cls.mine = make_child(school_class=cls.world.orgs["class_a1"], name="关甲")
        cls.other = make_child(
            school_class=cls.world.orgs["class_a2"], name="关乙", home_village=village
        )
        cls.far = make_child(school_class=cls.world.orgs["class_b1"], name="关丙")
        cls.teacher_care = care_services.caregiver_for_login(cls.world.users["teacher"])
        for n, day in enumerate([*DAYS, TODAY - timedelta(days=1), TODAY]):
            for child in (cls.mine, cls.other, cls.far):
                kinds = [RecordKind.TALK, RecordKind.HOME_VISIT, RecordKind.PARENT_CALL]
                for kind in kinds[: 1 + (n + child.pk) % 3]:
                    cls.record(child, day, kind)

    @classmethod
    def record(cls, child: Child, on: date, kind: str = RecordKind.TALK) -> CareRecord:
        return care_services.record_care(
            child=child,
            caregiver=cls.teacher_care,
            kind=kind,
            on=on,
            by=cls.world.users["teacher"],
        )

    def read(self, persona: str, key: str) -> dict[str, int]:
        """The care 人次 of the unit's term as ``persona`` reads them, committed (kept)."""
        unit = self.org(key)
        on = timezone.localdate()
        with self.captureOnCommitCallbacks(execute=True):
            data = selectors.flows_for(self.world.users[persona], unit, on, period_of(unit, on))
        return data["care_person_times"]

    def live(self, persona: str, key: str) -> dict[str, int]:
        """Every care record of the term counted now, in the reader's scope."""
        unit = self.org(key)
        on = timezone.localdate()
        period = period_of(unit, on)
        scope = Child.objects.restrict(self.world.users[persona]).values("pk")
        children = children_of(unit).filter(pk__in=scope).values("pk")
        return care_selectors.person_times(children, period.start, period.end)

    def assert_every_reader_gets_the_live_count(self) -> None:
        for persona, key in READERS:
            expected = self.live(persona, key)
            assert self.read(persona, key) == expected, (persona, key)
            assert self.read(persona, key) == expected, (persona, key, "kept")

    def test_every_reader_gets_the_live_count_day_after_day(self):
        self.assert_every_reader_gets_the_live_count()
        for later in range(1, 4):
            day = TODAY + timedelta(days=later)
            with time_machine.travel(morning(day), tick=False):
                self.record(self.mine, day)
                self.record(self.other, day - timedelta(days=1), RecordKind.HOME_VISIT)
                self.assert_every_reader_gets_the_live_count()

    def test_the_closed_days_before_yesterday_are_kept_for_the_whole_unit_only(self):
        total = self.read("county_officer", "county_a")
        kept = UnitDayCare.objects.filter(org=self.org("county_a"))
        last = TODAY - timedelta(days=2)
        assert kept.count() == (last - date(2026, 9, 1)).days + 1
        assert max(kept.values_list("day", flat=True)) == last
        # What is read is what was kept: a kept day's count is added as it stands.
        row = kept.get(day=DAYS[0])
        row.counts = {**row.counts, RecordKind.TALK: row.counts[RecordKind.TALK] + 100}
        row.save()
        assert self.read("county_officer", "county_a")[RecordKind.TALK] == (
            total[RecordKind.TALK] + 100
        )
        self.read("teacher", "school_a")  # part of the school: counted live, nothing kept
        assert not UnitDayCare.objects.filter(org=self.org("school_a")).exists()

    def test_a_record_written_late_for_a_kept_day_is_counted_at_once(self):
        before = self.read("county_officer", "county_a")[RecordKind.LETTER]
        self.assert_every_reader_gets_the_live_count()
        self.record(self.mine, DAYS[2], RecordKind.LETTER)
        self.record(self.far, DAYS[0], RecordKind.LETTER)
        assert self.read("county_officer", "county_a")[RecordKind.LETTER] == before + 2
        self.assert_every_reader_gets_the_live_count()

    def test_a_record_of_yesterday_stays_counted_once_its_day_is_kept(self):
        yesterday = TODAY - timedelta(days=1)
        self.record(self.other, yesterday, RecordKind.LETTER)
        self.assert_every_reader_gets_the_live_count()
        with time_machine.travel(morning(TODAY + timedelta(days=1)), tick=False):
            assert UnitDayCare.objects.filter(day=yesterday).count() == 0
            self.assert_every_reader_gets_the_live_count()
            assert UnitDayCare.objects.filter(day=yesterday).exists()

    def test_a_corrected_or_withdrawn_record_of_a_kept_day_is_counted_as_it_now_stands(self):
        self.assert_every_reader_gets_the_live_count()
        first = CareRecord.objects.filter(child=self.mine, on=DAYS[1], is_current=True).first()
        assert first is not None
        moved = care_services.correct_record(
            record=first,
            by=self.world.users["teacher"],
            reason="记错了日期和方式",
            on=DAYS[2],
            kind=RecordKind.LETTER,
        )
        self.assert_every_reader_gets_the_live_count()
        care_services.withdraw_record(record=moved, by=self.world.users["teacher"], reason="记错人")
        gone = CareRecord.objects.filter(child=self.other, on=DAYS[0], is_current=True).first()
        assert gone is not None
        care_services.withdraw_record(
            record=gone, by=self.world.users["school_admin"], reason="误录"
        )
        self.assert_every_reader_gets_the_live_count()

    def test_a_transferred_child_takes_their_records_to_the_new_school(self):
        school_a = self.read("county_officer", "school_a")
        school_b = self.read("county_officer", "school_b")
        self.assert_every_reader_gets_the_live_count()
        child_services.transfer_child(
            child=self.mine,
            to_school=self.org("school_b"),
            to_class=self.org("class_b1"),
            on=TODAY,
            reason="随家迁",
            by=None,
        )
        mine = self.live("county_officer", "school_b")
        assert sum(mine.values()) > sum(school_b.values())
        assert sum(self.read("county_officer", "school_a").values()) < sum(school_a.values())
        self.assert_every_reader_gets_the_live_count()
