"""The left-behind type, derived from the parents' statuses (domain.md §2). One function, here."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ParentStatus(models.TextChoices):
    AT_HOME = "at_home", _("At home")
    MIGRANT = "migrant", _("Working away")
    DECEASED = "deceased", _("Deceased")
    DIVORCED_AWAY = "divorced_away", _("Divorced, not at home")
    IN_PRISON = "in_prison", _("In prison")
    SERIOUSLY_ILL = "seriously_ill", _("Seriously ill")
    DISABLED = "disabled", _("Disabled")
    MISSING = "missing", _("Lost contact")


class LeftBehindType(models.TextChoices):
    BOTH_PARENTS_AWAY = "both_parents_away", _("Both parents away")
    FATHER_AWAY = "father_away", _("Father away")
    MOTHER_AWAY = "mother_away", _("Mother away")
    ONE_AWAY_OTHER_UNABLE = "one_away_other_unable", _("One away, the other unable to guard")
    ORPHAN_OR_SINGLE_PARENT = "orphan_or_single_parent", _("Orphan or single parent")
    NOT_LEFT_BEHIND = "not_left_behind", _("Not left behind")


# A parent who is not there for the child at all: "gone" in the spec's words.
ABSENT = frozenset(
    {
        ParentStatus.DECEASED,
        ParentStatus.DIVORCED_AWAY,
        ParentStatus.IN_PRISON,
        ParentStatus.MISSING,
    }
)
# A parent who cannot guard the child: absent, or at home but too ill or disabled to.
UNABLE = ABSENT | {ParentStatus.SERIOUSLY_ILL, ParentStatus.DISABLED}


def left_behind_type(father: str, mother: str) -> LeftBehindType:
    """Which kind of left-behind child the parents' statuses make (domain.md §2)."""
    father_away, mother_away = father == ParentStatus.MIGRANT, mother == ParentStatus.MIGRANT
    if father_away and mother_away:
        return LeftBehindType.BOTH_PARENTS_AWAY
    if father_away or mother_away:
        other = mother if father_away else father
        if other in UNABLE:
            return LeftBehindType.ONE_AWAY_OTHER_UNABLE
        return LeftBehindType.FATHER_AWAY if father_away else LeftBehindType.MOTHER_AWAY
    # Seed 000 counts 父母双亡或单亲 among its left-behind children even with no one away.
    if father in ABSENT or mother in ABSENT:
        return LeftBehindType.ORPHAN_OR_SINGLE_PARENT
    return LeftBehindType.NOT_LEFT_BEHIND


# Seed 002's 监护类型: 一类 no parent, grandparent or relative guards; 二类 other relatives;
# 三类 grandparents. A parent at home guarding is no class at all.
GUARDIAN_CLASS_BY_RELATION: dict[str, str] = {
    "grandparent": "class_3",
    "maternal_grandparent": "class_3",
    "relative": "class_2",
    "friend": "class_1",
    "entrusted": "class_1",
    "none": "class_1",
}


def guardian_class(relation: str | None) -> str:
    return GUARDIAN_CLASS_BY_RELATION.get(relation or "", "")
