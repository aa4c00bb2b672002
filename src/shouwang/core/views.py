"""The one shape of a form page: post, call the service, errors back at the form, or go on."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def form_page(
    request: HttpRequest,
    *,
    form: forms.BaseForm,
    save: Callable[[dict[str, Any]], object],
    done: str,
    back: str,
    template: str,
    context: Mapping[str, Any] | None = None,
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, done)
            return redirect(back)
    return render(request, template, {"form": form, "back": back, **(context or {})})
