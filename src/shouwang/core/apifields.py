"""Fields the API's serializers share: a row's id as a number the database can hold (a larger
one is a 400 "no such row" rather than an overflow, a 500, deep in a query)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

# Keys are BigAutoField (settings.DEFAULT_AUTO_FIELD): a signed 64-bit integer on both databases.
LARGEST_ID = 2**63 - 1


def row_id(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=LARGEST_ID, **kwargs)
