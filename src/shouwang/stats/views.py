"""The dashboard of a unit, the list behind each figure, and the figures as Excel."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shouwang.accounts.access import acting_user
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.children.models import DefinitionProfile, Gender, GuardianClass, RiskGrade
from shouwang.children.types import LeftBehindType
from shouwang.core.forms import DATE
from shouwang.core.sheets.writer import write_xlsx
from shouwang.orgs.models import Org, Stage
from shouwang.safety.selectors import late_steps_shown
from shouwang.units.selectors import top_orgs_visible_to

from . import selectors
from .flows import BadPeriod, period_of, work_rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FiguresForm(forms.Form):
    """Which unit, which day, which definition: every figure says all three."""

    org = forms.CharField(required=False, widget=forms.HiddenInput)
    on = forms.DateField(label=gettext_lazy("As of"), required=False, widget=DATE)
    profile = forms.ModelChoiceField(
        label=gettext_lazy("Definition profile"),
        queryset=DefinitionProfile.objects.all(),
        required=False,
        to_field_name="code",
        empty_label=gettext_lazy("The region's own"),
    )
    # The period of the work done (flow figures): the current term when left out.
    start = forms.DateField(label=gettext_lazy("Work done from"), required=False, widget=DATE)
    end = forms.DateField(label=gettext_lazy("to"), required=False, widget=DATE)


def _choice(request: HttpRequest) -> tuple[str, date, DefinitionProfile | None, FiguresForm]:
    form = FiguresForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    code = data.get("org") or ""
    if not code:
        tops = top_orgs_visible_to(request.user)
        if not tops:
            raise Http404
        code = tops[0].code
    return code, data.get("on") or timezone.localdate(), data.get("profile"), form


def _labels() -> dict[str, dict[str, str]]:
    """What each key of the figures is called on the page."""
    return {
        "by_gender": {str(k): str(v) for k, v in Gender.choices},
        "by_type": {str(k): str(v) for k, v in LeftBehindType.choices},
        "by_guardian_class": {str(k): str(v) for k, v in GuardianClass.choices},
        "by_risk_grade": {
            **{str(k): str(v) for k, v in RiskGrade.choices},
            "unassessed": _("Not assessed"),
        },
        "by_heart_level": {
            **{str(n): _("%(n)s hearts") % {"n": n} for n in range(1, 5)},
            "unassessed": _("Not assessed"),
        },
        "by_stage": {str(k): str(v) for k, v in Stage.choices},
        "by_living_with": {
            "one_parent": _("With one parent"),
            "grandparents": _("With grandparents"),
            "other_relatives": _("With other relatives"),
            "entrusted_carer": _("With an entrusted carer"),
            "alone": _("Alone"),
        },
    }


def _titles() -> dict[str, str]:
    return {
        "by_type": _("By left-behind type"),
        "by_gender": _("By gender"),
        "by_stage": _("By school stage"),
        "by_living_with": _("Living with"),
        "by_guardian_class": _("By guardian class"),
        "by_risk_grade": _("By risk grade"),
        "by_heart_level": _("By heart level"),
    }


def dashboard(request: HttpRequest) -> HttpResponse:
    code, on, profile, form = _choice(request)
    if request.GET.get("part") == "trend":
        return _trend(request, code, on, profile)
    if request.GET.get("part") == "work":
        return _work(request, code, on, profile, form)
    result = selectors.figures_for(request.user, code, on, profile)
    query = {"org": result.org.code, "on": on.isoformat(), "profile": result.profile.code}
    drill = selectors.sees_children_of(request.user, result.org)

    def behind(dimension: str, value: str) -> str:
        if not drill:
            return ""
        return (
            reverse("stats:children")
            + "?"
            + urlencode({**query, "dimension": dimension, "value": value})
        )

    data = result.as_json()
    labels = _labels()
    charts = []
    for name, title in _titles().items():
        keys = list(data[name])
        values = [data[name][k] for k in keys]
        charts.append(
            {
                "name": name,
                "title": title,
                "rows": [
                    (labels[name].get(k, k), v, behind(name, k))
                    for k, v in zip(keys, values, strict=True)
                ],
                "chart": json.dumps(
                    {
                        "labels": [labels[name].get(k, k) for k in keys],
                        # Hidden small counts are drawn as nothing, never as a number.
                        "series": {"n": [v if isinstance(v, int) else None for v in values]},
                        "names": {"n": title},
                        "links": [behind(name, k) for k in keys],
                    },
                    ensure_ascii=False,
                ),
            }
        )
    units = [
        (
            row,
            reverse("stats:dashboard") + "?" + urlencode({**query, "org": row.org.code}),
            behind("unit", row.org.code),
        )
        for row in result.units
    ]
    scope = scope_of(request.user)
    hide_small = result.cell  # a count under the threshold shows as "<5" where set
    return render(
        request,
        "stats/dashboard.html",
        {
            "form": form,
            "result": result,
            "data": data,
            "charts": charts,
            "units": units,
            "query": urlencode(query),
            "work_query": urlencode(
                query
                | {
                    key: form.cleaned_data[key].isoformat()
                    for key in ("start", "end")
                    if form.is_bound and form.is_valid() and form.cleaned_data.get(key)
                }
            ),
            "behind_all": behind("all", "all") if drill else "",
            "behind_boarding": behind("boarding", "yes"),
            "behind_unpaired": behind("paired", "no"),
            "behind_without_consent": behind("consent", "without"),
            "without_consent": hide_small(result.without_consent),
            "left_out": [
                (note, behind(selectors.LEFT_OUT, selectors.UNKNOWN_TIME_AWAY))
                for note in result.left_out_notes()
            ],
            "ancestors": [o for o in Org.objects.get_ancestors(result.org) if scope.sees(o)],
            "shows_compliance": scope.may(Area.COMPLIANCE, Action.VIEW),
            "late": late_steps_shown(request.user, under=result.org, limit=10),
        },
    )


def _trend(
    request: HttpRequest, code: str, on: date, profile: DefinitionProfile | None
) -> HttpResponse:
    """The trend by term, fetched after the page: each term is a count of its own."""
    _org, trend = selectors.trend_for(request.user, code, on, profile)
    chart = {
        "kind": "line",
        "labels": [name for name, _day, _n in trend],
        "series": {"n": [n for _name, _day, n in trend]},
        "names": {"n": _("Left-behind children")},
    }
    return render(
        request,
        "stats/_trend.html",
        {"trend": trend, "chart": json.dumps(chart, ensure_ascii=False) if trend else None},
    )


def _work(
    request: HttpRequest,
    code: str,
    on: date,
    profile: DefinitionProfile | None,
    form: FiguresForm,
) -> HttpResponse:
    """The work done over the period (stats.flows), fetched after the page."""
    org = selectors.figures_org(request.user, code)
    chosen = form.cleaned_data if form.is_bound and form.is_valid() else {}
    try:
        period = period_of(org, on, chosen.get("start"), chosen.get("end"))
    except BadPeriod as exc:
        return render(request, "stats/_work.html", {"problem": str(exc)})
    data = selectors.flows_for(request.user, org, on, period, profile)
    return render(request, "stats/_work.html", {"period": period, "groups": work_rows(data)})


def children(request: HttpRequest) -> HttpResponse:
    """The children behind one figure of the dashboard (same filter that counted them)."""
    code, on, profile, _form = _choice(request)
    dimension, value = request.GET.get("dimension", ""), request.GET.get("value", "")
    org, qs = selectors.list_behind(request.user, code, on, profile, dimension, value)
    page = Paginator(qs.select_related("school", "school_class").order_by("school_class__path"), 50)
    label = _labels().get(dimension, {}).get(value, "")
    if dimension == "unit":
        label = Org.objects.filter(code=value).values_list("name", flat=True).first() or ""
    elif dimension == "boarding":
        label = _("Boarding")
    elif dimension == "paired":
        label = _("Paired") if value == "yes" else _("Not paired")
    elif (dimension, value) == (selectors.LEFT_OUT, selectors.UNKNOWN_TIME_AWAY):
        label = _("Not counted: parents' time away not known")
    return render(
        request,
        "stats/children.html",
        {
            "org": org,
            "on": on,
            "label": label,
            "page": page.get_page(request.GET.get("page")),
            "query": request.GET.copy().urlencode(),
            "back": reverse("stats:dashboard")
            + "?"
            + urlencode({"org": org.code, "on": on.isoformat()}),
        },
    )


def export(request: HttpRequest) -> FileResponse:
    """The dashboard's numbers as Excel, through the one export writer (small counts hidden)."""
    code, on, profile, _form = _choice(request)
    result = selectors.figures_for(request.user, code, on, profile, export=True)
    labels = _labels()
    data = result.as_json()
    titles = _titles()
    figures: list[list[Any]] = [
        [_("Enrolled students"), "", data["students_total"]],
        [_("Left-behind children"), "", data["left_behind_total"]],
        [_("Share of students"), "", data["left_behind_ratio"]],
        [_("Boarding"), "", data["boarding"]],
        [_("Pairing coverage"), "", data["pairing_coverage"]],
    ]
    for name, title in titles.items():
        figures += [[title, labels[name].get(k, k), v] for k, v in data[name].items()]
    cell = result.cell
    units = [
        [row.org.name, row.students, cell(row.children), row.ratio, cell(row.paired), row.coverage]
        for row in result.units
    ]
    out = io.BytesIO()
    write_xlsx(
        out,
        sheets=[
            (_("Figures"), [_("Figure"), _("Group"), _("Count")], figures),
            (
                _("Units"),
                [
                    _("Unit"),
                    _("Enrolled students"),
                    _("Left-behind children"),
                    _("Share of students"),
                    _("Paired"),
                    _("Pairing coverage"),
                ],
                units,
            ),
        ],
        by=acting_user(request),
        what="statistics",
        org_path=result.org.path,
        masked=None,  # figures only: no ID numbers or phones
        title_rows=[
            _("%(org)s, as of %(on)s, definition: %(profile)s")
            % {"org": result.org.name, "on": on.isoformat(), "profile": result.profile.name}
        ],
    )
    out.seek(0)
    name = f"{result.org.name}留守儿童统计{on:%Y%m%d}.xlsx"
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX)
