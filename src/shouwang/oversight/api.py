"""The API's `rounds` resource (interfaces.md), through this app's services and selectors: the
rounds the caller sees (out of scope: absent from the list, 404 alone), each with its units'
status and summed figures as ``round show --json`` prints them for the caller's scope; POST
``rounds/`` opens a round over a unit the caller may open one for (the fields of the page and of
``round open``; another unit: 404); ``rounds/{id}/submit/``: GET lists the units the caller may
submit for, POST ``{"org": CODE}`` submits one (its figures and ledger frozen), as the unit's
page does; ``rounds/{id}/return/``: GET lists the submissions the caller may return (theirs is the
level above), POST ``{"submission": ID, "comment": TEXT}`` returns one, as the return page does.
Every write goes through the services, which check the policy again and audit it."""

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
from shouwang.core.apifields import row_id
from shouwang.orgs.models import Org

from . import selectors, services
from .models import Round, RoundUnit, Submission

OUT = (selectors.Status.RETURNED, selectors.Status.MISSING)


class RoundSerializer(serializers.ModelSerializer):
    org = serializers.CharField(source="org.code", read_only=True)

    class Meta:
        model = Round
        fields = ["id", "title", "org", "due", "due_upward", "opened_at"]


class OpenedRoundSerializer(RoundSerializer):
    units = serializers.IntegerField(
        source="units.count", read_only=True, help_text=_("How many units report in the round.")
    )

    class Meta(RoundSerializer.Meta):
        fields = [*RoundSerializer.Meta.fields, "units"]


class OpenRoundSerializer(serializers.Serializer):
    """A round as the page and ``round open`` take it."""

    org = serializers.CharField(
        max_length=32, help_text=_("The code of the county, township or region opening it.")
    )
    title = serializers.CharField(max_length=100)
    due = serializers.DateField(help_text=_("Schools and villages report by"))
    due_upward = serializers.DateField(
        required=False, allow_null=True, help_text=_("Townships report upward by")
    )
    units = serializers.ListField(
        child=serializers.CharField(max_length=32),
        required=False,
        max_length=5000,
        help_text=_("Codes of the units that report (none given: every school and village)."),
    )


class SubmitSerializer(serializers.Serializer):
    org = serializers.CharField(help_text=_("The submitting unit's code."))


class SubmittableSerializer(serializers.Serializer):
    org = serializers.CharField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=[*selectors.IN, *OUT])


class SubmittedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    org = serializers.CharField()
    version = serializers.IntegerField()
    submitted_at = serializers.DateTimeField()
    left_behind_total = serializers.IntegerField(allow_null=True)
    ledger_sha256 = serializers.CharField()


class ReturnSerializer(serializers.Serializer):
    submission = row_id(help_text=_("The id of the submission returned (its latest version)."))
    comment = serializers.CharField(max_length=1000, help_text=_("What is to be corrected"))


class ReturnableSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    org = serializers.CharField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    submitted_at = serializers.DateTimeField()


class ReturnedSerializer(SubmittedSerializer):
    returned_at = serializers.DateTimeField()
    return_comment = serializers.CharField()


def _refused(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(
        exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
    )


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

    @extend_schema(request=OpenRoundSerializer, responses={201: OpenedRoundSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Open a round over ``org``, as its page does: a unit the caller may not open a round
        for is a 404; ``units`` are codes of schools and villages under ``org``."""
        user = acting_user(request)
        body = OpenRoundSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        org = Org.objects.filter(code=data["org"]).first()
        if org is None or not scope_of(user).may(Area.ROUNDS, Action.ADD, org):
            raise NotFound
        units: list[Org] | None = None
        codes = list(dict.fromkeys(data.get("units") or []))
        if codes:
            # Only units under the round's org are looked up: a code elsewhere is unknown here,
            # its name never told.
            units = list(Org.objects.filter(code__in=codes, path__startswith=org.path))
            unknown = sorted(set(codes) - {u.code for u in units})
            if unknown:
                raise ValidationError(
                    {
                        "units": [
                            _("No unit under %(org)s has the code %(codes)s.")
                            % {"org": org.name, "codes": "、".join(unknown)}
                        ]
                    }
                )
        try:
            round_ = services.open_round(
                org=org,
                title=data["title"],
                due=data["due"],
                due_upward=data.get("due_upward"),
                units=units,
                by=user,
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from exc
        return Response(OpenedRoundSerializer(round_).data, status=status.HTTP_201_CREATED)

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

    @extend_schema(methods=["GET"], responses={200: SubmittableSerializer(many=True)})
    @extend_schema(methods=["POST"], request=SubmitSerializer, responses={201: SubmittedSerializer})
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

    def _returnable(self, request: Request) -> list[Submission]:
        """The round's submissions in, whose unit's level above the caller may act for."""
        round_ = self.get_object()
        units = list(round_.units.select_related("org", "round").prefetch_related("submissions"))
        _submits, returns = selectors.rights_over(request.user, units)
        found = [selectors.current(u) for u in units if u.pk in returns]
        return [s for s in found if s is not None and s.returned_at is None]

    @extend_schema(methods=["GET"], responses={200: ReturnableSerializer(many=True)})
    @extend_schema(methods=["POST"], request=ReturnSerializer, responses={200: ReturnedSerializer})
    @action(detail=True, methods=["get", "post"], url_path="return", url_name="return")
    def return_submission(self, request: Request, pk: str | None = None) -> Response:
        """GET: the submissions the caller may return; POST: return one with a comment (the
        unit is told and submits again; both versions stay)."""
        if request.method == "GET":
            return Response(
                [
                    {
                        "id": s.pk,
                        "org": s.unit.org.code,
                        "name": s.unit.org.name,
                        "version": s.version,
                        "submitted_at": timezone.localtime(s.submitted_at).isoformat(),
                    }
                    for s in self._returnable(request)
                ]
            )
        body = ReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # Another round's submission, or one whose level above is not the caller's: 404; one
        # returned already or superseded: the service says why (400).
        found = selectors.submission_to_return(request.user, body.validated_data["submission"])
        if found.unit.round_id != self.get_object().pk:
            raise NotFound
        try:
            returned = services.return_submission(
                submission=found, comment=body.validated_data["comment"], by=acting_user(request)
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from exc
        assert returned.returned_at is not None
        return Response(
            _submission(returned.unit, returned)
            | {
                "returned_at": timezone.localtime(returned.returned_at).isoformat(),
                "return_comment": returned.return_comment,
            }
        )


def register(router: BaseRouter) -> None:
    """Adds this app's resources to the API's router (api/urls.py)."""
    router.register("rounds", RoundViewSet, basename="round")
