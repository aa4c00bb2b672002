"""zh-Hans is the product's first language: every message has a translation, none fuzzy."""

from __future__ import annotations

from pathlib import Path

import polib

import shouwang

PO = Path(shouwang.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_message_is_translated_to_zh_hans():
    po = polib.pofile(str(PO))
    assert len(po) > 100
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []


def test_placeholders_survive_translation():
    for entry in polib.pofile(str(PO)).translated_entries():
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            for token in ("%(", "{"):
                assert entry.msgid.count(token) == text.count(token), entry.msgid
