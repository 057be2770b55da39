"""The share image of a commune's result: exactly 1200 × 630 px (the size social networks preview).

Large type for a screen at a children's forum: the commune, the verdict in its colour, the total
against the threshold, and a small bar per criterion. A PROVISIONAL result says so in a red band.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from server.maps import fonts
from server.maps.legend import MAXIMUM, POINTS, PROVISIONAL, ZERO_MAXIMUM

SIZE_PX = (1200, 630)
DPI = 100


@dataclass
class ShareSpec:
    commune: str
    area: str
    period: str
    verdict: str
    verdict_colour: str
    total_line: str  # "870 / 1,000 points"
    threshold_line: str  # "Threshold for this commune: 850 points"
    source: str
    criteria: list[tuple[int, int]] = field(default_factory=list)  # (points, max) per criterion, in order
    criteria_label: str = ""  # "Points per criterion"
    provisional_note: str | None = None


def draw_share(spec: ShareSpec) -> Figure:
    figure = Figure(figsize=(SIZE_PX[0] / DPI, SIZE_PX[1] / DPI), dpi=DPI, facecolor="white")
    figure.patches.append(Rectangle((0, 0.80), 1, 0.20, transform=figure.transFigure, color=spec.verdict_colour,
                                    zorder=0))
    figure.text(0.04, 0.90, spec.verdict, color="white", va="center", fontproperties=fonts.font(34, bold=True))
    figure.text(0.04, 0.70, spec.commune, va="center", fontproperties=fonts.font(38, bold=True))
    figure.text(0.04, 0.61, spec.area, va="center", color="#343a40", fontproperties=fonts.font(20))
    figure.text(0.04, 0.53, spec.period, va="center", color="#343a40", fontproperties=fonts.font(18))
    figure.text(0.04, 0.41, spec.total_line, va="center", fontproperties=fonts.font(32, bold=True))
    figure.text(0.04, 0.33, spec.threshold_line, va="center", color="#343a40", fontproperties=fonts.font(16))
    if spec.criteria:
        axes = figure.add_axes((0.62, 0.24, 0.34, 0.30))
        xs = list(range(1, len(spec.criteria) + 1))
        axes.bar(xs, [1.0] * len(xs), width=0.75, color=[ZERO_MAXIMUM if p == 0 else MAXIMUM for p, _ in spec.criteria])
        axes.bar(xs, [p / m if m else 0 for p, m in spec.criteria], width=0.75, color=POINTS)
        axes.set_xticks(xs, [str(x) for x in xs])
        axes.set_yticks([])
        axes.set_ylim(0, 1)
        for side in ("top", "right", "left"):
            axes.spines[side].set_visible(False)
        for label in axes.get_xticklabels():
            label.set_fontproperties(fonts.font(12))
        axes.set_title(spec.criteria_label, fontproperties=fonts.font(14), loc="left")
    if spec.provisional_note:
        figure.patches.append(Rectangle((0, 0.075), 1, 0.085, transform=figure.transFigure, color=PROVISIONAL,
                                        zorder=0))
        figure.text(0.04, 0.117, spec.provisional_note, color="white", va="center",
                    fontproperties=fonts.font(15, bold=True))
    figure.text(0.04, 0.03, spec.source, va="center", color="#495057", fontproperties=fonts.font(12))
    return figure
