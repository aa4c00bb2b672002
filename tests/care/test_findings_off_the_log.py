"""What a caregiver found on a visit may tell of harm: it stays in its own row (blanked by
retention) and never reaches the append-only audit log, where nothing could blank it."""

from __future__ import annotations

from datetime import date

import time_machine

from shouwang.audit.models import AuditEntry
from shouwang.care import services
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

TODAY = date(2026, 11, 24)
FOUND = "手臂上有淤青，说是被打的"


@time_machine.travel(TODAY, tick=False)
class FindingsOffTheLogTests(PersonaTestCase):
    def test_a_visits_findings_are_a_marker_on_the_log(self):
        child = make_child(school_class=self.org("class_a1"), name="李一")
        caregiver = services.caregiver_for_login(self.teacher)
        record = services.record_care(
            child=child,
            caregiver=caregiver,
            kind="home_visit",
            on=TODAY,
            by=self.teacher,
            findings=FOUND,
            abnormal=True,
        )
        corrected = services.correct_record(
            record=record, by=self.teacher, reason="补充", findings=FOUND + "，已告知班主任"
        )
        self.assertEqual(corrected.findings, FOUND + "，已告知班主任")  # kept where it belongs
        logged = [repr(e.changes) for e in AuditEntry.objects.all()]
        self.assertTrue(any("'findings': ['***', '***']" in text for text in logged))
        self.assertFalse([text for text in logged if "淤青" in text])
