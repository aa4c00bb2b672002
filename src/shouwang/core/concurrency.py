"""Optimistic locking: a form (or an API PATCH) carries the state it was opened at, and a save
over a state that changed meanwhile is refused instead of silently overwriting the other clerk.

The token is the opened state itself, signed (so a tampered token is just stale, never
trusted) and compressed. Carrying the state rather than a counter means every write path —
pages, imports, the API, bulk updates — moves the token without having to remember to bump a
column, and the refusal can say what the other person changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_SALT = "shouwang.core.concurrency"


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(getattr(value, "pk", value))


def plain_state(values: Mapping[str, Any]) -> dict[str, Any]:
    """Values as JSON keeps them (objects by key, dates as text), so two reads compare equal."""
    return {key: _plain(value) for key, value in values.items()}


def version_token(values: Mapping[str, Any]) -> str:
    return signing.dumps(plain_state(values), salt=_SALT, compress=True)


class StaleEdit(ValidationError):
    """The record changed after the form was opened ("此记录已被他人修改"). ``changed`` names
    what the other person changed, as ``{field: [when opened, now]}``."""

    def __init__(self, describe: str = "", changed: Mapping[str, list[Any]] | None = None) -> None:
        if describe:
            message = _("This record was changed by someone else meanwhile: %(changes)s.") % {
                "changes": describe
            }
        else:
            message = _("This record was changed by someone else meanwhile.")
        super().__init__(message, code="stale")
        self.changed = dict(changed or {})
        # The token of the state now stored: a form shown again with it may be saved over the
        # newer version, knowingly.
        self.current_token = ""

    def renew(self, form: Any) -> None:
        """Show ``form`` again against the current version, keeping what its user typed."""
        if self.current_token and "version" in form.fields:
            form.data = form.data.copy()
            form.data[form.add_prefix("version")] = self.current_token


def check_version(
    token: str | None,
    current: Mapping[str, Any],
    *,
    label: Callable[[str], str] = str,
    shown: Callable[[str, Any], Any] | None = None,
) -> None:
    """Refuse the save when ``token`` no longer matches ``current`` (the stored state, read under
    lock by the caller). A missing token is refused too: a form without one is an old page or a
    script, and saving it could undo a change it never saw. ``shown`` masks a value for the
    message (an ID number is never repeated back in full)."""
    now = plain_state(current)
    try:
        opened = signing.loads(token or "", salt=_SALT)
    except signing.BadSignature:
        opened = None
    if opened == now:
        return
    if not isinstance(opened, dict):
        stale = StaleEdit(_("reload the page and make the change again"))
        stale.current_token = version_token(current)
        raise stale
    changed = {
        key: [opened.get(key), now.get(key)]
        for key in sorted(set(opened) | set(now))
        if opened.get(key) != now.get(key)
    }
    describe = "；".join(
        f"{label(key)}：{_shown(shown, key, old)} → {_shown(shown, key, new)}"
        for key, (old, new) in changed.items()
    )
    stale = StaleEdit(describe, changed)
    stale.current_token = version_token(current)
    raise stale


def _shown(shown: Callable[[str, Any], Any] | None, key: str, value: Any) -> Any:
    if value in (None, ""):
        return "—"
    return shown(key, value) if shown is not None else value
