"""Assessment (考核, issue 22): scores computed from the records under a region's rules, each
point traced to its records, frozen once a closed term is frozen, seen by whom the gate says."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_q.models import Schedule

from shouwang.assessment import selectors, services, tasks
from shouwang.assessment.measures import MEASURES
from shouwang.assessment.models import Point, Result, Run, Score, Subject
from shouwang.audit.models import AuditEntry
from shouwang.care import services as care
from shouwang.care.models import CareRecord, DutyPolicy
from shouwang.orgs import services as org_services
from shouwang.orgs.models import OrgKind
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

TODAY = date(2026, 11, 24)  # in the autumn term 2026-09-01 … 2027-01-22
AFTER = date(2027, 2, 10)  # the term closed
SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOSED = datetime(2027, 1, 23, 0, 30, tzinfo=SHANGHAI)  # half an hour after the term's end
TERM = "2026年秋季学期"


def visit(child, caregiver, on, by, kinds=("home_visit", "parent_call")):
    for kind in kinds:
        care.record_care(child=child, caregiver=caregiver, kind=kind, on=on, by=by)


@time_machine.travel(TODAY, tick=False)
class AssessmentTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        orgs, users = cls.world.orgs, cls.world.users
        with time_machine.travel(TODAY, tick=False):
            cls.kept = make_child(school_class=orgs["class_a1"], name="王小明")
            cls.missed = make_child(school_class=orgs["class_a1"], name="李小红")
            cls.unpaired = make_child(school_class=orgs["class_a2"], name="赵小刚")
            cls.other = make_child(school_class=orgs["class_b1"], name="陈小丽")
            preset = DutyPolicy.objects.get(org=None, code="three_ones")
            care.apply_preset(preset=preset, org=orgs["county_a"], by=None)
            cls.teacher_cg = care.caregiver_for_login(users["teacher"])
            cls.mother = care.add_caregiver(
                name="吴爱心", kind="caring_mother", org=orgs["school_b"], by=None
            )
            for child in (cls.kept, cls.missed):
                care.pair(
                    child=child,
                    caregiver=cls.teacher_cg,
                    role="teacher",
                    starts_on=date(2026, 9, 1),
                    by=None,
                )
            care.pair(
                child=cls.other,
                caregiver=cls.mother,
                role="caring_mother",
                starts_on=date(2026, 9, 1),
                by=None,
            )
            for day in (date(2026, 9, 10), date(2026, 10, 12)):
                visit(cls.kept, cls.teacher_cg, day, users["teacher"])
                visit(cls.other, cls.mother, day, users["school_admin"])
            services.apply_preset(org=orgs["county_a"], code="seed001", by=users["county_officer"])

    def compute(self, **kw):
        return services.compute(
            org=self.org("county_a"),
            term=services.current_term(self.org("county_a")),
            by=self.county_officer,
            **kw,
        )

    def score(self, run, subject, **kw):
        return Score.objects.get(run=run, subject=subject, **kw)

    @staticmethod
    def point(score, code):
        return next(p for p in score.points if p["code"] == code)

    # --- traced to the records ------------------------------------------------------------

    def test_each_point_keeps_the_records_behind_it(self):
        run = self.compute()
        mine = self.score(run, Subject.CAREGIVER, caregiver=self.teacher_cg)
        duties = self.point(mine, "duties-on-time")
        # Two children × (visit, call) × (September, October): the missed child's four overdue.
        self.assertEqual((duties["value"], duties["shown"]), (0.5, "4/8"))
        overdue = duties["trace"]["items"]
        self.assertEqual({i["child"] for i in overdue}, {self.missed.pk})
        self.assertEqual(duties["trace"]["total"], 4)
        self.assertEqual({i["name"] for i in overdue}, {"李*红"})  # masked as in lists
        written = self.point(mine, "care-records")
        ids = set(CareRecord.objects.filter(caregiver=self.teacher_cg).values_list("pk", flat=True))
        self.assertEqual({i["record"] for i in written["trace"]["items"]}, ids)
        self.assertEqual(written["value"], 4.0)
        school = self.score(run, Subject.SCHOOL, org=self.org("school_a"))
        coverage = self.point(school, "pairing-coverage")
        self.assertEqual([i["child"] for i in coverage["trace"]["items"]], [self.unpaired.pk])
        self.assertEqual(coverage["shown"], "2/3")

    def test_the_caregiver_reads_each_point_and_its_records_on_their_page(self):
        run = self.compute()
        mine = self.score(run, Subject.CAREGIVER, caregiver=self.teacher_cg)
        page = self.client_as("teacher").get(reverse("assessment:score", args=[mine.pk]))
        self.assertEqual(page.status_code, 200)
        record = CareRecord.objects.filter(caregiver=self.teacher_cg).first()
        self.assertContains(page, reverse("care:record_detail", args=[record.pk]))
        self.assertContains(page, reverse("children:detail", args=[self.missed.pk]))
        self.assertContains(page, "结对帮扶制度按时落实")
        index = self.client_as("teacher").get(reverse("assessment:index"))
        self.assertContains(index, reverse("assessment:score", args=[mine.pk]))

    # --- veto and ranking -----------------------------------------------------------------

    def test_failing_a_veto_point_fails_the_assessment_whatever_the_total(self):
        run = self.compute()
        mine = self.score(run, Subject.CAREGIVER, caregiver=self.teacher_cg)
        # 0.5 of duties done is below the 0.6 the veto asks: 不合格.
        self.assertFalse(self.point(mine, "duties-on-time")["passed"])
        self.assertEqual(mine.result, Result.FAIL)
        # Without the veto the same records pass.
        point = Point.objects.get(
            scheme__org=self.org("county_a"), subject=Subject.CAREGIVER, code="duties-on-time"
        )
        services.change_point(
            point=point,
            by=self.county_officer,
            version=services.point_version(point),
            veto=False,
            pass_at=Decimal("0.4"),
            full_at=Decimal("0.5"),
        )
        again = self.score(self.compute(), Subject.CAREGIVER, caregiver=self.teacher_cg)
        self.assertNotEqual(again.result, Result.FAIL)
        self.assertGreater(again.total, mine.total)

    def test_result_of_a_high_total_with_a_failed_veto_is_fail(self):
        rules = {"pass_score": 60, "good_score": 80, "excellent_score": 90}
        points = [
            {"weight": 90, "score": 90.0, "applicable": True, "veto": False, "passed": True},
            {"weight": 10, "score": 0.0, "applicable": True, "veto": True, "passed": False},
        ]
        self.assertEqual(services.result_of(points, rules), (Decimal("90.0"), Result.FAIL))
        points[1]["veto"] = False
        self.assertEqual(services.result_of(points, rules), (Decimal("90.0"), Result.EXCELLENT))

    def test_the_region_ranks_its_schools_best_first(self):
        run = self.compute()
        ranking = selectors.ranking_for(
            self.county_officer, self.org("county_a"), run.term, Subject.SCHOOL
        )
        names = [s.name for s in ranking.scores]
        self.assertEqual(set(names), {"东镇中心小学", "西镇中学"})
        totals = [s.total for s in ranking.scores]
        self.assertEqual(totals, sorted(totals, reverse=True))
        self.assertEqual(ranking.scores[0].rank, 1)
        # School B's one child is paired and cared for every month; school A misses.
        self.assertEqual(names[0], "西镇中学")
        page = self.client_as("county_officer").get(
            reverse("assessment:ranking", args=[self.org("county_a").code])
        )
        self.assertEqual([s.name for s in page.context["ranking"].scores], names)

    # --- scope ------------------------------------------------------------------------------

    def test_a_caregiver_sees_only_their_own_score(self):
        run = self.compute()
        mine = self.score(run, Subject.CAREGIVER, caregiver=self.teacher_cg)
        mother = self.score(run, Subject.CAREGIVER, caregiver=self.mother)
        school = self.score(run, Subject.SCHOOL, org=self.org("school_a"))
        teacher = self.client_as("teacher")
        self.assertEqual(teacher.get(reverse("assessment:score", args=[mine.pk])).status_code, 200)
        for other in (mother, school):
            url = reverse("assessment:score", args=[other.pk])
            self.assertEqual(teacher.get(url).status_code, 404)
        self.assertEqual(
            self.client_as("teacher_b")
            .get(reverse("assessment:score", args=[mine.pk]))
            .status_code,
            404,
        )
        self.assertEqual(list(selectors.scores_visible_to(self.teacher)), [mine])

    def test_a_school_admin_sees_their_school_only(self):
        run = self.compute()
        admin = self.client_as("school_admin")
        ours = [
            self.score(run, Subject.SCHOOL, org=self.org("school_a")),
            self.score(run, Subject.CAREGIVER, caregiver=self.teacher_cg),
            self.score(run, Subject.CLASS, org=self.org("class_a1")),
        ]
        for score in ours:
            url = reverse("assessment:score", args=[score.pk])
            self.assertEqual(admin.get(url).status_code, 200)
        theirs = self.score(run, Subject.SCHOOL, org=self.org("school_b"))
        url = reverse("assessment:score", args=[theirs.pk])
        self.assertEqual(admin.get(url).status_code, 404)
        county = reverse("assessment:ranking", args=[self.org("county_a").code])
        self.assertEqual(admin.get(county).status_code, 404)
        school_b = reverse("assessment:ranking", args=[self.org("school_b").code])
        self.assertEqual(admin.get(school_b).status_code, 404)
        page = admin.get(
            reverse("assessment:ranking", args=[self.org("school_a").code]) + "?subject=class"
        )
        self.assertEqual(
            {s.org_id for s in page.context["ranking"].scores},
            {self.org("class_a1").pk, self.org("class_a2").pk},
        )

    # --- frozen -----------------------------------------------------------------------------

    def test_a_frozen_terms_scores_do_not_change_with_later_records(self):
        with time_machine.travel(AFTER, tick=False):
            run = self.compute(freeze=True)
            before = {s.pk: (s.total, s.points) for s in run.scores.all()}
            mine = self.score(run, Subject.CAREGIVER, caregiver=self.teacher_cg)
            # Late entries for the missed child, dated in the term.
            for day in (date(2026, 9, 20), date(2026, 10, 20)):
                visit(self.missed, self.teacher_cg, day, self.teacher)
            # Counted afresh, the records would change the score…
            fresh = services.compute_scores(self.org("county_a"), run.rules, run.term.start, run.on)
            row = next(r for r in fresh if r[0] == (Subject.CAREGIVER, self.teacher_cg.pk))
            self.assertNotEqual(row[4], mine.total)
            # …but the frozen run is kept and not computed again.
            with self.assertRaises(ValidationError):
                self.compute()
            after = {s.pk: (s.total, s.points) for s in Score.objects.filter(run=run)}
            self.assertEqual(after, before)
            self.assertEqual(Run.objects.filter(term=run.term, is_current=True).get(), run)
            # Nor does a township below put scores of its own (an easier preset) over them.
            township = self.org("township_a1")
            services.apply_preset(org=township, code="seed002", by=self.township_officer)
            with self.assertRaises(ValidationError):
                services.compute(org=township, term=run.term, by=self.township_officer)

    def test_the_worker_freezes_a_closed_term_and_backdated_records_then_change_nothing(self):
        open_run = self.compute()  # in the term: records up to today
        term = open_run.term
        with time_machine.travel(datetime(2027, 1, 22, 23, 30, tzinfo=SHANGHAI), tick=False):
            self.assertEqual(tasks.freeze_closed_terms(), 0)  # the term's last day: still open
        with time_machine.travel(CLOSED, tick=False):
            self.assertEqual(tasks.freeze_closed_terms(), 1)
        run = Run.objects.get(term=term, is_current=True)
        self.assertNotEqual(run, open_run)  # computed again over the whole term…
        self.assertEqual(run.on, term.end)
        self.assertIsNotNone(run.frozen_at)  # …and frozen by the worker (no officer)
        self.assertIsNone(run.frozen_by)
        before = {s.pk: (s.total, s.result, s.points) for s in run.scores.all()}
        mine = self.score(run, Subject.CAREGIVER, caregiver=self.teacher_cg)
        with time_machine.travel(AFTER, tick=False):
            # Late entries for the missed child, dated in the term, a fortnight after it closed.
            for day in (date(2026, 9, 20), date(2026, 10, 20)):
                visit(self.missed, self.teacher_cg, day, self.teacher)
            fresh = services.compute_scores(self.org("county_a"), run.rules, term.start, run.on)
            row = next(r for r in fresh if r[0] == (Subject.CAREGIVER, self.teacher_cg.pk))
            self.assertNotEqual(row[4], mine.total)  # counted afresh they would move it
            self.assertEqual(tasks.freeze_closed_terms(), 0)
            with self.assertRaises(ValidationError):
                self.compute()
        after = {s.pk: (s.total, s.result, s.points) for s in Score.objects.filter(run=run)}
        self.assertEqual(after, before)
        self.assertEqual(Run.objects.get(term=term, is_current=True), run)
        page = self.client_as("teacher").get(reverse("assessment:score", args=[mine.pk]))
        self.assertContains(page, str(mine.total))

    def test_a_closed_term_nobody_computed_is_computed_and_frozen_by_the_worker(self):
        with time_machine.travel(CLOSED, tick=False):
            frozen = services.freeze_closed_terms()
        self.assertEqual([(r.org, r.term.name) for r in frozen], [(self.org("county_a"), TERM)])
        self.assertIsNotNone(frozen[0].frozen_at)
        self.assertTrue(frozen[0].scores.exists())
        # A township keeping a scheme of its own is decided by the county above it.
        services.apply_preset(org=self.org("township_a1"), code="seed002", by=None)
        with time_machine.travel(AFTER, tick=False):
            self.assertEqual(services.freeze_closed_terms(), [])
        self.assertFalse(Run.objects.filter(org=self.org("township_a1")).exists())

    def test_below_a_frozen_region_an_open_run_is_frozen_as_it_stands(self):
        township = self.org("township_a1")
        services.apply_preset(org=township, code="seed002", by=None)
        below = services.compute(org=township, term=services.current_term(township), by=None)
        with time_machine.travel(CLOSED, tick=False):
            frozen = services.freeze_closed_terms()
        self.assertEqual([r.org for r in frozen], [self.org("county_a"), township])
        below.refresh_from_db()
        self.assertTrue(below.is_current)
        self.assertIsNotNone(below.frozen_at)
        self.assertEqual(below.on, TODAY)  # not computed again below the county

    def test_the_worker_runs_the_freeze_hourly(self):
        schedule = Schedule.objects.get(func="shouwang.assessment.tasks.freeze_closed_terms")
        self.assertEqual(schedule.schedule_type, Schedule.HOURLY)
        self.assertEqual(schedule.repeats, -1)

    def test_an_open_term_is_replaced_on_recomputing_and_cannot_be_frozen(self):
        first = self.compute()
        with self.assertRaises(ValidationError):
            self.compute(freeze=True)
        visit(self.missed, self.teacher_cg, date(2026, 11, 20), self.teacher)
        second = self.compute()
        first.refresh_from_db()
        self.assertFalse(first.is_current)
        self.assertTrue(second.is_current)
        self.assertTrue(
            AuditEntry.objects.filter(
                object_type="assessment.run", object_id=str(second.pk)
            ).exists()
        )

    # --- the year (年度考核) ------------------------------------------------------------------

    def spring(self):
        """The year's first term, with a child the teacher talked with every week but never
        visited nor called a parent of: the records score, the duties' veto failed in spring."""
        county = self.org("county_a")
        term = org_services.add_term(
            region=county,
            name="2026年春季学期",
            start=date(2026, 2, 24),
            midterm=date(2026, 4, 20),
            end=date(2026, 7, 10),
            by=None,
        )
        spring_child = make_child(
            school_class=self.org("class_a1"), name="孙春生", on=date(2026, 2, 24)
        )
        care.pair(
            child=spring_child,
            caregiver=self.teacher_cg,
            role="teacher",
            starts_on=date(2026, 2, 24),
            by=None,
        )
        # Talks every week from March (the records count), never a call or a visit (the duties
        # fail their veto).
        for week in range(12):
            visit(
                spring_child,
                self.teacher_cg,
                date(2026, 3, 2) + timedelta(weeks=week),
                self.teacher,
                kinds=("talk",),
            )
        run = services.compute(org=county, term=term, by=self.county_officer)
        # In autumn every child of the teacher's is visited and called each month.
        for child in (self.missed, spring_child):
            for day in (date(2026, 9, 10), date(2026, 10, 12)):
                visit(child, self.teacher_cg, day, self.teacher)
        return run

    def test_a_veto_failed_in_any_term_fails_the_year(self):
        spring = self.spring()
        autumn = self.compute()
        before = self.score(spring, Subject.CAREGIVER, caregiver=self.teacher_cg)
        mine = self.score(autumn, Subject.CAREGIVER, caregiver=self.teacher_cg)
        self.assertEqual(before.result, Result.FAIL)  # spring: the duties' veto failed
        self.assertFalse(self.point(before, "duties-on-time")["passed"])
        self.assertNotEqual(mine.result, Result.FAIL)  # autumn passes on its own
        year = selectors.year_result(mine)
        self.assertEqual(year.year, 2026)
        self.assertEqual([t.term.name for t in year.terms], ["2026年春季学期", TERM])
        self.assertEqual([t.score for t in year.terms], [before, mine])
        self.assertEqual(year.vetoed, ["2026年春季学期"])
        self.assertEqual(year.result, Result.FAIL)
        self.assertGreaterEqual(year.total, 60)  # the mean would pass: the veto fails it
        self.assertEqual(
            year.total, ((before.total + mine.total) / 2).quantize(Decimal("0.1"), "ROUND_HALF_UP")
        )
        self.assertFalse(year.final)  # neither term frozen yet
        # The same year read from spring's score.
        self.assertEqual(selectors.year_result(before).result, Result.FAIL)
        # On the caregiver's page: the year, the veto's term, the spring score linked.
        page = self.client_as("teacher").get(reverse("assessment:score", args=[mine.pk]))
        year_part = page.content.decode().split('data-testid="year"')[1].split("</section>")[0]
        self.assertIn("2026年度考核", year_part)
        self.assertIn("不合格", year_part)
        self.assertIn("2026年春季学期", year_part)
        self.assertIn(reverse("assessment:score", args=[before.pk]), year_part)
        self.assertContains(page, 'data-testid="year-veto"')
        # In the command's JSON.
        out = StringIO()
        call_command("assess", "--org", self.org("county_a").code, "--json", stdout=out)
        data = json.loads(out.getvalue())
        shown = next(s for s in data["scores"] if s["caregiver"] == self.teacher_cg.pk)
        self.assertEqual(shown["year"]["result"], "fail")
        self.assertEqual(shown["year"]["vetoed_terms"], ["2026年春季学期"])
        self.assertEqual(shown["year"]["total"], float(year.total))
        self.assertEqual(
            [(t["term"], t["result"]) for t in shown["year"]["terms"]],
            [("2026年春季学期", "fail"), (TERM, shown["result"])],
        )

    def test_a_year_without_a_failed_veto_is_graded_by_the_mean_of_its_terms(self):
        spring = self.spring()
        # The region lifts the veto and lowers the bar; spring is computed again under it.
        point = Point.objects.get(
            scheme__org=self.org("county_a"), subject=Subject.CAREGIVER, code="duties-on-time"
        )
        services.change_point(
            point=point, by=self.county_officer, version=services.point_version(point), veto=False
        )
        spring = services.compute(org=spring.org, term=spring.term, by=self.county_officer)
        autumn = self.compute()
        scores = [
            self.score(run, Subject.CAREGIVER, caregiver=self.teacher_cg)
            for run in (spring, autumn)
        ]
        year = selectors.year_result(scores[1])
        self.assertEqual(year.vetoed, [])
        mean = (sum(s.total for s in scores) / 2).quantize(Decimal("0.1"), "ROUND_HALF_UP")
        self.assertEqual(year.total, mean)
        bands = [(90, Result.EXCELLENT), (80, Result.GOOD), (60, Result.PASS), (0, Result.FAIL)]
        self.assertEqual(year.result, next(r for at, r in bands if mean >= at))
        # A school's year too: both terms of the school.
        school = self.score(autumn, Subject.SCHOOL, org=self.org("school_a"))
        self.assertEqual(len(selectors.year_result(school).terms), 2)

    def test_the_year_is_final_once_both_terms_are_frozen(self):
        self.spring()
        with time_machine.travel(CLOSED, tick=False):
            tasks.freeze_closed_terms()  # spring's open run and autumn's are frozen
        run = Run.objects.get(term__name=TERM, is_current=True)
        mine = self.score(run, Subject.CAREGIVER, caregiver=self.teacher_cg)
        year = selectors.year_result(mine)
        self.assertTrue(year.final)
        self.assertEqual(year.result, Result.FAIL)

    # --- rules ------------------------------------------------------------------------------

    def test_a_stale_point_form_is_refused_and_a_change_audited(self):
        point = Point.objects.filter(scheme__org=self.org("county_a"), is_active=True).first()
        opened = services.point_version(point)
        weight = point.weight
        services.change_point(point=point, by=self.county_officer, version=opened, weight=40)
        with self.assertRaises(ValidationError):
            services.change_point(point=point, by=self.county_officer, version=opened, weight=45)
        point.refresh_from_db()
        self.assertEqual(point.weight, 40)
        entry = AuditEntry.objects.filter(object_type="assessment.point").latest("pk")
        self.assertEqual(entry.changes["weight"], [weight, 40])
        # The school's admin may not change the region's rules.
        with self.assertRaises(ValidationError):
            services.change_point(
                point=point,
                by=self.school_admin,
                version=services.point_version(point),
                weight=10,
            )

    def test_the_rules_page_shows_every_point_to_the_officer_with_edit_links(self):
        page = self.client_as("county_officer").get(
            reverse("assessment:rules", args=[self.org("county_a").code])
        )
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "领导每周检查帮扶记录册")
        point = Point.objects.filter(scheme__org=self.org("county_a")).first()
        self.assertContains(page, reverse("assessment:point", args=[point.pk]))

    def test_the_officer_sets_the_grade_bands_on_the_rules_page_audited(self):
        county = self.org("county_a")
        officer = self.client_as("county_officer")
        rules = officer.get(reverse("assessment:rules", args=[county.code]))
        form = rules.context["bands"]
        self.assertEqual(
            [form.initial[k] for k in services.BANDS], [60, 80, 90]
        )  # the seeds' 合格 60 / 良好 80 / 优秀 90
        self.assertContains(rules, reverse("assessment:bands", args=[county.code]))
        opened = form.initial["version"]
        url = reverse("assessment:bands", args=[county.code])
        page = officer.post(
            url,
            {"pass_score": 50, "good_score": 70, "excellent_score": 85, "version": opened},
        )
        self.assertEqual(page.status_code, 302)
        scheme = selectors.scheme_of(county)
        self.assertEqual(
            (scheme.pass_score, scheme.good_score, scheme.excellent_score), (50, 70, 85)
        )
        entry = AuditEntry.objects.filter(object_type="assessment.scheme").latest("pk")
        self.assertEqual(entry.changes["pass_score"], [60, 50])
        self.assertEqual(entry.changes["excellent_score"], [90, 85])
        self.assertEqual(entry.actor, self.county_officer)
        # The form opened before that save is stale: refused, saying what changed.
        stale = officer.post(
            url, {"pass_score": 65, "good_score": 80, "excellent_score": 90, "version": opened}
        )
        self.assertEqual(stale.status_code, 200)
        self.assertContains(stale, "此记录已被他人修改")
        scheme.refresh_from_db()
        self.assertEqual(scheme.pass_score, 50)
        # Out of order: refused at the field.
        fresh = services.bands_version(scheme)
        wrong = officer.post(
            url, {"pass_score": 80, "good_score": 70, "excellent_score": 90, "version": fresh}
        )
        self.assertIn("good_score", wrong.context["form"].errors)
        with self.assertRaises(ValidationError):
            services.change_bands(
                scheme=scheme, by=self.county_officer, version=fresh, excellent_score=101
            )
        # Computed under the new bands, and the run keeps them.
        run = self.compute()
        self.assertEqual([run.rules[k] for k in services.BANDS], [50, 70, 85])
        for score in run.scores.all():
            vetoed = any(p["veto"] and p["passed"] is False for p in score.points)
            want = (
                Result.FAIL
                if vetoed or score.total < 50
                else Result.EXCELLENT
                if score.total >= 85
                else Result.GOOD
                if score.total >= 70
                else Result.PASS
            )
            self.assertEqual(score.result, want, score.name)

    def test_the_bands_are_the_officers_of_a_region_with_its_own_scheme(self):
        county = self.org("county_a")
        body = {"pass_score": 1, "good_score": 2, "excellent_score": 3}
        url = reverse("assessment:bands", args=[county.code])
        for persona in ("school_admin", "teacher", "township_officer", "sysadmin"):
            self.assertEqual(self.client_as(persona).post(url, body).status_code, 404, persona)
        # A township under the county's scheme has none of its own to set.
        township = reverse("assessment:bands", args=[self.org("township_a1").code])
        self.assertEqual(self.client_as("township_officer").get(township).status_code, 404)
        self.assertIsNone(
            self.client_as("township_officer")
            .get(reverse("assessment:rules", args=[self.org("township_a1").code]))
            .context["bands"]
        )
        scheme = selectors.scheme_of(county)
        self.assertEqual(scheme.pass_score, 60)

    def test_a_point_of_the_region_s_own_is_added_and_a_preset_s_switched_off(self):
        county = self.org("county_a")
        officer = self.client_as("county_officer")
        preset = Point.objects.get(
            scheme__org=county, subject=Subject.CAREGIVER, code="follow-ups-closed"
        )
        page = officer.post(
            reverse("assessment:point", args=[preset.pk]),
            {
                "label": preset.label,
                "weight": preset.weight,
                "pass_at": str(preset.pass_at),
                "full_at": str(preset.full_at),
                "version": services.point_version(preset),
            },  # "is_active" unticked: switched off
        )
        self.assertEqual(page.status_code, 302)
        rules = officer.get(reverse("assessment:rules", args=[county.code]))
        self.assertContains(rules, reverse("assessment:add_point", args=[county.code]))
        form = officer.get(reverse("assessment:add_point", args=[county.code])).context["form"]
        # Every measure the engine knows is offered, and nothing else.
        self.assertEqual({c for c, _l in form.fields["measure"].choices}, set(MEASURES))
        added = officer.post(
            reverse("assessment:add_point", args=[county.code]),
            {
                "subject": Subject.CAREGIVER,
                "measure": "follow_ups_closed",
                "label": "本县：异常情况一周内跟进",
                "weight": 10,
                "pass_at": "0.50",
                "full_at": "0.90",
                "veto": "on",
            },
        )
        self.assertEqual(added.status_code, 302)
        point = Point.objects.get(scheme__org=county, is_active=True, label__startswith="本县")
        self.assertEqual((point.code, point.weight, point.veto), ("follow-ups-closed", 10, True))
        entry = AuditEntry.objects.filter(object_type="assessment.point").latest("pk")
        self.assertEqual(entry.object_id, str(point.pk))
        self.assertEqual(entry.changes["measure"], "follow_ups_closed")
        # Computed: the caregiver is scored on the region's point, not the switched-off one.
        mine = self.score(self.compute(), Subject.CAREGIVER, caregiver=self.teacher_cg)
        labels = [p["label"] for p in mine.points]
        self.assertIn("本县：异常情况一周内跟进", labels)
        self.assertNotIn(preset.label, labels)
        # A measure is only for the subjects it is counted for, an unknown one not at all.
        for subject, measure in ((Subject.CLASS, "activities_held"), (Subject.SCHOOL, "no_such")):
            wrong = officer.post(
                reverse("assessment:add_point", args=[county.code]),
                {
                    "subject": subject,
                    "measure": measure,
                    "label": "x",
                    "weight": 5,
                    "pass_at": "0",
                    "full_at": "1",
                },
            )
            self.assertEqual(wrong.status_code, 200, measure)
            self.assertTrue(wrong.context["form"].errors, measure)
        with self.assertRaises(ValidationError):
            services.add_point(
                scheme=selectors.scheme_of(county),
                by=self.county_officer,
                subject=Subject.SCHOOL,
                measure="pairing_coverage",
                label="x",
                weight=5,
                pass_at=Decimal("0.9"),
                full_at=Decimal("0.5"),
            )
        with self.assertRaises(ValidationError):  # not the school's to add
            services.add_point(
                scheme=selectors.scheme_of(county),
                by=self.school_admin,
                subject=Subject.SCHOOL,
                measure="pairing_coverage",
                label="x",
                weight=5,
                pass_at=Decimal("0"),
                full_at=Decimal("1"),
            )
        self.assertEqual(Point.objects.filter(label="x").count(), 0)

    # --- bulk -------------------------------------------------------------------------------

    def test_queries_stay_flat_in_the_number_of_schools(self):
        def counted():
            with CaptureQueriesContext(connection) as ctx:
                self.compute()
            return len(ctx.captured_queries)

        self.compute()  # both counts below replace an open run
        few = counted()
        township = self.org("township_a2")
        for n in range(4):
            school = org_services.add_org(
                by=None, name=f"新校{n}", kind=OrgKind.SCHOOL, parent=township
            )
            grade = org_services.add_org(by=None, name="一年级", kind=OrgKind.GRADE, parent=school)
            klass = org_services.add_org(
                by=None, name="一年级（1）班", kind=OrgKind.SCHOOL_CLASS, parent=grade
            )
            child = make_child(school_class=klass, name=f"孙小{n}")
            caregiver = care.add_caregiver(name=f"教师{n}", kind="teacher", org=school, by=None)
            care.pair(
                child=child,
                caregiver=caregiver,
                role="teacher",
                starts_on=date(2026, 9, 1),
                by=None,
            )
            visit(child, caregiver, date(2026, 10, 8), None)
        more = counted()
        self.assertLessEqual(more, few)
        self.assertEqual(
            Score.objects.filter(run__is_current=True, subject=Subject.SCHOOL).count(), 6
        )

    # --- the command ------------------------------------------------------------------------

    def test_the_command_computes_and_prints_the_scores_as_json(self):
        out = StringIO()
        call_command("assess", "--org", self.org("county_a").code, "--json", stdout=out)
        data = json.loads(out.getvalue())
        self.assertEqual(data["term"], "2026年秋季学期")
        self.assertFalse(data["frozen"])
        schools = [s for s in data["scores"] if s["subject"] == "school"]
        self.assertEqual([s["rank"] for s in schools], sorted(s["rank"] for s in schools))
        mine = next(s for s in data["scores"] if s["caregiver"] == self.teacher_cg.pk)
        self.assertEqual(mine["result"], "fail")
        with self.assertRaises(CommandError):  # an open term is not frozen
            call_command("assess", "--org", self.org("county_a").code, "--freeze", stdout=out)
        with self.assertRaises(CommandError):
            call_command("assess", "--org", self.org("county_a").code, "--term", "无此学期")
