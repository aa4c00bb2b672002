"""core.bulk.update_many writes what bulk_update would, in one stream (issue 17)."""

from __future__ import annotations

from datetime import date

from shouwang.children.models import Child, Parent
from shouwang.core.bulk import update_many
from shouwang.core.fieldcrypt import lookup_hash
from tests.children.factories import id_number_for, make_child
from tests.personas import PersonaTestCase


class UpdateManyTests(PersonaTestCase):
    def test_the_named_fields_of_each_row_are_written_and_nothing_else(self):
        first = make_child(school_class=self.org("class_a1"), name="甲")
        second = make_child(school_class=self.org("class_a1"), name="乙")
        untouched = make_child(school_class=self.org("class_a1"), name="丙")
        new_number = id_number_for(date(2015, 5, 6), male=False)
        rows = list(Child.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk"))
        rows[0].address, rows[0].school_class = "西村5组", self.org("class_a2")
        rows[0].id_number, rows[0].birth_date = new_number, date(2015, 5, 6)
        rows[0].hobbies = "不写入"  # not among the fields named
        rows[1].address, rows[1].boarding = "南村1组", True
        written = update_many(
            Child,
            rows,
            ["address", "school_class", "id_number", "id_hash", "birth_date", "boarding"],
        )
        self.assertEqual(written, 2)
        a, b, c = (Child.objects.get(pk=pk) for pk in (first.pk, second.pk, untouched.pk))
        self.assertEqual(
            (a.address, a.school_class, a.birth_date),
            ("西村5组", self.org("class_a2"), date(2015, 5, 6)),
        )
        self.assertEqual((a.id_number, a.id_hash), (new_number, lookup_hash(new_number)))
        self.assertEqual(a.hobbies, "画画")
        self.assertEqual(Child.objects.get(id_hash=lookup_hash(new_number)).pk, first.pk)
        self.assertEqual((b.address, b.boarding), ("南村1组", True))
        self.assertEqual(
            (c.address, c.boarding, c.id_number),
            (untouched.address, untouched.boarding, untouched.id_number),
        )

    def test_two_models_in_one_transaction_and_no_rows_at_all(self):
        child = make_child(school_class=self.org("class_a1"))
        parent = Parent.objects.get(child=child, relation="father")
        parent.phone, parent.status = "13900000009", "at_home"
        guardian = child.guardian
        guardian.age = 70
        self.assertEqual(update_many(Parent, [parent], ["phone", "status"]), 1)
        self.assertEqual(update_many(Parent, [parent], ["phone"]), 1)  # twice: its own table
        self.assertEqual(update_many(type(guardian), [guardian], ["age"]), 1)
        self.assertEqual(update_many(Child, [], ["address"]), 0)
        parent.refresh_from_db()
        self.assertEqual((parent.phone, parent.status), ("13900000009", "at_home"))
        self.assertEqual(type(guardian).objects.get(pk=guardian.pk).age, 70)
