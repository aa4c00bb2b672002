"""Filters of the API's lists (django-filter): units by code, as the pages take them."""

from __future__ import annotations

import django_filters as filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from shouwang.care.models import CareRecord, Pairing
from shouwang.care.selectors import open_pairings
from shouwang.children.models import Child, Guardian
from shouwang.orgs.models import Org


class OrgFilter(filters.FilterSet):
    kind = filters.CharFilter()
    under = filters.CharFilter(
        method="filter_under", label=_("Code of a unit: everything under it")
    )

    class Meta:
        model = Org
        fields = ["kind"]

    def filter_under(self, qs: QuerySet[Org], _name: str, value: str) -> QuerySet[Org]:
        unit = Org.objects.filter(code=value).first()
        return qs.filter(path__startswith=unit.path) if unit else qs.none()


class ChildFilter(filters.FilterSet):
    school = filters.CharFilter(field_name="school__code")
    school_class = filters.CharFilter(field_name="school_class__code")
    home_village = filters.CharFilter(field_name="home_village__code")
    heart_level = filters.NumberFilter()

    class Meta:
        model = Child
        fields = ["gender", "left_behind_type", "status", "boarding", "risk_grade"]


class GuardianFilter(filters.FilterSet):
    class Meta:
        model = Guardian
        fields = ["child", "relation"]


class PairingFilter(filters.FilterSet):
    open = filters.BooleanFilter(method="filter_open", label=_("Still running"))

    class Meta:
        model = Pairing
        fields = ["child", "caregiver", "role"]

    def filter_open(self, qs: QuerySet[Pairing], _name: str, value: bool) -> QuerySet[Pairing]:
        return qs.filter(open_pairings()) if value else qs.exclude(open_pairings())


class CareRecordFilter(filters.FilterSet):
    since = filters.DateFilter(field_name="on", lookup_expr="gte")
    until = filters.DateFilter(field_name="on", lookup_expr="lte")

    class Meta:
        model = CareRecord
        fields = ["child", "caregiver", "kind", "abnormal"]
