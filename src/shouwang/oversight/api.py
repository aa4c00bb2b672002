"""The API's `rounds` resource (interfaces.md), through this app's services and selectors."""

from __future__ import annotations

from rest_framework.routers import BaseRouter


def register(router: BaseRouter) -> None:
    """Adds this app's resources to the API's router (api/urls.py)."""
