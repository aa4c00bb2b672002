from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.urls import reverse

from shouwang.audit.models import AuditAction, AuditEntry
from shouwang.children import services
from shouwang.children.models import (
    Child,
    ChildStatus,
    DefinitionProfile,
    DuplicateCase,
    Guardian,
    Parent,
)
from shouwang.children.profiles import counted_by
from shouwang.children.types import LeftBehindType, ParentStatus
from tests.personas import PersonaTestCase

from .factories import id_number_for, make_child

ON = date(2026, 10, 1)


def form_data(world, **overrides):
    """A valid archive form as the browser posts it."""
    data = {
        "name": "王小红",
        "gender": "female",
        "ethnicity": "汉族",
        "birth_date": "2015-03-04",
        "id_number": id_number_for(date(2015, 3, 4), male=False),
        "school_class": world.orgs["class_a1"].pk,
        "home_village": world.orgs["village_a1"].pk,
        "address": "东村1组",
        "personality": "内向",
        "hobbies": "唱歌",
        "health": "健康",
        "father-name": "王大",
        "father-phone": "138 0000 1111",
        "father-status": "migrant",
        "father-work_place": "浙江省宁波市",
        "father-away_since": "2023-03-01",
        "mother-name": "刘二",
        "mother-phone": "13800002222",
        "mother-status": "migrant",
        "mother-away_since": "2023-03-01",
        "guardian-name": "王奶奶",
        "guardian-relation": "grandparent",
        "guardian-age": "70",
        "guardian-phone": "+86 139-0000-3333",
    }
    data.update(overrides)
    return data


class ArchiveFormTests(PersonaTestCase):
    def test_teacher_adds_a_child_on_the_form_and_the_type_is_derived(self):
        response = self.client_as("teacher").post(reverse("children:add"), form_data(self.world))
        child = Child.objects.get(name="王小红")
        self.assertRedirects(response, reverse("children:detail", args=[child.pk]))
        self.assertEqual(child.left_behind_type, LeftBehindType.BOTH_PARENTS_AWAY)
        self.assertEqual(child.school, self.org("school_a"))
        self.assertEqual(child.county, self.org("county_a"))
        self.assertEqual(child.guardian.phone, "13900003333")  # normalised
        self.assertEqual(child.guardian_class, "class_3")  # grandparents guard: 三类
        self.assertEqual(child.status_changes.get().status, ChildStatus.ACTIVE)

    def assert_refused_at(self, field_html_name: str, **overrides):
        before = (Child.objects.count(), Parent.objects.count(), Guardian.objects.count())
        response = self.client_as("teacher").post(
            reverse("children:add"), form_data(self.world, **overrides)
        )
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        marker = f'name="{field_html_name}"'
        self.assertIn(marker, html)
        after_field = html[html.index(marker) :]
        self.assertIn(
            "errorlist",
            after_field[: after_field.index('class="field"')]
            if 'class="field"' in after_field
            else after_field,
        )
        after = (Child.objects.count(), Parent.objects.count(), Guardian.objects.count())
        self.assertEqual(before, after, "nothing may be half-saved")
        return html

    def test_bad_check_digit_is_refused_at_the_id_field(self):
        good = id_number_for(date(2015, 3, 4), male=False)
        bad = good[:17] + ("0" if good[17] != "0" else "1")
        self.assert_refused_at("id_number", id_number=bad)

    def test_birth_date_disagreeing_with_the_id_number_is_refused(self):
        self.assert_refused_at("birth_date", birth_date="2015-03-05")

    def test_gender_disagreeing_with_the_id_number_is_refused(self):
        self.assert_refused_at("gender", gender="male")

    def test_guardian_younger_than_16_is_refused(self):
        html = self.assert_refused_at("guardian-age", **{"guardian-age": "15"})
        self.assertIn("16", html)

    def test_a_phone_that_is_not_chinese_is_refused(self):
        self.assert_refused_at("father-phone", **{"father-phone": "12345"})

    def test_child_over_the_age_limit_of_the_profile_is_refused(self):
        birth = date(2007, 3, 4)  # 19 in October 2026: over 校级宽口径's 18
        self.assert_refused_at(
            "birth_date",
            birth_date="2007-03-04",
            id_number=id_number_for(birth, male=False),
        )

    def test_validation_as_you_type_reports_one_field(self):
        good = id_number_for(date(2015, 3, 4), male=False)
        response = self.client_as("teacher").post(
            reverse("children:validate"),
            form_data(
                self.world,
                id_number=good[:17] + "0" if good[17] != "0" else good[:17] + "1",
                _field="id_number",
            ),
        )
        self.assertContains(response, "errorlist")
        ok = self.client_as("teacher").post(
            reverse("children:validate"), form_data(self.world, _field="id_number")
        )
        self.assertNotContains(ok, "errorlist")


class HistoryTests(PersonaTestCase):
    def test_edits_are_kept_in_the_timeline_with_old_and_new_values(self):
        child = make_child(school_class=self.org("class_a1"), by=self.teacher)
        father = {"status": ParentStatus.AT_HOME, "phone": "13800000001", "name": "张大山"}
        services.update_child(
            child=child,
            data={"hobbies": "篮球"},
            father=father,
            mother={},
            guardian={},
            by=self.teacher,
        )
        child.refresh_from_db()
        self.assertEqual(child.left_behind_type, LeftBehindType.MOTHER_AWAY)
        entry = AuditEntry.objects.filter(
            object_type="children.child", object_id=str(child.pk), action=AuditAction.UPDATE
        ).get()
        self.assertEqual(entry.changes["hobbies"], ["画画", "篮球"])
        self.assertEqual(entry.changes["father.status"], ["migrant", "at_home"])
        self.assertEqual(entry.changes["left_behind_type"], ["both_parents_away", "mother_away"])
        page = self.client_as("teacher").get(reverse("children:detail", args=[child.pk]))
        self.assertContains(page, "兴趣爱好：画画 → 篮球")
        self.assertContains(page, "父亲状态：外出务工 → 在家")
        self.assertNotContains(page, "mother_away")  # in words (issue 19)

    def test_status_change_is_dated_and_nothing_is_deleted(self):
        child = make_child(school_class=self.org("class_a1"))
        services.change_status(
            child=child,
            status=ChildStatus.RETURNED,
            on=date(2026, 11, 1),
            reason="父母返乡",
            by=self.teacher,
        )
        child.refresh_from_db()
        self.assertEqual(child.status, ChildStatus.RETURNED)
        self.assertEqual(child.status_changes.count(), 2)
        with self.assertRaises(ValidationError):
            services.change_status(
                child=child, status=ChildStatus.GRADUATED, on=ON, reason="", by=None
            )
        self.assertTrue(Child.objects.filter(pk=child.pk).exists())

    def test_transfer_moves_the_archive_and_both_schools_keep_a_record(self):
        child = make_child(school_class=self.org("class_a1"))
        services.transfer_child(
            child=child,
            to_school=self.org("school_c"),
            to_class=None,
            on=ON,
            reason="随父母迁居",
            by=self.school_admin,
        )
        child.refresh_from_db()
        self.assertEqual((child.school, child.county), (self.org("school_c"), self.org("county_b")))
        moves = child.status_changes.filter(status=ChildStatus.TRANSFERRED)
        self.assertEqual(moves.get().from_school, self.org("school_a"))
        self.assertEqual(
            self.client_as("teacher").get(reverse("children:detail", args=[child.pk])).status_code,
            404,
        )
        paths = set(
            AuditEntry.objects.filter(
                object_id=str(child.pk), object_type="children.child"
            ).values_list("org_path", flat=True)
        )
        self.assertIn(self.org("school_a").path, paths)
        self.assertIn(self.org("school_c").path, paths)


class DuplicateTests(PersonaTestCase):
    def test_same_id_number_in_two_schools_is_raised_and_merged_keeping_both(self):
        first = make_child(school_class=self.org("class_a1"))
        second = make_child(school_class=self.org("class_b1"), id_number=first.id_number)
        case = DuplicateCase.objects.get()
        self.assertEqual({case.first, case.second}, {first, second})
        response = self.client_as("county_officer").post(
            reverse("children:duplicates"), {"case": case.pk, "keep": first.pk}
        )
        self.assertRedirects(response, reverse("children:duplicates"))
        second.refresh_from_db()
        self.assertEqual((second.status, second.merged_into), (ChildStatus.MERGED, first))
        for child in (first, second):
            self.assertTrue(
                AuditEntry.objects.filter(
                    object_id=str(child.pk), changes__has_key="merged"
                ).exists()
            )


class ClassificationTests(PersonaTestCase):
    def test_heart_level_follows_the_seed_002_rule(self):
        child = make_child(school_class=self.org("class_a1"))
        cases = [
            ({"心理": 0, "身体": 0, "学业": 1, "监护": 1, "安全": 0}, 1),
            ({"心理": 1, "身体": 1, "学业": 1, "监护": 0, "安全": 0}, 2),
            ({"心理": 2, "身体": 1, "学业": 2, "监护": 1, "安全": 0}, 3),
            ({"心理": 2, "身体": 2, "学业": 2, "监护": 2, "安全": 1}, 4),
            ({"心理": 0, "身体": 0, "学业": 0, "监护": 3, "安全": 0}, 4),  # serious 监护 forces 4
            ({"心理": 3, "身体": 0, "学业": 0, "监护": 0, "安全": 0}, 2),
        ]
        for ratings, hearts in cases:
            with self.subTest(ratings=ratings):
                a = services.assess_heart_level(child=child, ratings=ratings, on=ON, by=None)
                self.assertEqual(a.value, str(hearts))
                self.assertEqual(a.reasons["ratings"], ratings)
        child.refresh_from_db()
        self.assertEqual(child.heart_level, 2)
        self.assertEqual(child.assessments.filter(kind="heart_level").count(), len(cases))

    def test_four_hearts_without_a_pairing_is_flagged(self):
        child = make_child(school_class=self.org("class_a1"))
        services.assess_heart_level(
            child=child,
            ratings={"心理": 0, "身体": 0, "学业": 0, "监护": 0, "安全": 3},
            on=ON,
            by=None,
        )
        page = self.client_as("school_admin").get(reverse("children:detail", args=[child.pk]))
        self.assertContains(page, "二对一")


class ProfileTests(PersonaTestCase):
    def setUp(self):
        super().setUp()
        cls = self.org("class_a1")
        self.both = make_child(school_class=cls, name="双外出")
        self.father = make_child(school_class=cls, name="父外出", mother=ParentStatus.AT_HOME)
        self.unable = make_child(
            school_class=cls, name="一方无力", mother=ParentStatus.SERIOUSLY_ILL
        )
        self.orphan = make_child(
            school_class=cls, name="单亲", father=ParentStatus.DECEASED, mother=ParentStatus.AT_HOME
        )
        self.sixteen = make_child(school_class=cls, name="十六岁", birth=date(2010, 5, 1))
        self.recent = make_child(school_class=cls, name="刚外出")
        Parent.objects.filter(child=self.recent).update(away_since=date(2026, 8, 1))

    def counted(self, code: str) -> set[str]:
        profile = DefinitionProfile.objects.get(code=code)
        return set(counted_by(Child.objects.all(), profile, ON).values_list("name", flat=True))

    def test_school_broad_profile_counts_every_type_under_18(self):
        self.assertEqual(
            self.counted("school_broad"),
            {"双外出", "父外出", "一方无力", "单亲", "十六岁", "刚外出"},
        )

    def test_plan_profile_counts_both_away_three_months_or_more(self):
        self.assertEqual(self.counted("plan"), {"双外出", "十六岁"})

    def test_national_profile_counts_both_away_or_one_unable_under_16(self):
        self.assertEqual(self.counted("national"), {"双外出", "一方无力", "刚外出"})

    def test_region_officer_switches_the_profile_and_the_child_page_follows(self):
        client = self.client_as("county_officer")
        national = DefinitionProfile.objects.get(code="national")
        response = client.post(
            reverse("children:definition", args=[self.org("county_a").code]),
            {"profile": national.pk, "since": "2026-01-01"},
        )
        self.assertRedirects(response, self.org("county_a").get_absolute_url())
        page = client.get(reverse("children:detail", args=[self.both.pk]))
        self.assertContains(page, "国家口径")
        self.assertEqual(
            self.client_as("teacher")
            .get(reverse("children:definition", args=[self.org("county_a").code]))
            .status_code,
            404,
        )

    def test_register_as_it_stood_on_a_day(self):
        services.change_status(
            child=self.both,
            status=ChildStatus.RETURNED,
            on=date(2026, 11, 1),
            reason="返乡",
            by=None,
        )
        profile = DefinitionProfile.objects.get(code="plan")
        before = set(counted_by(Child.objects.all(), profile, ON).values_list("name", flat=True))
        after = set(
            counted_by(Child.objects.all(), profile, date(2026, 11, 2)).values_list(
                "name", flat=True
            )
        )
        self.assertIn("双外出", before)
        self.assertNotIn("双外出", after)


class RegisterFollowsProfileTests(PersonaTestCase):
    def test_switching_the_profile_changes_who_the_register_lists(self):
        cls = self.org("class_a1")
        make_child(school_class=cls, name="双外出")
        make_child(school_class=cls, name="父外出", mother=ParentStatus.AT_HOME)
        client = self.client_as("school_admin")
        url = reverse("children:register")
        page = client.get(url).content.decode()
        self.assertIn("校级宽口径", page)
        self.assertIn("父外出", page)
        services.set_region_profile(
            region=self.org("county_a"),
            profile=DefinitionProfile.objects.get(code="plan"),
            since=date(2026, 1, 1),
            by=self.county_officer,
        )
        page = client.get(url).content.decode()
        self.assertIn("方案口径", page)
        self.assertIn("双外出", page)
        self.assertNotIn("父外出", page)
        everyone = client.get(url, {"status": "all"}).content.decode()
        self.assertIn("父外出", everyone)


class IdNumberGivesBirthAndGenderTests(PersonaTestCase):
    def test_birth_date_and_gender_left_empty_are_taken_from_the_id_number(self):
        data = form_data(self.world, gender="", birth_date="")
        response = self.client_as("teacher").post(reverse("children:add"), data)
        child = Child.objects.get(name="王小红")
        self.assertRedirects(response, reverse("children:detail", args=[child.pk]))
        self.assertEqual((child.gender, child.birth_date), ("female", date(2015, 3, 4)))

    def test_without_a_valid_id_number_they_are_required(self):
        data = form_data(self.world, gender="", birth_date="", id_number="123")
        response = self.client_as("teacher").post(reverse("children:add"), data)
        self.assertEqual(response.status_code, 200)
        self.assertFalse(Child.objects.exists())
        self.assertContains(response, "errorlist", count=3)


class HandoverTests(PersonaTestCase):
    def next_teacher(self):
        from shouwang.accounts import services as accounts

        return accounts.create_user(
            username="next",
            password="Strong-pass-123",
            role="teacher",
            org=self.org("school_a"),
            full_name="接班老师",
            by=None,
        )

    def test_school_admin_hands_a_class_to_the_next_teacher_and_the_archives_follow(self):
        child = make_child(school_class=self.org("class_a1"))
        successor = self.next_teacher()
        response = self.client_as("school_admin").post(
            reverse("children:handover", args=[self.org("class_a1").code]),
            {"to_teacher": successor.pk, "on": "2027-01-22", "note": "学期末交接"},
        )
        self.assertRedirects(response, self.org("class_a1").get_absolute_url())
        from django.test import Client

        old, new = Client(), Client()
        old.force_login(self.teacher)
        new.force_login(successor)
        url = reverse("children:detail", args=[child.pk])
        self.assertEqual(old.get(url).status_code, 404)
        self.assertEqual(new.get(url).status_code, 200)
        handover = self.org("class_a1").handovers.get()
        self.assertEqual((handover.children, handover.from_teachers), (1, "测试teacher"))

    def test_only_a_teacher_of_the_school_can_take_the_class(self):
        from shouwang.accounts.models import RoleAssignment

        for persona in ("volunteer", "teacher_b"):
            with self.subTest(persona=persona):
                response = self.client_as("school_admin").post(
                    reverse("children:handover", args=[self.org("class_a1").code]),
                    {"to_teacher": self.world.users[persona].pk, "on": "2027-01-22"},
                )
                self.assertContains(response, "errorlist")
        self.assertFalse(
            RoleAssignment.objects.filter(org=self.org("class_a1"), user=self.volunteer).exists()
        )
        with self.assertRaises(ValidationError):
            services.hand_over_class(
                school_class=self.org("class_a1"), to_teacher=self.volunteer, on=ON, by=None
            )

    def test_teacher_cannot_hand_over_a_class(self):
        url = reverse("children:handover", args=[self.org("class_a1").code])
        self.assertEqual(self.client_as("teacher").get(url).status_code, 404)


class TransferRecordTests(PersonaTestCase):
    def test_both_schools_see_the_transfer_in_their_list(self):
        child = make_child(school_class=self.org("class_a1"), name="转学生")
        services.transfer_child(
            child=child,
            to_school=self.org("school_b"),
            to_class=None,
            on=ON,
            reason="随父母",
            by=None,
        )
        for persona in ("school_admin", "county_officer"):
            page = self.client_as(persona).get(reverse("children:transfers"))
            self.assertContains(page, "转学生")
        self.assertNotContains(
            self.client_as("teacher_b").get(reverse("children:transfers")), "转学生"
        )

    def test_a_move_is_seen_only_where_the_archives_are(self):
        """The list reads the table's reach for the archive (issue 16): a teacher placed at the
        school without a class and a volunteer placed at the township see none of the
        archives, so none of their moves (name, schools, reason), though both schools lie
        under their place; the receiving school's leaders and the sending school's
        counselors do see it."""
        from django.test import Client

        from shouwang.accounts import services as account_services
        from shouwang.accounts.models import Role
        from tests.world import PASSWORD

        child = make_child(school_class=self.org("class_a1"), name="转学生")
        services.transfer_child(
            child=child,
            to_school=self.org("school_b"),
            to_class=None,
            on=ON,
            reason="随父母",
            by=None,
        )
        people = {
            name: account_services.create_user(
                username=name, password=PASSWORD, role=role, org=self.org(unit), by=None
            )
            for name, role, unit in [
                ("no_class", Role.TEACHER, "school_a"),
                ("township_volunteer", Role.VOLUNTEER, "township_a1"),
                ("school_b_admin", Role.SCHOOL_ADMIN, "school_b"),
            ]
        }

        def client_of(name: str) -> Client:
            client = Client()
            client.force_login(people[name])
            return client

        for name in ("no_class", "township_volunteer"):
            with self.subTest(name=name):
                client = client_of(name)
                archive = client.get(reverse("children:detail", args=[child.pk]))
                self.assertEqual(archive.status_code, 404)
                page = client.get(reverse("children:transfers"))
                self.assertNotContains(page, "转学生")
                self.assertNotContains(page, "随父母")
        self.assertContains(
            client_of("school_b_admin").get(reverse("children:transfers")), "转学生"
        )
        self.assertContains(
            self.client_as("counselor").get(reverse("children:transfers")), "转学生"
        )
