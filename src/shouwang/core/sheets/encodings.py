"""Which encoding a CSV file is in: found when it is certain, asked when it is not (issue 18:
Big5 and Shift-JIS files were read as GB18030 without a word, and came out as nonsense).

Certain: a byte-order mark (UTF-8, UTF-16); valid UTF-8; UTF-16 without a mark (ASCII's zero
bytes give it away); GB18030 when charset-normalizer finds no other reading of the bytes. Any
other answer, and any encoding other than the mainland's, is a question to the user with the
readings that fit (:class:`EncodingUnsure`). A legacy Chinese encoding cannot be told from
another by its bytes alone: a few names in GBK are valid Big5 and valid Shift-JIS too.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from charset_normalizer import from_bytes
from django.utils.translation import gettext_lazy as _

# The encodings a clerk's CSV may be in, as Python names them, with what the user is shown.
# Big5 and Shift-JIS are read as Windows writes them (cp950, cp932: supersets of both).
ENCODINGS: dict[str, object] = {
    "utf-8": "UTF-8",
    "gb18030": _("GB18030 / GBK (simplified Chinese, mainland)"),
    "cp950": _("Big5 (traditional Chinese: Taiwan, Hong Kong)"),
    "cp932": _("Shift-JIS (Japanese)"),
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
}
MAINLAND = frozenset({"utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-16-be"})
LEGACY = ("gb18030", "cp950", "cp932")
# charset-normalizer's names for the family each legacy encoding stands for.
_FAMILY = {
    "gb18030": "gb18030",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "hz": "gb18030",
    "big5": "cp950",
    "big5hkscs": "cp950",
    "cp950": "cp950",
    "shift_jis": "cp932",
    "cp932": "cp932",
    "shift_jis_2004": "cp932",
    "shift_jisx0213": "cp932",
}
SAMPLE = 64 * 1024


@dataclass(frozen=True)
class Detected:
    encoding: str | None  # None when the user must choose
    candidates: tuple[str, ...]  # the readings that fit, likeliest first

    @property
    def sure(self) -> bool:
        return self.encoding is not None


def _decodes(sample: bytes, encoding: str, *, final: bool) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)("strict").decode(sample, final=final)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def detect(sample: bytes, *, complete: bool = False) -> Detected:
    """The encoding of ``sample`` (the file's first bytes; ``complete`` when it is the whole
    file, so a character cut at its end is an error)."""
    if sample.startswith(codecs.BOM_UTF8):
        return Detected("utf-8-sig", ("utf-8-sig",))
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Detected("utf-16", ("utf-16",))
    if _decodes(sample, "utf-8", final=complete):
        return Detected("utf-8", ("utf-8",))
    zeros_even, zeros_odd = sample[0::2].count(0), sample[1::2].count(0)
    if (
        zeros_odd > len(sample) // 8
        and zeros_even == 0
        and _decodes(sample, "utf-16-le", final=False)
    ):
        return Detected("utf-16-le", ("utf-16-le",))
    if (
        zeros_even > len(sample) // 8
        and zeros_odd == 0
        and _decodes(sample, "utf-16-be", final=False)
    ):
        return Detected("utf-16-be", ("utf-16-be",))
    fits = [e for e in LEGACY if _decodes(sample, e, final=complete)]
    matches = from_bytes(
        sample, cp_isolation=["gb18030", "big5", "cp950", "shift_jis", "cp932"], explain=False
    )
    found: list[str] = []
    for match in matches:
        family = _FAMILY.get(match.encoding)
        if family and family in fits and family not in found:
            found.append(family)
    candidates = tuple(found + [e for e in fits if e not in found]) or LEGACY
    if found == ["gb18030"]:
        return Detected("gb18030", candidates)
    return Detected(None, candidates)


def label(encoding: str) -> str:
    return str(ENCODINGS.get(encoding.removesuffix("-sig"), encoding))


def choices(candidates: tuple[str, ...]) -> list[tuple[str, str]]:
    """The select's options: the readings that fit first, then every other one we read."""
    rest = [e for e in ("utf-8", *LEGACY, "utf-16") if e not in candidates]
    return [(e, label(e)) for e in (*candidates, *rest)]


def is_known(encoding: str) -> bool:
    return encoding in ENCODINGS or encoding == "utf-8-sig"
