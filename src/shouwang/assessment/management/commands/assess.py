"""``shouwang assess --org CODE [--term NAME] [--freeze] [--json] [--preset P]``: compute a term's
scores of every caregiver, class and school under a region (the command is the system's own
hand: no user's scope; the audit log names no actor). Each score in the JSON carries its
subject's 年度考核 as ``year`` (the terms beginning in the term's year)."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from shouwang.assessment import selectors, services
from shouwang.assessment.models import Score
from shouwang.core.commands import BadInputCommand, validation_error_to_command_error
from shouwang.orgs.commands import org_by_code


class Command(BadInputCommand):
    help = "Compute (and freeze) a term's assessment scores under a region."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", required=True, help="the region's code")
        parser.add_argument("--term", default=None, help="the term's name (default: the current)")
        parser.add_argument("--freeze", action="store_true", help="freeze (a closed term only)")
        parser.add_argument(
            "--preset", default=None, help="apply this preset first (seed001, seed002)"
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        org = org_by_code(options["org"])
        term = (
            services.term_named(org, options["term"])
            if options["term"]
            else services.current_term(org)
        )
        if term is None:
            raise CommandError(_("No such term for %(org)s.") % {"org": org.name})
        try:
            if options["preset"]:
                services.apply_preset(org=org, code=options["preset"], by=None)
            run = services.compute(org=org, term=term, freeze=options["freeze"], by=None)
        except ValidationError as exc:
            raise validation_error_to_command_error(exc) from exc
        scores = list(run.scores.select_related("org").order_by("subject", "rank", "name"))
        years = selectors.year_results(run)
        if options["json"]:
            self.stdout.write(json.dumps(as_json(run, scores, years), ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"{org.name} · {term.name} · {len(scores)} " + ("frozen" if run.frozen_at else "open")
        )
        for s in scores:
            if s.subject == "school":
                self.stdout.write(f"{s.rank:>4} {s.total:>6} {s.result:<10} {s.name}")


def year_json(year: selectors.YearResult | None) -> dict[str, Any] | None:
    """The subject's 年度考核: the year's terms, their mean, the result (不合格 when a veto
    point failed in any term of the year), and whether every term is frozen."""
    if year is None:
        return None
    return {
        "year": year.year,
        "total": float(year.total) if year.total is not None else None,
        "result": year.result,
        "vetoed_terms": year.vetoed,
        "final": year.final,
        "terms": [
            {
                "term": t.term.name,
                "total": float(t.score.total) if t.score else None,
                "result": t.score.result if t.score else None,
                "frozen": bool(t.run and t.run.frozen_at),
            }
            for t in year.terms
        ],
    }


def as_json(
    run: Any, scores: list[Score], years: dict[selectors.Identity, selectors.YearResult]
) -> dict[str, Any]:
    return {
        "org": run.org.code,
        "term": run.term.name,
        "on": run.on.isoformat(),
        "run": run.pk,
        "frozen": run.frozen_at is not None,
        "rules": run.rules,
        "scores": [
            {
                "id": s.pk,
                "subject": s.subject,
                "org": s.org.code,
                "caregiver": s.caregiver_id,
                "name": s.name,
                "total": float(s.total),
                "result": s.result,
                "rank": s.rank,
                "points": [
                    {k: p[k] for k in ("code", "measure", "value", "score", "passed", "veto")}
                    | {"trace_total": p.get("trace", {}).get("total", 0)}
                    for p in s.points
                ],
                "year": year_json(years.get(selectors.identity(s))),
            }
            for s in scores
        ],
    }
