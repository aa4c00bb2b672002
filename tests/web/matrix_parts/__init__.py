"""The matrices' rows of the newer areas, one module per app, so an app's pages, writes and the
things they act on sit together (and no two apps edit the same list).

A part module defines:

- ``URLS``: rows of the GET matrix, ``(url name, argument, personas answered 200)``;
- ``GET_ONLY``: the url names that take no write (the write matrix checks they take no POST);
- ``writes()``: the part's rows of the write matrix (``tests.web.writes.Write``);
- ``plant(world)``: called once by ``MatrixWorld.setUpTestData`` with the test class (its
  ``world`` and ``children``): returns ``{key: object}`` — the keys the rows name as their
  argument (the URL takes the object's pk).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType


@cache
def parts() -> tuple[ModuleType, ...]:
    return tuple(
        importlib.import_module(f"{__name__}.{found.name}")
        for found in pkgutil.iter_modules(__path__)
        if not found.name.startswith("_")
    )
