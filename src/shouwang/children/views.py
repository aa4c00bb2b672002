from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shouwang.accounts.access import acting_user, require_perm
from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of
from shouwang.accounts.selectors import teachers_of_classes, teachers_of_school
from shouwang.core.concurrency import StaleEdit
from shouwang.core.paging import CountedPaginator
from shouwang.core.phones import tel_link
from shouwang.core.sheets.limits import limited_upload, refuse_into
from shouwang.core.views import form_page, show_error
from shouwang.orgs.models import OrgKind
from shouwang.units.selectors import (
    org_manageable_by,
    orgs_visible_to,
    top_orgs_visible_to,
    villages_for_archives,
)

from . import selectors, services
from .forms import (
    CONSENT_SCAN_TYPES,
    MAX_CONSENT_SCAN,
    AssessmentForm,
    ChildForm,
    ConsentForm,
    GuardianForm,
    HandoverForm,
    HeartLevelForm,
    ParentForm,
    ProfileChoiceForm,
    RegisterFilterForm,
    ReviewDecisionForm,
    ReviewSettingForm,
    StatusForm,
    TransferForm,
)
from .models import Child, ChildStatus, HeartLevelRule, ReviewSetting, ReviewState
from .profiles import counted_by, profile_for
from .sections import sections_for
from .types import LeftBehindType, left_behind_type


def _search(qs: QuerySet[Child], text: str, request: HttpRequest) -> QuerySet[Child]:
    text = text.strip()
    if not text:
        return qs
    if any(ch.isdigit() for ch in text):
        return _search_id_number(qs, text.upper(), request)
    if text.isascii():
        return qs.filter(name_initials__startswith=text.lower())
    return qs.filter(name__contains=text)


def _search_id_number(qs: QuerySet[Child], number: str, request: HttpRequest) -> QuerySet[Child]:
    """Digits search ID numbers: only where the user may see them, a limited number of times an
    hour, each search audited. Anyone else could otherwise find a number by trying each
    sequence for a known birth date (issue 14: 168 requests)."""
    user = acting_user(request)
    if not scope_of(user).may(Area.ID_NUMBER, Action.REVEAL):
        messages.warning(request, _("Only those who may see ID numbers can search by them."))
        return qs.none()
    if selectors.id_searches_left(user) <= 0:
        messages.warning(
            request,
            _("Too many searches by ID number this hour; try later or search by name."),
        )
        return qs.none()
    qs = qs.filter(scope_of(user).q(Area.ID_NUMBER, Action.REVEAL))
    qs = selectors.with_id_number(qs, number)
    services.record_id_search(number=number, found=qs.count(), by=user)
    return qs


def register(request: HttpRequest) -> HttpResponse:
    form = RegisterFilterForm(request.GET or None, orgs=orgs_visible_to(request.user))
    qs = selectors.register_of(request.user)
    data = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    tops = top_orgs_visible_to(request.user)
    profile = data.get("profile") or (profile_for(tops[0], today) if tops else None)
    status = data.get("status") or ChildStatus.ACTIVE
    if status == ChildStatus.ACTIVE and profile is not None:
        # The register is who the definition in use counts today (domain.md §2).
        qs = counted_by(qs, profile, today)
    elif status != "all":
        qs = qs.filter(status=status)
    qs = _search(qs, data.get("q", ""), request)
    for field in ("left_behind_type", "guardian_class", "risk_grade"):
        if data.get(field):
            qs = qs.filter(**{field: data[field]})
    if data.get("heart_level"):
        qs = qs.filter(heart_level=data["heart_level"])
    if data.get("boarding") is not None:
        qs = qs.filter(boarding=data["boarding"])
    if data.get("school_class"):
        qs = qs.filter(school_class=data["school_class"])
    if data.get("grade"):
        qs = qs.filter(school_class__path__startswith=data["grade"].path)
    if data.get("home_village"):
        qs = qs.filter(home_village=data["home_village"])
    if data.get("incomplete"):
        qs = qs.filter(selectors.incomplete_q())
    qs = selectors.with_consent(qs, today)
    if data.get("without_consent"):
        qs = qs.filter(Q(consented=False))
    # The list shows none of the encrypted columns: not decrypted for each row (issue 17).
    qs = qs.defer(*selectors.ENCRYPTED_NOT_LISTED)
    page = CountedPaginator(selectors.in_register_order(qs), 50)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "children/register.html",
        {
            "form": form,
            "page": page.get_page(request.GET.get("page")),
            "query": query.urlencode(),
            "profile": profile if status == ChildStatus.ACTIVE else None,
            "today": today,
            "may_add": scope_of(request.user).may(Area.ARCHIVE, Action.ADD),
        },
    )


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    child = selectors.child_visible_to(request.user, pk)
    services.record_view(child=child, by=acting_user(request))
    scope = scope_of(request.user)
    today = timezone.localdate()
    return render(
        request,
        "children/detail.html",
        {
            "child": child,
            "age": child.age_on(today),
            "parents": list(child.parents.all()),
            "guardian": getattr(child, "guardian", None),
            "missing": selectors.missing_of(child),
            "five_known": selectors.FIVE_KNOWN,
            "history": selectors.classification_history(child),
            "status_history": child.status_changes.select_related("from_school", "to_school"),
            "timeline": selectors.timeline_of(request.user, child),
            "profile": profile_for(child.school, today),
            "scope": scope,
            "may_edit": selectors.keeps_archive(request.user, child),
            "may_counsel": scope.may(Area.COUNSELING, Action.VIEW, child),
            "may_see_health": scope.may(Area.HEALTH, Action.VIEW, child),
            "may_reveal_id": selectors.id_number_revealable(request.user, child),
            "consents": selectors.consents_of(request.user, child),
            "sections": sections_for(request.user, child),
            "waiting_rows": (
                services.waiting_rows(child.pk) if getattr(child, "change_waits", False) else []
            ),
        },
    )


def _edit_forms(
    request: HttpRequest, child: Child | None, waiting: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The archive's forms; ``waiting``: a change waiting for review, which they open at."""
    orgs = orgs_visible_to(request.user)
    data = request.POST or None
    guardian = getattr(child, "guardian", None) if child else None
    parents = {p.relation: p for p in child.parents.all()} if child else {}
    forms = {
        "child_form": ChildForm(
            data,
            instance=child,
            initial={"version": services.archive_version(child)} if child else None,
            classes=orgs.filter(kind=OrgKind.SCHOOL_CLASS),
            villages=villages_for_archives(request.user),
            # A child in no school is registered at a village the user looks after.
            units=orgs.filter(kind=OrgKind.VILLAGE) if child is None else None,
        ),
        "father_form": ParentForm(data, instance=parents.get("father"), prefix="father"),
        "mother_form": ParentForm(data, instance=parents.get("mother"), prefix="mother"),
        "guardian_form": GuardianForm(data, instance=guardian, prefix="guardian"),
    }
    for prefix, values in (waiting or {}).items():
        forms[f"{prefix or 'child'}_form"].initial.update(values)
    return forms


def _save(request: HttpRequest, forms: dict[str, Any], child: Child | None) -> Child | None:
    if not all(f.is_valid() for f in forms.values()):
        return None
    cf = forms["child_form"]
    data = dict(cf.cleaned_data)
    data["school"] = cf.instance.school
    difficulties = data.pop("difficulties", [])
    version = data.pop("version", "") or ""
    father = forms["father_form"].cleaned_data
    mother = forms["mother_form"].cleaned_data
    guardian = forms["guardian_form"].cleaned_data
    if child is None and _asks_to_confirm_not_left_behind(request, father, mother):
        cf.warn_not_left_behind = True
        return None
    try:
        if child is None:
            return services.register_child(
                child=data,
                father=father,
                mother=mother,
                guardian=guardian,
                difficulties=difficulties,
                by=acting_user(request),
            )
        services.update_child(
            child=child,
            data=data,
            father=father,
            mother=mother,
            guardian=guardian,
            difficulties=difficulties,
            by=acting_user(request),
            version=version,
        )
        return child
    except StaleEdit as exc:
        # The newer data stays; the form keeps what this user typed, now against the current
        # version, so saving again is a choice made after reading what changed.
        exc.renew(cf)
        cf.add_error(None, exc)
        return None
    except ValidationError as exc:
        _spread_errors(forms, exc)
        return None


def _asks_to_confirm_not_left_behind(
    request: HttpRequest, father: dict[str, Any], mother: dict[str, Any]
) -> bool:
    """Both parents at home make a child who is not left behind (domain.md §2): registering
    one is allowed (a child in difficulty is looked after too) but said before saving, and
    saved once the user confirms (issue 19)."""
    kind = left_behind_type(father.get("status") or "", mother.get("status") or "")
    return kind == LeftBehindType.NOT_LEFT_BEHIND and request.POST.get("not_left_behind") != "1"


def _spread_errors(forms: dict[str, Any], exc: ValidationError) -> None:
    """Put a service's errors back at the fields they name (``father.phone`` → father form)."""
    if not hasattr(exc, "error_dict"):
        show_error(forms["child_form"], exc)
        return
    for key, errors in exc.message_dict.items():
        prefix, _dot, field = key.rpartition(".")
        form = forms.get(f"{prefix}_form") if prefix else forms["child_form"]
        if form is None or field not in form.fields:
            forms["child_form"].add_error(None, errors)
        else:
            form.add_error(field, errors)


def add(request: HttpRequest) -> HttpResponse:
    if not scope_of(request.user).may(Area.ARCHIVE, Action.ADD):
        raise Http404
    forms = _edit_forms(request, None)
    if request.method == "POST":
        child = _save(request, forms, None)
        if child is not None:
            messages.success(
                request, _("%(name)s was added to the register.") % {"name": child.name}
            )
            return redirect("children:detail", pk=child.pk)
    return render(request, "children/edit.html", {**forms, "child": None})


def edit(request: HttpRequest, pk: int) -> HttpResponse:
    child = _editable_child(request, pk)
    # 审核: a change that waits for the level above is what the form opens at.
    waiting = services.waiting_form_values(child.pk)
    forms = _edit_forms(request, child, waiting)
    if request.method == "POST" and _save(request, forms, child) is not None:
        if services.waiting_change(child.pk):
            messages.success(
                request,
                _(
                    "Saved for review: the change counts once the level above confirms it; "
                    "until then the archive shows what was confirmed."
                ),
            )
        else:
            messages.success(request, _("Saved."))
        return redirect("children:detail", pk=child.pk)
    # The form holds the ID number and phones in full: opening it is a look at them.
    services.record_reveal(child=child, field="edit_form", by=acting_user(request))
    return render(
        request, "children/edit.html", {**forms, "child": child, "waiting": bool(waiting)}
    )


@require_POST
def validate(request: HttpRequest) -> HttpResponse:
    """As the user types: the errors of one field of the archive form, without saving. For
    those who fill that form in (adding or changing an archive), a 404 for anyone else, as
    the form's own pages are."""
    scope = scope_of(request.user)
    if not (scope.may(Area.ARCHIVE, Action.ADD) or scope.may(Area.ARCHIVE, Action.CHANGE)):
        raise Http404
    forms = _edit_forms(request, None)
    name = request.POST.get("_field", "")
    prefix, _dot, field = name.rpartition("-")
    form = forms.get(f"{prefix}_form") if prefix else forms["child_form"]
    errors: list[str] = []
    if form is not None and field in form.fields:
        form.is_valid()
        errors = list(form.errors.get(field, []))
    return render(request, "children/field_errors.html", {"errors": errors})


@require_POST
def reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    """Unmask one value for an allowed role; the act is audited."""
    child = selectors.child_visible_to(request.user, pk)
    scope = scope_of(request.user)
    values = {"id_number": child.id_number, "contact_phone": child.contact_phone}
    for parent in child.parents.all():
        values[f"{parent.relation}.phone"] = parent.phone
    guardian = getattr(child, "guardian", None)
    if guardian is not None:
        values["guardian.phone"] = guardian.phone
    if field not in values:
        raise Http404
    allowed = (
        selectors.id_number_revealable(request.user, child)
        if field == "id_number"
        else scope.may(Area.PHONES, Action.REVEAL, child)
    )
    if not allowed:
        raise Http404
    services.record_reveal(child=child, field=field, by=acting_user(request))
    shown = values[field] if field == "id_number" else tel_link(values[field])
    return HttpResponse(format_html('<span class="revealed">{}</span>', shown))


def change_status(request: HttpRequest, pk: int) -> HttpResponse:
    child = _editable_child(request, pk)
    return form_page(
        request,
        form=StatusForm(request.POST or None, initial={"on": timezone.localdate()}),
        save=lambda d: services.change_status(child=child, by=acting_user(request), **d),
        done=_("The status was changed."),
        back=reverse("children:detail", args=[child.pk]),
        template="children/form.html",
        context={"child": child, "title": _("Change status")},
    )


def _editable_child(request: HttpRequest, pk: int) -> Child:
    return selectors.child_editable_by(request.user, pk)


def transfer(request: HttpRequest, pk: int) -> HttpResponse:
    child = _editable_child(request, pk)
    return form_page(
        request,
        form=TransferForm(request.POST or None, initial={"on": timezone.localdate()}),
        save=lambda d: services.transfer_child(
            child=child, to_class=None, by=acting_user(request), **d
        ),
        done=_("The archive went with the child to the new school."),
        back=reverse("children:register"),
        template="children/form.html",
        context={"child": child, "title": _("Transfer to another school")},
    )


def assess(request: HttpRequest, pk: int) -> HttpResponse:
    child = _editable_child(request, pk)
    rule = HeartLevelRule.objects.get(is_default=True)
    today = timezone.localdate()
    which = request.POST.get("which")
    heart = HeartLevelForm(
        request.POST if which == "heart" else None,
        dimensions=rule.dimensions,
        initial={"on": today},
    )
    other = AssessmentForm(request.POST if which == "other" else None, initial={"on": today})
    try:
        if which == "heart" and heart.is_valid():
            services.assess_heart_level(
                child=child,
                ratings=heart.ratings(),
                on=heart.cleaned_data["on"],
                by=acting_user(request),
                rule=rule,
            )
            return redirect("children:detail", pk=child.pk)
        if which == "other" and other.is_valid():
            d = other.cleaned_data
            services.assess(
                child=child,
                kind=d["kind"],
                value=d["value"],
                on=d["on"],
                by=acting_user(request),
                reasons={"reason": d["reason"]},
            )
            return redirect("children:detail", pk=child.pk)
    except ValidationError as exc:
        show_error((heart if which == "heart" else other), exc)
    return render(
        request,
        "children/assess.html",
        {"child": child, "heart": heart, "other": other, "rule": rule},
    )


def duplicates(request: HttpRequest) -> HttpResponse:
    cases = selectors.duplicates_visible_to(request.user)
    if request.method == "POST":
        case = get_object_or_404(cases, pk=request.POST.get("case"))
        keep_pk = int(request.POST.get("keep", 0))
        keep = case.first if case.first.pk == keep_pk else case.second
        if keep.pk != keep_pk:
            raise Http404
        services.merge_duplicate(case=case, keep=keep, by=acting_user(request))
        messages.success(request, _("The two archives were merged."))
        return redirect("children:duplicates")
    return render(
        request,
        "children/duplicates.html",
        {"cases": cases, "beyond": selectors.duplicates_beyond_scope_count(request.user)},
    )


def definition(request: HttpRequest, code: str) -> HttpResponse:
    """A region officer chooses which definition counts in the region."""
    region = org_manageable_by(request.user, code)
    require_perm(request.user, "orgs.set_calendar", region)
    today = timezone.localdate()
    return form_page(
        request,
        form=ProfileChoiceForm(
            request.POST or None, initial={"since": today, "profile": profile_for(region, today)}
        ),
        save=lambda d: services.set_region_profile(region=region, by=acting_user(request), **d),
        done=_("The definition in use was changed."),
        back=region.get_absolute_url(),
        template="children/form.html",
        context={"child": None, "title": _("Definition in use")},
    )


# A class, or a small school's whole register; a county prints class by class.
CARDS_AT_ONCE = 120
# Six cards to an A4 sheet, two across. Each sheet is laid out on its own: one flowing box of
# a hundred cards made WeasyPrint's layout quadratic (94 cards: 90 s; by sheets: 2–4 s).
CARDS_PER_SHEET = 6


def contact_cards(request: HttpRequest) -> HttpResponse:
    """联系卡: one card per child of a class (or of the register as filtered), A4, CJK fonts:
    the class teacher and the child's caregivers now paired, the parents, guardian and contact."""
    from weasyprint import HTML

    scope = scope_of(request.user)
    if not scope.may(Area.PHONES, Action.REVEAL):
        raise Http404
    pairings = Child._meta.get_field("pairings").related_model._default_manager  # type: ignore[union-attr]
    qs = (
        selectors.in_register(selectors.register_of(request.user))
        .select_related("school", "school_class", "guardian")
        .prefetch_related(
            "parents",
            Prefetch(
                "pairings",
                # Paired today: begun, and not ended before today (care.selectors.open_pairings).
                queryset=pairings.filter(starts_on__lte=timezone.localdate())
                .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=timezone.localdate()))
                .select_related("caregiver")
                .order_by("starts_on", "pk"),
                to_attr="active_pairings",
            ),
        )
    )
    class_code = request.GET.get("class", "")
    if class_code:
        qs = qs.filter(school_class__code=class_code)
    children = list(qs.order_by("school_class__path", "name_initials")[: CARDS_AT_ONCE + 1])
    if not children:
        raise Http404
    if len(children) > CARDS_AT_ONCE:
        return HttpResponseBadRequest(
            _("Choose a class in the register first, then print its contact cards.")
        )
    teachers = teachers_of_classes([c.school_class for c in children if c.school_class])
    for child in children:
        child.teachers = teachers.get(child.school_class_id or 0, [])  # type: ignore[attr-defined]
    sheets = [
        children[at : at + CARDS_PER_SHEET] for at in range(0, len(children), CARDS_PER_SHEET)
    ]
    html = render_to_string(
        "children/cards.html",
        {"sheets": sheets, "today": timezone.localdate()},
        request=request,
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    services.record_cards_export(by=acting_user(request), rows=len(children), class_code=class_code)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="contact-cards.pdf"'
    return response


def _school_of(school_class: Any) -> Any:
    from shouwang.orgs.models import Org

    return Org.objects.get(path=school_class.path[: -2 * Org.steplen])


def transfers(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "children/transfers.html",
        {"moves": selectors.transfers_visible_to(request.user)[:200]},
    )


def handover(request: HttpRequest, code: str) -> HttpResponse:
    """Term-end 交接 of a class to its next class teacher, by whoever manages the school."""
    school_class = org_manageable_by(request.user, code)
    if school_class.kind != OrgKind.SCHOOL_CLASS:
        raise Http404
    return form_page(
        request,
        form=HandoverForm(
            request.POST or None,
            initial={"on": timezone.localdate()},
            teachers=teachers_of_school(_school_of(school_class)),
        ),
        save=lambda d: services.hand_over_class(
            school_class=school_class, by=acting_user(request), **d
        ),
        done=_("The class was handed over."),
        back=school_class.get_absolute_url(),
        template="children/handover.html",
        context={
            "school_class": school_class,
            "history": selectors.handovers_of(request.user, school_class),
        },
    )


@limited_upload(MAX_CONSENT_SCAN, CONSENT_SCAN_TYPES)
def consent(request: HttpRequest, pk: int, withdraw: bool = False) -> HttpResponse:
    """The guardian's consent recorded, or withdrawn, by those who keep the archive; the
    signed form's scan stops at 10 MB as it arrives and must start as a JPEG, PNG or PDF does."""
    child = _editable_child(request, pk)
    guardian = getattr(child, "guardian", None)
    form = ConsentForm(
        request.POST or None,
        request.FILES or None,
        withdraw=withdraw,
        initial={
            "version": services.consent_version(child),
            "on": timezone.localdate(),
            "given_by": guardian.name if guardian else "",
            "relation": guardian.relation if guardian else "",
        },
    )
    refuse_into(form, "scan", request)
    return form_page(
        request,
        form=form,
        save=lambda d: services.record_consent(
            child=child, by=acting_user(request), withdrawn=withdraw, **d
        ),
        done=_("The consent was withdrawn.") if withdraw else _("The consent was recorded."),
        back=reverse("children:detail", args=[child.pk]) + "#consent",
        template="web/form.html",
        context={
            "child": child,
            "title": _("Withdraw the guardian's consent")
            if withdraw
            else _("The guardian's consent"),
        },
    )


def consent_scan(request: HttpRequest, pk: int) -> FileResponse:
    record = selectors.consent_scan_for(acting_user(request), pk)
    return FileResponse(record.scan.open("rb"), filename=Path(record.scan.name).name)


def retention_runs(request: HttpRequest) -> HttpResponse:
    """The retention rule's runs (sysadmins): when, by whom, how many archives, per unit."""
    runs = selectors.retention_runs_for(request.user)[:100]
    return render(
        request,
        "children/retention.html",
        {"runs": runs, "years": settings.SHOUWANG_RETENTION_YEARS},
    )


# --- 审核 (review) ----------------------------------------------------------------------------


def reviews(request: HttpRequest) -> HttpResponse:
    """What waits for review: a reviewer's list to decide; a school's or village's own archives
    waiting or returned with what to correct."""
    if not scope_of(request.user).may(Area.REVIEW, Action.VIEW):
        raise Http404
    state = request.GET.get("state") or ReviewState.PENDING
    if state not in ReviewState.values:
        state = ReviewState.PENDING
    rows = selectors.reviews_visible_to(request.user).filter(state=state).order_by("-at", "-pk")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "children/reviews.html",
        {
            "page": page,
            "state": state,
            "states": ReviewState.choices,
            "query": f"state={state}",
            "to_decide": selectors.reviews_to_decide(request.user).count(),
            "sets_review": scope_of(request.user).may(Area.SETTINGS, Action.CHANGE),
        },
    )


def review(request: HttpRequest, pk: int) -> HttpResponse:
    """One archive's entry or change side by side, and the decision for those who confirm."""
    found = selectors.review_visible_to(request.user, pk)
    services.record_view(child=found.child, by=acting_user(request), where="review")
    may_decide = selectors.may_decide(request.user, found)
    form = ReviewDecisionForm(
        request.POST or None, initial={"version": services.review_version(found)}
    )
    if request.method == "POST":
        if not may_decide:
            raise Http404
        if form.is_valid():
            try:
                services.decide_review(
                    review=found,
                    confirm=form.cleaned_data["decision"] == "confirm",
                    comment=form.cleaned_data["comment"],
                    by=acting_user(request),
                    version=form.cleaned_data["version"],
                )
            except StaleEdit as exc:
                exc.renew(form)
                form.add_error(None, exc)
            except ValidationError as exc:
                show_error(form, exc)
            else:
                messages.success(request, _("The decision was recorded."))
                return redirect(reverse("children:reviews"))
    return render(
        request,
        "children/review.html",
        {
            "review": found,
            "rows": services.changes_shown(found.changes),
            "form": form,
            "may_decide": may_decide,
        },
    )


def review_setting(request: HttpRequest) -> HttpResponse:
    """A region officer decides whether archives entered or changed below need review."""
    if not scope_of(request.user).may(Area.SETTINGS, Action.CHANGE):
        raise Http404
    tops = top_orgs_visible_to(request.user)
    region = org_manageable_by(
        request.user, request.GET.get("org") or (tops[0].code if tops else "")
    )
    if not region.is_region:
        raise Http404
    today = timezone.localdate()
    current = ReviewSetting.for_org(region, today)
    return form_page(
        request,
        form=ReviewSettingForm(
            request.POST if request.method == "POST" else None,  # unticked: an empty POST
            initial={"required": bool(current and current.required)},
        ),
        save=lambda d: services.set_review_required(
            region=region, required=d["required"], since=today, by=acting_user(request)
        ),
        done=_("The review setting was saved."),
        back=reverse("children:reviews"),
        template="web/form.html",
        context={"title": _("Review of archives") + f" · {region.name}"},
    )
