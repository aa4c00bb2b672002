from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from shouwang.notices.selectors import unread_count

from .navigation import nav_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    if not request.user.is_authenticated:
        return {"nav_items": []}
    return {"nav_items": nav_for(request.user, request.path), "unread": unread_count(request.user)}
