"""What the API says of each thing: the same fields, and the same masking, as the pages."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer

from shouwang.accounts.models import User
from shouwang.care.models import CareRecord, Pairing, RecordKind, WithWhom
from shouwang.children.models import Child, Guardian
from shouwang.core.validators import mask_id_number, mask_phone
from shouwang.orgs.models import Org
from shouwang.safety.models import Incident, IncidentStep


class TokenRequestSerializer(AuthTokenSerializer):
    """A username no account can have (longer than a username may be) is refused before it is
    tried: the login lockout keeps a failed login's username, and PostgreSQL refuses one longer
    than its column (a 500 the API fuzzing found)."""

    username = serializers.CharField(
        label=_("Username"),
        max_length=User._meta.get_field("username").max_length,
        write_only=True,
    )
    otp = serializers.CharField(
        label=_("Two-step verification code"),
        help_text=_(
            "The 6-digit code from the authenticator app (or a recovery code): required for "
            "accounts with two-step verification and for roles that must use it."
        ),
        max_length=20,
        required=False,
        allow_blank=True,
        write_only=True,
    )


class OrgSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent_code", read_only=True, allow_null=True)

    class Meta:
        model = Org
        fields = ["code", "name", "kind", "stage", "parent", "is_active"]


class ChildSerializer(serializers.ModelSerializer):
    """ID numbers are masked (revealing one is an audited act on the page); those who may
    never see them (volunteers, for instance) get nothing."""

    id_number = serializers.SerializerMethodField()
    school = serializers.CharField(source="school.code", read_only=True)
    school_name = serializers.CharField(source="school.name", read_only=True)
    school_class = serializers.CharField(
        source="school_class.code", read_only=True, allow_null=True, default=None
    )
    class_name = serializers.CharField(
        source="school_class.name", read_only=True, allow_null=True, default=None
    )
    home_village = serializers.CharField(
        source="home_village.code", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Child
        fields = [
            "id",
            "name",
            "gender",
            "birth_date",
            "ethnicity",
            "id_number",
            "school",
            "school_name",
            "school_class",
            "class_name",
            "home_village",
            "boarding",
            "left_behind_type",
            "guardian_class",
            "risk_grade",
            "heart_level",
            "status",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_id_number(self, child: Any) -> str | None:
        return mask_id_number(child.id_number) if child.id_visible else None


class GuardianSerializer(serializers.ModelSerializer):
    phone = serializers.SerializerMethodField()

    class Meta:
        model = Guardian
        fields = ["child", "name", "relation", "age", "health", "phone"]

    @extend_schema_field(serializers.CharField())
    def get_phone(self, guardian: Guardian) -> str:
        return mask_phone(guardian.phone) if guardian.phone else ""


class PairingSerializer(serializers.ModelSerializer):
    caregiver = serializers.CharField(source="caregiver.name", read_only=True)
    caregiver_kind = serializers.CharField(source="caregiver.kind", read_only=True)

    class Meta:
        model = Pairing
        fields = [
            "id",
            "child",
            "caregiver",
            "caregiver_kind",
            "role",
            "starts_on",
            "ends_on",
            "end_reason",
        ]


class CareRecordSerializer(serializers.ModelSerializer):
    caregiver = serializers.CharField(source="caregiver.name", read_only=True)

    class Meta:
        model = CareRecord
        fields = [
            "id",
            "child",
            "caregiver",
            "kind",
            "on",
            "minutes",
            "with_whom",
            "findings",
            "abnormal",
            "version",
        ]


class CareRecordCorrectionSerializer(serializers.Serializer):
    """A PATCH of a care record: the fields to change and why. It becomes a new version through
    the same service as the page (care.services.correct_record); the old one is kept."""

    kind = serializers.ChoiceField(choices=RecordKind.choices, required=False)
    on = serializers.DateField(required=False)
    minutes = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=600)
    with_whom = serializers.ChoiceField(choices=WithWhom.choices, required=False)
    findings = serializers.CharField(required=False, allow_blank=True)
    abnormal = serializers.BooleanField(required=False)
    withdrawn = serializers.BooleanField(required=False)
    reason = serializers.CharField(max_length=200, help_text=_("Why the record is corrected."))


class StatsQuerySerializer(serializers.Serializer):
    org = serializers.CharField(help_text=_("The unit's code."))
    on = serializers.DateField(required=False, help_text=_("YYYY-MM-DD; today when left out."))
    # ``from`` and ``to`` as in ``shouwang stats --from --to`` (``from`` is a Python keyword, so
    # the fields are declared as start and end and renamed in get_fields).
    start = serializers.DateField(
        required=False, help_text=_("The flow figures' first day; the current term when left out.")
    )
    end = serializers.DateField(
        required=False, help_text=_("The flow figures' last day; the current term when left out.")
    )
    profile = serializers.CharField(required=False, help_text=_("A definition profile's code."))
    children = serializers.BooleanField(
        required=False, help_text=_("Also list the children counted (for those who see them).")
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = fields.pop("start")
        fields["to"] = fields.pop("end")
        return fields


class IncidentStepSerializer(serializers.ModelSerializer):
    late = serializers.SerializerMethodField()

    class Meta:
        model = IncidentStep
        fields = ["order", "key", "due_at", "done_at", "told_whom", "how", "late"]

    @extend_schema_field(serializers.BooleanField())
    def get_late(self, step: IncidentStep) -> bool:
        return step.is_late()


class IncidentSerializer(serializers.ModelSerializer):
    school = serializers.CharField(source="school.code", read_only=True)
    steps = IncidentStepSerializer(many=True, read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "child",
            "school",
            "kind",
            "occurred_at",
            "place",
            "description",
            "mandatory_report",
            "police_reported_at",
            "closed_at",
            "outcome",
            "steps",
        ]
