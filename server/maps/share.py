"""The share image of a commune's result: exactly 1200 × 630 px (the size social networks preview).

Large type for a screen at a children's forum: the commune, the verdict in its colour, how many
goals for children it reached, and a box per goal (green when reached). Only the public view of
the result (privacy.PublicResult): no points. A PROVISIONAL result says so in a red band.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from server.maps import fonts
from server.maps.legend import PROVISIONAL, RESULTS

SIZE_PX = (1200, 630)
DPI = 100


@dataclass
class ShareSpec:
    commune: str
    area: str
    period: str
    verdict: str
    verdict_colour: str
    goals_line: str  # "9 of 11 goals for children reached"
    source: str
    goals: list[bool] = field(default_factory=list)  # reached, per goal in order
    goal_names: list[str] = field(default_factory=list)  # "1", "3-5", …
    goals_label: str = ""  # "Goals"
    provisional_note: str | None = None


def draw_share(spec: ShareSpec) -> Figure:
    figure = Figure(figsize=(SIZE_PX[0] / DPI, SIZE_PX[1] / DPI), dpi=DPI, facecolor="white")
    figure.patches.append(Rectangle((0, 0.80), 1, 0.20, transform=figure.transFigure, color=spec.verdict_colour,
                                    zorder=0))
    figure.text(0.04, 0.90, spec.verdict, color="white", va="center", fontproperties=fonts.font(34, bold=True))
    figure.text(0.04, 0.70, spec.commune, va="center", fontproperties=fonts.font(38, bold=True))
    figure.text(0.04, 0.61, spec.area, va="center", color="#343a40", fontproperties=fonts.font(20))
    figure.text(0.04, 0.53, spec.period, va="center", color="#343a40", fontproperties=fonts.font(18))
    figure.text(0.04, 0.41, spec.goals_line, va="center", fontproperties=fonts.font(28, bold=True))
    if spec.goals:
        figure.text(0.04, 0.31, spec.goals_label, va="center", color="#343a40", fontproperties=fonts.font(16))
        width = min(0.07, 0.9 / len(spec.goals))
        for index, (reached, name) in enumerate(zip(spec.goals, spec.goal_names)):
            x = 0.04 + index * width
            figure.patches.append(Rectangle((x, 0.19), width * 0.85, 0.08, transform=figure.transFigure,
                                            color=RESULTS[0].colour if reached else RESULTS[1].colour))
            figure.text(x + width * 0.425, 0.23, name, ha="center", va="center", color="white",
                        fontproperties=fonts.font(12, bold=True))
    if spec.provisional_note:
        figure.patches.append(Rectangle((0, 0.075), 1, 0.085, transform=figure.transFigure, color=PROVISIONAL,
                                        zorder=0))
        figure.text(0.04, 0.117, spec.provisional_note, color="white", va="center",
                    fontproperties=fonts.font(15, bold=True))
    figure.text(0.04, 0.03, spec.source, va="center", color="#495057", fontproperties=fonts.font(12))
    return figure
