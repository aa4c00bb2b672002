"""The documents' charts, drawn on the server (matplotlib's Agg) with a CJK font of
fonts-noto-cjk, as PNG: the same picture goes into the DOCX and the PDF."""

from __future__ import annotations

import io
from functools import cache

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.figure import Figure

# fonts-noto-cjk's families, first found wins (fc-match would name the same files).
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei")


@cache
def cjk_font() -> font_manager.FontProperties | None:
    """A font that has Chinese glyphs: by family name, else any installed Noto CJK file."""
    for family in CJK_FAMILIES:
        try:
            path = font_manager.findfont(
                font_manager.FontProperties(family=family), fallback_to_default=False
            )
        except ValueError:
            continue
        return font_manager.FontProperties(fname=path)
    for found in font_manager.findSystemFonts():
        if "CJK" in found and "Sans" in found:
            return font_manager.FontProperties(fname=found)
    return None


def bar_chart(title: str, bars: list[tuple[str, int]]) -> bytes:
    """A horizontal bar chart of whole numbers, each bar labelled with its value."""
    font = cjk_font()
    figure = Figure(figsize=(6.4, 0.5 + 0.42 * max(len(bars), 1)), dpi=120)
    axes = figure.add_subplot()
    labels = [label for label, _ in bars]
    values = [value for _, value in bars]
    positions = list(range(len(bars)))
    axes.barh(positions, values, color="#3b7dd8")
    axes.set_yticks(positions)
    axes.set_yticklabels(labels, fontproperties=font)
    axes.invert_yaxis()
    axes.set_title(title, fontproperties=font)
    for y, value in zip(positions, values, strict=True):
        axes.annotate(
            str(value), (value, y), xytext=(3, 0), textcoords="offset points", va="center"
        )
    axes.spines[["top", "right"]].set_visible(False)
    axes.margins(x=0.15)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
