"""The left-behind type for every combination of the parents' statuses (domain.md §2)."""

from __future__ import annotations

import pytest

from shouwang.children.types import LeftBehindType as T
from shouwang.children.types import ParentStatus as S
from shouwang.children.types import left_behind_type

STATUSES = [
    S.AT_HOME,
    S.MIGRANT,
    S.DECEASED,
    S.DIVORCED_AWAY,
    S.IN_PRISON,
    S.SERIOUSLY_ILL,
    S.DISABLED,
    S.MISSING,
]
# Rows: the father's status; columns: the mother's, in the order of STATUSES.
#   B both away · F father away · M mother away · U one away, other unable
#   O orphan or single parent · N not left behind
GRID = """
            home  away  dead  divo  pris  ill   disa  miss
home        N     M     O     O     O     N     N     O
away        F     B     U     U     U     U     U     U
dead        O     U     O     O     O     O     O     O
divorced    O     U     O     O     O     O     O     O
prison      O     U     O     O     O     O     O     O
ill         N     U     O     O     O     N     N     O
disabled    N     U     O     O     O     N     N     O
missing     O     U     O     O     O     O     O     O
"""
CODES = {
    "B": T.BOTH_PARENTS_AWAY,
    "F": T.FATHER_AWAY,
    "M": T.MOTHER_AWAY,
    "U": T.ONE_AWAY_OTHER_UNABLE,
    "O": T.ORPHAN_OR_SINGLE_PARENT,
    "N": T.NOT_LEFT_BEHIND,
}
ROWS = [line.split()[1:] for line in GRID.strip().splitlines()[1:]]
CASES = [
    (father, mother, CODES[ROWS[i][j]])
    for i, father in enumerate(STATUSES)
    for j, mother in enumerate(STATUSES)
]


def test_the_grid_covers_every_combination():
    assert len(CASES) == len(S.values) ** 2 == 64


@pytest.mark.parametrize(("father", "mother", "expected"), CASES)
def test_left_behind_type(father, mother, expected):
    assert left_behind_type(father, mother) == expected
