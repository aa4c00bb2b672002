"""Two login locks for django-axes: a username at one address, and an address on its own.

Locking a username wherever the failures come from let anyone lock anyone out (five wrong
passwords for the county's administrator from anywhere, and neither the page nor the API token
would let them in); locking only the pair lets one address try a few passwords against every
username. So:

- the pair (username, address) locks after ``AXES_FAILURE_LIMIT`` failures (5): the person's
  own typing, or a stranger at the person's own address;
- the address locks, whatever the usernames, after ``SHOUWANG_ADDRESS_LOCKOUT_FAILURES`` (30).
  Well above 5, because a whole village school often shares one address behind NAT.

Axes compares one number with one limit, so :meth:`get_failures` answers the pair's failures,
raised to the pair's limit once the address has reached its own. Both count failures in the
last ``AXES_COOLOFF_TIME``, so each lock lifts by itself.
"""

from __future__ import annotations

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q, Sum
from django.http import HttpRequest


class PairAndAddressHandler(AxesDatabaseHandler):
    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        username = get_client_username(request, credentials)
        counts = AccessAttempt.objects.filter(
            ip_address=request.axes_ip_address,  # type: ignore[attr-defined]
            attempt_time__gte=get_cool_off_threshold(request),
        ).aggregate(
            pair=Sum("failures_since_start", filter=Q(username=username)),
            address=Sum("failures_since_start"),
        )
        pair = counts["pair"] or 0
        if (counts["address"] or 0) >= settings.SHOUWANG_ADDRESS_LOCKOUT_FAILURES:
            return max(pair, get_failure_limit(request, credentials))
        return pair

    def reset_user_attempts(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> int:
        """A successful login forgives the person's own failures at this address, not the
        others' (a sprayer holding one valid account must not wipe the address's count)."""
        deleted, _ = AccessAttempt.objects.filter(
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,  # type: ignore[attr-defined]
        ).delete()
        return deleted
