"""Charts made for phones: 4 inches wide (shown ≈ 334 CSS px on a 360 px screen), text ≥ 11 pt.

A commune's goals (reached or still to reach) and its results over the periods; an area's share of
recognised communes over the periods and, per goal, the share of its listed communes that reached
it. Only public results are drawn (privacy.PublicResult): no points, no totals.
Specs carry translated text; the draw functions run in the render thread and only draw.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator

from server.maps import fonts
from server.maps.fonts import MIN_TEXT_PT, PHONE_WIDTH_IN
from server.maps.legend import MAXIMUM, PROVISIONAL, RESULTS

RECOGNISED, NOT_RECOGNISED = RESULTS[0].colour, RESULTS[1].colour
WRAP = 34  # characters of 11 pt text on one line of a 4-inch figure
LINE_IN = 0.22  # inches per line of 11 pt text


@dataclass
class Frame:
    """The texts around every chart."""

    title: str
    subtitle: str
    source: str
    provisional_note: str | None = None


def _wrap(text: str, width: int = WRAP) -> list[str]:
    return textwrap.wrap(text, width) or [""]


class _Column:
    """Lays texts from the top of a figure down, in inches, so nothing overlaps whatever the language."""

    def __init__(self, figure: Figure, height_in: float) -> None:
        self.figure, self.height, self.y = figure, height_in, height_in - 0.12

    def text(self, text: str, size: float = MIN_TEXT_PT, bold: bool = False, colour: str = "black",
             width: int = WRAP) -> None:
        for line in _wrap(text, width):
            self.figure.text(0.03, self.y / self.height, line, va="top", ha="left", color=colour,
                             fontproperties=fonts.font(size, bold))
            self.y -= LINE_IN * size / MIN_TEXT_PT

    def skip(self, inches: float) -> None:
        self.y -= inches


def _frame_height(frame: Frame) -> float:
    lines = len(_wrap(frame.title, 30)) * 1.3 + len(_wrap(frame.subtitle)) + 0.4
    if frame.provisional_note:
        lines += len(_wrap(frame.provisional_note))
    return lines * LINE_IN + 0.2


def _head(figure: Figure, height: float, frame: Frame) -> _Column:
    column = _Column(figure, height)
    column.text(frame.title, 13, bold=True, width=30)
    column.text(frame.subtitle, colour="#343a40")
    if frame.provisional_note:
        column.text(frame.provisional_note, colour=PROVISIONAL, bold=True)
    column.skip(0.08)
    return column


def _foot(figure: Figure, height: float, frame: Frame) -> None:
    lines = _wrap(frame.source, 40)
    for index, line in enumerate(reversed(lines)):
        figure.text(0.03, (0.08 + index * LINE_IN) / height, line, va="bottom", ha="left", color="#495057",
                    fontproperties=fonts.font())


def _foot_height(frame: Frame) -> float:
    return len(_wrap(frame.source, 40)) * LINE_IN + 0.15


def _style(axes) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for label in (*axes.get_xticklabels(), *axes.get_yticklabels()):
        label.set_fontproperties(fonts.font())


# ---------------------------------------------------------------- one commune

@dataclass
class GoalRow:
    text: str  # the goal said for children
    reached: bool


@dataclass
class GoalsSpec:
    frame: Frame
    rows: list[GoalRow]
    reached_label: str  # "Reached"
    to_reach_label: str  # "Still working on it"


def draw_goals(spec: GoalsSpec) -> Figure:
    """A checklist: each goal with a green tick (reached) or an orange circle (still to reach)."""
    lines = sum(len(_wrap(row.text, WRAP - 4)) for row in spec.rows) + 0.35 * len(spec.rows) + 1.5
    height = _frame_height(spec.frame) + lines * LINE_IN + _foot_height(spec.frame)
    figure = Figure(figsize=(PHONE_WIDTH_IN, height), facecolor="white")
    column = _head(figure, height, spec.frame)
    for row in spec.rows:
        colour = RECOGNISED if row.reached else NOT_RECOGNISED
        mark = "✓" if row.reached else "○"
        figure.text(0.03, column.y / height, mark, va="top", ha="left", color=colour,
                    fontproperties=fonts.font(13, bold=True))
        for line in _wrap(row.text, WRAP - 4):
            figure.text(0.12, column.y / height, line, va="top", ha="left", fontproperties=fonts.font())
            column.skip(LINE_IN)
        column.skip(0.35 * LINE_IN)
    column.skip(0.1)
    column.text(f"✓ {spec.reached_label}   ○ {spec.to_reach_label}", colour="#343a40")
    _foot(figure, height, spec.frame)
    return figure


@dataclass
class HistoryPoint:
    period: str
    reached: int
    goals: int
    certified: bool


@dataclass
class HistorySpec:
    frame: Frame
    points: list[HistoryPoint]
    goals_label: str  # "Goals reached"
    recognised_label: str
    not_recognised_label: str
    count_format: Any = str  # numbers in the page language (server.core.i18n)


def draw_history(spec: HistorySpec) -> Figure:
    """Goals reached per period, green when the commune was recognised."""
    plot_in = 2.4 + 0.2 * max((len(_wrap(p.period, 12)) for p in spec.points), default=1)
    height = _frame_height(spec.frame) + plot_in + 2 * LINE_IN + _foot_height(spec.frame)
    figure = Figure(figsize=(PHONE_WIDTH_IN, height), facecolor="white")
    column = _head(figure, height, spec.frame)
    bottom = _foot_height(spec.frame) + 2 * LINE_IN + 0.55
    axes = figure.add_axes((0.14, bottom / height, 0.82, (column.y - bottom - 0.1) / height))
    xs = list(range(len(spec.points)))
    most = max((p.goals for p in spec.points), default=1)
    axes.bar(xs, [p.goals for p in spec.points], width=0.6, color=MAXIMUM)
    axes.bar(xs, [p.reached for p in spec.points], width=0.6,
             color=[RECOGNISED if p.certified else NOT_RECOGNISED for p in spec.points])
    for x, point in zip(xs, spec.points):
        axes.annotate(f"{spec.count_format(point.reached)}/{spec.count_format(point.goals)}", (x, point.goals),
                      textcoords="offset points",
                      xytext=(0, 3), ha="center", fontproperties=fonts.font(bold=True))
    axes.set_xticks(xs, ["\n".join(_wrap(p.period, 12)) for p in spec.points])
    axes.set_ylim(0, most * 1.2)
    axes.set_xlim(-0.6, max(0.6, len(xs) - 0.4))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    axes.set_ylabel(spec.goals_label, fontproperties=fonts.font())
    _style(axes)
    key_y = (_foot_height(spec.frame) + LINE_IN * 0.4) / height
    figure.patches.append(Rectangle((0.03, key_y), 0.035, 0.12 / height, transform=figure.transFigure,
                                    color=RECOGNISED))
    figure.text(0.08, key_y, spec.recognised_label, va="bottom", fontproperties=fonts.font())
    figure.patches.append(Rectangle((0.03, key_y + LINE_IN / height), 0.035, 0.12 / height,
                                    transform=figure.transFigure, color=NOT_RECOGNISED))
    figure.text(0.08, key_y + LINE_IN / height, spec.not_recognised_label, va="bottom", fontproperties=fonts.font())
    _foot(figure, height, spec.frame)
    return figure


# ---------------------------------------------------------------- an area

@dataclass
class ShareSpec:
    frame: Frame
    periods: list[str]
    recognised: list[int]
    listed: list[int]
    share_label: str  # "Recognised"
    count_format: Any = str  # counts and shares in the page language (server.core.i18n)
    percent_format: Any = lambda share: f"{share:.0%}"


def draw_share(spec: ShareSpec) -> Figure:
    """Per period, the share of the area's listed communes that were recognised."""
    plot_in = 2.4 + 0.2 * max((len(_wrap(p, 12)) for p in spec.periods), default=1)
    height = _frame_height(spec.frame) + plot_in + _foot_height(spec.frame)
    figure = Figure(figsize=(PHONE_WIDTH_IN, height), facecolor="white")
    column = _head(figure, height, spec.frame)
    bottom = _foot_height(spec.frame) + 0.55
    axes = figure.add_axes((0.17, bottom / height, 0.79, (column.y - bottom - 0.1) / height))
    xs = list(range(len(spec.periods)))
    shares = [r / n if n else 0 for r, n in zip(spec.recognised, spec.listed)]
    axes.bar(xs, shares, color=RECOGNISED, width=0.6)
    for x, share, r, n in zip(xs, shares, spec.recognised, spec.listed):
        axes.annotate(f"{spec.percent_format(share)}\n({spec.count_format(r)}/{spec.count_format(n)})", (x, share),
                      textcoords="offset points", xytext=(0, 3), ha="center", fontproperties=fonts.font())
    axes.set_xticks(xs, ["\n".join(_wrap(p, 12)) for p in spec.periods])
    axes.set_ylim(0, 1.3)
    axes.set_xlim(-0.6, max(0.6, len(xs) - 0.4))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda share, _: spec.percent_format(share)))
    axes.set_yticks([0, 0.5, 1.0])
    axes.set_ylabel(spec.share_label, fontproperties=fonts.font())
    _style(axes)
    _foot(figure, height, spec.frame)
    return figure


@dataclass
class GoalShare:
    text: str
    reached: int
    listed: int


@dataclass
class AreaGoalsSpec:
    frame: Frame
    goals: list[GoalShare] = field(default_factory=list)
    count_format: Any = str  # numbers in the page language (server.core.i18n)
    percent_format: Any = lambda share: f"{share:.0%}"


def draw_area_goals(spec: AreaGoalsSpec) -> Figure:
    """For each goal: its sentence, then a bar of the share of the area's listed communes that reached it."""
    lines = sum(len(_wrap(goal.text)) + 1.6 for goal in spec.goals) + 0.5
    height = _frame_height(spec.frame) + lines * LINE_IN + _foot_height(spec.frame)
    figure = Figure(figsize=(PHONE_WIDTH_IN, height), facecolor="white")
    column = _head(figure, height, spec.frame)
    for goal in spec.goals:
        column.text(goal.text)
        share = goal.reached / goal.listed if goal.listed else 0.0
        bar_y = (column.y - LINE_IN) / height
        figure.patches.append(Rectangle((0.03, bar_y), 0.62, 0.16 / height, transform=figure.transFigure,
                                        color=MAXIMUM))
        figure.patches.append(Rectangle((0.03, bar_y), 0.62 * share, 0.16 / height, transform=figure.transFigure,
                                        color=RECOGNISED))
        label = f"{spec.percent_format(share)} ({spec.count_format(goal.reached)}/{spec.count_format(goal.listed)})"
        figure.text(0.67, bar_y - 0.01 / height, label, va="bottom",
                    fontproperties=fonts.font(bold=True))
        column.skip(1.6 * LINE_IN)
    _foot(figure, height, spec.frame)
    return figure
