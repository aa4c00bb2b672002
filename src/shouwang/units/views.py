from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.access import acting_user, require_perm
from shouwang.core.views import form_page
from shouwang.orgs import selectors as tree_selectors
from shouwang.orgs import services
from shouwang.orgs.models import Org, OrgKind, counts_enrolment

from . import selectors
from .forms import AddOrgForm, EnrolmentForm, HolidayForm, TermForm


def tree(request: HttpRequest) -> HttpResponse:
    tops = selectors.top_orgs_visible_to(request.user)
    nodes = [(top, list(Org.objects.get_children(top))) for top in tops]
    return render(request, "units/tree.html", {"nodes": nodes})


def detail(request: HttpRequest, code: str) -> HttpResponse:
    org = selectors.org_visible_to(request.user, code)
    today = timezone.localdate()
    region, terms, holidays = tree_selectors.terms_for(org)
    return render(
        request,
        "units/detail.html",
        {
            "org": org,
            "ancestors": tree_selectors.ancestors_of(org),
            "children": Org.objects.get_children(org),
            "enrolment": tree_selectors.enrolment_under(org, today)
            if counts_enrolment(org)
            else None,
            "calendar_region": region,
            "terms": terms,
            "holidays": holidays,
            "current_term": tree_selectors.term_on(org, today),
            "is_school": org.kind == OrgKind.SCHOOL,
        },
    )


def add_child(request: HttpRequest, code: str) -> HttpResponse:
    parent = selectors.org_manageable_by(request.user, code)
    return form_page(
        request,
        template="web/form.html",
        form=AddOrgForm(request.POST or None, parent=parent),
        context={"title": _("Add a unit under %(name)s") % {"name": parent.name}},
        save=lambda d: services.add_org(
            parent=parent,
            name=d["name"],
            kind=d["kind"],
            code=d["code"],
            stage=d["stage"],
            by=acting_user(request),
        ),
        done=_("The unit was added."),
        back=parent.get_absolute_url(),
    )


def record_enrolment(request: HttpRequest, code: str) -> HttpResponse:
    school = selectors.org_manageable_by(request.user, code)
    if school.kind != OrgKind.SCHOOL:
        raise Http404
    return form_page(
        request,
        template="web/form.html",
        form=EnrolmentForm(
            request.POST or None, school=school, initial={"on": timezone.localdate()}
        ),
        context={"title": _("Enrolled students of %(name)s") % {"name": school.name}},
        save=lambda d: services.record_enrolment(
            school=school,
            grade=d["grade"],
            male=d["male"],
            female=d["female"],
            on=d["on"],
            by=acting_user(request),
        ),
        done=_("The enrolment was recorded."),
        back=school.get_absolute_url(),
    )


def add_term(request: HttpRequest, code: str) -> HttpResponse:
    region = selectors.org_manageable_by(request.user, code)
    require_perm(request.user, "orgs.set_calendar", region)
    return form_page(
        request,
        template="web/form.html",
        form=TermForm(request.POST or None),
        context={"title": _("Add a term to the calendar of %(name)s") % {"name": region.name}},
        save=lambda d: services.add_term(region=region, by=acting_user(request), **d),
        done=_("The term was added."),
        back=region.get_absolute_url(),
    )


def add_holiday(request: HttpRequest, code: str) -> HttpResponse:
    region = selectors.org_manageable_by(request.user, code)
    require_perm(request.user, "orgs.set_calendar", region)
    return form_page(
        request,
        template="web/form.html",
        form=HolidayForm(request.POST or None),
        context={"title": _("Add a holiday to the calendar of %(name)s") % {"name": region.name}},
        save=lambda d: services.add_holiday(region=region, by=acting_user(request), **d),
        done=_("The holiday was added."),
        back=region.get_absolute_url(),
    )
