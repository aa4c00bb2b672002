"""Two clerks pay the same child the same programme for the same term at the same moment: the
database's constraint lets one payment in and the other is refused naming it (PostgreSQL, two
connections; both pass the service's own look for an earlier payment before either writes)."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import TransactionTestCase

from shouwang.accounts.models import Role, RoleAssignment, User
from shouwang.assistance import selectors, services
from shouwang.assistance.models import Payment, PeriodUnit, Programme
from shouwang.children.models import Child
from shouwang.orgs.models import Org, OrgKind
from tests.children.factories import id_number_for


@pytest.mark.postgresql
@time_machine.travel(date(2026, 11, 24), tick=False)
class ConcurrentPaymentTests(TransactionTestCase):
    # Only this app's tables are emptied afterwards (the audit table refuses it, rightly); the
    # units, people and child made here are removed by the test itself.
    available_apps = ["shouwang.assistance"]

    def test_two_payments_at_once_one_lands_the_other_names_it(self) -> None:
        add = Org.objects.add_child
        county = Org.objects.add_root(
            instance=Org(code="990101000000", name="并发县", kind=OrgKind.COUNTY)
        )
        school = add(county, instance=Org(code="9901010001", name="并发小学", kind=OrgKind.SCHOOL))
        grade = add(
            school, instance=Org(code="9901010001-3", name="三年级", kind="grade", stage="primary")
        )
        klass = add(
            grade,
            instance=Org(code="9901010001-31", name="三年级（1）班", kind=OrgKind.SCHOOL_CLASS),
        )
        clerks = [User.objects.create(username=f"clerk{n}", full_name=f"出纳{n}") for n in (1, 2)]
        for clerk in clerks:
            RoleAssignment.objects.create(user=clerk, role=Role.SCHOOL_ADMIN, org=school)
        child = Child.objects.create(
            name="陈小雨",
            gender="female",
            birth_date=date(2016, 3, 4),
            id_number=id_number_for(date(2016, 3, 4), male=False, region="990101"),
            county=county,
            school=school,
            school_class=klass,
            left_behind_type="both_parents_away",
        )
        programme = Programme.objects.create(
            region=county,
            code="living_allowance",
            name="生活费",
            amount=Decimal(375),
            period=PeriodUnit.TERM,
        )
        self.addCleanup(self.remove, county, clerks, child)

        both_looked = threading.Barrier(2, timeout=10)
        first_look = threading.local()
        look = selectors.earlier_payment

        def look_then_wait(*args: Any) -> Payment | None:
            found = look(*args)
            if not getattr(first_look, "done", False):
                first_look.done = True
                both_looked.wait()  # neither has written yet: both saw no earlier payment
            return found

        results: dict[str, Any] = {}

        def clerk_pays(n: int) -> None:
            try:
                results[f"clerk{n}"] = services.pay(
                    child=Child.objects.get(pk=child.pk),
                    programme=programme,
                    paid_on=date(2026, 10, 8),
                    signed=True,
                    by=User.objects.get(username=f"clerk{n}"),
                )
            except ValidationError as exc:
                results[f"clerk{n}"] = exc
            finally:
                connection.close()

        with mock.patch.object(selectors, "earlier_payment", look_then_wait):
            threads = [threading.Thread(target=clerk_pays, args=(n,)) for n in (1, 2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(20)

        paid = [r for r in results.values() if isinstance(r, Payment)]
        refused = [r for r in results.values() if isinstance(r, ValidationError)]
        self.assertEqual((len(paid), len(refused)), (1, 1), results)
        self.assertEqual(Payment.objects.filter(child=child, voided=False).count(), 1)
        message = " ".join(refused[0].messages)
        self.assertIn("2026-10-08", message)
        self.assertIn("375.00", message)
        self.assertIn(paid[0].by.full_name, message)

    def remove(self, county: Org, clerks: list[User], child: Child) -> None:
        Payment.objects.filter(child=child).delete()
        Programme.objects.filter(region=county).delete()
        child.delete()
        RoleAssignment.objects.filter(user__in=clerks).delete()
        User.objects.filter(pk__in=[c.pk for c in clerks]).delete()
        Org.objects.filter(path__startswith=county.path).order_by("-depth").delete()
