"""The API's `assistance` resource (interfaces.md): payments, read and written through this
app's services and selectors, with the same scope as the pages (out of scope: 404; no money for
those the pages show none), and the applications (``/assistance/applications/``)."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from shouwang.accounts.access import acting_user
from shouwang.accounts.policy import Action
from shouwang.core.apifields import row_id
from shouwang.orgs.models import Org

from . import selectors, services
from .models import Application, Payment


class PaymentSerializer(serializers.ModelSerializer):
    programme = serializers.CharField(source="programme.code", read_only=True)
    programme_name = serializers.CharField(source="programme.name", read_only=True)
    unit = serializers.CharField(source="unit.code", read_only=True)
    by = serializers.CharField(source="by.username", read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "child",
            "programme",
            "programme_name",
            "unit",
            "period",
            "paid_on",
            "amount",
            "item",
            "quantity",
            "fund",
            "signed",
            "voided",
            "void_reason",
            "by",
        ]


class PaymentRequestSerializer(serializers.Serializer):
    """A payment as the page takes it (assistance.services.pay); a receipt's scan is given on
    the page, so the API records a signature."""

    child = row_id()
    programme = row_id(help_text=_("The programme's id."))
    paid_on = serializers.DateField()
    amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    item = serializers.CharField(max_length=60, required=False, allow_blank=True)
    quantity = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    fund = row_id(required=False, allow_null=True)
    signed = serializers.BooleanField(default=False)
    overdraw_reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ApplicationSerializer(serializers.ModelSerializer):
    programme = serializers.CharField(source="programme.code", read_only=True)
    unit = serializers.CharField(source="unit.code", read_only=True)

    class Meta:
        model = Application
        fields = ["id", "child", "programme", "unit", "status", "applied_on", "reason", "note"]


class ApplicationRequestSerializer(serializers.Serializer):
    children = serializers.ListField(child=row_id(), min_length=1, max_length=2000)
    programme = row_id(help_text=_("The programme's id."))
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class PaymentFilter(filters.FilterSet):
    programme = filters.CharFilter(field_name="programme__code")
    unit = filters.CharFilter(method="filter_unit", label=_("Code of a unit: everything under it"))
    paid_from = filters.DateFilter(field_name="paid_on", lookup_expr="gte")
    paid_to = filters.DateFilter(field_name="paid_on", lookup_expr="lte")

    class Meta:
        model = Payment
        fields = ["child", "voided"]

    def filter_unit(self, qs: QuerySet[Payment], _name: str, value: str) -> QuerySet[Payment]:
        return qs.filter(unit__path__startswith=_path_of(value))


def _path_of(code: str) -> str:
    org = Org.objects.filter(code=code).first()
    return org.path if org else "-"


APPLICATIONS_LISTED = 200


def _refused(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(
        exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
    )


class AssistanceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Payments the caller sees (the units whose money they keep or oversee). POST records one
    through the page's service: a second payment of a programme in one period for the child is
    a 400 naming the earlier one."""

    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    lookup_value_regex = "[0-9]+"

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not selectors.may_view(request.user):
            raise Http404

    def get_queryset(self) -> QuerySet[Payment]:
        return (
            selectors.payments_visible_to(self.request.user)
            .select_related("unit", "programme", "by")
            .order_by("-paid_on", "-pk")
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payment = self.get_object()
        etag = f'"payment-{payment.pk}-{int(payment.voided)}"'
        return Response(self.get_serializer(payment).data, headers={"ETag": etag})

    @extend_schema(request=PaymentRequestSerializer, responses={201: PaymentSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = acting_user(request)
        if not selectors.may_pay(user):
            raise Http404
        body = PaymentRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        child = get_object_or_404(selectors.children_for(user, Action.CHANGE), pk=data.pop("child"))
        programme = get_object_or_404(selectors.programmes_for(user), pk=data.pop("programme"))
        fund_id = data.pop("fund", None)
        fund = (
            get_object_or_404(selectors.funds_visible_to(user, Action.CHANGE), pk=fund_id)
            if fund_id
            else None
        )
        try:
            payment = services.pay(child=child, programme=programme, fund=fund, by=user, **data)
        except DjangoValidationError as exc:
            raise _refused(exc) from exc
        return Response(self.get_serializer(payment).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses={200: ApplicationSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=ApplicationRequestSerializer,
        responses={201: ApplicationSerializer(many=True)},
    )
    @action(detail=False, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def applications(self, request: Request) -> Response:
        """The applications the caller sees (the latest 200); POST applies for children."""
        user = acting_user(request)
        if request.method == "GET":
            rows = selectors.applications_visible_to(user).order_by("-applied_on", "-pk")
            return Response(ApplicationSerializer(rows[:APPLICATIONS_LISTED], many=True).data)
        if not selectors.may_apply(user):
            raise Http404
        body = ApplicationRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        children = list(selectors.children_for(user, Action.ADD).filter(pk__in=data["children"]))
        if len(children) != len(set(data["children"])):
            raise Http404
        programme = get_object_or_404(selectors.programmes_for(user), pk=data["programme"])
        try:
            made = services.apply_for(
                children=children, programme=programme, by=user, note=data.get("note", "")
            )
        except DjangoValidationError as exc:
            raise _refused(exc) from exc
        return Response(ApplicationSerializer(made, many=True).data, status=status.HTTP_201_CREATED)


def register(router: BaseRouter) -> None:
    """Adds this app's resources to the API's router (api/urls.py)."""
    router.register("assistance", AssistanceViewSet, basename="assistance")
