"""Issue 15: the ledger is the front door — a school new to Shouwang imports the 台账 it keeps,
and every row goes through the archive's own rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from shouwang.children import services as children_services
from shouwang.children.models import (
    Child,
    ChildStatus,
    DefinitionProfile,
    DuplicateCase,
    StatusChange,
)
from shouwang.children.profiles import counted_by
from shouwang.children.selectors import children_visible_to
from shouwang.ledger.services import import_ledger
from shouwang.orgs import services as org_services
from shouwang.orgs.models import Org, OrgKind
from shouwang.stats.selectors import figures
from tests.children.factories import make_child
from tests.personas import PersonaTestCase

from .files import STANDARD, Ledger, child_row
from .test_pages import xlsx

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 24)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


def run(world, path, *, org="school_a", by=None, dry_run=False):
    return import_ledger(
        source=path, filename=path.name, org=world.orgs[org], by=by, dry_run=dry_run
    ).result


def new_school(world):
    return org_services.add_org(
        code="1101010003",
        name="北镇小学",
        kind=OrgKind.SCHOOL,
        parent=world.orgs["township_a2"],
        by=None,
    )


# Clerks write one class three ways; a school of three grades and eight classes.
CLASSES = [
    ("三年级", "三年级1班"),
    ("", "3年级(1)班"),
    ("", "三(1)班"),
    ("三年级", "2班"),
    ("四年级", "四年级（1）班"),
    ("四年级", "四(2)班"),
    ("四年级", "4年级3班"),
    ("五年级", "五年级1班"),
    ("五年级", "五年级2班"),
    ("", "五(3)班"),
    ("五年级", "五年级（4）班"),
]


def new_school_ledger(sheets: int = 3) -> Ledger:
    rows = []
    for n, (grade, klass) in enumerate(CLASSES):
        rows.append(child_row(n, school="北镇小学", grade=grade, klass=klass))
    return Ledger(rows, sheets=sheets)


def test_a_new_school_imports_a_three_sheet_ledger_and_gets_its_classes(world, tmp_path):
    school = new_school(world)
    path = new_school_ledger().write_xlsx(tmp_path / "北镇小学台账.xlsx")
    preview = import_ledger(
        source=path, filename=path.name, org=school, by=None, dry_run=True
    ).result
    assert preview.errors == []
    assert (preview.created, preview.grades_created) == (11, 3)
    expected = [
        "三年级 1班",
        "三年级 2班",
        "四年级 1班",
        "四年级 2班",
        "四年级 3班",
        "五年级 1班",
        "五年级 2班",
        "五年级 3班",
        "五年级 4班",
    ]
    assert preview.classes_created == expected
    assert not Org.objects.filter(path__startswith=school.path, depth__gt=school.depth).exists()
    result = import_ledger(source=path, filename=path.name, org=school, by=None).result
    assert (result.applied, result.created, result.classes_created) == (True, 11, expected)
    grades = Org.objects.filter(path__startswith=school.path, kind=OrgKind.GRADE)
    assert sorted((g.name, g.stage) for g in grades) == [
        ("三年级", "primary"),
        ("五年级", "primary"),
        ("四年级", "primary"),
    ]
    first = Child.objects.get(name=child_row(0)["姓名"])
    for n in (1, 2):  # 三年级1班, 3年级(1)班 and 三(1)班 are one class
        assert Child.objects.get(name=child_row(n)["姓名"]).school_class == first.school_class
    assert first.school_class.name == "三年级（1）班"
    # A second import finds the classes it made: nothing new.
    again = import_ledger(source=path, filename=path.name, org=school, by=None).result
    assert (again.created, again.unchanged, again.classes_created) == (0, 11, [])


def test_the_stage_follows_the_grade_name(world, tmp_path):
    school = new_school(world)
    rows = [
        child_row(0, school="北镇小学", grade="大班", klass="1班"),
        child_row(1, school="北镇小学", grade="初一", klass="初一(2)班"),
        child_row(2, school="北镇小学", grade="高三", klass="高三1班"),
    ]
    for row in rows:
        row["出生日期"] = None  # taken from the ID number
    path = Ledger(rows).write_xlsx(tmp_path / "stages.xlsx")
    result = import_ledger(source=path, filename=path.name, org=school, by=None).result
    assert result.errors == [], result.errors
    stages = dict(
        Org.objects.filter(path__startswith=school.path, kind=OrgKind.GRADE).values_list(
            "name", "stage"
        )
    )
    assert stages == {"大班": "kindergarten", "七年级": "junior", "高三": "senior"}


def test_an_existing_grade_named_otherwise_is_reused(world, tmp_path):
    """初一 in the file is the school's 七年级 (recorded by `enrolment --grade 七年级`)."""
    school = new_school(world)
    grade = org_services.add_org(name="七年级", kind=OrgKind.GRADE, parent=school, by=None)
    path = Ledger([child_row(0, school="北镇小学", grade="初一", klass="1班")]).write_xlsx(
        tmp_path / "reuse.xlsx"
    )
    result = import_ledger(source=path, filename=path.name, org=school, by=None).result
    assert (result.errors, result.grades_created, result.classes_created) == ([], 0, ["七年级 1班"])
    assert Child.objects.get().school_class.path.startswith(grade.path)


def test_a_too_long_name_is_a_row_error_in_the_preview(world, tmp_path):
    row = child_row(0)
    row["姓名"] = "张" * 60
    row["家庭住址"] = "东" * 300
    path = Ledger([row, child_row(1)]).write_xlsx(tmp_path / "long.xlsx")
    result = run(world, path)
    assert result.applied is False
    columns = {(e.row, e.column) for e in result.errors}
    assert {(2, "姓名"), (2, "家庭住址")} <= columns
    assert Child.objects.count() == 0


def test_a_school_changed_in_the_file_is_a_transfer_with_its_dated_record(world, tmp_path):
    with time_machine.travel(TODAY - timedelta(days=30), tick=False):
        path = Ledger([child_row(0)]).write_xlsx(tmp_path / "before.xlsx")
        run(world, path, org="county_a")
    child = Child.objects.get()
    assert child.school == world.orgs["school_a"]
    moved = child_row(0, school="西镇中学")
    path = Ledger([moved]).write_xlsx(tmp_path / "after.xlsx")
    result = run(world, path, org="county_a")
    assert (result.updated, result.errors) == (1, [])
    child.refresh_from_db()
    assert (child.school, child.status) == (world.orgs["school_b"], ChildStatus.ACTIVE)
    assert child.school_class.path.startswith(world.orgs["school_b"].path)
    out = StatusChange.objects.get(child=child, status=ChildStatus.TRANSFERRED)
    assert (out.on, out.from_school, out.to_school) == (
        TODAY,
        world.orgs["school_a"],
        world.orgs["school_b"],
    )
    # Figures of a day before the move count the child at the school it left.
    yesterday = TODAY - timedelta(days=1)
    assert figures(org=world.orgs["school_a"], on=yesterday).left_behind_total == 1
    assert figures(org=world.orgs["school_b"], on=yesterday).left_behind_total == 0
    assert figures(org=world.orgs["school_b"], on=TODAY).left_behind_total == 1


def test_a_merged_duplicate_archive_does_not_break_apply(world, tmp_path):
    row = child_row(0, school="西镇中学")
    same = {"id_number": row["身份证号"], "birth": row["出生日期"], "male": True}
    kept = make_child(school_class=world.orgs["class_a1"], **same)
    # Sorted after the new archive in its school (a look-up by ID number took the last one).
    merged = make_child(school_class=world.orgs["class_b1"], name="朱朱", **same)
    case = DuplicateCase.objects.get()
    children_services.merge_duplicate(case=case, keep=kept, by=None)
    path = Ledger([row]).write_xlsx(tmp_path / "merged.xlsx")
    result = run(world, path, org="school_b")
    assert (result.applied, result.errors) == (True, [])
    merged.refresh_from_db()
    assert merged.status == ChildStatus.MERGED
    new = Child.objects.exclude(pk__in=[kept.pk, merged.pk]).get()
    assert new.parents.get(relation="father").phone == row["父亲电话"]
    assert row["父亲电话"] not in [p.phone for p in merged.parents.all()]


AWAY = [*STANDARD, "父亲外出时间", "母亲外出时间"]


def test_plan_profile_counts_ledger_children_from_their_away_dates(world, tmp_path):
    rows = []
    for n in range(8):
        row = child_row(n)
        row["母亲状况"] = "外出务工"
        row["父亲外出时间"] = "2024年2月" if n < 6 else "2026.10"
        row["母亲外出时间"] = date(2024, 3, 5) if n < 6 else "202610"
        rows.append(row)
    path = Ledger(rows, headers=AWAY).write_xlsx(tmp_path / "away.xlsx")
    result = run(world, path)
    assert result.errors == []
    father = Child.objects.get(name=child_row(0)["姓名"]).parents.get(relation="father")
    assert father.away_since == date(2024, 2, 1)
    plan = DefinitionProfile.objects.get(code="plan")
    broad = DefinitionProfile.objects.get(code="school_broad")
    assert counted_by(Child.objects.all(), broad, TODAY).count() == 8
    # Away three months or more: the six who left in 2024, not the two who left in October.
    assert counted_by(Child.objects.all(), plan, TODAY).count() == 6


def test_a_bad_away_date_is_a_row_error(world, tmp_path):
    row = child_row(0)
    row["父亲外出时间"] = "去年"
    path = Ledger([row], headers=AWAY).write_xlsx(tmp_path / "bad.xlsx")
    result = run(world, path)
    assert [(e.row, e.column) for e in result.errors] == [(2, "父亲外出时间")]


VILLAGE = [*STANDARD, "村（社区）"]


def test_the_village_column_links_children_to_their_home_village(world, tmp_path):
    rows = [child_row(n) for n in range(3)]
    rows[0]["村（社区）"] = "东村"
    rows[1]["村（社区）"] = "东村村民委员会"
    rows[2]["村（社区）"] = "北村"
    path = Ledger(rows, headers=VILLAGE).write_xlsx(tmp_path / "village.xlsx")
    result = run(world, path)
    assert [(e.row, e.column) for e in result.errors] == [(4, "村（社区）")]
    assert "北村" in result.errors[0].message
    rows[2]["村（社区）"] = ""
    path = Ledger(rows, headers=VILLAGE).write_xlsx(tmp_path / "village.xlsx")
    result = run(world, path)
    assert result.errors == []
    village = world.orgs["village_a1"]
    homes = {c.name: c.home_village for c in Child.objects.all()}
    assert homes == {
        child_row(0)["姓名"]: village,
        child_row(1)["姓名"]: village,
        child_row(2)["姓名"]: None,
    }
    # The village director's register lists them.
    director = world.users["village_director"]
    assert children_visible_to(director).count() == 2


class NewSchoolPagesTests(PersonaTestCase):
    def upload(self, ledger: Ledger) -> str:
        response = self.client_as("school_admin").post(
            reverse("ledger:upload"), {"org": self.org("school_a").code, "file": xlsx(ledger)}
        )
        return response["Location"]

    def test_the_preview_says_which_classes_it_will_make_and_names_children_not_in_the_file(self):
        kept = make_child(school_class=self.org("class_a1"), name="不在表里")
        rows = [child_row(0), child_row(1, grade="四年级", klass="四(1)班")]
        rows.append(child_row(2, grade="四年级", klass="四(2)班"))
        page = self.client_as("school_admin").get(self.upload(Ledger(rows)))
        self.assertContains(page, "将新建 1 个年级、2 个班级")
        self.assertContains(page, "四年级 1班、四年级 2班")
        self.assertContains(page, "不在表里")
        self.assertContains(page, reverse("children:detail", args=[kept.pk]))
        self.assertFalse(Org.objects.filter(name="四年级").exists())

    def test_after_saving_the_new_children_come_with_their_next_steps(self):
        rows = [child_row(n) for n in range(3)]
        preview = self.upload(Ledger(rows))
        client = self.client_as("school_admin")
        done = client.post(preview.rstrip("/") + "/apply/", follow=True)
        self.assertEqual(done.request["PATH_INFO"], reverse("ledger:done"))
        new = done.context["children"]
        self.assertEqual({c.pk for c in new}, set(Child.objects.values_list("pk", flat=True)))
        pair = reverse("care:pair") + "?" + "&amp;".join(f"child={c.pk}" for c in new)
        self.assertContains(done, pair)
        self.assertContains(done, reverse("children:assess", args=[new[0].pk]))
        # Another user's session has no such list.
        self.assertNotContains(self.client_as("county_officer").get(reverse("ledger:done")), "李")
