"""Who sees what (domain.md §1), decided here and nowhere else.

A user's scope is computed once per request from their active role assignments: the subtrees of
the org tree they may see, and the subtrees they may change. Selectors in every app turn it into
a query filter; anything outside it is a 404.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from shouwang.orgs.models import Org, OrgKind

from .models import Role, RoleAssignment

STEPLEN = Org.steplen
# Roles that change children's archives, and roles that may unmask an ID number (domain.md §1).
EDIT_ROLES = frozenset(
    {Role.REGION_OFFICER, Role.SCHOOL_ADMIN, Role.TEACHER, Role.VILLAGE_DIRECTOR}
)
ID_ROLES = EDIT_ROLES


def _prefix_q(field_name: str, paths: tuple[str, ...]) -> Q:
    """Rows whose path lies under any of ``paths``; nothing when ``paths`` is empty."""
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field_name}__startswith": path})
    return q


def _collapse(paths: set[str]) -> tuple[str, ...]:
    """Drop paths that lie inside another one, so filters stay short."""
    kept: list[str] = []
    for path in sorted(paths, key=len):
        if not any(path.startswith(other) for other in kept):
            kept.append(path)
    return tuple(sorted(kept))


@dataclass(frozen=True)
class Scope:
    user_id: int | None = None
    is_sysadmin: bool = False
    roles: frozenset[str] = frozenset()
    # Subtrees the user may see as organisations (and, later, the children in them).
    org_paths: tuple[str, ...] = ()
    # Subtrees the user may change: add units, record enrolment, set the term calendar.
    manage_paths: tuple[str, ...] = ()
    # Role → subtrees it covers; the apps of later issues read their own role's entries.
    by_role: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def orgs_q(self, field_name: str = "path") -> Q:
        if self.is_sysadmin:
            return Q()
        return _prefix_q(field_name, self.org_paths)

    def manage_q(self, field_name: str = "path") -> Q:
        if self.is_sysadmin:
            return Q()
        return _prefix_q(field_name, self.manage_paths)

    def managed_units_q(self, field_name: str = "path") -> Q:
        """Rows under the units the user manages by a role at them (a school's admin, the
        region's officers) — not the sysadmin's whole tree: running the system is not
        managing a school's records."""
        return _prefix_q(field_name, self.manage_paths)

    def sees(self, org: Org) -> bool:
        return self.is_sysadmin or org.path.startswith(self.org_paths)

    def manages(self, org: Org) -> bool:
        return self.is_sysadmin or org.path.startswith(self.manage_paths)

    def has_role(self, *roles: str) -> bool:
        return self.is_sysadmin or bool(self.roles.intersection(roles))

    def children_q(self, roles: Collection[str] | None = None) -> Q:
        """Children's archives this user sees (domain.md §1), as a filter on ``Child``.

        Region officers: schools or home villages in their region; school admins and counselors:
        their school; teachers: their classes; village directors: children whose home is in the
        village; anyone: the children paired to them now (volunteers see only those).
        ``roles`` narrows it to what those roles give: a counselor at one school who teaches a
        class at another edits only that class's children (EDIT_ROLES), not the school's; a
        pairing lets one see the child and record care, never edit the archive or see its ID.
        """
        if self.is_sysadmin:
            return Q()
        q = self.paired_q() if roles is None else Q(pk__in=[])
        for role, paths in self.by_role.items():
            if roles is not None and role not in roles:
                continue
            if role == Role.REGION_OFFICER:
                q |= _prefix_q("school__path", paths) | _prefix_q("home_village__path", paths)
            elif role in (Role.SCHOOL_ADMIN, Role.COUNSELOR):
                q |= _prefix_q("school__path", paths)
            elif role == Role.TEACHER:
                q |= _prefix_q("school_class__path", paths)
            elif role == Role.VILLAGE_DIRECTOR:
                q |= _prefix_q("home_village__path", paths)
        return q

    def paired_q(self) -> Q:
        """Children with an open pairing to this user as caregiver (domain.md §3)."""
        if self.user_id is None:
            return Q(pk__in=[])
        from django.utils import timezone

        from shouwang.care.models import Pairing  # care builds on accounts, not the reverse

        today = timezone.localdate()
        current = Pairing.objects.filter(caregiver__user_id=self.user_id, starts_on__lte=today)
        current = current.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        return Q(pk__in=current.values("child_id"))

    def recordable_children_q(self) -> Q:
        """Children whose care this user may record: editing roles, and their own pairings."""
        if self.is_sysadmin:
            return Q(pk__in=[])
        return self.children_q(EDIT_ROLES) | self.paired_q()

    def editable_children_q(self) -> Q:
        return self.children_q(EDIT_ROLES)

    def id_revealable_children_q(self) -> Q:
        return self.children_q(ID_ROLES)

    @property
    def may_reveal_id_number(self) -> bool:
        """Who may unmask an ID number (audited each time). Volunteers never (domain.md §1)."""
        return self.has_role(*ID_ROLES)

    @property
    def may_reveal_phones(self) -> bool:
        """Phones are for calling: everyone who sees the child may unmask them (audited)."""
        return bool(self.roles) or self.is_sysadmin

    @property
    def may_edit_children(self) -> bool:
        return self.has_role(*EDIT_ROLES)


def _region_path(org: Org) -> str:
    """A region officer at a 妇联 / 教育局 works for the region the unit hangs from."""
    if org.is_region:
        return org.path
    return org.path[:-STEPLEN]


def build_scope(assignments: list[RoleAssignment], user_id: int | None = None) -> Scope:
    seen: set[str] = set()
    managed: set[str] = set()
    by_role: dict[str, set[str]] = {}
    roles: set[str] = set()
    for assignment in assignments:
        org, role = assignment.org, assignment.role
        roles.add(role)
        if role == Role.REGION_OFFICER:
            path = _region_path(org)
            seen.add(path)
            managed.add(path)
        elif role == Role.SCHOOL_ADMIN:
            path = org.path
            seen.add(path)
            managed.add(path)
        else:
            # Teachers, counselors, village directors and volunteers see the organisations
            # under their assignment and change none of them; which children each may see is
            # a narrower rule of its own (by class, home village or pairing).
            path = org.path
            seen.add(path)
            if role == Role.TEACHER and org.kind != OrgKind.SCHOOL_CLASS:
                # A teacher without a class (pairings only) covers no class's children.
                continue
        by_role.setdefault(role, set()).add(path)
    return Scope(
        user_id=user_id,
        is_sysadmin=Role.SYSADMIN in roles,
        roles=frozenset(roles),
        org_paths=_collapse(seen),
        manage_paths=_collapse(managed),
        by_role={role: _collapse(paths) for role, paths in by_role.items()},
    )


def scope_of(user: Any) -> Scope:
    """The user's scope, computed once and kept on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    cached = getattr(user, "_shouwang_scope", None)
    if cached is None:
        assignments = list(
            RoleAssignment.objects.filter(user=user, is_active=True).select_related("org")
        )
        cached = build_scope(assignments, user.pk)
        user._shouwang_scope = cached
    return cached
