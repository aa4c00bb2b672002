from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.commands import (
    BadInputCommand,
    parse_date_arg,
    validation_error_to_command_error,
)
from shouwang.orgs import services
from shouwang.orgs.models import Org, OrgKind


class Command(BadInputCommand):
    help = "Record a school's enrolled students (by grade and gender), as of a date."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", required=True, help="the school's code")
        parser.add_argument("--male", required=True, type=int)
        parser.add_argument("--female", required=True, type=int)
        parser.add_argument("--grade", default="", help="grade name, e.g. 三年级")
        parser.add_argument("--on", default=None, help="YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        school = Org.objects.filter(code=options["org"], kind=OrgKind.SCHOOL).first()
        if school is None:
            raise CommandError(
                _("No school has the code %(code)s.") % {"code": options["org"]}, returncode=1
            )
        if options["male"] < 0 or options["female"] < 0:
            raise CommandError(_("Counts cannot be negative."), returncode=1)
        on = parse_date_arg(options["on"], default=timezone.localdate())
        try:
            grade = None
            if options["grade"]:
                grade = (
                    Org.objects.filter(
                        path__startswith=school.path, kind=OrgKind.GRADE, name=options["grade"]
                    ).first()
                ) or services.add_org(
                    name=options["grade"], kind=OrgKind.GRADE, parent=school, by=None
                )
            enrolment = services.record_enrolment(
                school=school,
                grade=grade,
                male=options["male"],
                female=options["female"],
                on=on,
                by=None,
            )
        except ValidationError as exc:
            raise validation_error_to_command_error(exc) from exc
        self.stdout.write(
            f"{school.code}\t{options['grade'] or _('whole school')}\t{on}\t{enrolment.total}"
        )
