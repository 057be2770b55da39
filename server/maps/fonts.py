"""The one font of every figure: DejaVu Sans as shipped inside matplotlib.

It has every Vietnamese letter (precomposed ơ, ư, đ and the stacked tone marks), so labels such
as "Phường Ngọc Hà" render without missing glyphs on any server, whatever fonts the OS has.
The file is named explicitly: matplotlib's font lookup could otherwise pick a system font.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.font_manager import FontProperties

FONT_PATH = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
BOLD_PATH = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"


@lru_cache(maxsize=1)
def family() -> str:
    """Register the shipped files with the font manager and return their family name."""
    for path in (FONT_PATH, BOLD_PATH):
        font_manager.fontManager.addfont(str(path))
    return FontProperties(fname=str(FONT_PATH)).get_name()


# Figures are drawn 4 inches wide (PHONE_WIDTH_IN) and shown about 334 CSS px wide on a 360 px phone:
# 11 pt is then 11 × 334 / (72 × 4) ≈ 12.8 CSS px, above the 12 px a phone reader needs.
PHONE_WIDTH_IN = 4.0
MIN_TEXT_PT = 11.0


def font(size: float = MIN_TEXT_PT, bold: bool = False) -> FontProperties:
    """Properties naming the shipped file itself (not a family to look up). Public figures use no size
    below MIN_TEXT_PT (tests/test_public_browser.py measures every text they draw)."""
    return FontProperties(fname=str(BOLD_PATH if bold else FONT_PATH), size=size)


def rc() -> dict[str, object]:
    """rcParams for `matplotlib.rc_context` around a render (inside the render lock)."""
    name = family()
    return {"font.family": "sans-serif", "font.sans-serif": [name], "font.size": MIN_TEXT_PT, "svg.fonttype": "path",
            "svg.hashsalt": "phuhop", "axes.unicode_minus": False}
