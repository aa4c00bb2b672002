"""The one shape of a form page: post, call the service, errors back at the form, or go on."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .concurrency import StaleEdit


def form_page(
    request: HttpRequest,
    *,
    form: forms.BaseForm,
    save: Callable[[dict[str, Any]], object],
    done: str | Callable[[dict[str, Any]], str],
    back: str,
    template: str,
    context: Mapping[str, Any] | None = None,
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except StaleEdit as exc:
            exc.renew(form)
            form.add_error(None, exc)
        except ValidationError as exc:
            show_error(form, exc)
        else:
            messages.success(request, done(form.cleaned_data) if callable(done) else done)
            return redirect(back)
    return render(request, template, {"form": form, "back": back, **(context or {})})


def show_error(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's refusal on the form: at the field it names where the form has that field,
    above the form otherwise (a service may name a field the form builds another way)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
