"""Who may see and do what (domain.md §1): one table, read by every selector, view, API view,
export, menu and notification, so a page and its menu entry (or a list and the people told
about it) cannot disagree.

Each entry says, for an area and an action, which roles may, and over what each reaches:

- through the child's places — the school (``SCHOOL``), the class (``CLASS``) or the home village
  (``HOME``) lying in the subtree the role was given;
- through the person — an open pairing to them (``PAIRED``), or what they wrote or reported
  themselves (``OWN``);
- over units — the organisations of that subtree (``UNIT``: settings, figures, the tree);
- over everything (``ALL``, the system administrator).

``ANY`` stands for every role a person holds: a pairing lets anyone with a login look after the
children paired to them. A role absent from an entry may not. ``accounts.scope.Scope`` turns the
table into query filters (``q``, ``units_q``), single answers (``may``) and, in reverse, the
people to tell (``who``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from .models import Role


class Area(StrEnum):
    ARCHIVE = "archive"  # 一人一档: a child's archive
    ID_NUMBER = "id_number"  # a child's ID number, unmasked
    PHONES = "phones"  # parents', guardian's and contacts' phones, unmasked
    CARE = "care"  # care records: visits, talks, calls, letters
    TASKS = "tasks"  # 我的任务: the children whose duties a person owes
    PAIRING = "pairing"  # who looks after which child
    CAREGIVERS = "caregivers"  # the people who can be paired
    FOLLOW_UPS = "follow_ups"  # 发现异常 to follow up
    INCIDENTS = "incidents"  # emergencies and their chains
    COUNSELING = "counseling"  # sessions, letters, plans
    HEALTH = "health"  # 体检 and the class sheets
    FAMILY = "family"  # 亲情电话 rooms, bookings, calls
    FIGURES = "figures"  # statistics of a unit
    HOME_FIGURES = "home_figures"  # the unit's figures on one's home page
    COMPLIANCE = "compliance"  # 职责落实情况: duties done and overdue, by unit
    LEDGER = "ledger"  # 台账 import and export
    UNITS = "units"  # the org tree: units, enrolment, calendars
    SETTINGS = "settings"  # a region's rules: chain, days without contact, definition
    USERS = "users"
    AUDIT = "audit"
    # Help and activities (domain.md §5), all kept by a unit (``UNIT``: rows carry their unit).
    ASSISTANCE = "assistance"  # 资助: programmes, applications, approvals, payments, wishes
    DONATIONS = "donations"  # 捐赠: funds, money and goods in and out, donors' statements
    ACTIVITIES = "activities"  # 活动: plans, attendance, interest groups
    HOMES = "homes"  # 留守儿童之家 / 候鸟驿站: place, duty roster, daily attendance
    TRAINING = "training"  # 家长学校, guardians' meetings, training of teachers and volunteers
    COMMENDATIONS = "commendations"  # 表彰
    # Up the tree (domain.md §6, §8).
    ROUNDS = "rounds"  # 排查 / 台账上报: reporting rounds and their frozen submissions
    CROSS_CHECKS = "cross_checks"  # 比对核实: other systems' lists matched to the archive
    REFERRALS = "referrals"  # 转介: cases referred to another unit
    REVIEW = "review"  # 审核: archives entered or changed below, confirmed by the level above
    # Assessment and documents (domain.md §6, §7).
    ASSESSMENT = "assessment"  # 考核: scores of caregivers, classes and schools per term
    INSPECTIONS = "inspections"  # 督查: findings and their rectification tasks
    REPORTS = "reports"  # 工作总结 / 简报 of a unit and a period, as DOCX and PDF


class Action(StrEnum):
    VIEW = "view"
    ADD = "add"
    CHANGE = "change"
    EXPORT = "export"
    REVEAL = "reveal"
    LIST = "list"  # the children behind a unit's figures
    ALERT = "alert"  # told that something is late, overdue or failed (TELL)


class Reach(StrEnum):
    ALL = "all"
    SCHOOL = "school"
    CLASS = "class"
    HOME = "home"
    PAIRED = "paired"
    OWN = "own"
    UNIT = "unit"


ANY = "*"
S, C, H, P, U = Reach.SCHOOL, Reach.CLASS, Reach.HOME, Reach.PAIRED, Reach.UNIT
OWN = Reach.OWN
EVERYTHING: dict[str, frozenset[Reach]] = {Role.SYSADMIN: frozenset({Reach.ALL})}

Rule = Mapping[str, frozenset[Reach]]


def _rule(**reaches: set[Reach]) -> dict[str, frozenset[Reach]]:
    return {role: frozenset(r) for role, r in reaches.items()}


# Those who keep a child's archive: they see it, change it, may unmask its ID number.
KEEPERS = (
    _rule(region_officer={S, H}, school_admin={S}, teacher={C}, village_director={H}) | EVERYTHING
)

POLICY: dict[tuple[Area, Action], Rule] = {
    # The archive: its keepers and the school's counselors; a caregiver the children paired to
    # them (never the ID number, never the archive's changes).
    (Area.ARCHIVE, Action.VIEW): KEEPERS | _rule(counselor={S}, **{ANY: {P}}),
    (Area.ARCHIVE, Action.ADD): KEEPERS,
    (Area.ARCHIVE, Action.CHANGE): KEEPERS,
    (Area.ID_NUMBER, Action.REVEAL): KEEPERS,
    # Phones are for calling: everyone who sees the child (each unmasking audited).
    (Area.PHONES, Action.REVEAL): KEEPERS | _rule(counselor={S}, **{ANY: {P}}),
    # Care is recorded by the keepers and the child's own caregivers, not by the sysadmin.
    (Area.CARE, Action.ADD): _rule(
        region_officer={S, H}, school_admin={S}, teacher={C}, village_director={H}, **{ANY: {P}}
    ),
    # Duties are owed by the class teacher, the school's leaders and the child's caregivers.
    (Area.TASKS, Action.VIEW): _rule(teacher={C}, school_admin={S}, **{ANY: {P}}) | EVERYTHING,
    # A record is corrected or withdrawn by its author and the school's managers only.
    (Area.CARE, Action.CHANGE): _rule(region_officer={S, H}, school_admin={S}, **{ANY: {OWN}}),
    (Area.PAIRING, Action.CHANGE): _rule(region_officer={S, H}, school_admin={S}) | EVERYTHING,
    # A school admin pairs with the school's caregivers and the cadres of the villages its
    # children live in (二对一, seed 002); a region officer with any of the region.
    (Area.CAREGIVERS, Action.VIEW): _rule(region_officer={U}, school_admin={U, H}) | EVERYTHING,
    # (A follow-up's school is the child's unit: the village, for a child in no school.)
    (Area.FOLLOW_UPS, Action.CHANGE): _rule(school_admin={S}, teacher={C}, village_director={S}),
    # Emergencies: the school's leaders and counselors, the region's officers, the reporter.
    (Area.INCIDENTS, Action.VIEW): _rule(
        region_officer={S}, school_admin={S}, counselor={S}, **{ANY: {OWN}}
    )
    | EVERYTHING,
    (Area.INCIDENTS, Action.ADD): KEEPERS,
    (Area.COUNSELING, Action.VIEW): _rule(region_officer={S}, school_admin={S}, counselor={S})
    | EVERYTHING,
    (Area.COUNSELING, Action.CHANGE): _rule(region_officer={S}, school_admin={S}, counselor={S})
    | EVERYTHING,
    (Area.HEALTH, Action.VIEW): KEEPERS | _rule(counselor={S}),
    (Area.HEALTH, Action.CHANGE): KEEPERS,
    (Area.FAMILY, Action.VIEW): _rule(region_officer={S, H}, school_admin={S}, teacher={C})
    | EVERYTHING,
    (Area.FAMILY, Action.CHANGE): _rule(school_admin={U}) | EVERYTHING,
    (Area.FIGURES, Action.VIEW): _rule(
        region_officer={U},
        school_admin={U},
        counselor={U},
        teacher={U},
        village_director={U},
    )
    | EVERYTHING,
    # The children behind a figure: for those who see every child of the unit.
    (Area.FIGURES, Action.LIST): _rule(
        region_officer={U}, school_admin={U}, counselor={U}, teacher={U}
    )
    | EVERYTHING,
    # The figures a home page lands on: a region's officers and a school's leaders their unit's,
    # a village's child director the village's (the children who live there).
    (Area.HOME_FIGURES, Action.VIEW): _rule(
        region_officer={U}, school_admin={U}, village_director={H}
    ),
    (Area.COMPLIANCE, Action.VIEW): _rule(region_officer={U}, school_admin={U}) | EVERYTHING,
    (Area.LEDGER, Action.ADD): _rule(region_officer={U}, school_admin={U}) | EVERYTHING,
    (Area.LEDGER, Action.EXPORT): _rule(
        region_officer={U}, school_admin={U}, counselor={U}, teacher={U}, village_director={U}
    )
    | EVERYTHING,
    (Area.UNITS, Action.VIEW): _rule(**{ANY: {U}}) | EVERYTHING,
    # Managing units: the tree below, enrolment, calendars, a unit's duty policies, and the
    # passwords of the people who work only in them and manage nothing (accounts/reset.py).
    (Area.UNITS, Action.CHANGE): _rule(region_officer={U}, school_admin={U}) | EVERYTHING,
    (Area.SETTINGS, Action.CHANGE): _rule(region_officer={U}) | EVERYTHING,
    (Area.USERS, Action.CHANGE): EVERYTHING,
    (Area.AUDIT, Action.VIEW): EVERYTHING,
    # --- help and activities (domain.md §5): rows of a unit, reached through the unit ---------
    # Money: a unit's leaders and the region's officers; a village's child director applies for
    # the village's children. Teachers, counselors and volunteers see no money (issue 20).
    (Area.ASSISTANCE, Action.VIEW): _rule(
        region_officer={U}, school_admin={U}, village_director={U}
    )
    | EVERYTHING,
    (Area.ASSISTANCE, Action.ADD): _rule(
        region_officer={U}, school_admin={U}, village_director={U}
    ),
    # Approving and paying: a unit's leaders and the region's officers; the level a programme
    # names for approval is the programme's own rule (seed 002: the county checks).
    (Area.ASSISTANCE, Action.CHANGE): _rule(region_officer={U}, school_admin={U}),
    (Area.DONATIONS, Action.VIEW): _rule(region_officer={U}, school_admin={U}) | EVERYTHING,
    (Area.DONATIONS, Action.CHANGE): _rule(region_officer={U}, school_admin={U}),
    # Activities: everyone working in the unit; anyone else those they are in charge of or joined.
    (Area.ACTIVITIES, Action.VIEW): _rule(
        region_officer={U},
        school_admin={U},
        teacher={U},
        village_director={U},
        counselor={U},
        **{ANY: {OWN}},
    )
    | EVERYTHING,
    (Area.ACTIVITIES, Action.ADD): _rule(
        region_officer={U}, school_admin={U}, teacher={U}, village_director={U}
    ),
    # Attendance and the outcome: the unit's keepers and the people in charge of the activity.
    (Area.ACTIVITIES, Action.CHANGE): _rule(
        region_officer={U}, school_admin={U}, teacher={U}, village_director={U}, **{ANY: {OWN}}
    ),
    (Area.HOMES, Action.VIEW): _rule(
        region_officer={U}, school_admin={U}, teacher={U}, village_director={U}
    )
    | EVERYTHING,
    (Area.HOMES, Action.CHANGE): _rule(region_officer={U}, school_admin={U}, village_director={U}),
    (Area.TRAINING, Action.VIEW): _rule(
        region_officer={U}, school_admin={U}, teacher={U}, village_director={U}, counselor={U}
    )
    | EVERYTHING,
    (Area.TRAINING, Action.CHANGE): _rule(
        region_officer={U}, school_admin={U}, village_director={U}
    ),
    (Area.COMMENDATIONS, Action.VIEW): _rule(
        region_officer={U}, school_admin={U}, teacher={U}, village_director={U}
    )
    | EVERYTHING,
    (Area.COMMENDATIONS, Action.CHANGE): _rule(region_officer={U}, school_admin={U}),
    # --- up the tree (domain.md §6, §8) ---------------------------------------------------------
    # A round is seen by the units that report in it and the region above; a region's officers
    # open it; a unit's leaders (a village's child director) submit; the level above returns.
    (Area.ROUNDS, Action.VIEW): _rule(region_officer={U}, school_admin={U}, village_director={U})
    | EVERYTHING,
    (Area.ROUNDS, Action.ADD): _rule(region_officer={U}),
    (Area.ROUNDS, Action.CHANGE): _rule(region_officer={U}, school_admin={U}, village_director={U}),
    (Area.CROSS_CHECKS, Action.ADD): _rule(region_officer={U}, school_admin={U}),
    # A referral is seen and answered by the units on either end (rows carry both).
    (Area.REFERRALS, Action.VIEW): _rule(
        region_officer={U}, school_admin={U}, village_director={U}, counselor={U}
    )
    | EVERYTHING,
    (Area.REFERRALS, Action.ADD): _rule(region_officer={U}, school_admin={U}, village_director={U}),
    (Area.REFERRALS, Action.CHANGE): _rule(
        region_officer={U}, school_admin={U}, village_director={U}
    ),
    # Review: the keepers see what of theirs waits; the region's officers above confirm or
    # return it (a school's or village's own entries are never confirmed by themselves).
    (Area.REVIEW, Action.VIEW): KEEPERS,
    (Area.REVIEW, Action.CHANGE): _rule(region_officer={S, H}) | EVERYTHING,
    # --- assessment and documents (domain.md §6, §7) -------------------------------------------
    # Scores: a region's officers and a school's leaders their units'; anyone their own score.
    (Area.ASSESSMENT, Action.VIEW): _rule(region_officer={U}, school_admin={U}, **{ANY: {OWN}})
    | EVERYTHING,
    # The rules (weights, thresholds), computing and freezing a term: the region's officers.
    (Area.ASSESSMENT, Action.CHANGE): _rule(region_officer={U}),
    # Inspections: the region's officers inspect; the unit inspected sees its findings and
    # answers each rectification with evidence.
    (Area.INSPECTIONS, Action.VIEW): _rule(
        region_officer={U}, school_admin={U}, village_director={U}
    )
    | EVERYTHING,
    (Area.INSPECTIONS, Action.ADD): _rule(region_officer={U}),
    (Area.INSPECTIONS, Action.CHANGE): _rule(
        region_officer={U}, school_admin={U}, village_director={U}
    ),
    # A unit's 工作总结 / 简报: figures only, for those who send the unit's papers upward.
    (Area.REPORTS, Action.VIEW): _rule(region_officer={U}, school_admin={U}, village_director={U})
    | EVERYTHING,
}


# Who gets told (the table read in reverse): about something at a place, the roles held there —
# at the class itself (``CLASS``), at the school (``SCHOOL``), over the region above (``UNIT``),
# or anywhere (``ALL``). ``ALERT``: something late, overdue or failed that needs them.
TELL: dict[tuple[Area, Action], Rule] = {
    # Duties a class owes go to its class teachers, duties the school owes to its leaders.
    (Area.TASKS, Action.ALERT): _rule(teacher={C}, school_admin={S}),
    # An emergency reported: the school's leaders (and the reporter); a step late: the region's
    # officers above too (seed 001).
    # (For a child in no school, the unit is the village: its child director is told.)
    (Area.INCIDENTS, Action.ADD): _rule(school_admin={S}, village_director={S}),
    (Area.INCIDENTS, Action.ALERT): _rule(
        school_admin={S}, village_director={S}, region_officer={U}
    ),
    # A 发现异常 follow-up open past SHOUWANG_FOLLOW_UP_DAYS: the school's leaders (the
    # village's child director for a child in no school).
    (Area.FOLLOW_UPS, Action.ALERT): _rule(school_admin={S}, village_director={S}),
    # The 悄悄话信箱 waiting to be opened: the school's counselors and leaders.
    (Area.COUNSELING, Action.ALERT): _rule(counselor={S}, school_admin={S}),
    # A text or e-mail that could not be sent: whoever runs the system.
    (Area.USERS, Action.ALERT): EVERYTHING,
    # An unmasked export of a unit above a school, waiting for a second person (issue 18): the
    # region's officers and whoever runs the system (each asked again whether they may).
    (Area.LEDGER, Action.EXPORT): _rule(region_officer={U}) | EVERYTHING,
    # One person's many exports or many pages not found (notices/alerts.py): who reads the log.
    (Area.AUDIT, Action.ALERT): EVERYTHING,
    # A unit late in a round, reminded once: a school's leaders, a village's child director, a
    # township's (region's) officers.
    (Area.ROUNDS, Action.ALERT): _rule(school_admin={S}, village_director={S}, region_officer={U}),
    # A referral unanswered past the setting: the officers of the region above the receiver.
    (Area.REFERRALS, Action.ALERT): _rule(region_officer={U}),
    # A rectification past its deadline: the unit's leaders and the region's officers above.
    (Area.INSPECTIONS, Action.ALERT): _rule(
        school_admin={S}, village_director={S}, region_officer={U}
    ),
    # Archives waiting for review: the region's officers above the unit that changed them.
    (Area.REVIEW, Action.ALERT): _rule(region_officer={U}),
}

# The caregiver a login becomes when it first records care without being listed as one, by the
# role it holds (seed 002: teachers and school leaders 结对 as teachers, 村干部 as cadres).
CAREGIVER_KIND_OF_ROLE: dict[str, str] = {
    Role.TEACHER: "teacher",
    Role.SCHOOL_ADMIN: "teacher",
    Role.COUNSELOR: "teacher",
    Role.VILLAGE_DIRECTOR: "village_cadre",
    Role.REGION_OFFICER: "volunteer",
    Role.VOLUNTEER: "volunteer",
}
# How each role's place in the tree becomes its subtree (accounts.scope.build_scope): an
# officer at a 妇联 / 教育局 works for the region the unit hangs from; a teacher covers children
# only from a class (a teacher without one has pairings only); the system's administrators.
REGIONAL = frozenset({Role.REGION_OFFICER})
AT_A_CLASS = frozenset({Role.TEACHER})
SYSTEM = Role.SYSADMIN
# The role a class teacher holds at a class (handing a class over moves it).
CLASS_TEACHER = Role.TEACHER
# Who must use two-step verification unless SHOUWANG_2FA_ROLES says otherwise (accounts/
# twofactor.py): those who reach a whole region's children (MLPS 2.0 level 3: administrators).
TWO_FACTOR = (Role.SYSADMIN, Role.REGION_OFFICER)


def rule(area: Area, action: Action) -> Rule:
    try:
        return POLICY[(area, action)]
    except KeyError:
        raise LookupError(f"no policy for {area}/{action}") from None


def roles_in(area: Area, action: Action) -> frozenset[str]:
    """The roles an entry names (``ANY`` aside), whatever their reach: who may at all."""
    return frozenset(rule(area, action)) - {ANY}


# A demo county's logins, one per role (and the officers of three levels): login, role, and the
# unit it sits at, by the demo's own names for them (shouwang demo).
DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("demo-admin", Role.SYSADMIN, "county"),
    ("demo-county", Role.REGION_OFFICER, "county"),
    ("demo-township", Role.REGION_OFFICER, "township"),
    ("demo-federation", Role.REGION_OFFICER, "federation"),
    ("demo-school", Role.SCHOOL_ADMIN, "school"),
    ("demo-teacher", Role.TEACHER, "class"),
    ("demo-village", Role.VILLAGE_DIRECTOR, "village"),
    ("demo-volunteer", Role.VOLUNTEER, "volunteers"),
    ("demo-counselor", Role.COUNSELOR, "school"),
]

# The roles as the table prints them (README "Scope"), in the order of domain.md §1.
ROLE_ORDER = [
    Role.SYSADMIN,
    Role.REGION_OFFICER,
    Role.SCHOOL_ADMIN,
    Role.TEACHER,
    Role.VILLAGE_DIRECTOR,
    Role.COUNSELOR,
    Role.VOLUNTEER,
]


def as_markdown() -> str:
    """The table as README shows it (a test keeps README in step with this module)."""
    head = ["area", "action", *[str(role) for role in ROLE_ORDER], "anyone"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for (area, action), entry in POLICY.items():
        cells = [", ".join(sorted(entry[role])) if role in entry else "" for role in ROLE_ORDER]
        anyone = ", ".join(sorted(entry.get(ANY, ())))
        lines.append("| " + " | ".join([area, action, *cells, anyone]) + " |")
    return "\n".join(lines)
