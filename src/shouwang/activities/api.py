"""The API's `activities` resource (interfaces.md), through this app's services and selectors:
the activities the caller sees (out of scope: absent from the list, 404 alone), and a POST that
plans one with its first session's attendance — children from the class lists the caller may
take attendance from, adults by name or by number — in one transaction, as the pages do."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from shouwang.accounts.access import acting_user
from shouwang.accounts.models import User
from shouwang.children.models import Child
from shouwang.core.apifields import row_id

from . import selectors, services
from .models import ADULT_KINDS, Activity, ActivityKind


class ActivitySerializer(serializers.ModelSerializer):
    """人次 and children reached are counted from attendance; the budget is money, ``null``
    for those who see none (teachers, counselors, volunteers)."""

    unit = serializers.CharField(source="unit.code", read_only=True)
    in_charge = serializers.SlugRelatedField(many=True, read_only=True, slug_field="username")
    budget = serializers.SerializerMethodField()
    person_times = serializers.SerializerMethodField()
    children_reached = serializers.SerializerMethodField()
    sessions = serializers.SerializerMethodField()

    class Meta:
        model = Activity
        fields = [
            "id",
            "unit",
            "kind",
            "title",
            "place",
            "starts_on",
            "status",
            "in_charge",
            "budget",
            "materials",
            "outcome",
            "person_times",
            "children_reached",
            "sessions",
        ]

    def _counts(self, obj: Activity) -> tuple[dict[str, int], dict[int, dict[str, int]]]:
        """The activity's counts and its sessions': counted for the whole page at once where
        the view handed them over (``counts``), else for this one."""
        found = self.context.setdefault("counts", ({}, {}))
        if obj.pk not in found[0]:
            by_activity, by_session = selectors.counts_by_activity([obj])
            found[0].update(by_activity)
            found[1].update(by_session)
        return found[0][obj.pk], found[1]

    def get_budget(self, obj: Activity) -> str | None:
        if obj.budget is None:
            return None
        user = self.context["request"].user
        seen = self.context.setdefault("sees_money", {})
        if obj.unit_id not in seen:  # once per unit, not per row
            seen[obj.unit_id] = selectors.sees_money(user, obj.unit)
        return f"{obj.budget:.2f}" if seen[obj.unit_id] else None

    def get_person_times(self, obj: Activity) -> int:
        return self._counts(obj)[0]["person_times"]

    def get_children_reached(self, obj: Activity) -> int:
        return self._counts(obj)[0]["children"]

    def get_sessions(self, obj: Activity) -> list[dict[str, Any]]:
        out = []
        by_session = self._counts(obj)[1]
        for session in obj.sessions.all():
            counts = by_session.get(session.pk, {"person_times": 0, "children": 0})
            out.append(
                {
                    "id": session.pk,
                    "on": session.on.isoformat(),
                    "person_times": counts["person_times"],
                    "children": counts["children"],
                }
            )
        return out


class AdultSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ADULT_KINDS)
    name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    count = serializers.IntegerField(min_value=1, max_value=9999, default=1)


class AttendanceSerializer(serializers.Serializer):
    children = serializers.ListField(child=row_id(), required=False, default=list, max_length=2000)
    adults = AdultSerializer(many=True, required=False, default=list)


class ActivityCreateSerializer(serializers.Serializer):
    unit = serializers.CharField(help_text=_("The unit's code."))
    kind = serializers.ChoiceField(choices=ActivityKind.choices)
    title = serializers.CharField(max_length=100)
    starts_on = serializers.DateField()
    place = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    in_charge = serializers.ListField(
        child=serializers.CharField(max_length=150), required=False, help_text=_("Usernames.")
    )
    volunteers = serializers.ListField(
        child=serializers.CharField(max_length=150), required=False, default=list
    )
    budget = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    materials = serializers.CharField(required=False, allow_blank=True, default="")
    attendance = AttendanceSerializer(required=False)


def _as_drf(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(
        exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
    )


class ActivityViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ActivitySerializer
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Activity]:
        return (
            selectors.activities_visible_to(self.request.user)
            .prefetch_related("in_charge", "sessions")
            .order_by("-starts_on", "-pk")
        )

    def paginate_queryset(self, queryset: Any) -> list[Activity] | None:
        """The page's activities, with their attendance counted for all of them at once."""
        page = super().paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        self._page_counts = selectors.counts_by_activity(rows)
        return page

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        counts = getattr(self, "_page_counts", None)
        if counts is not None:
            context["counts"] = counts
        return context

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "create":
            return ActivityCreateSerializer
        return ActivitySerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = acting_user(request)
        if not selectors.may_plan(user):
            raise NotFound
        body = ActivityCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        unit = selectors.units_to_plan_at(user).filter(code=data.pop("unit")).first()
        if unit is None:
            raise NotFound
        people = selectors.people_near(user)
        in_charge = _people(people, data.pop("in_charge", None) or [user.get_username()])
        volunteers = _people(people, data.pop("volunteers"))
        attendance = data.pop("attendance", None) or {}
        if data.get("budget") is not None and not selectors.sees_money(user, unit):
            data["budget"] = None
        try:
            with transaction.atomic():
                activity = services.plan_activity(
                    unit=unit, in_charge=in_charge, volunteers=volunteers, by=user, **data
                )
                _attend(user, activity, attendance)
        except DjangoValidationError as exc:
            raise _as_drf(exc) from exc
        shown = self.get_queryset().get(pk=activity.pk)
        return Response(
            ActivitySerializer(shown, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


def _people(people: QuerySet[Any], usernames: list[str]) -> list[User]:
    found = list(people.filter(username__in=usernames))
    if len(found) != len(set(usernames)):
        raise ValidationError({"in_charge": [_("Name people who work in your county.")]})
    return found


def _attend(user: User, activity: Activity, attendance: dict[str, Any]) -> None:
    """The first session's attendance: each child from a class list the caller may take
    attendance from (a child outside them is refused), adults as given."""
    session = activity.sessions.get()
    wanted = set(attendance.get("children", []))
    if wanted:
        groups = selectors.attendance_groups(user, activity)
        by_group: dict[Any, list[Child]] = {}
        found = 0
        for group in groups:
            kids = list(selectors.children_of_group(user, group).filter(pk__in=wanted))
            if kids:
                by_group[group] = kids
                found += len(kids)
        if found != len(wanted):
            raise DjangoValidationError(
                {"attendance": [_("A child is not on a class list you take attendance from.")]}
            )
        for group, kids in by_group.items():
            services.take_attendance(
                session=session,
                group=group,
                present=kids,
                by=user,
                version=services.attendance_version(session, group),
            )
    for adult in attendance.get("adults", []):
        services.add_adults(session=session, by=user, **adult)


def register(router: BaseRouter) -> None:
    """Adds this app's resources to the API's router (api/urls.py)."""
    router.register("activities", ActivityViewSet, basename="activity")
