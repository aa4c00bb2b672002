"""The API's `rounds` resource (interfaces.md), through this app's services and selectors: the
rounds the caller sees (out of scope: absent from the list, 404 alone), each with its units'
status and summed figures as ``round show --json`` prints them for the caller's scope; and
``rounds/{id}/submit/``: GET lists the units the caller may submit for, POST ``{"org": CODE}``
submits one (its figures and ledger frozen), as the unit's page does."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from shouwang.accounts.access import acting_user
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of

from . import selectors, services
from .models import Round, RoundUnit


class RoundSerializer(serializers.ModelSerializer):
    org = serializers.CharField(source="org.code", read_only=True)

    class Meta:
        model = Round
        fields = ["id", "title", "org", "due", "due_upward", "opened_at"]


class SubmitSerializer(serializers.Serializer):
    org = serializers.CharField(help_text=_("The submitting unit's code."))


def _submission(unit: RoundUnit, found: Any) -> dict[str, Any]:
    return {
        "id": found.pk,
        "org": unit.org.code,
        "version": found.version,
        "submitted_at": timezone.localtime(found.submitted_at).isoformat(),
        "left_behind_total": found.figures.get("left_behind_total"),
        "ledger_sha256": found.ledger_sha256,
    }


class RoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = RoundSerializer
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Round]:
        return selectors.rounds_visible_to(self.request.user)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(selectors.report_for(request.user, self.get_object()).as_json())

    def _units(self, request: Request) -> QuerySet[RoundUnit]:
        scope = scope_of(request.user)
        return (
            self.get_object()
            .units.filter(scope.units_q(Area.ROUNDS, Action.CHANGE, "org__path"))
            .select_related("org", "round")
            .prefetch_related("submissions")
        )

    @extend_schema(request=SubmitSerializer)
    @action(detail=True, methods=["get", "post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        units = self._units(request)
        if request.method == "GET":
            return Response(
                [
                    {"org": u.org.code, "name": u.org.name, "status": selectors.status_of(u)}
                    for u in units
                ]
            )
        body = SubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        unit = units.filter(org__code=body.validated_data["org"]).first()
        if unit is None:
            raise NotFound
        try:
            found = services.submit(unit=unit, by=acting_user(request))
        except DjangoValidationError as exc:
            raise ValidationError({"detail": exc.messages}) from exc
        return Response(_submission(unit, found), status=status.HTTP_201_CREATED)


def register(router: BaseRouter) -> None:
    """Adds this app's resources to the API's router (api/urls.py)."""
    router.register("rounds", RoundViewSet, basename="round")
