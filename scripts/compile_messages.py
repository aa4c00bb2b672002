"""Compile every django.po under src/shouwang/locale to django.mo with polib (no GNU gettext).

A catalogue with untranslated or fuzzy messages is listed and fails the run (exit 1): zh-Hans is
the product's first language. No catalogue at all is not an error; it is said and the run passes.

    .venv/bin/python scripts/compile_messages.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

REPO = Path(__file__).resolve().parent.parent
LOCALE = REPO / "src" / "shouwang" / "locale"


def problems(po: polib.POFile) -> list[str]:
    """One line per untranslated, fuzzy or duplicate entry (GNU msgfmt refuses a catalogue
    that defines a message twice), with its line number in the .po file."""
    kinds = (("untranslated", po.untranslated_entries()), ("fuzzy", po.fuzzy_entries()))
    found = [
        f"  line {entry.linenum}: {kind}: {entry.msgid!r}"
        for kind, entries in kinds
        for entry in entries
    ]
    seen: set[tuple[str | None, str]] = set()
    for entry in po:
        key = (entry.msgctxt, entry.msgid)
        if key in seen:
            found.append(f"  line {entry.linenum}: defined twice: {entry.msgid!r}")
        seen.add(key)
    return found


def main() -> int:
    catalogues = sorted(LOCALE.glob("**/LC_MESSAGES/django.po"))
    if not catalogues:
        print(f"messages: no django.po under {LOCALE.relative_to(REPO)}; nothing compiled")
        return 0
    failed = 0
    for po_path in catalogues:
        shown = po_path.relative_to(REPO)
        try:
            po = polib.pofile(str(po_path))
        except (OSError, ValueError) as exc:
            print(f"messages: {shown}: cannot read: {exc}", file=sys.stderr)
            failed += 1
            continue
        bad = problems(po)
        if bad:
            print(f"messages: {shown}: {len(bad)} untranslated or fuzzy:", file=sys.stderr)
            print("\n".join(bad), file=sys.stderr)
            failed += 1
            continue
        mo_path = po_path.with_suffix(".mo")
        po.save_as_mofile(str(mo_path))
        print(f"messages: {shown} -> {mo_path.name} ({len(po.translated_entries())} messages)")
    if failed:
        print(f"messages: {failed} of {len(catalogues)} catalogue(s) FAILED", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
