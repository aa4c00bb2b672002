"""The API (interfaces.md "REST API"): read-only, every list through the selectors the pages
use with the caller, so out of scope is absent from lists and 404 on its own."""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Length, Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shouwang.accounts.scope import scope_of
from shouwang.care.models import CareRecord, Pairing
from shouwang.care.selectors import pairings_visible_to
from shouwang.children.models import Child, DefinitionProfile, Guardian
from shouwang.children.selectors import children_visible_to
from shouwang.orgs.models import Org
from shouwang.orgs.selectors import orgs_visible_to
from shouwang.safety.models import Incident
from shouwang.safety.selectors import incidents_visible_to
from shouwang.stats.selectors import figures_for, list_behind

from . import filters, serializers


class OrgViewSet(viewsets.ReadOnlyModelViewSet):
    """Units of the organisation tree the caller sees, by code."""

    serializer_class = serializers.OrgSerializer
    filterset_class = filters.OrgFilter
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[Org]:
        # The parent's code in the same query: its path is this one's minus one step.
        parent = Org.objects.filter(
            path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Org.steplen)
        ).values("code")[:1]
        return orgs_visible_to(self.request.user).annotate(parent_code=Subquery(parent))


class ChildViewSet(viewsets.ReadOnlyModelViewSet):
    """Children's archives the caller sees; ID numbers masked, or absent for those who may
    never see them."""

    serializer_class = serializers.ChildSerializer
    filterset_class = filters.ChildFilter

    def get_queryset(self) -> QuerySet[Child]:
        scope = scope_of(self.request.user)
        id_visible = ExpressionWrapper(
            Q(pk__in=Child.objects.filter(scope.id_revealable_children_q()).values("pk")),
            output_field=BooleanField(),
        )
        return (
            children_visible_to(self.request.user)
            .select_related("school", "school_class", "home_village")
            .annotate(id_visible=id_visible)
            .order_by("school__path", "school_class__path", "name_initials", "pk")
        )


class GuardianViewSet(viewsets.ReadOnlyModelViewSet):
    """Guardians of the children the caller sees; phones masked as on the pages."""

    serializer_class = serializers.GuardianSerializer
    filterset_class = filters.GuardianFilter

    def get_queryset(self) -> QuerySet[Guardian]:
        children = children_visible_to(self.request.user)
        return Guardian.objects.filter(child__in=children).order_by("child_id")


class PairingViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.PairingSerializer
    filterset_class = filters.PairingFilter

    def get_queryset(self) -> QuerySet[Pairing]:
        return pairings_visible_to(self.request.user).order_by("child_id", "starts_on", "pk")


class CareRecordViewSet(viewsets.ReadOnlyModelViewSet):
    """Current versions of the care records of the children the caller sees."""

    serializer_class = serializers.CareRecordSerializer
    filterset_class = filters.CareRecordFilter

    def get_queryset(self) -> QuerySet[CareRecord]:
        children = children_visible_to(self.request.user)
        return (
            CareRecord.objects.filter(child__in=children, is_current=True)
            .select_related("caregiver")
            .order_by("-on", "-pk")
        )


class IncidentViewSet(viewsets.ReadOnlyModelViewSet):
    """Emergencies with their chains: only for the school's leadership and counselors, region
    officers and the reporter (never volunteers)."""

    serializer_class = serializers.IncidentSerializer

    def get_queryset(self) -> QuerySet[Incident]:
        return (
            incidents_visible_to(self.request.user)
            .prefetch_related("steps")
            .order_by("-occurred_at", "-pk")
        )


class StatsView(APIView):
    """The statistics JSON of interfaces.md for a unit the caller sees (404 otherwise)."""

    @extend_schema(parameters=[serializers.StatsQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        query = serializers.StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        profile = None
        if data.get("profile"):
            profile = DefinitionProfile.objects.filter(code=data["profile"]).first()
            if profile is None:
                raise ValidationError({"profile": [_("No definition profile has this code.")]})
        on = data.get("on") or timezone.localdate()
        result = figures_for(request.user, data["org"], on, profile, with_units=False)
        body = result.as_json()
        if data.get("children"):
            # Only for those who see every child behind the figures (404 for the others).
            _org, counted = list_behind(request.user, data["org"], on, profile, "all", "all")
            body["children"] = [
                {
                    "id": child.pk,
                    "name": child.name,
                    "school": child.school.code,
                    "school_class": child.school_class.code if child.school_class else None,
                    "left_behind_type": child.left_behind_type,
                }
                for child in counted.select_related("school", "school_class").order_by(
                    "school__path", "school_class__path", "name_initials", "pk"
                )
            ]
        return Response(body)
