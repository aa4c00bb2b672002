"""Whom to call at each step of an open incident's chain, with their phones (seed 001: the
school's leaders and the guardian in 20 minutes, the parents away in an hour, the bureau and
the township in two).

The people at school and above are the gate's to say (accounts.scope.who: those told of an
incident at the school, and of a late step); the family's phones are the child's archive's,
unmasked only for a user the gate lets see them (and that look is on the audit log).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shouwang.accounts.policy import Action, Area
from shouwang.accounts.scope import scope_of, who
from shouwang.accounts.selectors import units_held_by
from shouwang.children.models import Guardian
from shouwang.core.validators import mask_phone
from shouwang.orgs.models import OrgKind

from .models import Incident


@dataclass
class Contact:
    name: str
    about: str  # their relation to the child, or their unit
    phone: str  # as the user may see it: masked numbers are not links (web.templatetags.phones)


def contacts_for(user: Any, incident: Incident) -> tuple[dict[str, list[Contact]], bool]:
    """Step key → the people to call for it; and whether the family's phones are unmasked (the
    gate's PHONES rule), for the caller to put that look on the audit log."""
    child = incident.child
    out: dict[str, list[Contact]] = {}
    leaders = who(Area.INCIDENTS, Action.ADD, incident.school)
    out["school_leadership"] = [_staff(u) for u in leaders]
    above = [u for u in who(Area.INCIDENTS, Action.ALERT, incident.school) if u not in leaders]
    units = units_held_by(above)
    township = [u for u in above if units.get(u.pk) and units[u.pk].kind == OrgKind.TOWNSHIP]
    out["township"] = [_staff(u, units.get(u.pk)) for u in township]
    out["education_bureau"] = [_staff(u, units.get(u.pk)) for u in above if u not in township]

    unmasked = scope_of(user).may(Area.PHONES, Action.REVEAL, child)
    shown = (lambda p: p) if unmasked else (lambda p: mask_phone(p) if p else "")
    guardian = Guardian.objects.filter(child=child).first()
    if guardian is not None and (guardian.name or guardian.phone):
        out["guardian"] = [
            Contact(guardian.name, guardian.get_relation_display(), shown(guardian.phone))
        ]
    out["parents"] = [
        Contact(p.name, f"{p.get_relation_display()} · {p.get_status_display()}", shown(p.phone))
        for p in child.parents.all()
        if p.name or p.phone
    ]
    return out, unmasked and bool(out["parents"] or out.get("guardian"))


def _staff(person: Any, unit: Any = None) -> Contact:
    return Contact(person.display_name, unit.name if unit is not None else "", person.phone)
