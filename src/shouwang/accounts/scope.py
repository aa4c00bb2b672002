"""Who sees what (domain.md §1), decided here and nowhere else.

A user's scope is computed once per request from their active role assignments: the subtrees of
the org tree they may see, and each role's subtrees. The policy table (``accounts.policy``) says
what each role reaches for each area and action (what one manages included: ``units``/
``change``); ``Scope.q``, ``units_q`` and ``may`` apply it, and ``who`` answers it in reverse
(the people to tell).
Selectors in every app ask it; anything outside is a 404.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Model, Q, QuerySet

from shouwang.orgs.models import Org, OrgKind

from .models import RoleAssignment, User
from .policy import ANY, AT_A_CLASS, REGIONAL, SYSTEM, TELL, Action, Area, Reach, rule

STEPLEN = Org.steplen
# The reaches that go through a subtree of the tree (the others go through the person).
PLACES = frozenset({Reach.SCHOOL, Reach.CLASS, Reach.HOME, Reach.UNIT})
# The units above a class its teacher works in (Scope.workplace_q).
WORKPLACES = (OrgKind.SCHOOL, OrgKind.GRADE)


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
    # Subtrees the user may see as organisations.
    org_paths: tuple[str, ...] = ()
    # Role → subtrees it covers, which the policy table's reaches apply to.
    by_role: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def fingerprint(self) -> tuple[object, ...]:
        """Everything that decides what this user may see: counts kept for them are keyed by it
        (a scope that changed never reads a count made under the old one)."""
        return (
            self.user_id,
            self.is_sysadmin,
            sorted(self.roles),
            self.org_paths,
            sorted(self.by_role.items()),
        )

    # What the gate says of a person as a whole: pages ask these, never which role one holds.
    @property
    def sees_every_unit(self) -> bool:
        """The whole tree, with no unit of one's own (the system's administrator): no duties
        owed, no unit's figures to land on, the tree shown from its roots."""
        return self.is_sysadmin

    @property
    def manages_units(self) -> bool:
        """Manages units (or everything), as the table's ``units``/``change`` says: their
        pairings and caregivers, and the passwords of the people who work in them."""
        return self.may(Area.UNITS, Action.CHANGE)

    @property
    def may_manage_users(self) -> bool:
        return self.may(Area.USERS, Action.CHANGE)

    @property
    def may_read_audit(self) -> bool:
        return self.may(Area.AUDIT, Action.VIEW)

    def orgs_q(self, field_name: str = "path") -> Q:
        if self.is_sysadmin:
            return Q()
        return _prefix_q(field_name, self.org_paths)

    def manage_q(self, field_name: str = "path") -> Q:
        """The units one manages (the table's ``units``/``change``): add units, record
        enrolment, set the term calendar."""
        return self.units_q(Area.UNITS, Action.CHANGE, field_name)

    # --- the policy table (accounts.policy) -------------------------------------------------

    def q(self, area: Area, action: Action, *, via: str = "", own: str = "") -> Q:
        """Rows the policy lets this user reach for ``area``/``action``, as a filter. ``via``
        names the child (``"child"`` on a care record) or is empty on a row carrying the
        school/class/home-village fields itself (a child, an incident); ``own`` names the field
        holding the user who wrote or reported the row."""
        return self._reaches_q(self.reaches(area, action), via, own)

    def reaches(self, area: Area, action: Action) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
        """What the entry gives this user: each reach with the subtrees it runs over (none for
        ``ANY``'s), in the order the filter ORs them; None for everything. Two questions with
        the same reaches are one question (:meth:`may` answers it once per request)."""
        entry = rule(area, action)
        if any(Reach.ALL in entry.get(role, ()) for role in self.by_role):
            return None
        out = [
            (reach, paths) for role, paths in self.by_role.items() for reach in entry.get(role, ())
        ]
        if self.user_id is not None:
            # Anyone logged in: a pairing alone lets one look after the child (domain.md §3).
            out += [(reach, ()) for reach in entry.get(ANY, ())]
        return tuple(dict.fromkeys(out))

    def _reaches_q(
        self, reaches: tuple[tuple[str, tuple[str, ...]], ...] | None, via: str, own: str
    ) -> Q:
        if reaches is None:
            # (An empty Q() OR-ed to a filter vanishes: everything is answered first.)
            return Q()
        q = Q(pk__in=[])
        for reach, paths in reaches:
            q |= self.reach_q(reach, paths, via, own)
        return q

    def unit_paths(self, area: Area, action: Action) -> tuple[str, ...] | None:
        """The subtrees of the roles the entry names (a class for its teacher, a school for its
        leaders, a region for its officers; every unit one holds for ``ANY``), or None for
        everything."""
        entry = rule(area, action)
        if any(Reach.ALL in entry.get(role, ()) for role in self.by_role):
            return None
        paths: set[str] = set()
        for role, role_paths in self.by_role.items():
            if entry.get(role, frozenset()) & PLACES:
                paths.update(role_paths)
        if self.roles and Reach.UNIT in entry.get(ANY, ()):
            paths.update(self.org_paths)
        return _collapse(paths)

    def units_q(self, area: Area, action: Action, field_name: str = "path") -> Q:
        """Organisations (by ``field_name``, a path) under the subtrees of the roles the entry
        names: a class for its teacher, a school for its leaders, a region for its officers."""
        paths = self.unit_paths(area, action)
        return Q() if paths is None else _prefix_q(field_name, paths)

    def counties_q(self, area: Area, action: Action, field_name: str = "path") -> Q:
        """Organisations (by ``field_name``, a path) of the counties holding the units the
        entry reaches (:meth:`units_q`), or of those units themselves where they lie above a
        county (a city's officers: the city): a school's pupils come from villages of other
        townships, an activity draws on people of the whole county. ``Q()`` for everything."""
        paths = self.unit_paths(area, action)
        if paths is None:
            return Q()
        prefixes = {path[:k] for path in paths for k in range(STEPLEN, len(path) + 1, STEPLEN)}
        counties = set(
            Org.objects.filter(path__in=prefixes, kind=OrgKind.COUNTY).values_list(
                "path", flat=True
            )
        )
        # A unit below a county widens to it; one above (or beside) every county stays itself.
        widened = {next((c for c in counties if path.startswith(c)), path) for path in paths}
        return _prefix_q(field_name, _collapse(widened))

    def at_q(self, area: Area, action: Action, reach: Reach, *fields: str) -> Q:
        """Rows whose unit in any of ``fields`` (paths) lies in a subtree the table gives
        ``reach`` over for ``area``/``action``: both ends of a move read as a child's school
        (``SCHOOL``) would be. ``Q()`` for everything."""
        entry = rule(area, action)
        if any(Reach.ALL in entry.get(role, ()) for role in self.by_role):
            return Q()
        paths = _collapse(set(self.reach_paths(area, action).get(reach, ())))
        q = Q(pk__in=[])
        for field_name in fields:
            q |= _prefix_q(field_name, paths)
        return q

    def lists_own(self, area: Area, action: Action) -> bool:
        """Whether a page listing the rows of ``area`` opens for the user: they may at all, or
        the table lets anyone with a role reach what they took part in themselves (``OWN``) —
        a volunteer's own activities. The page and its menu entry both ask this."""
        if self.may(area, action):
            return True
        return bool(self.roles) and Reach.OWN in rule(area, action).get(ANY, frozenset())

    def workplace_q(self, area: Area, action: Action, field_name: str = "path") -> Q:
        """Units (by ``field_name``, a path) the user reaches for ``area``/``action`` as
        :meth:`units_q` does, and the school and grade their class lies in: what a school
        holds for everyone working in it (its activities, its training) reaches its class
        teachers and counselors too. ``Q()`` for everything."""
        below = self.units_q(area, action, field_name)
        if not below:  # everything (an empty Q would vanish when OR-ed)
            return below
        above: set[str] = set()
        for path in self.reach_paths(area, action).get(Reach.UNIT, ()):
            above.update(path[:k] for k in range(STEPLEN, len(path), STEPLEN))
        if not above:
            return below
        kind = field_name.removesuffix("path") + "kind"
        return below | Q(**{f"{field_name}__in": sorted(above), f"{kind}__in": WORKPLACES})

    def reach_paths(
        self, area: Area, action: Action, *, told: bool = False
    ) -> dict[str, tuple[str, ...]]:
        """Reach → the subtrees it is given over (a class teacher's classes for ``CLASS``…), by
        the table or, ``told``, by who gets told (TELL)."""
        entry = TELL[(area, action)] if told else rule(area, action)
        out: dict[str, set[str]] = {}
        for role, paths in self.by_role.items():
            for reach in entry.get(role, ()):
                out.setdefault(reach, set()).update(paths)
        return {reach: tuple(sorted(paths)) for reach, paths in out.items()}

    def may(self, area: Area, action: Action, obj: Any = None) -> bool:
        """Whether the user may at all (``obj`` None: what the menu asks), over one unit (an
        ``Org``) or over one row (a child, or a row of a model with a ``policy`` target).

        At all: a role the entry names, or ``ANY`` reaching by pairing or unit; what one wrote
        or reported (``OWN``) opens no page of its own."""
        entry = rule(area, action)
        if obj is None:
            if any(entry.get(role) for role in self.roles):
                return True
            return bool(self.roles) and bool(entry.get(ANY, frozenset()) - {Reach.OWN})
        if isinstance(obj, Org):
            paths = self.unit_paths(area, action)
            return _answered(
                self,
                obj,
                ("units", paths),
                lambda: Org.objects.filter(self.units_q(area, action), pk=obj.pk).exists(),
            )
        target = getattr(type(obj), "policy", None)
        via, own = (target.via, target.own) if target is not None else ("", "")
        reaches = self.reaches(area, action)
        return _answered(
            self,
            obj,
            (via, own, reaches),
            lambda: (
                type(obj)
                ._default_manager.filter(self._reaches_q(reaches, via, own), pk=obj.pk)
                .exists()
            ),
        )

    def reach_q(self, reach: str, paths: tuple[str, ...], via: str, own: str) -> Q:
        at = f"{via}__" if via else ""
        if reach == Reach.SCHOOL:
            return _prefix_q(f"{at}school__path", paths)
        if reach == Reach.CLASS:
            return _prefix_q(f"{at}school_class__path", paths)
        if reach == Reach.HOME:
            return _prefix_q(f"{at}home_village__path", paths)
        if reach == Reach.PAIRED:
            return _paired_q(self.user_id, f"{via}__in" if via else "pk__in")
        if reach == Reach.OWN and own and self.user_id is not None:
            return Q(**{own: self.user_id})
        return Q(pk__in=[])

    def sees(self, org: Org) -> bool:
        return self.is_sysadmin or org.path.startswith(self.org_paths)

    def manages(self, org: Org) -> bool:
        return self.covers(Area.UNITS, Action.CHANGE, org)

    def covers(self, area: Area, action: Action, org: Org) -> bool:
        """Whether ``org`` lies in what the entry gives the user over units (:meth:`units_q`
        for one unit, read off the scope without a query)."""
        paths = self.unit_paths(area, action)
        return paths is None or org.path.startswith(paths)


# --- one request's answers (issue 17) -------------------------------------------------------
# A child's page asked "may this user … this child?" five times over, each an identical query
# (its sections, the menu, the buttons). While a request is served the answers are kept, keyed
# by the user, the question's filter, the row and the row's keys (its school, class, village…);
# never outside a request (a command, a worker, a test calling services: the same user object
# is used again after the child moved), never from one request to the next (a contextvar, reset
# when the request ends), never across a write the request makes.

# Statements that change nothing; anything else (a write, a rollback to a savepoint, raw SQL)
# drops the answers kept so far.
_CHANGE_NOTHING = ("SELECT", "SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN")


@dataclass
class _Answers:
    kept: dict[tuple[object, ...], bool] = field(default_factory=dict)
    # A write inside a transaction block may still roll back with the outermost block: until
    # the request is outside every block again, nothing is kept or read. (A test case's own
    # block never ends: a request in a test that wrote keeps nothing after its write.)
    unsettled: bool = False

    def watch(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not sql.lstrip()[:20].upper().startswith(_CHANGE_NOTHING):
            self.kept.clear()
            self.unsettled = self.unsettled or connection.in_atomic_block
        return execute(sql, params, many, context)

    def usable(self) -> bool:
        if self.unsettled and not connection.in_atomic_block:
            self.unsettled = False  # committed or rolled back: the database says which
        return not self.unsettled


_answers: ContextVar[_Answers | None] = ContextVar("scope_answers", default=None)


@contextmanager
def answers_kept() -> Iterator[None]:
    """Keep :meth:`Scope.may`'s answers over rows while the block runs: one request
    (accounts.middleware.ScopeAnswersMiddleware)."""
    answers = _Answers()
    token = _answers.set(answers)
    try:
        with connection.execute_wrapper(answers.watch):
            yield
    finally:
        _answers.reset(token)


def _answered(scope: Scope, obj: Model, question: object, ask: Callable[[], bool]) -> bool:
    answers = _answers.get()
    if answers is None or obj.pk is None or not answers.usable():
        return ask()
    # The row's keys: a row placed elsewhere than when it was asked is asked again.
    placed = tuple(getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.many_to_one)
    key = (scope.user_id, obj._meta.label, obj.pk, placed, getattr(obj, "path", None), question)
    if key not in answers.kept:
        answers.kept[key] = ask()
    return answers.kept[key]


# The children paired to a person come from care, which builds on accounts: care hands the
# gate its query when the app is ready (care.apps), so accounts never imports care.
PairedChildren = Callable[[int], Any]  # user id → a values("child_id") queryset
_paired_children: list[PairedChildren] = []


def provide_paired_children(query: PairedChildren) -> None:
    _paired_children[:] = [query]


def _paired_q(user_id: int | None, lookup: str) -> Q:
    if user_id is None or not _paired_children:
        return Q(pk__in=[])
    return Q(**{lookup: _paired_children[0](user_id)})


def who(area: Area, action: Action, org: Org | None = None) -> list[User]:
    """The people to tell about something of ``area`` at ``org`` (accounts.policy.TELL)."""
    told = told_at(area, action, [org] if org is not None else [])
    users = {u for ids in told.values() for u in ids}
    return list(User.objects.filter(pk__in=users, is_active=True).order_by("pk"))


def told_at(
    area: Area, action: Action, orgs: Collection[Org] | QuerySet[Org]
) -> dict[int | None, set[int]]:
    """Org id → the ids of the people to tell about something there (None: told of anything,
    the ``ALL`` roles). Class and school roles are those held at that very unit; region
    officers those whose region holds it (an officer at a 妇联 works for its region)."""
    entry = TELL[(area, action)]
    out: dict[int | None, set[int]] = {}
    held = RoleAssignment.objects.filter(is_active=True, user__is_active=True)
    at_unit = Q(pk__in=[])
    for role, reaches in entry.items():
        if Reach.CLASS in reaches:
            at_unit |= Q(role=role, org__kind=OrgKind.SCHOOL_CLASS)
        if Reach.SCHOOL in reaches:  # the child's unit: its school, or its village
            at_unit |= Q(role=role, org__kind__in=[OrgKind.SCHOOL, OrgKind.VILLAGE])
    if any(reaches & {Reach.CLASS, Reach.SCHOOL} for reaches in entry.values()):
        # (A queryset of units stays a sub-query: one query whatever their number.)
        rows = held.filter(at_unit, org__in=orgs).values_list("org_id", "user_id")
        for org_id, user_id in rows:
            out.setdefault(org_id, set()).add(user_id)
    regional = [role for role, r in entry.items() if Reach.UNIT in r]
    if regional:
        for assignment in held.filter(role__in=regional).select_related("org"):
            region = _region_path(assignment.org)
            for org in orgs:
                if org.path.startswith(region):
                    out.setdefault(org.pk, set()).add(assignment.user_id)
    everywhere = [role for role, r in entry.items() if Reach.ALL in r]
    if everywhere:
        out[None] = set(held.filter(role__in=everywhere).values_list("user_id", flat=True))
    return out


def _region_path(org: Org) -> str:
    """A region officer at a 妇联 / 教育局 works for the region the unit hangs from."""
    if org.is_region:
        return org.path
    return org.path[:-STEPLEN]


def build_scope(assignments: list[RoleAssignment], user_id: int | None = None) -> Scope:
    seen: set[str] = set()
    by_role: dict[str, set[str]] = {}
    roles: set[str] = set()
    for assignment in assignments:
        org, role = assignment.org, assignment.role
        roles.add(role)
        path = _region_path(org) if role in REGIONAL else org.path
        seen.add(path)
        # The others see the organisations under their assignment and change none of them;
        # which children each may see is the policy table's (by class, home village, pairing).
        if role in AT_A_CLASS and org.kind != OrgKind.SCHOOL_CLASS:
            continue
        by_role.setdefault(role, set()).add(path)
    return Scope(
        user_id=user_id,
        is_sysadmin=SYSTEM in roles,
        roles=frozenset(roles),
        org_paths=_collapse(seen),
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
