"""What the export writes, the import reads back: every choice's Chinese label."""

from __future__ import annotations

import pytest
from django.utils import translation

from shouwang.children.models import GuardianRelation, ParentStatus
from shouwang.ledger import values


@pytest.mark.parametrize("choice", list(GuardianRelation))
def test_every_relation_label_the_export_writes_is_read_back(choice):
    with translation.override("zh-hans"):
        label = str(choice.label)
    assert values.relation(label) == choice.value, label


@pytest.mark.parametrize("choice", list(ParentStatus))
def test_every_parent_status_label_the_export_writes_is_read_back(choice):
    with translation.override("zh-hans"):
        label = str(choice.label)
    assert values.parent_status(label) == choice.value, label
