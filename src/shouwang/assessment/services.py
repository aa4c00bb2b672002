"""Every write of assessment: a region's scheme from a preset, a point's weights and thresholds,
computing a term (replacing its open run) and freezing a closed term's run — by an officer, or
by the worker within the hour after the term closes (:func:`freeze_closed_terms`)."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shouwang.accounts.models import User
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.audit import services as audit
from shouwang.audit.models import AuditAction
from shouwang.care.models import Caregiver, Pairing
from shouwang.core.concurrency import check_version, version_token
from shouwang.orgs.models import REGION_KINDS, Org, Term
from shouwang.orgs.selectors import calendar_region_for
from shouwang.stats.flows import period_of

from .measures import COUNT, MEASURES, Context, Key, Measured, context_for, run_measures
from .models import Point, Result, Run, Scheme, Score, Subject
from .presets import PRESETS

log = logging.getLogger(__name__)

CHUNK = 10_000
EDITABLE = ("label", "weight", "pass_at", "full_at", "veto", "is_active")


def _may_change(by: User | None, org: Org) -> None:
    if by is not None and not scope_of(by).may(Area.ASSESSMENT, Action.CHANGE, org):
        raise ValidationError(
            _("You may not change the assessment of %(org)s.") % {"org": org.name}
        )


# --- the rules ------------------------------------------------------------------------------


@transaction.atomic
def apply_preset(*, org: Org, code: str, by: User | None) -> Scheme:
    """The region takes a preset: its points replace the scheme's points in force (those stay,
    switched off)."""
    if org.kind not in REGION_KINDS:
        raise ValidationError(_("Only a region keeps an assessment scheme."))
    if code not in PRESETS:
        raise ValidationError({"preset": _("No such preset.")})
    _may_change(by, org)
    preset = PRESETS[code]
    scheme = Scheme.objects.select_for_update().filter(org=org).first()
    if scheme is None:
        scheme = Scheme(org=org)
    scheme.name = preset["name"]
    scheme.preset = code
    scheme.updated_by = by
    scheme.full_clean()
    scheme.save()
    scheme.points.filter(is_active=True).update(is_active=False)
    points = []
    for order, spec in enumerate(preset["points"]):
        point = Point(
            scheme=scheme,
            order=order,
            code=spec["code"],
            label=spec["label"],
            subject=spec["subject"],
            measure=spec["measure"],
            weight=spec["weight"],
            pass_at=Decimal(spec["pass_at"]),
            full_at=Decimal(spec["full_at"]),
            veto=spec["veto"],
            source=spec["source"],
        )
        _check_point(point)
        point.full_clean()
        points.append(point)
    Point.objects.bulk_create(points)
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=scheme,
        org_path=org.path,
        changes={"preset": code, "points": [p.label for p in points]},
    )
    return scheme


def _check_point(point: Point) -> None:
    measure = MEASURES.get(point.measure)
    if measure is None:
        raise ValidationError({"measure": _("No such measure.")})
    if point.subject not in measure.subjects:
        raise ValidationError(
            {
                "subject": _("%(measure)s is not measured for this subject.")
                % {"measure": measure.label}
            }
        )
    if measure.kind != COUNT and (point.full_at > 1 or point.pass_at > 1):
        raise ValidationError({"full_at": _("A share is at most 1 (100%).")})
    if point.pass_at > point.full_at:
        raise ValidationError(
            {"pass_at": _("“Failed below” cannot be higher than “full points from”.")}
        )


def _point_state(point: Point) -> dict[str, Any]:
    return {name: getattr(point, name) for name in EDITABLE}


def point_version(point: Point) -> str:
    return version_token(_point_state(point))


@transaction.atomic
def change_point(*, point: Point, by: User | None, version: str | None, **values: Any) -> Point:
    """A point's label, weight, thresholds, veto or being in force; refused over a stale form."""
    point = Point.objects.select_for_update().select_related("scheme__org").get(pk=point.pk)
    _may_change(by, point.scheme.org)
    check_version(version, _point_state(point))
    before = _point_state(point)
    for name in EDITABLE:
        if name in values:
            setattr(point, name, values[name])
    _check_point(point)
    point.full_clean()
    point.save()
    after = _point_state(point)
    changes = {k: [_plain(before[k]), _plain(after[k])] for k in EDITABLE if before[k] != after[k]}
    if changes:
        Scheme.objects.filter(pk=point.scheme_id).update(updated_by=by, updated_at=timezone.now())
        audit.record(
            actor=by,
            action=AuditAction.UPDATE,
            obj=point,
            org_path=point.scheme.org.path,
            changes=changes,
        )
    return point


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


BANDS = ("pass_score", "good_score", "excellent_score")


def _bands_state(scheme: Scheme) -> dict[str, Any]:
    return {name: getattr(scheme, name) for name in BANDS}


def bands_version(scheme: Scheme) -> str:
    return version_token(_bands_state(scheme))


def check_bands(pass_score: int, good_score: int, excellent_score: int) -> None:
    if not 0 <= pass_score <= good_score <= excellent_score <= 100:
        raise ValidationError(
            {
                "good_score": _(
                    "The grades begin in order: pass, then good, then excellent, within 0 to 100."
                )
            }
        )


@transaction.atomic
def change_bands(*, scheme: Scheme, by: User | None, version: str | None, **bands: int) -> Scheme:
    """The scores the region's grades begin at (合格 / 良好 / 优秀, 60 / 80 / 90 in the presets);
    refused over a stale form, audited. Runs computed before keep the bands they were under."""
    scheme = Scheme.objects.select_for_update().select_related("org").get(pk=scheme.pk)
    _may_change(by, scheme.org)
    check_version(version, _bands_state(scheme))
    before = _bands_state(scheme)
    after = before | {k: v for k, v in bands.items() if k in BANDS}
    check_bands(after["pass_score"], after["good_score"], after["excellent_score"])
    changes = {k: [before[k], after[k]] for k in BANDS if before[k] != after[k]}
    if not changes:
        return scheme
    for name, value in after.items():
        setattr(scheme, name, value)
    scheme.updated_by = by
    scheme.full_clean()
    scheme.save()
    audit.record(
        actor=by, action=AuditAction.UPDATE, obj=scheme, org_path=scheme.org.path, changes=changes
    )
    return scheme


@transaction.atomic
def add_point(
    *,
    scheme: Scheme,
    by: User | None,
    subject: str,
    measure: str,
    label: str,
    weight: int,
    pass_at: Decimal,
    full_at: Decimal,
    veto: bool = False,
    source: str = "",
) -> Point:
    """A point of the region's own beyond its preset's: one of the measures the engine counts
    (``measures.MEASURES``), for a subject it is counted for, with its weight and thresholds."""
    scheme = Scheme.objects.select_for_update().select_related("org").get(pk=scheme.pk)
    _may_change(by, scheme.org)
    taken = set(
        scheme.points.filter(subject=subject, is_active=True).values_list("code", flat=True)
    )
    base = measure.replace("_", "-")[:36]
    code = next(c for n in range(1, 100) if (c := base if n == 1 else f"{base}-{n}") not in taken)
    last = scheme.points.aggregate(n=Max("order"))["n"]
    point = Point(
        scheme=scheme,
        order=(last or 0) + 1,
        code=code,
        label=label.strip(),
        subject=subject,
        measure=measure,
        weight=weight,
        pass_at=pass_at,
        full_at=full_at,
        veto=veto,
        source=source.strip(),
    )
    _check_point(point)
    point.full_clean()
    point.save()
    scheme.updated_by = by
    scheme.save(update_fields=["updated_by", "updated_at"])
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=point,
        org_path=scheme.org.path,
        changes={
            "subject": subject,
            "measure": measure,
            "label": point.label,
            "weight": weight,
            "pass_at": str(pass_at),
            "full_at": str(full_at),
            "veto": veto,
        },
    )
    return point


def scheme_for(org: Org) -> Scheme | None:
    """The scheme of ``org`` or of the nearest region above it."""
    chain = [org, *reversed(Org.objects.get_ancestors(org))]
    found = {s.org_id: s for s in Scheme.objects.filter(org__in=chain)}
    return next((found[o.pk] for o in chain if o.pk in found), None)


def terms_of(org: Org) -> list[Term]:
    region = calendar_region_for(org)
    return list(Term.objects.filter(region=region).order_by("-start")) if region else []


def current_term(org: Org, on: date | None = None) -> Term | None:
    on = on or timezone.localdate()
    name = period_of(org, on).name
    return next((t for t in terms_of(org) if t.name == name), None) if name else None


def term_named(org: Org, name: str) -> Term | None:
    return next((t for t in terms_of(org) if t.name == name), None)


# --- computing ------------------------------------------------------------------------------


def _q(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def score_point(point: dict[str, Any], measured: Measured | None) -> dict[str, Any]:
    """One point of one subject: passed when the value reaches ``pass_at``, full points from
    ``full_at``, in proportion between; nothing to measure leaves it out of the total."""
    out = dict(point)
    if measured is None or measured.value is None:
        return out | {
            "value": None,
            "shown": "—",
            "score": None,
            "passed": None,
            "applicable": False,
            "trace": measured.trace if measured else {},
        }
    pass_at, full_at = float(point["pass_at"]), float(point["full_at"])
    value = measured.value
    passed = value >= pass_at
    score = point["weight"] * min(1.0, value / full_at) if passed else 0.0
    return out | {
        "value": value,
        "shown": measured.shown,
        "score": float(_q(score)),
        "passed": passed,
        "applicable": True,
        "trace": measured.trace,
    }


def result_of(points: list[dict[str, Any]], rules: dict[str, Any]) -> tuple[Decimal, str] | None:
    """The total out of 100 over the points that applied, and the result: 不合格 when a veto
    point failed whatever the total (seed 001)."""
    applied = [p for p in points if p["applicable"]]
    if not applied:
        return None
    weight = sum(p["weight"] for p in applied)
    total = _q(100 * sum(p["score"] for p in applied) / weight)
    return total, grade(total, rules, vetoed=any(p["veto"] and not p["passed"] for p in applied))


def grade(total: Decimal, rules: dict[str, Any], *, vetoed: bool) -> str:
    """The result of a total under the rules' bands: 不合格 below the pass score, or whenever a
    veto point failed."""
    if vetoed or total < rules["pass_score"]:
        return Result.FAIL
    if total >= rules["excellent_score"]:
        return Result.EXCELLENT
    if total >= rules["good_score"]:
        return Result.GOOD
    return Result.PASS


def year_total(totals: list[Decimal]) -> Decimal:
    """The year's score: the mean of its terms' totals, to one place."""
    return (sum(totals, Decimal(0)) / len(totals)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def rules_of(scheme: Scheme) -> dict[str, Any]:
    points = [
        {
            "code": p.code,
            "label": p.label,
            "subject": p.subject,
            "measure": p.measure,
            "kind": MEASURES[p.measure].kind,
            "weight": p.weight,
            "pass_at": str(p.pass_at),
            "full_at": str(p.full_at),
            "veto": p.veto,
            "source": p.source,
        }
        for p in scheme.points.filter(is_active=True).order_by("subject", "order", "pk")
        if p.measure in MEASURES
    ]
    return {
        "scheme": scheme.name,
        "preset": scheme.preset,
        "pass_score": scheme.pass_score,
        "good_score": scheme.good_score,
        "excellent_score": scheme.excellent_score,
        "points": points,
    }


def _subjects(ctx: Context) -> dict[Key, tuple[str, Org, Caregiver | None]]:
    out: dict[Key, tuple[str, Org, Caregiver | None]] = {}
    by_path = {s.path: s for s in ctx.schools.values()}
    for pk, school in ctx.schools.items():
        out[(Subject.SCHOOL, pk)] = (school.name, school, None)
    for pk, klass in ctx.classes.items():
        steps = range(Org.steplen, len(klass.path), Org.steplen)
        above = [by_path[klass.path[:i]] for i in steps if klass.path[:i] in by_path]
        name = f"{above[0].name} {klass.name}" if above else klass.name
        out[(Subject.CLASS, pk)] = (name, klass, None)
    ids = sorted(ctx.caregivers)
    for i in range(0, len(ids), CHUNK):  # (SQLite takes so many parameters a query)
        for caregiver in Caregiver.objects.filter(pk__in=ids[i : i + CHUNK]).select_related("org"):
            out[(Subject.CAREGIVER, caregiver.pk)] = (caregiver.name, caregiver.org, caregiver)
    return out


def compute_scores(
    region: Org, rules: dict[str, Any], start: date, on: date
) -> list[tuple[Key, str, Org, Caregiver | None, Decimal, str, list[dict[str, Any]]]]:
    """Every subject's points, total and result under ``rules`` (a fixed number of queries)."""
    ctx = context_for(region, start, on)
    # Caregivers assessed: those paired to a child of the region in the term.
    ctx.caregivers.update(
        Pairing.objects.filter(child__in=ctx.children_q(), starts_on__lte=on)
        .exclude(ends_on__lt=start)
        .values_list("caregiver_id", flat=True)
        .distinct()
    )
    measured = run_measures(ctx, {p["measure"] for p in rules["points"]})
    by_subject: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for point in rules["points"]:
        by_subject[point["subject"]].append(point)
    rows = []
    for key, (name, unit, caregiver) in _subjects(ctx).items():
        points = [score_point(p, measured[p["measure"]].get(key)) for p in by_subject[key[0]]]
        result = result_of(points, rules)
        if result is None:
            continue  # nothing to assess (a class without children)
        rows.append((key, name, unit, caregiver, result[0], result[1], points))
    return rows


@transaction.atomic
def compute(
    *, org: Org, term: Term, by: User | None, freeze: bool = False, on: date | None = None
) -> Run:
    """The term's scores of every caregiver, class and school under ``org``, replacing the open
    run of the term; ``freeze`` freezes it (a closed term only). A frozen term is not computed
    again."""
    _may_change(by, org)
    today = timezone.localdate()
    if term.start > today:
        raise ValidationError(_("The term %(term)s has not begun.") % {"term": term.name})
    closed = term.end < today
    if freeze and not closed:
        raise ValidationError(_("Only a closed term's scores are frozen."))
    scheme = scheme_for(org)
    if scheme is None:
        raise ValidationError(_("No assessment scheme applies here: apply a preset first."))
    # One writer at a time per region and term.
    Org.objects.select_for_update().filter(pk=org.pk).first()
    old = Run.objects.filter(org=org, term=term, is_current=True).first()
    if old is not None and old.frozen_at is not None:
        raise ValidationError(
            _("The scores of %(term)s are frozen and are not computed again.") % {"term": term.name}
        )
    # A region above that froze the term decides it for everything under it: a township may
    # not put easier scores of its own over the county's frozen ones.
    above = Run.objects.filter(
        org__in=Org.objects.get_ancestors(org), term=term, is_current=True, frozen_at__isnull=False
    )
    if above.exists():
        raise ValidationError(
            _("%(region)s froze the scores of %(term)s: they are not computed again below it.")
            % {"region": above.first().org.name, "term": term.name}  # type: ignore[union-attr]
        )
    on = min(on or today, term.end)
    with translation.override(settings.LANGUAGE_CODE):  # the traces' words, as stored
        rules = rules_of(scheme)
        rows = compute_scores(org, rules, term.start, on)
    if old is not None:
        old.is_current = False
        old.save(update_fields=["is_current"])
    now = timezone.now()
    run = Run(
        org=org,
        term=term,
        on=on,
        computed_at=now,
        computed_by=by,
        rules=rules,
        frozen_at=now if freeze else None,
        frozen_by=by if freeze else None,
    )
    run.full_clean()
    run.save()
    ranks = _ranks(rows)
    Score.objects.bulk_create(
        [
            Score(
                run=run,
                subject=key[0],
                org=org_,
                caregiver=caregiver,
                name=name[:100],
                total=total,
                result=result,
                rank=ranks[key],
                points=points,
            )
            for key, name, org_, caregiver, total, result, points in rows
        ],
        batch_size=500,
    )
    audit.record(
        actor=by,
        action=AuditAction.CREATE,
        obj=run,
        org_path=org.path,
        changes={
            "term": term.pk,
            "on": on.isoformat(),
            "frozen_at": run.frozen_at.isoformat() if run.frozen_at else None,
        },
    )
    return run


def _ranks(rows: list[Any]) -> dict[Key, int]:
    """1, 2, 2, 4…: by total, highest first, within each kind of subject."""
    ranks: dict[Key, int] = {}
    by_kind: dict[str, list[tuple[Decimal, Key]]] = defaultdict(list)
    for key, _n, _o, _c, total, _r, _p in rows:
        by_kind[key[0]].append((total, key))
    for items in by_kind.values():
        items.sort(key=lambda t: -t[0])
        previous: Decimal | None = None
        rank = 0
        for i, (total, key) in enumerate(items, start=1):
            if total != previous:
                rank, previous = i, total
            ranks[key] = rank
    return ranks


@transaction.atomic
def freeze(*, run: Run, by: User | None) -> Run:
    """A closed term's current run is frozen: its scores never change afterwards."""
    run = Run.objects.select_for_update().select_related("org", "term").get(pk=run.pk)
    _may_change(by, run.org)
    if not run.is_current:
        raise ValidationError(_("A newer computation replaced this one."))
    if run.frozen_at is not None:
        raise ValidationError(_("These scores are already frozen."))
    if run.term.end >= timezone.localdate():
        raise ValidationError(_("Only a closed term's scores are frozen."))
    run.frozen_at = timezone.now()
    run.frozen_by = by
    run.save(update_fields=["frozen_at", "frozen_by"])
    audit.record(
        actor=by,
        action=AuditAction.UPDATE,
        obj=run,
        org_path=run.org.path,
        changes={"frozen_at": run.frozen_at.isoformat(), "term": run.term_id},
    )
    return run


def freeze_closed_terms(today: date | None = None) -> list[Run]:
    """The worker's pass (hourly, ``tasks.freeze_closed_terms``): a term that closed before
    ``today`` is frozen, so that records entered afterwards, dated in the term, never move its
    scores. Each open run of a closed term is computed once more over the whole term (records up
    to its last day) and frozen; a region keeping its own scheme whose latest closed term has no
    run gets one, frozen. Top regions first: below a region that froze the term, an open run is
    frozen as it stands (it is not computed again there). Returns the runs frozen."""
    today = today or timezone.localdate()
    targets: dict[tuple[int, int], tuple[Org, Term]] = {}
    for run in Run.objects.filter(
        is_current=True, frozen_at__isnull=True, term__end__lt=today
    ).select_related("org", "term"):
        targets[(run.org_id, run.term_id)] = (run.org, run.term)
    for scheme in Scheme.objects.filter(org__is_active=True).select_related("org"):
        closed = [t for t in terms_of(scheme.org) if t.end < today]
        if closed and not Run.objects.filter(org=scheme.org, term=closed[0]).exists():
            targets.setdefault((scheme.org_id, closed[0].pk), (scheme.org, closed[0]))
    frozen = []
    for org, term in sorted(targets.values(), key=lambda t: (t[0].depth, t[0].path, t[1].start)):
        above = Run.objects.filter(
            org__in=Org.objects.get_ancestors(org),
            term=term,
            is_current=True,
            frozen_at__isnull=False,
        )
        open_run = Run.objects.filter(
            org=org, term=term, is_current=True, frozen_at__isnull=True
        ).first()
        if above.exists():
            if open_run is not None:
                frozen.append(freeze(run=open_run, by=None))
            continue
        try:
            frozen.append(compute(org=org, term=term, by=None, freeze=True))
        except ValidationError:
            log.warning("assessment: %s %s could not be computed to freeze", org.code, term.pk)
            if open_run is not None:
                frozen.append(freeze(run=open_run, by=None))
    return frozen


def run_version(run: Run) -> str:
    return version_token({"run": run.pk, "current": run.is_current, "frozen": bool(run.frozen_at)})


def check_run_version(run: Run, version: str | None) -> None:
    check_version(
        version, {"run": run.pk, "current": run.is_current, "frozen": bool(run.frozen_at)}
    )


def seed_demo(county: Org, *, by: User | None = None) -> Run | None:
    """For the demo: the county takes seed 001's scheme (unless it has one) and its current
    term is computed. None when the county keeps no term calendar."""
    if not Scheme.objects.filter(org=county).exists():
        apply_preset(org=county, code="seed001", by=by)
    term = current_term(county)
    if term is None:
        return None
    return compute(org=county, term=term, by=by)
