"""Assessment's pages: one's own scores, a unit's ranking for a term, a score with each point's
rule, value and the records behind it, the region's rules with their edit forms, computing and
freezing a term."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from shouwang.accounts.access import acting_user
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.core.views import form_page
from shouwang.orgs.models import REGION_KINDS, Org, OrgKind
from shouwang.units.selectors import org_visible_to

from . import selectors, services
from .forms import BandsForm, ComputeForm, FreezeForm, NewPointForm, PointForm, PresetForm
from .measures import MEASURES, RATE
from .models import Result, Scheme, Score, Subject

RANKED = (*REGION_KINDS, OrgKind.SCHOOL)
LINKS = {
    "record": "care:record_detail",
    "incident": "safety:detail",
    "activity": "activities:detail",
    "round_unit": "oversight:unit",
}


def _org(request: HttpRequest, code: str, *, change: bool = False) -> Org:
    org = org_visible_to(request.user, code)
    if org.kind not in RANKED:
        raise Http404
    allowed = selectors.may_change if change else selectors.may_view
    if not allowed(request.user, org):
        raise Http404
    return org


def index(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if not scope.lists_own(Area.ASSESSMENT, Action.VIEW):
        raise Http404
    units = list(
        Org.objects.filter(scope.units_q(Area.ASSESSMENT, Action.VIEW), kind__in=RANKED).order_by(
            "depth", "path"
        )[:50]
    )
    # The topmost units only: a county's officer is shown the county, not its 200 schools.
    tops = [u for u in units if not any(u.path.startswith(o.path) and u != o for o in units)]
    return render(
        request,
        "assessment/index.html",
        {"mine": list(selectors.my_scores(request.user)[:20]), "units": tops[:20]},
    )


def ranking(request: HttpRequest, code: str) -> HttpResponse:
    org = _org(request, code)
    terms = services.terms_of(org)
    term = None
    if request.GET.get("term", "").isdigit():
        term = next((t for t in terms if t.pk == int(request.GET["term"])), None)
    term = term or services.current_term(org) or (terms[0] if terms else None)
    subject = request.GET.get("subject", "")
    if subject not in Subject.values:
        subject = Subject.SCHOOL if org.kind in REGION_KINDS else Subject.CLASS
    result = selectors.ranking_for(request.user, org, term, subject)
    return render(
        request,
        "assessment/ranking.html",
        {
            "org": org,
            "ranking": result,
            "terms": terms,
            "subjects": Subject.choices,
            "may_change": org.kind in REGION_KINDS and selectors.may_change(request.user, org),
        },
    )


def _points_shown(user: Any, score: Score) -> list[dict[str, Any]]:
    children = {
        item["child"]
        for point in score.points
        for item in point.get("trace", {}).get("items", [])
        if "child" in item
    }
    visible = selectors.visible_children(user, children)
    shown = []
    for point in score.points:
        trace = point.get("trace", {})
        items = []
        for item in trace.get("items", []):
            link = ""
            for key, name in LINKS.items():
                if key in item:
                    link = reverse(name, args=[item[key]])
            child_link = (
                reverse("children:detail", args=[item["child"]])
                if item.get("child") in visible
                else ""
            )
            items.append({**item, "link": link, "child_link": child_link})
        kind = MEASURES[point["measure"]].kind if point["measure"] in MEASURES else RATE
        shown.append(
            {
                **point,
                "measure_label": selectors.measure_label(point["measure"]),
                "is_rate": kind == RATE,
                "value_pct": None if point["value"] is None else round(point["value"] * 100, 1),
                "pass_pct": round(float(point["pass_at"]) * 100, 1),
                "full_pct": round(float(point["full_at"]) * 100, 1),
                "items": items,
                "more": max(0, trace.get("total", 0) - len(items)),
                "query": trace.get("query", ""),
            }
        )
    return shown


def score(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.score_visible_to(request.user, pk)
    year = selectors.year_result(found)
    others = [t.score.pk for t in year.terms if t.score is not None] if year else []
    return render(
        request,
        "assessment/score.html",
        {
            "score": found,
            "run": found.run,
            "points": _points_shown(request.user, found),
            "failed": found.result == Result.FAIL,
            "vetoed": any(p["veto"] and p["passed"] is False for p in found.points),
            "year": year,
            # The year's other terms link to their scores where the reader may open them.
            "linked": set(
                selectors.scores_visible_to(request.user)
                .filter(pk__in=others)
                .values_list("pk", flat=True)
            ),
        },
    )


def rules(request: HttpRequest, code: str) -> HttpResponse:
    org = _org(request, code)
    scheme = services.scheme_for(org)
    own = scheme is not None and scheme.org_id == org.pk
    may_change = org.kind in REGION_KINDS and selectors.may_change(request.user, org)
    points = list(selectors.points_of(scheme)) if scheme else []
    bands = None
    if may_change and own and scheme is not None:
        bands = BandsForm(
            initial={
                **{name: getattr(scheme, name) for name in services.BANDS},
                "version": services.bands_version(scheme),
            }
        )
    return render(
        request,
        "assessment/rules.html",
        {
            "org": org,
            "scheme": scheme,
            "own": own,
            "bands": bands,
            "points": [
                (p, selectors.measure_label(p.measure), MEASURES[p.measure].kind == RATE)
                for p in points
                if p.measure in MEASURES
            ],
            "may_change": may_change,
            "may_edit_points": may_change and own,
        },
    )


def _own_scheme(request: HttpRequest, code: str) -> tuple[Org, Scheme]:
    """The region's own scheme, for one who may change it (else 404)."""
    org = _org(request, code, change=True)
    scheme = selectors.scheme_of(org)
    if org.kind not in REGION_KINDS or scheme is None:
        raise Http404
    return org, scheme


def bands(request: HttpRequest, code: str) -> HttpResponse:
    """The scores the region's grades begin at; the form is on the rules page, and comes back
    here with what was wrong (a stale form says what the other officer changed)."""
    org, scheme = _own_scheme(request, code)
    form = BandsForm(
        request.POST or None,
        initial={
            **{name: getattr(scheme, name) for name in services.BANDS},
            "version": services.bands_version(scheme),
        },
    )
    return form_page(
        request,
        form=form,
        save=lambda d: services.change_bands(
            scheme=scheme,
            by=acting_user(request),
            version=d.get("version"),
            **{k: d[k] for k in services.BANDS},
        ),
        done=_("The grade bands were saved."),
        back=reverse("assessment:rules", args=[org.code]),
        template="web/form.html",
        context={
            "title": _("Grade bands") + f" · {org.name}",
            "note": _(
                "A total from each score on gets that grade; failing a veto point is 不合格 "
                "whatever the total. Scores computed before keep the bands they were under."
            ),
        },
    )


def add_point(request: HttpRequest, code: str) -> HttpResponse:
    org, scheme = _own_scheme(request, code)
    form = NewPointForm(request.POST or None)
    return form_page(
        request,
        form=form,
        save=lambda d: services.add_point(scheme=scheme, by=acting_user(request), **d),
        done=_("The point was added."),
        back=reverse("assessment:rules", args=[org.code]),
        template="web/form.html",
        context={
            "title": _("Add a point") + f" · {org.name}",
            "note": _(
                "Choose what the engine counts and for whom; shares are written as 0.95 for "
                "95%, counts as numbers of records. A point is switched off on its edit page."
            ),
        },
    )


def preset(request: HttpRequest, code: str) -> HttpResponse:
    org = _org(request, code, change=True)
    if org.kind not in REGION_KINDS:
        raise Http404
    form = PresetForm(request.POST or None)
    return form_page(
        request,
        form=form,
        save=lambda d: services.apply_preset(org=org, code=d["preset"], by=acting_user(request)),
        done=_("The preset was applied."),
        back=reverse("assessment:rules", args=[org.code]),
        template="web/form.html",
        context={
            "title": _("Apply a preset") + f" · {org.name}",
            "note": _("The preset's points replace the points in force; those stay, switched off."),
        },
    )


def point(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.point_manageable_by(request.user, pk)
    form = PointForm(
        request.POST or None,
        instance=found,
        initial={"version": services.point_version(found)},
    )
    return form_page(
        request,
        form=form,
        save=lambda d: services.change_point(
            point=found,
            by=acting_user(request),
            version=d.get("version"),
            **{k: d[k] for k in services.EDITABLE},
        ),
        done=_("The point was saved."),
        back=reverse("assessment:rules", args=[found.scheme.org.code]),
        template="web/form.html",
        context={
            "title": _("Assessment point") + f" · {found.label}",
            "note": _("%(measure)s. Shares are written as 0.95 for 95%%.")
            % {"measure": selectors.measure_label(found.measure)},
        },
    )


def compute(request: HttpRequest, code: str) -> HttpResponse:
    org = _org(request, code, change=True)
    if org.kind not in REGION_KINDS:
        raise Http404
    form = ComputeForm(request.POST or None, terms=services.terms_of(org))
    return form_page(
        request,
        form=form,
        save=lambda d: services.compute(
            org=org, term=d["term"], freeze=d["freeze"], by=acting_user(request)
        ),
        done=_("The scores were computed."),
        back=reverse("assessment:ranking", args=[org.code]),
        template="web/form.html",
        context={
            "title": _("Compute the scores") + f" · {org.name}",
            "note": _(
                "Every caregiver, class and school under this unit is scored from the records; "
                "the term's open scores are replaced, frozen ones are kept."
            ),
        },
    )


def freeze(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.run_manageable_by(request.user, pk)
    form = FreezeForm(request.POST or None, initial={"version": services.run_version(run)})

    def save(d: dict[str, Any]) -> None:
        services.check_run_version(run, d.get("version"))
        services.freeze(run=run, by=acting_user(request))

    return form_page(
        request,
        form=form,
        save=save,
        done=_("The scores were frozen."),
        back=reverse("assessment:ranking", args=[run.org.code]) + f"?term={run.term_id}",
        template="web/form.html",
        context={
            "title": _("Freeze the scores") + f" · {run.org.name} · {run.term.name}",
            "note": _("Frozen scores never change, whatever is recorded afterwards."),
        },
    )
