"""Cross-check pages: upload a list, see what it found; clear a flag found wrong."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from shouwang.accounts.access import acting_user
from shouwang.core.sheets.limits import limited_upload, refuse_into
from shouwang.core.sheets.reader import EncodingUnsure, UnreadableFile
from shouwang.core.views import form_page

from . import selectors, services
from .forms import MAX_UPLOAD, SUFFIXES, ClearForm, UploadForm


@limited_upload(MAX_UPLOAD, SUFFIXES)
def upload(request: HttpRequest) -> HttpResponse:
    if not selectors.may_cross_check(request.user):
        raise Http404
    units = selectors.units_for(request.user)
    if not units.exists():
        raise Http404
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        orgs=units,
        initial={"org": units.first()},
    )
    refuse_into(form, "file", request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        org, upload_file = data["org"], data["file"]
        try:
            check, _result = services.cross_check(
                source=upload_file,
                filename=upload_file.name,
                org=org,
                list_kind=data["list_kind"],
                scope=selectors.scope_for(request.user, org),
                by=acting_user(request),
                encoding=data["encoding"] or None,
            )
        except EncodingUnsure as exc:
            form.ask_encoding(exc.candidates)
            form.add_error("encoding", str(exc))
        except UnreadableFile as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("crosschecks:result", pk=check.pk)
    return render(
        request,
        "crosschecks/upload.html",
        {"form": form, "checks": selectors.checks_for(request.user)[:20]},
    )


def result(request: HttpRequest, pk: int) -> HttpResponse:
    check = selectors.check_for(request.user, pk)
    return render(request, "crosschecks/result.html", {"check": check})


def clear(request: HttpRequest, pk: int) -> HttpResponse:
    flag = selectors.flag_clearable_by(request.user, pk)
    return form_page(
        request,
        form=ClearForm(request.POST or None),
        save=lambda d: services.clear_flag(flag=flag, by=acting_user(request), **d),
        done=_("The flag was cleared."),
        back=reverse("children:detail", args=[flag.child_id]),
        template="web/form.html",
        context={
            "title": _("Clear a difficulty flag") + f" · {flag.get_list_kind_display()}",
            "child": flag.child,
        },
    )
