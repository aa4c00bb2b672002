"""The API (interfaces.md "REST API"): read-only, every list through the selectors the pages
use with the caller, so out of scope is absent from lists and 404 on its own."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Length, Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shouwang.accounts.access import acting_user
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.care import selectors as care_selectors
from shouwang.care import services as care_services
from shouwang.care.models import CareRecord, Pairing
from shouwang.care.selectors import pairings_visible_to
from shouwang.children import services as children_services
from shouwang.children.models import Child, DefinitionProfile, Guardian
from shouwang.children.selectors import children_visible_to, in_register_order
from shouwang.core.concurrency import StaleEdit
from shouwang.orgs.models import Org
from shouwang.safety.models import Incident
from shouwang.safety.selectors import incidents_visible_to
from shouwang.stats.flows import BadPeriod, period_of
from shouwang.stats.selectors import figures_for, flows_for, list_behind
from shouwang.units.selectors import orgs_visible_to

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


class ByIdViewSet(viewsets.ReadOnlyModelViewSet):
    """Things named by their numeric id: a path with anything else names nothing (404), and
    never reaches a view that reads it as a number."""

    lookup_value_regex = "[0-9]+"


class AuditedReads:
    """Reads of children's personal data are on the record, as on the pages: one entry for a
    page of a list (naming the children on it), one per child read alone."""

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)  # type: ignore[misc]
        data = response.data
        rows = data.get("results", []) if isinstance(data, dict) else data or []
        child_ids = [row.get("id") if self.child_key == "id" else row.get("child") for row in rows]
        children_services.record_api_read(by=acting_user(request), child_ids=child_ids)
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()  # type: ignore[attr-defined]
        child = obj if isinstance(obj, Child) else obj.child
        children_services.record_view(child=child, by=acting_user(request), where="api")
        serializer = self.get_serializer(obj)  # type: ignore[attr-defined]
        return Response(serializer.data)

    child_key = "id"


class ChildViewSet(AuditedReads, ByIdViewSet):
    """Children's archives the caller sees; ID numbers masked, or absent for those who may
    never see them."""

    serializer_class = serializers.ChildSerializer
    filterset_class = filters.ChildFilter

    def get_queryset(self) -> QuerySet[Child]:
        scope = scope_of(self.request.user)
        id_visible = ExpressionWrapper(
            Q(pk__in=Child.objects.filter(scope.q(Area.ID_NUMBER, Action.REVEAL)).values("pk")),
            output_field=BooleanField(),
        )
        return in_register_order(
            children_visible_to(self.request.user)
            .select_related("school", "school_class", "home_village")
            .annotate(id_visible=id_visible)
        )


class GuardianViewSet(AuditedReads, ByIdViewSet):
    """Guardians of the children the caller sees; phones masked as on the pages."""

    serializer_class = serializers.GuardianSerializer
    filterset_class = filters.GuardianFilter
    child_key = "child"

    def get_queryset(self) -> QuerySet[Guardian]:
        children = children_visible_to(self.request.user)
        return Guardian.objects.filter(child__in=children).order_by("child_id")


class PairingViewSet(ByIdViewSet):
    serializer_class = serializers.PairingSerializer
    filterset_class = filters.PairingFilter

    def get_queryset(self) -> QuerySet[Pairing]:
        return pairings_visible_to(self.request.user).order_by("child_id", "starts_on", "pk")


def _etag(record: CareRecord) -> str:
    # A correction is a new row, so the row's id names the version.
    return f'"care-record-{record.pk}"'


class CareRecordViewSet(ByIdViewSet):
    """Current versions of the care records of the children the caller sees. A PATCH corrects
    one (its author or the school's managers): it needs the record's ETag in ``If-Match``
    (428 without), is refused with 412 once the record was corrected meanwhile, and answers
    the new version."""

    serializer_class = serializers.CareRecordSerializer
    filterset_class = filters.CareRecordFilter

    def get_queryset(self) -> QuerySet[CareRecord]:
        return (
            CareRecord.objects.restrict(self.request.user)
            .filter(is_current=True)
            .select_related("caregiver")
            .order_by("-on", "-pk")
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        return Response(self.get_serializer(record).data, headers={"ETag": _etag(record)})

    @extend_schema(
        request=serializers.CareRecordCorrectionSerializer,
        responses={200: serializers.CareRecordSerializer},
        parameters=[
            OpenApiParameter(
                "If-Match",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description=_("The record's ETag, as its GET answered it."),
            )
        ],
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        user = acting_user(request)
        seen = care_selectors.record_visible_to(user, int(pk or 0))
        if not seen.is_current:
            return _stale()
        record = care_selectors.record_correctable_by(user, seen.pk)
        given = request.headers.get("If-Match", "")
        if not given:
            return Response(
                {"detail": _("Send the record's ETag in If-Match, so no correction is lost.")},
                status=status.HTTP_428_PRECONDITION_REQUIRED,
            )
        if given.removeprefix("W/") != _etag(record):
            return _stale()
        body = serializers.CareRecordCorrectionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        try:
            new = care_services.correct_record(
                record=record, by=user, reason=data.pop("reason"), **data
            )
        except StaleEdit:
            return _stale()
        except DjangoValidationError as exc:
            raise ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
            ) from exc
        return Response(self.get_serializer(new).data, headers={"ETag": _etag(new)})


def _stale() -> Response:
    return Response(
        {"detail": _("This record was changed by someone else meanwhile.")},
        status=status.HTTP_412_PRECONDITION_FAILED,
    )


class IncidentViewSet(ByIdViewSet):
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
        try:
            period = period_of(result.org, on, data.get("from"), data.get("to"))
        except BadPeriod as exc:
            raise ValidationError({"from": [str(exc)]}) from exc
        body = result.as_json() | flows_for(request.user, result.org, on, period, result.profile)
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
                for child in in_register_order(counted.select_related("school", "school_class"))
            ]
        return Response(body)
