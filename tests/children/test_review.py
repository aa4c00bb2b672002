"""审核 (domain.md §6, issue 21): where a region asks for it, an archive a school or a village
enters or changes counts in the figures and in reporting rounds only once an officer of the
level above confirmed it; the reviewer reads the change side by side and confirms or returns it
with a reason; the unit sees what waits."""

from __future__ import annotations

from datetime import date

import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from shouwang.children import selectors, services
from shouwang.children.models import (
    ArchiveReview,
    Child,
    DuplicateCase,
    ReviewKind,
    ReviewState,
)
from shouwang.oversight import services as rounds
from shouwang.oversight.models import RoundUnit
from shouwang.stats import selectors as stats
from tests.children.factories import make_child
from tests.children.test_holes import edit_form_data
from tests.personas import PersonaTestCase, TempMediaTestCase

TODAY = date(2026, 12, 2)


def counted(org, on=TODAY) -> int:
    return stats.figures(org=org, on=on, with_units=False).left_behind_total


@time_machine.travel("2026-12-02 10:00 +0800", tick=False)
class ReviewTests(PersonaTestCase):
    def setUp(self) -> None:
        super().setUp()
        services.set_review_required(
            region=self.org("county_a"), required=True, since=date(2026, 9, 1), by=None
        )

    def register(self, by, **kwargs) -> Child:
        child = make_child(school_class=self.org("class_a1"), by=by, on=TODAY, **kwargs)
        child.refresh_from_db()
        return child

    def test_a_schools_new_archive_is_not_counted_until_the_county_confirms_it(self):
        child = self.register(self.school_admin)
        self.assertEqual(child.review_state, ReviewState.PENDING)
        self.assertEqual(counted(self.org("school_a")), 0)
        self.assertEqual(counted(self.org("county_a")), 0)
        review = ArchiveReview.objects.get(child=child)
        self.assertEqual(review.kind, ReviewKind.CREATED)
        self.confirm(child)
        child.refresh_from_db()
        self.assertEqual(child.review_state, ReviewState.CONFIRMED)
        self.assertEqual(counted(self.org("school_a")), 1)
        self.assertEqual(counted(self.org("county_a")), 1)

    def test_a_county_officers_own_entry_needs_no_review(self):
        child = self.register(self.county_officer)
        self.assertEqual(child.review_state, ReviewState.CONFIRMED)
        self.assertFalse(ArchiveReview.objects.filter(child=child).exists())
        self.assertEqual(counted(self.org("school_a")), 1)

    def test_a_county_that_asks_for_no_review_counts_at_once(self):
        child = make_child(school_class=self.org("class_c1"), by=self.school_admin, on=TODAY)
        child.refresh_from_db()
        self.assertEqual(child.review_state, ReviewState.CONFIRMED)
        self.assertEqual(counted(self.org("school_c")), 1)

    def test_a_change_waits_side_by_side_and_a_second_change_folds_into_it(self):
        child = self.register(self.county_officer)
        for hobbies in ("篮球", "足球"):
            services.update_child(
                child=Child.objects.get(pk=child.pk),
                data={"hobbies": hobbies},
                father={},
                mother={},
                guardian={},
                by=self.teacher,
            )
        review = ArchiveReview.objects.get(child=child, state=ReviewState.PENDING)
        self.assertEqual(review.kind, ReviewKind.CHANGED)
        self.assertIn(("兴趣爱好", "画画", "足球"), services.changes_shown(review.changes))
        # An edit never takes a counted child out of the figures (nor a school's coverage), and
        # the archive keeps what was confirmed until the change is.
        self.assertEqual(counted(self.org("class_a1")), 1)
        self.assertEqual(Child.objects.get(pk=child.pk).hobbies, "画画")
        child_page = self.client_as("teacher").get(reverse("children:detail", args=[child.pk]))
        self.assertContains(child_page, 'data-testid="change-waits"')
        page = self.client_as("county_officer").get(reverse("children:review", args=[review.pk]))
        self.assertContains(page, "画画")
        self.assertContains(page, "足球")

    def edit(self, child, by, *, data=None, father=None, version=None):
        return services.update_child(
            child=Child.objects.get(pk=child.pk),
            data=data or {},
            father=father or {},
            mother={},
            guardian={},
            by=by,
            version=version,
        )

    def confirm(self, child):
        review = ArchiveReview.objects.get(child=child, state=ReviewState.PENDING)
        return services.decide_review(
            review=review,
            confirm=True,
            comment="",
            by=self.county_officer,
            version=services.review_version(review),
        )

    def test_a_change_of_a_counted_archive_counts_only_once_confirmed(self):
        child = self.register(self.county_officer)
        self.assertEqual(counted(self.org("county_a")), 1)
        # The father came home and the mother too: the child is no longer left behind.
        back = {"status": "at_home", "away_since": None, "work_place": ""}
        self.edit(child, self.teacher, father=back)
        services.update_child(
            child=Child.objects.get(pk=child.pk),
            data={},
            father={},
            mother={"status": "at_home", "away_since": None},
            guardian={},
            by=self.teacher,
        )
        child.refresh_from_db()
        self.assertEqual(child.parents.get(relation="father").status, "migrant")
        self.assertEqual(child.left_behind_type, "both_parents_away")
        self.assertEqual(counted(self.org("county_a")), 1)
        review = ArchiveReview.objects.get(child=child, state=ReviewState.PENDING)
        shown = {row[0]: (row[1], row[2]) for row in services.changes_shown(review.changes)}
        self.assertEqual(shown["父亲状态"][1], "在家")
        self.assertEqual(shown["母亲状态"][1], "在家")
        self.assertIn("留守类型", shown)
        self.confirm(child)
        child.refresh_from_db()
        self.assertEqual(child.parents.get(relation="father").status, "at_home")
        self.assertEqual(child.left_behind_type, "not_left_behind")
        self.assertEqual(counted(self.org("county_a")), 0)

    def test_a_returned_change_leaves_the_archive_as_it_was(self):
        child = self.register(self.county_officer)
        self.edit(child, self.school_admin, data={"school_class": self.org("class_a2")})
        self.assertEqual(counted(self.org("class_a1")), 1)
        self.assertEqual(counted(self.org("class_a2")), 0)
        review = ArchiveReview.objects.get(child=child, state=ReviewState.PENDING)
        services.decide_review(
            review=review,
            confirm=False,
            comment="班级有误",
            by=self.county_officer,
            version=services.review_version(review),
        )
        child.refresh_from_db()
        self.assertEqual(child.school_class, self.org("class_a1"))
        self.assertEqual(child.review_state, ReviewState.CONFIRMED)
        self.assertEqual(counted(self.org("class_a1")), 1)
        self.assertEqual(counted(self.org("class_a2")), 0)

    def test_bad_input_is_refused_at_once_and_nothing_waits(self):
        child = self.register(self.county_officer)
        with self.assertRaises(ValidationError):
            self.edit(child, self.teacher, data={"id_number": "110101201603040000"})
        self.assertFalse(ArchiveReview.objects.filter(child=child).exists())

    def test_the_form_opens_at_what_waits_and_a_second_edit_can_undo_it(self):
        child = self.register(self.county_officer)
        self.edit(child, self.teacher, data={"hobbies": "足球"})
        client = self.client_as("teacher")
        url = reverse("children:edit", args=[child.pk])
        form = client.get(url)
        self.assertContains(form, 'data-testid="change-waits"')
        self.assertContains(form, "足球")
        self.assertEqual(Child.objects.get(pk=child.pk).hobbies, "画画")
        # Changed back to the confirmed value: nothing waits any more.
        self.edit(child, self.teacher, data={"hobbies": "画画"})
        self.assertFalse(
            ArchiveReview.objects.filter(child=child, state=ReviewState.PENDING).exists()
        )
        withdrawn = ArchiveReview.objects.get(child=child)
        self.assertEqual(withdrawn.state, ReviewState.RETURNED)

    def test_a_teachers_saved_form_waits_and_the_child_page_shows_it_side_by_side(self):
        child = self.register(self.county_officer)
        client = self.client_as("teacher")
        url = reverse("children:edit", args=[child.pk])
        data = edit_form_data(client.get(url))
        data["hobbies"] = "足球"
        saved = client.post(url, data, follow=True)
        self.assertContains(saved, "已提交审核")
        self.assertContains(saved, 'data-testid="change-waits"')
        self.assertContains(saved, "<td>画画</td><td>足球</td>", html=False)
        self.assertEqual(Child.objects.get(pk=child.pk).hobbies, "画画")
        self.assertContains(client.get(url), "足球")
        self.confirm(child)
        self.assertEqual(Child.objects.get(pk=child.pk).hobbies, "足球")
        self.assertNotContains(
            client.get(reverse("children:detail", args=[child.pk])), "change-waits"
        )

    def test_a_second_clerks_older_form_is_refused_over_a_waiting_change(self):
        child = self.register(self.county_officer)
        opened = services.archive_version(Child.objects.get(pk=child.pk))
        self.edit(child, self.teacher, data={"hobbies": "足球"}, version=opened)
        with self.assertRaises(ValidationError):
            self.edit(child, self.school_admin, data={"hobbies": "跳绳"}, version=opened)
        review = ArchiveReview.objects.get(child=child, state=ReviewState.PENDING)
        self.assertIn(("兴趣爱好", "画画", "足球"), services.changes_shown(review.changes))

    def test_confirming_over_a_field_changed_meanwhile_is_refused(self):
        child = self.register(self.county_officer)
        self.edit(child, self.teacher, data={"hobbies": "足球"})
        self.edit(child, None, data={"hobbies": "围棋"})  # the system's own change
        with self.assertRaisesMessage(ValidationError, "兴趣爱好"):
            self.confirm(child)
        self.assertEqual(Child.objects.get(pk=child.pk).hobbies, "围棋")

    def test_a_waiting_id_number_opens_a_merge_case_only_once_confirmed(self):
        other = self.register(self.county_officer)
        child = self.register(self.county_officer)
        self.edit(child, self.teacher, data={"id_number": other.id_number})
        self.assertFalse(DuplicateCase.objects.exists())
        self.confirm(child)
        self.assertTrue(DuplicateCase.objects.filter(second=child).exists())

    def test_a_reviewer_editing_over_a_waiting_change_writes_and_confirms_it(self):
        child = self.register(self.county_officer)
        self.edit(child, self.teacher, data={"hobbies": "足球"})
        self.edit(child, self.county_officer, data={"personality": "开朗"})
        child.refresh_from_db()
        self.assertEqual((child.hobbies, child.personality), ("足球", "开朗"))
        review = ArchiveReview.objects.get(child=child)
        self.assertEqual(
            (review.state, review.decided_by), (ReviewState.CONFIRMED, self.county_officer)
        )

    def test_stopping_review_writes_the_waiting_changes(self):
        child = self.register(self.county_officer)
        self.edit(child, self.teacher, data={"hobbies": "足球"})
        services.set_review_required(
            region=self.org("county_a"), required=False, since=TODAY, by=self.county_officer
        )
        self.assertEqual(Child.objects.get(pk=child.pk).hobbies, "足球")
        self.assertFalse(ArchiveReview.objects.filter(state=ReviewState.PENDING).exists())

    def test_the_side_by_side_masks_id_numbers_and_phones(self):
        child = self.register(self.school_admin)
        review = ArchiveReview.objects.get(child=child)
        page = self.client_as("county_officer").get(reverse("children:review", args=[review.pk]))
        self.assertNotContains(page, child.id_number)
        self.assertNotContains(page, "13800000003")
        self.assertContains(page, "138****0003")

    def test_a_new_archive_waiting_stays_in_the_register_marked(self):
        child = self.register(self.school_admin)
        page = self.client_as("school_admin").get(reverse("children:register"))
        self.assertContains(page, child.name)
        self.assertContains(page, 'data-testid="review-state"')

    def test_a_reviewer_correcting_a_returned_entry_confirms_it(self):
        child = self.register(self.school_admin)
        review = ArchiveReview.objects.get(child=child)
        services.decide_review(
            review=review,
            confirm=False,
            comment="住址不全",
            by=self.county_officer,
            version=services.review_version(review),
        )
        services.update_child(
            child=Child.objects.get(pk=child.pk),
            data={"address": "东村3组12号附1"},
            father={},
            mother={},
            guardian={},
            by=self.county_officer,
        )
        child.refresh_from_db()
        self.assertEqual(child.review_state, ReviewState.CONFIRMED)
        self.assertEqual(counted(self.org("school_a")), 1)

    def test_returned_with_a_reason_the_unit_sees_it_and_corrects_it(self):
        child = self.register(self.school_admin)
        review = ArchiveReview.objects.get(child=child)
        client = self.client_as("county_officer")
        url = reverse("children:review", args=[review.pk])
        missing = client.post(
            url, {"decision": "return", "comment": "", "version": services.review_version(review)}
        )
        self.assertContains(missing, "请说明")
        client.post(
            url,
            {
                "decision": "return",
                "comment": "监护人电话有误",
                "version": services.review_version(review),
            },
        )
        child.refresh_from_db()
        self.assertEqual(child.review_state, ReviewState.RETURNED)
        self.assertEqual(counted(self.org("school_a")), 0)
        listing = self.client_as("school_admin").get(
            reverse("children:reviews") + "?state=returned"
        )
        self.assertContains(listing, "监护人电话有误")
        services.update_child(
            child=child,
            data={"hobbies": "唱歌"},
            father={},
            mother={},
            guardian={},
            by=self.school_admin,
        )
        child.refresh_from_db()
        self.assertEqual(child.review_state, ReviewState.PENDING)
        self.assertEqual(ArchiveReview.objects.filter(child=child).count(), 2)  # history kept

    def test_a_school_admin_cannot_confirm_and_another_county_sees_nothing(self):
        child = self.register(self.teacher)
        review = ArchiveReview.objects.get(child=child)
        self.assertFalse(selectors.may_decide(self.school_admin, review))
        url = reverse("children:review", args=[review.pk])
        data = {"decision": "confirm", "version": services.review_version(review)}
        self.assertEqual(self.client_as("school_admin").post(url, data).status_code, 404)
        self.assertEqual(self.client_as("teacher_b").get(url).status_code, 404)
        self.assertEqual(self.client_as("school_admin").get(url).status_code, 200)
        child.refresh_from_db()
        self.assertEqual(child.review_state, ReviewState.PENDING)
        self.assertEqual(list(selectors.reviews_to_decide(self.county_officer)), [review])
        self.assertEqual(list(selectors.reviews_to_decide(self.school_admin)), [])

    def test_a_decision_on_a_change_folded_in_meanwhile_is_refused(self):
        child = self.register(self.school_admin)
        review = ArchiveReview.objects.get(child=child)
        opened = services.review_version(review)
        services.update_child(
            child=Child.objects.get(pk=child.pk),
            data={"hobbies": "跳绳"},
            father={},
            mother={},
            guardian={},
            by=self.school_admin,
        )
        with self.assertRaises(ValidationError):
            services.decide_review(
                review=review, confirm=True, comment="", by=self.county_officer, version=opened
            )
        child.refresh_from_db()
        self.assertEqual(child.review_state, ReviewState.PENDING)

    def test_stopping_review_confirms_what_waits(self):
        child = self.register(self.village_director, home_village=self.org("village_a1"))
        self.assertEqual(counted(self.org("village_a1")), 0)
        done = services.set_review_required(
            region=self.org("county_a"), required=False, since=TODAY, by=self.county_officer
        )
        self.assertEqual(done, 1)
        child.refresh_from_db()
        self.assertEqual(child.review_state, ReviewState.CONFIRMED)
        self.assertEqual(counted(self.org("village_a1")), 1)

    def test_the_setting_page_is_the_region_officers(self):
        url = reverse("children:review_setting")
        self.assertEqual(self.client_as("school_admin").get(url).status_code, 404)
        response = self.client_as("county_officer").post(url + "?org=110101000000", {})
        self.assertEqual(response.status_code, 302)
        child = self.register(self.school_admin)
        self.assertEqual(child.review_state, ReviewState.CONFIRMED)


@time_machine.travel("2026-12-02 10:00 +0800", tick=False)
class ReviewInRoundsTests(TempMediaTestCase):
    def test_a_round_submission_leaves_out_what_waits_and_says_so(self):
        services.set_review_required(
            region=self.org("county_a"), required=True, since=date(2026, 9, 1), by=None
        )
        make_child(school_class=self.org("class_a1"), by=self.county_officer, on=TODAY)
        waits = make_child(
            school_class=self.org("class_a1"), by=self.school_admin, on=TODAY, name="王小红"
        )
        opened = rounds.open_round(
            org=self.org("county_a"),
            title="2026年冬季排查",
            due=date(2026, 12, 20),
            by=self.county_officer,
        )
        unit = RoundUnit.objects.get(round=opened, org=self.org("school_a"))
        page = self.client_as("school_admin").get(reverse("oversight:unit", args=[unit.pk]))
        self.assertContains(page, 'data-testid="unconfirmed"')
        submission = rounds.submit(unit=unit, by=self.school_admin)
        self.assertEqual(submission.figures["left_behind_total"], 1)
        self.assertNotIn(waits.pk, [c["id"] for c in submission.children])
