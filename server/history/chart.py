"""The progress chart: share of communes registered and meeting the standard per year, against the targets.

Two layouts, drawn for the width they are shown at, so that no text is under 12 CSS px:
- `phone`: 4.4 in wide. Shown across a 360 px screen (334 CSS px inside the page's card), one
  point of type is 1.05 CSS px whatever the dpi, so 12 pt reads as 12.6 px (a browser test checks).
- `wide`: 8 in at 100 dpi (800 px), shown at most at its own width in a 616 px column: 12 pt is
  16.7 px at full size and 12.8 px in that column.
Texts are wrapped to the layout's width and the plot gets what the texts leave (heights in inches).
Object API only (Figure + Agg through server/maps/render.py), never pyplot.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, MultipleLocator

from server.maps import fonts

VERSION = "5"  # bump when the drawing changes: cached files of the old drawing are then never served
LAYOUTS = {"phone": (4.4, 150), "wide": (8.0, 100)}  # width (inches), dpi
PLOT_HEIGHT = {"phone": 3.1, "wide": 2.9}  # inches
MEETING, REGISTERED, TARGET = "#1a7f37", "#1c5fb4", "#b02a37"
SMALLEST_POINTS = 12
TITLE_POINTS = 15
# Characters per line at 12 pt (DejaVu Sans averages about 0.55 em) in each layout's text width.
CHARS = {"phone": 46, "wide": 88}


@dataclass
class Line:
    label: str
    years: list[int]
    shares: list[float]  # 0–100
    colour: str
    dashed: bool = False
    marker: str = "o"


@dataclass
class TargetMark:
    year: int
    percent: int
    colour: str


@dataclass
class ProgressSpec:
    title: str
    subtitle: str
    source: str
    lines: list[Line]
    targets: list[TargetMark] = field(default_factory=list)
    target_legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, "Target: 65 % by 2025, …")
    percent: Callable[[float], str] = lambda value: f"{value:.0f}%"
    empty_note: str = ""


def _wrap(text: str, chars: int) -> str:
    return "\n".join(textwrap.wrap(text, chars)) if text else ""


def _height(text: str, points: float) -> float:
    """Inches taken by a wrapped text."""
    return (text.count("\n") + 1) * points * 1.35 / 72 if text else 0.0


def _legend_rows(lines: list[int], columns: int) -> list[int]:
    """The lines of text in each row of a legend, filled column by column as matplotlib does (its first
    columns take one entry more when the entries do not divide evenly)."""
    rows, larger = divmod(len(lines), columns)
    sizes = [rows + 1] * larger + [rows] * (columns - larger)
    starts = [sum(sizes[:column]) for column in range(columns)]
    return [max(lines[starts[column] + row] for column in range(columns) if row < sizes[column])
            for row in range(max(sizes, default=0))]


def draw(spec: ProgressSpec, layout: str = "phone") -> Figure:
    width, _ = LAYOUTS[layout]
    phone = layout == "phone"
    chars = CHARS[layout]
    columns = 1 if phone else 2
    title = _wrap(spec.title, int(chars * SMALLEST_POINTS / TITLE_POINTS * 0.92))
    subtitle = _wrap(spec.subtitle, chars)
    source = _wrap(spec.source, chars)
    entries = [(line.label, Line2D([], [], color=line.colour, linewidth=2.4, marker=line.marker, markersize=7,
                                   linestyle="--" if line.dashed else "-")) for line in spec.lines]
    for colour, label in spec.target_legend:
        entries.append((label, Line2D([], [], color=colour, marker="D", markersize=8, linestyle="none")))
    legend_labels = [_wrap(label, chars // columns - (7 if phone else 10)) for label, _ in entries]
    legend_rows = _legend_rows([label.count("\n") + 1 for label in legend_labels], columns)
    legend_height = sum(legend_rows) * SMALLEST_POINTS * 1.45 / 72 + (0.1 if legend_rows else 0)
    top_height = 0.12 + _height(title, TITLE_POINTS) + 0.06 + _height(subtitle, SMALLEST_POINTS) + 0.35
    bottom_height = 0.45 + legend_height + 0.1 + _height(source, SMALLEST_POINTS) + 0.1
    height = top_height + PLOT_HEIGHT[layout] + bottom_height
    figure = Figure(figsize=(width, height), facecolor="white")
    left = 0.78 / width
    axes = figure.add_axes((left, bottom_height / height, 1 - left - 0.3 / width, PLOT_HEIGHT[layout] / height))

    years = sorted({y for line in spec.lines for y in line.years} | {t.year for t in spec.targets})
    for line in spec.lines:
        axes.plot(line.years, line.shares, color=line.colour, linewidth=2.4, marker=line.marker, markersize=7,
                  linestyle="--" if line.dashed else "-", zorder=3)
    for target in spec.targets:
        axes.axhline(target.percent, color=target.colour, linewidth=0.9, linestyle=":", zorder=1)
        axes.scatter([target.year], [target.percent], marker="D", s=90, color=target.colour, zorder=4,
                     edgecolors="white", linewidths=1.2)
        last = bool(years) and target.year >= years[-1]
        axes.annotate(spec.percent(target.percent), (target.year, target.percent), textcoords="offset points",
                      xytext=(-9 if last else 9, 0), ha="right" if last else "left", va="center",
                      color=target.colour, zorder=5, fontproperties=fonts.font(SMALLEST_POINTS, bold=True),
                      bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    if years:
        axes.set_xlim(years[0] - 0.5, years[-1] + 0.5)
        span = years[-1] - years[0] + 1
        step = 1 if span <= (6 if phone else 12) else (2 if span <= (12 if phone else 24) else 5)
        axes.xaxis.set_major_locator(FixedLocator(list(range(years[-1], years[0] - 1, -step))))
        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{int(value)}"))
    axes.set_ylim(0, 105)
    axes.yaxis.set_major_locator(MultipleLocator(25))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: spec.percent(value) if 0 <= value <= 100 else ""))
    axes.grid(axis="y", color="#e3e6ea", linewidth=0.8, zorder=0)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for label in (*axes.get_xticklabels(), *axes.get_yticklabels()):
        label.set_fontproperties(fonts.font(SMALLEST_POINTS))
    if not spec.lines and spec.empty_note:
        axes.text(0.5, 0.5, _wrap(spec.empty_note, 30), transform=axes.transAxes, ha="center", va="center",
                  fontproperties=fonts.font(SMALLEST_POINTS + 1))
    if entries:
        figure.legend([handle for _, handle in entries], legend_labels, loc="upper left", ncols=columns, frameon=False,
                      bbox_to_anchor=(0.1 / width, (bottom_height - 0.42) / height), prop=fonts.font(SMALLEST_POINTS),
                      handlelength=2.6, columnspacing=1.2, labelspacing=0.45)
    y = 1 - 0.12 / height
    figure.text(0.16 / width, y, title, ha="left", va="top", fontproperties=fonts.font(TITLE_POINTS, bold=True))
    y -= (_height(title, TITLE_POINTS) + 0.06) / height
    figure.text(0.16 / width, y, subtitle, ha="left", va="top", color="#333333",
                fontproperties=fonts.font(SMALLEST_POINTS))
    figure.text(0.16 / width, 0.1 / height, source, ha="left", va="bottom", color="#495057",
                fontproperties=fonts.font(SMALLEST_POINTS))
    return figure
