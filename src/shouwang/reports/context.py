"""The one context builder of the 工作总结 / 简报: every figure a document shows comes from here.

The figures are the statistics JSON (interfaces.md) as ``shouwang stats --org CODE --on DAY
--from --to --json`` prints it — ``stats.selectors.figures`` and ``flows_for`` for the command
line, ``figures_for`` / ``flows_for`` with the user for a page (their scope, small counts
hidden as in every export) — never counted again here: the family-contact calls too (its
``family_calls`` key). The document's own additions are what the statistics JSON does not carry:
the problems found (duties overdue from the duty engine, unpaired children, late rounds, long
parent silences, open rectifications: inspections.selectors.open_rectifications), each read
through its own app's selector, and the goods given with their quantities (the JSON's
``assistance`` counts goods among its payments and children helped but carries money only),
counted from the same payments as the JSON's ``assistance``.

The template variables are flat names (documented in :data:`VARIABLES`, shown on the variables
page): sentences in the register of the seeds ("留守儿童73人，占学生总数的7.62%") for the
default template, and every number on its own for a county that writes its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shouwang.assistance import selectors as assistance
from shouwang.care import engine
from shouwang.care import selectors as care
from shouwang.care.models import CaregiverKind, PairingMode, RecordKind
from shouwang.children.models import (
    IN_REGISTER,
    Child,
    ChildStatus,
    Gender,
    GuardianClass,
    Parent,
    StatusChange,
)
from shouwang.children.types import LeftBehindType, ParentStatus
from shouwang.crosschecks.models import ListKind
from shouwang.family import selectors as family
from shouwang.family.models import FamilyCall
from shouwang.inspections.selectors import open_rectifications
from shouwang.orgs.models import Org, OrgKind, Stage
from shouwang.oversight import selectors as rounds
from shouwang.oversight.models import RoundUnit
from shouwang.stats import selectors as stats
from shouwang.stats.flows import Period, children_of

HIDDEN = stats.HIDDEN


def number(value: Any) -> str:
    """A count as the document writes it: ``<5`` (a hidden small count) as 不足5."""
    if value == HIDDEN:
        return _("fewer than 5")
    return str(value)


def share(ratio: float | None) -> str:
    """A ratio of the JSON (4 places) as a percentage with two decimals: 0.0762 → 7.62%."""
    return "—" if ratio is None else f"{ratio * 100:.2f}%"


@dataclass
class Problems:
    overdue_duties: int = 0
    unpaired: int | str = 0
    late_rounds: int = 0
    silent_children: int = 0
    silence_days: int = 0
    open_rectifications: int = 0


@dataclass
class Report:
    org: Org
    period: Period
    on: date
    data: dict[str, Any]  # exactly the statistics JSON of the unit, period and day
    with_money: bool
    family_calls: int
    problems: Problems
    # Goods given (with money only): [{"item", "quantity", "children"}], the most given first.
    goods: list[dict[str, Any]] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)  # the template variables
    next_steps: list[str] = field(default_factory=list)  # the default sentences

    @property
    def title(self) -> str:
        return self.values["title"]


def as_of(period: Period, today: date | None = None) -> date:
    """The day the basic situation is counted on: the period's last day, or today if sooner."""
    today = today or timezone.localdate()
    return min(period.end, today)


def stats_json(org: Org, period: Period, on: date, user: Any | None) -> tuple[dict[str, Any], Any]:
    """The statistics JSON exactly as ``shouwang stats --json`` (user None) or the user's own
    export of it (scope, small counts hidden) gives it, and the figures behind it."""
    if user is None:
        result = stats.figures(org=org, on=on, with_units=False)
    else:
        result = stats.figures_for(user, org.code, on, export=True, with_units=False)
    data = result.as_json() | stats.flows_for(user, org, on, period, result.profile)
    return data, result


def build(org: Org, period: Period, *, user: Any | None = None, on: date | None = None) -> Report:
    """Everything a document of ``org`` over ``period`` says (``user``: as they may see it)."""
    on = on or as_of(period)
    data, result = stats_json(org, period, on, user)
    children = children_of(org)
    if user is not None:
        children = children.filter(pk__in=Child.objects.restrict(user).values("pk"))
    problems = Problems(
        overdue_duties=_overdue_duties(children, on),
        unpaired=result.cell(result.counts["paired"]["no"]),
        late_rounds=_late_rounds(org, period, on),
    )
    problems.silent_children, problems.silence_days = _silences(org, children, on)
    # Its PeriodLike protocol declares settable fields; our Period is frozen (read-only).
    problems.open_rectifications = open_rectifications(org, cast(Any, period))
    report = Report(
        org=org,
        period=period,
        on=on,
        data=data,
        with_money="assistance" in data,
        family_calls=data["family_calls"],
        problems=problems,
    )
    if report.with_money:
        report.goods = assistance.goods_given(org=org, start=period.start, end=period.end)
    report.values = variables(report)
    report.next_steps = default_next_steps(report)
    report.values["next_steps"] = report.next_steps
    return report


# --- the problems found ---------------------------------------------------------------------


def _overdue_duties(children: Any, on: date) -> int:
    """Duties of the term overdue on ``on`` (the duty engine, as the compliance page counts)."""
    loaded = care.load(children, on)
    if loaded.first is None:
        return 0
    items = engine.obligations(loaded.inputs, first=loaded.first, on=on)
    return engine.tally(items, lambda o: "all").get("all", engine.Tally()).overdue


def _late_rounds(org: Org, period: Period, on: date) -> int:
    """Units under ``org`` late or missing in a reporting round due within the period."""
    units = (
        RoundUnit.objects.filter(org__path__startswith=org.path, due__range=(period.start, on))
        .select_related("round")
        .prefetch_related("submissions")
    )
    return sum(1 for unit in units if rounds.is_late(unit, on))


def _silences(org: Org, children: Any, on: date) -> tuple[int, int]:
    """Children with a parent away unheard for longer than their school's setting, and the days
    of the first setting, for the sentence.

    The rule is family.silent_parents' (the last call that reached the parent, or else the day
    the child entered the register, before ``on`` less the days), counted in one query per
    setting instead of walking every parent: a county's walk took seconds (bench_report)."""
    schools = Org.objects.filter(
        Q(path__startswith=org.path) | Q(pk__in=children.values("school_id")),
        kind=OrgKind.SCHOOL,
    )
    days_by_school = family.silence_days(schools, on)
    entry = StatusChange.objects.filter(
        child=OuterRef("child_id"), status=ChildStatus.ACTIVE
    ).filter(Q(from_school__isnull=True) | Q(to_school__isnull=True))
    last_call = FamilyCall.objects.filter(parent=OuterRef("pk"), reached=True)
    silent: set[int] = set()
    for days in set(days_by_school.values()):
        ids = [pk for pk, d in days_by_school.items() if d == days]
        cutoff = on - timedelta(days=days)
        # A call on the cutoff day itself is not silence: before the start of that local day.
        cutoff_moment = timezone.make_aware(datetime.combine(cutoff, time.min))
        parents = (
            Parent.objects.filter(
                child__in=children.filter(school_id__in=ids, status__in=IN_REGISTER).values("pk"),
                status=ParentStatus.MIGRANT,
            )
            .annotate(
                last=Subquery(last_call.order_by("-at").values("at")[:1]),
                entered=Subquery(entry.order_by("-on").values("on")[:1]),
            )
            .filter(
                Q(last__lt=cutoff_moment) | Q(last__isnull=True, entered__lt=cutoff)
                # Never a call and no entry day: silent since ``on``, never before the cutoff.
            )
        )
        silent.update(parents.values_list("child_id", flat=True))
    shown = min(days_by_school.values()) if days_by_school else 0
    return len(silent), shown


# --- the template's variables ------------------------------------------------------------------

# Every variable a template may use, with its meaning: the variables page and the README show
# this list, and a template is tried against a context holding each of them.
VARIABLES: list[tuple[str, Any]] = [
    (
        "title",
        gettext_lazy(
            "The document's title, such as 东镇中心小学2026年秋季学期关爱留守儿童工作总结"
        ),
    ),
    ("unit_name", gettext_lazy("The unit's name")),
    ("unit_code", gettext_lazy("The unit's code")),
    ("period_name", gettext_lazy("The period's name: the term, the year, or its dates")),
    ("period_from", gettext_lazy("The period's first day (YYYY-MM-DD)")),
    ("period_to", gettext_lazy("The period's last day (YYYY-MM-DD)")),
    ("as_of", gettext_lazy("The day the basic situation is counted on (YYYY-MM-DD)")),
    ("profile_name", gettext_lazy("The definition profile counted by")),
    ("generated_on", gettext_lazy("The day the document was written")),
    ("students_total", gettext_lazy("Students enrolled")),
    (
        "students_kindergarten / students_primary / students_junior / students_senior",
        gettext_lazy("Students enrolled by stage"),
    ),
    ("left_behind_total", gettext_lazy("Left-behind children")),
    ("left_behind_share", gettext_lazy("Their share of all students, such as 7.62%")),
    ("girls / boys", gettext_lazy("Left-behind girls and boys")),
    (
        "both_parents_away / father_away / mother_away / one_away_other_unable / "
        "orphan_or_single_parent",
        gettext_lazy(
            "By type: both parents away, father away, mother away, one away and the other unable "
            "to guard, orphan or single parent"
        ),
    ),
    (
        "one_parent_away",
        gettext_lazy("One parent away (father away + mother away + one away and the other unable)"),
    ),
    (
        "stage_kindergarten / stage_primary / stage_junior / stage_senior",
        gettext_lazy("Left-behind children by stage"),
    ),
    (
        "guardian_class_1 / guardian_class_2 / guardian_class_3",
        gettext_lazy("Guardian classes 1, 2 and 3"),
    ),
    (
        "living_one_parent / living_grandparents / living_other_relatives / "
        "living_entrusted_carer / living_alone",
        gettext_lazy(
            "Living with one parent, grandparents, other relatives, an entrusted carer, alone"
        ),
    ),
    ("boarding", gettext_lazy("Left-behind children boarding at school")),
    ("pairing_coverage", gettext_lazy("Pairing coverage, such as 95.00%")),
    (
        "pairs_one_to_one / pairs_two_to_one / pairs_many_to_one",
        gettext_lazy("Children paired one-to-one, two-to-one, many-to-one"),
    ),
    (
        "caregivers_<kind>",
        gettext_lazy(
            "Caregivers with a pairing, by kind (teacher, proxy_parent, caring_mother, "
            "village_cadre, volunteer, elder, classmate)"
        ),
    ),
    (
        "care_<kind>",
        gettext_lazy(
            "Care given in person-times, by kind (talk, home_visit, parent_call, "
            "guardian_contact, letter, tutoring …)"
        ),
    ),
    ("family_calls", gettext_lazy("Family-contact calls")),
    (
        "activities_count / activities_person_times / activities_children",
        gettext_lazy("Activities held, person-times, children reached"),
    ),
    ("guardians_trained", gettext_lazy("Guardians trained")),
    (
        "emergencies_reported / emergencies_steps_late",
        gettext_lazy("Emergencies, and steps of their chains late"),
    ),
    ("commended_children / commended_adults", gettext_lazy("Children and adults commended")),
    (
        "with_money",
        gettext_lazy(
            "Whether the reader may see money (true or false); without it the assistance "
            "variables do not exist"
        ),
    ),
    (
        "assistance_payments / assistance_children / assistance_amount",
        gettext_lazy("Payments, children helped, amount in yuan"),
    ),
    (
        "assistance_goods / assistance_goods_quantity",
        gettext_lazy(
            "Goods given: rows with item, quantity and children (a list), and the quantity of "
            "all goods"
        ),
    ),
    ("basic_sentences", gettext_lazy("The basic situation as sentences (a list)")),
    ("measure_sentences", gettext_lazy("The measures and their numbers as sentences (a list)")),
    ("problem_sentences", gettext_lazy("The problems found as sentences (a list)")),
    ("next_steps", gettext_lazy("The next steps (a list; editable on the page)")),
    ("figures_table", gettext_lazy("The main figures: rows with label and value")),
    (
        "overdue_duties / unpaired / late_rounds / silent_children / open_rectifications",
        gettext_lazy(
            "Problems: duties overdue, children unpaired, late or missing reports, children long "
            "without a call from a parent, open rectifications"
        ),
    ),
    (
        "chart_types / chart_care",
        gettext_lazy(
            "Charts (children by type, care by kind), each alone in its paragraph: {{ "
            "chart_types }}"
        ),
    ),
]


def _period_name(period: Period) -> str:
    if period.name:
        return period.name
    whole_year = (period.start.month, period.start.day, period.end.month, period.end.day)
    if whole_year == (1, 1, 12, 31) and period.start.year == period.end.year:
        return _("Year %(year)s") % {"year": period.start.year}
    return f"{period.start.isoformat()} — {period.end.isoformat()}"


def variables(report: Report) -> dict[str, Any]:
    d = report.data
    n = number
    org, period = report.org, report.period
    values: dict[str, Any] = {
        "unit_name": org.name,
        "unit_code": org.code,
        "period_name": _period_name(period),
        "period_from": period.start.isoformat(),
        "period_to": period.end.isoformat(),
        "as_of": report.on.isoformat(),
        "profile_name": d["profile"],
        "generated_on": timezone.localdate().isoformat(),
        "students_total": n(d["students_total"]),
        "left_behind_total": n(d["left_behind_total"]),
        "left_behind_share": share(d["left_behind_ratio"]),
        "girls": n(d["by_gender"][Gender.FEMALE]),
        "boys": n(d["by_gender"][Gender.MALE]),
        "boarding": n(d["boarding"]),
        "pairing_coverage": share(d["pairing_coverage"]),
        "family_calls": str(report.family_calls),
        "activities_count": n(d["activities"]["count"]),
        "activities_person_times": n(d["activities"]["person_times"]),
        "activities_children": n(d["activities"]["children_reached"]),
        "guardians_trained": n(d["guardians_trained"]),
        "emergencies_reported": n(d["emergencies"]["reported"]),
        "emergencies_steps_late": n(d["emergencies"]["steps_late"]),
        "commended_children": n(d["commendations"]["children"]),
        "commended_adults": n(d["commendations"]["adults"]),
        "with_money": report.with_money,
    }
    values["title"] = _("%(unit)s %(period)s work summary on caring for left-behind children") % {
        "unit": org.name,
        "period": values["period_name"],
    }
    for stage in Stage.values:
        values[f"students_{stage}"] = n(d["students_by_stage"][stage])
        values[f"stage_{stage}"] = n(d["by_stage"][stage])
    for kind in LeftBehindType.values:
        if kind in d["by_type"]:
            values[kind] = n(d["by_type"][kind])
    one_away = [d["by_type"][k] for k in ("father_away", "mother_away", "one_away_other_unable")]
    values["one_parent_away"] = (
        n(sum(one_away)) if all(isinstance(v, int) for v in one_away) else n(HIDDEN)
    )
    for key in GuardianClass.values:
        values[f"guardian_{key}"] = n(d["by_guardian_class"][key])
    for key, value in d["by_living_with"].items():
        values[f"living_{key}"] = n(value)
    for key, value in d["pairings_by_mode"].items():
        values[f"pairs_{key}"] = n(value)
    for key, value in d["caregivers_by_kind"].items():
        values[f"caregivers_{key}"] = n(value)
    for kind in RecordKind.values:
        values[f"care_{kind}"] = n(d["care_person_times"].get(kind, 0))
    if report.with_money:
        money = d["assistance"]
        values["assistance_payments"] = n(money["payments"])
        values["assistance_children"] = n(money["children_helped"])
        values["assistance_amount"] = money["amount_total"]
        values["assistance_goods"] = [
            {"item": g["item"], "quantity": str(g["quantity"]), "children": str(g["children"])}
            for g in report.goods
        ]
        values["assistance_goods_quantity"] = str(sum(g["quantity"] for g in report.goods))
    p = report.problems
    values |= {
        "overdue_duties": str(p.overdue_duties),
        "unpaired": n(p.unpaired),
        "late_rounds": str(p.late_rounds),
        "silent_children": str(p.silent_children),
        "open_rectifications": str(p.open_rectifications),
    }
    values["basic_sentences"] = basic_sentences(report, values)
    values["measure_sentences"] = measure_sentences(report, values)
    values["problem_sentences"] = problem_sentences(report)
    values["figures_table"] = figures_table(report, values)
    return values


def _joined(parts: list[str]) -> str:
    return "，".join(p for p in parts if p)


def basic_sentences(report: Report, v: dict[str, Any]) -> list[str]:
    d = report.data
    stage_labels = dict(Stage.choices)
    stages = [
        _("%(stage)s: %(n)s") % {"stage": stage_labels[s], "n": v[f"students_{s}"]}
        for s in Stage.values
        if d["students_by_stage"][s]
    ]
    out = []
    if d["students_total"]:
        out.append(
            _("%(unit)s has %(n)s students enrolled")
            % {"unit": v["unit_name"], "n": v["students_total"]}
            + (_(", of them: %(stages)s") % {"stages": "、".join(stages)} if stages else "")
            + "。"
        )
        out.append(
            _(
                "Left-behind children: %(n)s, %(share)s of all students; "
                "%(girls)s girls and %(boys)s boys."
            )
            % {
                "n": v["left_behind_total"],
                "share": v["left_behind_share"],
                "girls": v["girls"],
                "boys": v["boys"],
            }
        )
    else:
        out.append(
            _("Left-behind children: %(n)s; %(girls)s girls and %(boys)s boys.")
            % {"n": v["left_behind_total"], "girls": v["girls"], "boys": v["boys"]}
        )
    types = dict(LeftBehindType.choices)
    out.append(
        _("By type: %(list)s.")
        % {"list": "，".join(f"{types[k]}{v[k]}人" for k in stats.COUNTED_TYPES if k in v)}
    )
    out.append(
        _("By stage: %(list)s.")
        % {"list": "，".join(f"{label}{v[f'stage_{s}']}人" for s, label in Stage.choices)}
    )
    classes = dict(GuardianClass.choices)
    out.append(
        _("By guardian class: %(list)s.")
        % {"list": "，".join(f"{classes[k]}{v[f'guardian_{k}']}人" for k in GuardianClass.values)}
    )
    living = {
        "one_parent": _("with one parent"),
        "grandparents": _("with grandparents"),
        "other_relatives": _("with other relatives"),
        "entrusted_carer": _("with an entrusted carer"),
        "alone": _("alone"),
    }
    out.append(
        _("Living %(list)s; boarding at school %(boarding)s.")
        % {
            "list": "，".join(f"{living[k]}{v[f'living_{k}']}人" for k in living),
            "boarding": v["boarding"],
        }
    )
    flags = dict(ListKind.choices)
    difficult = [f"{flags[k]}{number(n)}人" for k, n in d["difficulty_flags"].items() if n]
    if difficult:
        out.append(_("Children in difficulty: %(list)s.") % {"list": "，".join(difficult)})
    return out


def measure_sentences(report: Report, v: dict[str, Any]) -> list[str]:
    modes = dict(PairingMode.choices)
    kinds = dict(CaregiverKind.choices)
    care_kinds = dict(RecordKind.choices)
    out = [
        _("Pairing: %(modes)s; pairing coverage %(coverage)s. Caregivers paired: %(kinds)s.")
        % {
            "modes": "，".join(f"{modes[k]}{v[f'pairs_{k}']}人" for k in PairingMode.values),
            "coverage": v["pairing_coverage"],
            "kinds": "，".join(
                f"{kinds[k]}{v[f'caregivers_{k}']}人"
                for k in CaregiverKind.values
                if report.data["caregivers_by_kind"].get(k)
            )
            or _("none"),
        },
        _("Care given: %(list)s.")
        % {
            "list": "，".join(
                f"{care_kinds[k]}{v[f'care_{k}']}人次"
                for k in RecordKind.values
                if k in report.data["care_person_times"]
            )
        },
        _("Family-contact calls: %(n)s.") % {"n": v["family_calls"]},
        _("Activities held: %(count)s, %(times)s person-times, %(children)s children reached.")
        % {
            "count": v["activities_count"],
            "times": v["activities_person_times"],
            "children": v["activities_children"],
        },
        _("Guardians trained: %(n)s.") % {"n": v["guardians_trained"]},
    ]
    if report.with_money:
        given = {
            "payments": v["assistance_payments"],
            "amount": v["assistance_amount"],
            "children": v["assistance_children"],
        }
        if report.goods:
            given["goods"] = "、".join(
                _("%(item)s %(quantity)s pieces") % g for g in v["assistance_goods"]
            )
            out.append(
                _(
                    "Assistance: %(payments)s payments, %(amount)s yuan in all and goods "
                    "(%(goods)s), %(children)s children helped."
                )
                % given
            )
        else:
            out.append(
                _(
                    "Assistance: %(payments)s payments, %(amount)s yuan in all, "
                    "%(children)s children helped."
                )
                % given
            )
    out.append(
        _("Emergencies handled: %(n)s; steps of the chain late: %(late)s.")
        % {"n": v["emergencies_reported"], "late": v["emergencies_steps_late"]}
    )
    out.append(
        _("Commended: %(children)s children and %(adults)s adults.")
        % {"children": v["commended_children"], "adults": v["commended_adults"]}
    )
    return out


def problem_sentences(report: Report) -> list[str]:
    p = report.problems
    out = []
    if p.overdue_duties:
        out.append(_("%(n)s duties of caregivers are overdue.") % {"n": p.overdue_duties})
    if p.unpaired and p.unpaired != 0:
        out.append(
            _("%(n)s left-behind children have no caregiver paired yet.")
            % {"n": number(p.unpaired)}
        )
    if p.late_rounds:
        out.append(
            _("%(n)s reports of reporting rounds are late or missing.") % {"n": p.late_rounds}
        )
    if p.silent_children:
        out.append(
            _("%(n)s children have not spoken with a parent away for over %(days)s days.")
            % {"n": p.silent_children, "days": p.silence_days}
        )
    if p.open_rectifications:
        out.append(
            _("%(n)s rectifications from inspections are still open.")
            % {"n": p.open_rectifications}
        )
    if not out:
        out.append(_("No outstanding problem was found in this period."))
    return out


def default_next_steps(report: Report) -> list[str]:
    """Editable default sentences, in the register of the seeds' 下一步工作打算."""
    p = report.problems
    out = []
    if p.unpaired and p.unpaired != 0:
        out.append(
            _(
                "Carry the pairing system through so that every left-behind child has a "
                "caregiver responsible for them."
            )
        )
    if p.overdue_duties:
        out.append(
            _(
                "Check and assess how caregivers carry out their duties, and finish talks and "
                "home visits on time."
            )
        )
    if p.silent_children:
        out.append(
            _(
                "Strengthen contact between school and family; urge parents working away to "
                "call their children regularly."
            )
        )
    if p.open_rectifications or p.late_rounds:
        out.append(
            _(
                "Rectify the problems found one by one, with a person responsible and a "
                "deadline for each, and report on time."
            )
        )
    out.append(
        _(
            "Do the mental health education of left-behind children well, and hold more "
            "interest groups and social practice for them."
        )
    )
    out.append(
        _(
            "Keep strengthening the links of school, community and family; "
            "run the parents' school well."
        )
    )
    return out


def figures_table(report: Report, v: dict[str, Any]) -> list[dict[str, str]]:
    rows = [
        (_("Students enrolled"), v["students_total"]),
        (_("Left-behind children"), v["left_behind_total"]),
        (_("Share of students"), v["left_behind_share"]),
        (_("Pairing coverage"), v["pairing_coverage"]),
        (_("Activities (person-times)"), v["activities_person_times"]),
        (_("Guardians trained"), v["guardians_trained"]),
        (_("Emergencies"), v["emergencies_reported"]),
    ]
    if report.with_money:
        rows.append((_("Assistance (yuan)"), v["assistance_amount"]))
    return [{"label": str(label), "value": str(value)} for label, value in rows]
