"""Reads of children's archives. Every one starts from the acting user's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shouwang.accounts.policy import Action, Area, Reach
from shouwang.accounts.scope import scope_of
from shouwang.audit import services as audit
from shouwang.audit.masking import masked_changes
from shouwang.audit.models import AuditAction, AuditEntry
from shouwang.core.fieldcrypt import lookup_hash

from .models import (
    IN_REGISTER,
    ArchiveReview,
    Assessment,
    Child,
    ChildStatus,
    ConsentRecord,
    DifficultyFlag,
    DuplicateCase,
    Parent,
    RetentionRun,
    ReviewState,
    StatusChange,
)

# The "五清楚" of the seeds: what must be known of every child.
FIVE_KNOWN = [
    ("basic", _("Basic information")),
    ("personality", _("Personality")),
    ("hobbies", _("Hobbies")),
    ("health", _("Health")),
    ("contacts", _("Parents' and guardian's phones")),
]


def children_visible_to(user: Any) -> QuerySet[Child]:
    return Child.objects.restrict(user)


def with_id_number(children: QuerySet[Child], number: str) -> QuerySet[Child]:
    """The children (of a set already within the user's scope) whose ID number is ``number``,
    or contains it when fewer than 18 characters are given. A whole number is looked up by its
    keyed hash (indexed); a part can only be found by reading each number of the set, which
    the caller's scope, rights and hourly limit keep small (children.views._search_id_number)."""
    number = number.strip().upper()
    if len(number) == ID_LENGTH:
        return children.filter(id_hash=lookup_hash(number))
    found = [pk for pk, whole in children.values_list("pk", "id_number") if number in whole]
    # A part as short as two digits matches much of a county: the first matches are listed,
    # few enough for one query (SQLite takes at most 32,766 values in a statement).
    return children.filter(pk__in=found[:PARTIAL_MATCHES])


ID_LENGTH = 18
PARTIAL_MATCHES = 1000


def children_editable_by(user: Any) -> QuerySet[Child]:
    return Child.objects.restrict(user, Action.CHANGE)


def keeps_archive(user: Any, child: Child) -> bool:
    """Whether the user may change the child's archive (:func:`children_editable_by` for one
    child): asked by the page, its consents and its sections, answered once per request."""
    return scope_of(user).may(Area.ARCHIVE, Action.CHANGE, child)


def child_editable_by(user: Any, pk: int) -> Child:
    """The child, or 404 unless one of the user's editing roles covers it."""
    return get_object_or_404(children_editable_by(user).select_related("school", "guardian"), pk=pk)


def id_number_revealable(user: Any, child: Child) -> bool:
    return scope_of(user).may(Area.ID_NUMBER, Action.REVEAL, child)


# Searching the register by ID number, per user and hour (issue 14): enough for a clerk
# checking a list, far too few to try every sequence number of a birth date.
ID_SEARCHES_PER_HOUR = 30


def id_searches_left(user: Any) -> int:
    """How many more searches by ID number the user may make this hour (the audit log counts)."""
    since = timezone.now() - timedelta(hours=1)
    made = AuditEntry.objects.filter(
        actor_id=user.pk, action=AuditAction.VIEW, at__gte=since, changes__has_key="id_search"
    ).count()
    return ID_SEARCHES_PER_HOUR - made


# The encrypted columns a list of children never shows (each would be decrypted per row).
ENCRYPTED_NOT_LISTED = (
    "id_number",
    "address",
    "contact_phone",
    "guardian__phone",
    "guardian__address",
)


def in_register_order(children: QuerySet[Child]) -> QuerySet[Child]:
    """Children as a register lists them: by school and class in the tree's order, then name.
    A class's path begins with its school's, so one key (the class's path, or the school's for
    a child in no class) orders both — as an expression, not a unit's indexed column, so
    PostgreSQL sorts the page's children rather than pairing each with every unit in path
    order to skip the sort (the first school of the 20,000-child demo county, 2,970 children:
    the page's query 112 → 52 ms on PostgreSQL, issue 17)."""
    place = Coalesce(F("school_class__path"), F("school__path"))
    return children.order_by(place, "name_initials", "pk")


def register_of(user: Any) -> QuerySet[Child]:
    """The left-behind register list: one query for the rows, whatever their number."""
    return children_visible_to(user).select_related(
        "school", "school_class", "home_village", "guardian"
    )


def child_visible_to(user: Any, pk: int) -> Child:
    """The child, or 404 when it does not exist or is outside the user's scope."""
    active_flags = DifficultyFlag.objects.filter(ended_on__isnull=True)
    # (Whether a change of the archive waits for review: in the same query.)
    waits = ArchiveReview.objects.filter(child=OuterRef("pk"), state=ReviewState.PENDING)
    qs = (
        children_visible_to(user)
        .annotate(change_waits=Exists(waits))
        .select_related("school", "school_class", "home_village", "guardian", "county")
        .prefetch_related(
            Prefetch("parents", queryset=Parent.objects.order_by("relation")),
            Prefetch("difficulties", queryset=active_flags, to_attr="active_difficulties"),
        )
    )
    return get_object_or_404(qs, pk=pk)


def missing_of(child: Child) -> list[str]:
    """Which of the 五清楚 are not yet known for this child (empty: the archive is complete)."""
    parents = {p.relation: p for p in child.parents.all()}
    guardian = getattr(child, "guardian", None)
    known = {
        "basic": bool(child.id_number and child.birth_date and child.address),
        "personality": bool(child.personality.strip()),
        "hobbies": bool(child.hobbies.strip()),
        "health": bool(child.health.strip()),
        "contacts": bool(
            guardian is not None
            and guardian.phone
            and all(p.phone for p in parents.values() if p.status in ("migrant", "at_home"))
        ),
    }
    return [key for key, _label in FIVE_KNOWN if not known[key]]


def incomplete_q() -> Q:
    """The same 五清楚 test as :func:`missing_of`, as a filter for the register."""
    no_parent_phone = Q(
        pk__in=Parent.objects.filter(status__in=["migrant", "at_home"], phone="").values("child")
    )
    return (
        Q(address="")
        | Q(personality="")
        | Q(hobbies="")
        | Q(health="")
        | Q(guardian__isnull=True)
        | Q(guardian__phone="")
        | no_parent_phone
    )


def classification_history(child: Child) -> QuerySet[Assessment]:
    return child.assessments.select_related("by").order_by("-assessed_on", "-created_at")


@dataclass(frozen=True)
class TimelineEntry:
    at: Any
    who: str
    action: str
    changes: dict[str, Any]


def timeline_of(user: Any, child: Child) -> list[TimelineEntry]:
    """Every change of the archive, newest first: the child's own audit trail, without views.
    ID numbers in it are shown as the reader may see them (no digit unless they may unmask)."""
    entries = AuditEntry.objects.filter(
        object_type=Child._meta.label_lower, object_id=str(child.pk)
    ).exclude(action__in=[AuditAction.VIEW, AuditAction.REVEAL])
    id_visible = id_number_revealable(user, child)
    return [
        TimelineEntry(
            e.at,
            e.actor_name,
            e.get_action_display(),
            masked_changes(e.changes, id_visible=id_visible),
        )
        for e in entries
    ]


def duplicates_visible_to(user: Any) -> QuerySet[DuplicateCase]:
    """Open duplicate cases whose two archives the user may both change: only they can decide
    which to keep (a case reaching outside the user's scope goes to the level above)."""
    editable = children_editable_by(user).values("pk")
    return (
        DuplicateCase.objects.filter(resolved_at__isnull=True)
        .filter(first__in=editable, second__in=editable)
        .select_related("first__school", "second__school")
    )


def duplicates_beyond_scope_count(user: Any) -> int:
    """Cases where only one archive is the user's: counted, never shown (no name or school of
    the other side leaks)."""
    visible = children_visible_to(user).values("pk")
    editable = children_editable_by(user).values("pk")
    return (
        DuplicateCase.objects.filter(resolved_at__isnull=True)
        .filter(Q(first__in=visible) | Q(second__in=visible))
        .exclude(first__in=editable, second__in=editable)
        .count()
    )


def in_register(qs: QuerySet[Child]) -> QuerySet[Child]:
    return qs.filter(status__in=IN_REGISTER)


def transfers_visible_to(user: Any) -> QuerySet[StatusChange]:
    """Transfers in and out of the schools whose children's archives the user sees as a school
    (the table's ``SCHOOL`` reach for the archive: a school's leaders and counselors, the
    region's officers): the record each side keeps of a move. Anyone else — a teacher who has no
    class, a volunteer placed at a township — sees no move, as they see none of the archives."""
    places = scope_of(user).at_q(
        Area.ARCHIVE, Action.VIEW, Reach.SCHOOL, "from_school__path", "to_school__path"
    )
    return (
        StatusChange.objects.filter(status=ChildStatus.TRANSFERRED)
        .filter(places)
        .select_related("child", "from_school", "to_school")
        .order_by("-on", "-created_at")
    )


def handovers_of(user: Any, school_class: Any) -> QuerySet[Any]:
    from .models import ClassHandover

    if not scope_of(user).sees(school_class):
        return ClassHandover.objects.none()
    return ClassHandover.objects.filter(school_class=school_class).select_related("to_teacher")


# --- the guardian's consent ----------------------------------------------------------------------


def consent_in_force(on: date) -> ExpressionWrapper:
    """For a query of children: whether the consent in force on ``on`` (their latest consent row
    on or before it) covers keeping the archive — false with no row, or after a withdrawal.

    The rows in force are one set, not a search per child: the database reads it once (a hashed
    sub-plan), where a latest-row look-up per child made a county's figures a third slower."""
    later = ConsentRecord.objects.filter(child=OuterRef("child"), on__lte=on).filter(
        Q(on__gt=OuterRef("on"))
        | Q(on=OuterRef("on"), created_at__gt=OuterRef("created_at"))
        | Q(on=OuterRef("on"), created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))
    )
    in_force = (
        ConsentRecord.objects.filter(on__lte=on, archive=True)
        .exclude(Exists(later))
        .values("child_id")
    )
    return ExpressionWrapper(Q(pk__in=in_force), output_field=BooleanField())


def with_consent(qs: QuerySet[Child], on: date) -> QuerySet[Child]:
    """``consented`` on each child: the register's "无监护人同意" badge and filter."""
    return qs.annotate(consented=consent_in_force(on))


def consents_of(user: Any, child: Child) -> QuerySet[ConsentRecord]:
    """The child's consent rows, newest first, for those who keep the archive (the signed forms
    name the guardian); nothing for others."""
    if not keeps_archive(user, child):
        return ConsentRecord.objects.none()
    return child.consents.select_related("by").order_by("-on", "-created_at", "-pk")


def consent_scan_for(user: Any, pk: int) -> ConsentRecord:
    """A signed form's scan, or 404 unless the user keeps the child's archive; the look is
    audited."""
    record = get_object_or_404(
        ConsentRecord.objects.select_related("child__school").exclude(scan=""),
        pk=pk,
        child__in=children_editable_by(user).values("pk"),
    )
    audit.record_read(
        actor=user,
        action=AuditAction.VIEW,
        obj=record.child,
        org_path=record.child.school.path,
        changes={"where": "consent form"},
    )
    return record


def retention_runs_for(user: Any) -> QuerySet[RetentionRun]:
    """The retention rule's runs, for the system's administrators (those who read the audit
    log); 404 for anyone else."""
    if not scope_of(user).may(Area.AUDIT, Action.VIEW):
        raise Http404
    return RetentionRun.objects.select_related("by")


# --- 审核 (review) ----------------------------------------------------------------------------


def reviews_visible_to(user: Any) -> QuerySet[ArchiveReview]:
    """Reviews of the archives the user keeps (what of theirs waits or came back) or confirms."""
    return ArchiveReview.objects.restrict(user).select_related(
        "child__school", "child__school_class", "by", "decided_by"
    )


def reviews_to_decide(user: Any) -> QuerySet[ArchiveReview]:
    """What waits for this user's decision: pending reviews of archives they may confirm."""
    decides = ArchiveReview.objects.restrict(user, Action.CHANGE).values("pk")
    return reviews_visible_to(user).filter(state=ReviewState.PENDING, pk__in=decides)


def review_visible_to(user: Any, pk: int) -> ArchiveReview:
    return get_object_or_404(reviews_visible_to(user), pk=pk)


def may_decide(user: Any, review: ArchiveReview) -> bool:
    return review.state == ReviewState.PENDING and scope_of(user).may(
        Area.REVIEW, Action.CHANGE, review.child
    )


def unconfirmed_under(org: Any) -> int:
    """Archives in the register under a unit still waiting for review or returned: not in its
    figures nor in a round's snapshot until confirmed (told beside what is submitted)."""
    under = Q(school__path__startswith=org.path) | Q(home_village__path__startswith=org.path)
    return (
        Child.objects.filter(under, status__in=IN_REGISTER)
        .exclude(review_state=ReviewState.CONFIRMED)
        .count()
    )
