"""Writes of the reports app: a region's officer uploads a new version of the region's
document template (validated, audited; older versions stay)."""

from __future__ import annotations

import hashlib
import time
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from jinja2 import TemplateError

from shouwang.accounts.models import User
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.care.models import CaregiverKind, RecordKind
from shouwang.crosschecks.models import ListKind
from shouwang.orgs.models import Org
from shouwang.stats.flows import Period

from .context import Problems, Report, variables
from .models import ReportTemplate
from .render import charts, is_docx, render_docx_context

MAX_TEMPLATE_BYTES = 5 * 1024 * 1024


def sample_report(org: Org, *, with_money: bool) -> Report:
    """A report of nothing (every figure zero), to try a template with before it is kept."""
    today = timezone.localdate()
    zeros = {
        "org": org.code,
        "org_name": org.name,
        "on": today.isoformat(),
        "profile": "",
        "students_total": 0,
        "students_by_stage": dict.fromkeys(("kindergarten", "primary", "junior", "senior"), 0),
        "left_behind_total": 0,
        "left_behind_ratio": None,
        "by_gender": {"male": 0, "female": 0},
        "by_type": dict.fromkeys(
            (
                "both_parents_away",
                "father_away",
                "mother_away",
                "one_away_other_unable",
                "orphan_or_single_parent",
            ),
            0,
        ),
        "by_guardian_class": dict.fromkeys(("class_1", "class_2", "class_3"), 0),
        "by_stage": dict.fromkeys(("kindergarten", "primary", "junior", "senior"), 0),
        "by_living_with": dict.fromkeys(
            ("one_parent", "grandparents", "other_relatives", "entrusted_carer", "alone"), 0
        ),
        "boarding": 0,
        "pairing_coverage": None,
        "pairings_by_mode": {"one_to_one": 0, "two_to_one": 0, "many_to_one": 0},
        "caregivers_by_kind": dict.fromkeys(CaregiverKind.values, 0),
        "difficulty_flags": dict.fromkeys(ListKind.values, 0),
        "care_person_times": dict.fromkeys(RecordKind.values, 0),
        "activities": {"count": 0, "person_times": 0, "children_reached": 0},
        "commendations": {"children": 0, "adults": 0},
        "guardians_trained": 0,
        "emergencies": {"reported": 0, "steps_late": 0},
    }
    if with_money:
        zeros["assistance"] = {
            "payments": 0,
            "children_helped": 0,
            "amount_total": "0.00",
            "by_programme": {},
        }
    report = Report(
        org=org,
        period=Period(date(today.year, 1, 1), today),
        on=today,
        data=zeros,
        with_money=with_money,
        family_calls=0,
        problems=Problems(),
    )
    report.values = variables(report)
    report.values["next_steps"] = ["……"]
    return report


# How long the sample report may take through an uploaded template (the default: ~0.2 s).
MAX_RENDER_SECONDS = 5


def check_template(org: Org, data: bytes) -> None:
    """Refuse what is not a .docx the documents can be written with: too big, not Word, or not
    rendering (a syntax error, an unknown variable, what the sandbox forbids) for a reader
    who may see money and for one who may not."""
    if len(data) > MAX_TEMPLATE_BYTES:
        raise ValidationError(
            _("The template is larger than %(mb)s MB.") % {"mb": MAX_TEMPLATE_BYTES // 2**20},
            code="too_big",
        )
    if not is_docx(data):
        raise ValidationError(_("The file is not a Word document (.docx)."), code="not_docx")
    for with_money in (True, False):
        report = sample_report(org, with_money=with_money)
        begin = time.monotonic()
        try:
            render_docx_context(report.values, data, charts(report))
        except TemplateError as exc:
            raise ValidationError(
                _(
                    "The template cannot be used: %(error)s. Use only the variables listed on the "
                    "variables page; wrap the money variables in {%% if with_money %%}."
                )
                % {"error": exc},
                code="bad_template",
            ) from exc
        except Exception as exc:
            # (Not the exception's text: it may name the server's paths.)
            raise ValidationError(
                _("The template cannot be read: open it in Word or WPS and save it again."),
                code="unreadable",
            ) from exc
        if time.monotonic() - begin > MAX_RENDER_SECONDS:
            # Every download renders it again: a template that loops for long is refused.
            raise ValidationError(
                _("The template takes too long to fill in: remove its large loops."),
                code="slow",
            )


def upload_template(*, region: Org, data: bytes, filename: str, by: User | None) -> ReportTemplate:
    check_template(region, data)
    with transaction.atomic():
        # Lock the region's row so two uploads at once cannot take the same version number.
        Org.objects.select_for_update().filter(pk=region.pk).first()
        last = ReportTemplate.objects.filter(region=region).aggregate(n=Max("version"))["n"]
        template = ReportTemplate(
            region=region,
            version=(last or 0) + 1,
            filename=filename[:200],
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            uploaded_by=by,
            uploaded_at=timezone.now(),
        )
        template.file.save(f"{region.code}-v{template.version}.docx", ContentFile(data), save=False)
        template.full_clean()
        template.save()
        audit.record(
            actor=by,
            action=AuditAction.CREATE,
            obj=template,
            org_path=region.path,
            changes={
                "version": template.version,
                "filename": template.filename,
                "sha256": template.sha256,
            },
        )
    return template


def record_download(*, by: Any, org: Org, what: str, rows: int) -> None:
    """A document handed out: who took which unit's figures (an export, as the ledger's)."""
    with transaction.atomic():
        audit.record_export(
            by=by if isinstance(by, User) else None,
            what=what,
            org_path=org.path,
            rows=rows,
            masked=[],
        )
