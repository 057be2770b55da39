"""Charts: a commune's points per criterion and its totals over periods; an area's share of
recognised communes over periods and the distribution of its totals with the thresholds marked.

Specs carry translated text; the draw functions run in the render thread and only draw.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from server.maps import fonts
from server.maps.legend import MAXIMUM, POINTS, PROVISIONAL, RESULTS, THRESHOLD, ZERO, ZERO_MAXIMUM

RECOGNISED, NOT_RECOGNISED = RESULTS[0].colour, RESULTS[1].colour


@dataclass
class Frame:
    """The texts around every chart."""

    title: str
    subtitle: str
    source: str
    provisional_note: str | None = None


def _frame(figure: Figure, frame: Frame) -> None:
    figure.text(0.5, 0.975, frame.title, ha="center", va="top", fontproperties=fonts.font(14, bold=True))
    figure.text(0.5, 0.93, frame.subtitle, ha="center", va="top", fontproperties=fonts.font(10))
    if frame.provisional_note:
        figure.text(0.5, 0.895, frame.provisional_note, ha="center", va="top", color=PROVISIONAL,
                    fontproperties=fonts.font(9, bold=True))
    figure.text(0.02, 0.01, frame.source, ha="left", va="bottom", color="#495057", fontproperties=fonts.font(8))


def _style(axes, label_size: float = 9, numbers: Any = None) -> None:
    """Plain axes; `numbers` (the page language's number format) writes the tick labels."""
    if numbers is not None:
        ticks = FuncFormatter(lambda value, _: numbers(int(value) if float(value).is_integer() else value))
        axes.xaxis.set_major_formatter(ticks)
        axes.yaxis.set_major_formatter(ticks)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for label in (*axes.get_xticklabels(), *axes.get_yticklabels()):
        label.set_fontproperties(fonts.font(label_size))


# ---------------------------------------------------------------- one commune

@dataclass
class CriterionBar:
    label: str
    points: int
    max: int


@dataclass
class CriteriaSpec:
    frame: Frame
    bars: list[CriterionBar]
    points_label: str  # "points"
    legend_points: str  # "Points earned"
    legend_max: str  # "Maximum"
    count_format: Any = str


def draw_criteria(spec: CriteriaSpec) -> Figure:
    """Horizontal bars: the maximum in grey, the points earned over it (red at 0 points)."""
    count = len(spec.bars)
    figure = Figure(figsize=(8, 1.9 + 0.42 * count), facecolor="white")
    axes = figure.add_axes((0.40, 0.09, 0.52, 0.80 - 1.1 / (1.9 + 0.42 * count)))
    rows = list(range(count))[::-1]
    maxima = [bar.max for bar in spec.bars]
    axes.barh(rows, maxima, height=0.7, label=spec.legend_max,
              color=[ZERO_MAXIMUM if bar.points == 0 else MAXIMUM for bar in spec.bars])
    axes.barh(rows, [bar.points for bar in spec.bars], height=0.7, label=spec.legend_points, color=POINTS)
    axes.set_yticks(rows, [textwrap.fill(bar.label, 40) for bar in spec.bars])
    for row, bar in zip(rows, spec.bars):
        axes.text(bar.max + max(maxima) * 0.01, row, f"{spec.count_format(bar.points)}/{spec.count_format(bar.max)}", va="center",
                  color=ZERO if bar.points == 0 else "black", fontproperties=fonts.font(8, bold=bar.points == 0))
    axes.set_xlim(0, max(maxima or [1]) * 1.15)
    axes.set_xlabel(spec.points_label, fontproperties=fonts.font(9))
    axes.tick_params(axis="y", length=0)
    _style(axes, 8)
    axes.legend(loc="lower right", prop=fonts.font(8), frameon=False)
    _frame(figure, spec.frame)
    return figure


@dataclass
class HistoryPoint:
    period: str
    total: int
    threshold: int
    certified: bool


@dataclass
class HistorySpec:
    frame: Frame
    points: list[HistoryPoint]
    total_label: str  # "Total points"
    threshold_label: str  # "Threshold"
    count_format: Any = str


def draw_history(spec: HistorySpec) -> Figure:
    """Totals per period (green when recognised), with the threshold of each period dashed."""
    figure = Figure(figsize=(8, 4.5), facecolor="white")
    axes = figure.add_axes((0.10, 0.17, 0.85, 0.62))
    xs = list(range(len(spec.points)))
    totals = [p.total for p in spec.points]
    axes.plot(xs, totals, color=POINTS, linewidth=2, label=spec.total_label, zorder=2)
    axes.scatter(xs, totals, s=60, zorder=3, c=[RECOGNISED if p.certified else NOT_RECOGNISED for p in spec.points])
    axes.step(xs, [p.threshold for p in spec.points], where="mid", color=THRESHOLD, linestyle="--",
              label=spec.threshold_label)
    for x, point in zip(xs, spec.points):
        axes.annotate(spec.count_format(point.total), (x, point.total), textcoords="offset points", xytext=(0, 8), ha="center",
                      fontproperties=fonts.font(9))
    axes.set_xticks(xs, [textwrap.fill(p.period, 18) for p in spec.points])
    low = min(totals + [p.threshold for p in spec.points] or [0])
    axes.set_ylim(max(0, low - 100), 1050)
    axes.set_xlim(-0.5, max(0.5, len(xs) - 0.5))
    axes.legend(loc="lower right", prop=fonts.font(8), frameon=False)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: spec.count_format(int(value))))
    _style(axes)
    _frame(figure, spec.frame)
    return figure


# ---------------------------------------------------------------- an area

@dataclass
class ShareSpec:
    frame: Frame
    periods: list[str]
    recognised: list[int]
    listed: list[int]
    share_label: str  # "Share of listed communes recognised"
    count_format: Any = str  # counts and shares in the page language (server.core.i18n)
    percent_format: Any = lambda share: f"{share:.0%}"


def draw_share(spec: ShareSpec) -> Figure:
    """Per period, the share of the area's listed communes that were recognised."""
    figure = Figure(figsize=(8, 4.5), facecolor="white")
    axes = figure.add_axes((0.10, 0.17, 0.85, 0.62))
    xs = list(range(len(spec.periods)))
    shares = [r / n if n else 0 for r, n in zip(spec.recognised, spec.listed)]
    axes.bar(xs, shares, color=RECOGNISED, width=0.6)
    for x, share, r, n in zip(xs, shares, spec.recognised, spec.listed):
        axes.annotate(f"{spec.percent_format(share)} ({spec.count_format(r)}/{spec.count_format(n)})", (x, share),
                      textcoords="offset points", xytext=(0, 4), ha="center", fontproperties=fonts.font(9))
    axes.set_xticks(xs, [textwrap.fill(p, 18) for p in spec.periods])
    axes.set_ylim(0, 1.12)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda share, _: spec.percent_format(share)))
    axes.set_ylabel(spec.share_label, fontproperties=fonts.font(9))
    _style(axes)
    _frame(figure, spec.frame)
    return figure


@dataclass
class TotalsSpec:
    frame: Frame
    totals: list[int]
    thresholds: dict[int, str] = field(default_factory=dict)  # threshold → its label
    communes_label: str = ""  # "Communes"
    total_label: str = ""  # "Total points"
    count_format: Any = str


def draw_totals(spec: TotalsSpec) -> Figure:
    """A histogram of totals (bins of 25 points) with each threshold as a labelled line."""
    figure = Figure(figsize=(8, 4.8), facecolor="white")
    axes = figure.add_axes((0.10, 0.15, 0.85, 0.62))
    low = min(spec.totals + list(spec.thresholds) or [0])
    start = max(0, (low // 25) * 25 - 25)
    axes.hist(spec.totals, bins=list(range(start, 1026, 25)), color=POINTS, edgecolor="white")
    axes.set_xlim(start, 1025)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    for position, (threshold, label) in enumerate(sorted(spec.thresholds.items())):
        axes.axvline(threshold, color=THRESHOLD, linestyle="--", linewidth=1.5)
        axes.text(threshold, 1.0 - 0.09 * position, f" {label}", transform=axes.get_xaxis_transform(),
                  color=THRESHOLD, va="top", ha="right" if threshold > 950 else "left", fontproperties=fonts.font(8))
    axes.set_xlabel(spec.total_label, fontproperties=fonts.font(9))
    axes.set_ylabel(spec.communes_label, fontproperties=fonts.font(9))
    _style(axes, numbers=spec.count_format)
    _frame(figure, spec.frame)
    return figure
