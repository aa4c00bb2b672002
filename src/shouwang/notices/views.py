from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from shouwang.accounts.access import acting_user

from . import selectors, services


def centre(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notifications_of(request.user), 30)
    return render(request, "notices/centre.html", {"page": page.get_page(request.GET.get("page"))})


def open_notice(request: HttpRequest, pk: int) -> HttpResponse:
    """Opening a notification marks it read and leads to what it is about."""
    notice = selectors.notification_of(request.user, pk)
    services.mark_read(acting_user(request), notice.pk)
    if notice.url and url_has_allowed_host_and_scheme(notice.url, allowed_hosts=None):
        return redirect(notice.url)
    return redirect("notices:centre")


@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    services.mark_read(acting_user(request))
    return redirect("notices:centre")
