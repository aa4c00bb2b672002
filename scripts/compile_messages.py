"""Compile every django.po under src/shouwang/locale to .mo with polib (no GNU gettext needed).

Fails when a catalogue has untranslated or fuzzy messages: zh-Hans is the product's first language.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent / "src" / "shouwang" / "locale"


def main() -> int:
    failed = False
    catalogues = sorted(ROOT.glob("*/LC_MESSAGES/django.po"))
    for po_path in catalogues:
        po = polib.pofile(str(po_path))
        bad = [e.msgid for e in po.untranslated_entries()] + [e.msgid for e in po.fuzzy_entries()]
        if bad:
            failed = True
            print(f"{po_path}: {len(bad)} untranslated or fuzzy:", file=sys.stderr)
            for msgid in bad:
                print(f"  {msgid!r}", file=sys.stderr)
            continue
        po.save_as_mofile(str(po_path.with_suffix(".mo")))
    print(f"messages: {len(catalogues)} catalogue(s) compiled", file=sys.stderr)
    return 1 if failed or not catalogues else 0


if __name__ == "__main__":
    sys.exit(main())
