"""Maps of communes, made for phones: one point per commune (sized by population where known) or, where
an admin uploaded its boundary, the commune's polygon (a choropleth), coloured by a category, on
the background of Vietnam's provinces (`outline`, approximate) with the names of the places shown.

A national map always shows the Hoàng Sa and Trường Sa archipelagos, drawn and named as Vietnam's.
`MapSpec` carries everything already translated, so `draw_map` (run in the render thread) only
draws: no database, no gettext, no request context.
"""

from __future__ import annotations

import math
import statistics
import textwrap
from dataclasses import dataclass, field
from typing import Any

from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from server.maps import fonts
from server.maps.fonts import MIN_TEXT_PT, PHONE_WIDTH_IN
from server.maps.legend import PROVISIONAL

NATIONAL_EXTENT = (102.0, 117.4, 6.6, 23.6)  # lon min, lon max, lat min, lat max: the mainland and both archipelagos
LAND, LAND_EDGE, AREA, SEA = "#f1f3f5", "#adb5bd", "#e7f0fa", "#ffffff"
LINE_IN = 0.22


@dataclass(frozen=True)
class MapPoint:
    lon: float
    lat: float
    category: str
    population: int | None = None
    geometry: dict[str, Any] | None = None  # GeoJSON Polygon / MultiPolygon, when uploaded


@dataclass(frozen=True)
class Place:
    """A named place on the map (a province, a commune, an archipelago)."""

    lon: float
    lat: float
    name: str
    bold: bool = False


@dataclass
class Background:
    """Provinces (rings), the area's own province(s) highlighted, archipelagos and the names to write."""

    provinces: list[tuple[str, list[list[tuple[float, float]]]]] = field(default_factory=list)  # (code, rings)
    highlight: set[str] = field(default_factory=set)
    archipelagos: list[tuple[str, list[tuple[float, float]]]] = field(default_factory=list)  # (name, islands)
    places: list[Place] = field(default_factory=list)
    national: bool = False
    cells: list[tuple[str, list[list[tuple[float, float]]]]] = field(default_factory=list)  # communes (approximate)
    focus: set[str] = field(default_factory=set)  # the communes the map is about: the extent follows them
    # The area's own archipelago (Hoàng Sa for Đà Nẵng, Trường Sa for Khánh Hòa), drawn in an inset when the
    # map's frame leaves it out: a map of the province published in Vietnam must still show it.
    insets: list[tuple[str, list[tuple[float, float]]]] = field(default_factory=list)  # (name, islands)


@dataclass
class MapSpec:
    title: str
    subtitle: str  # the period
    source: str  # the source line
    categories: dict[str, tuple[str, str]]  # key → (label, colour), in legend order
    points: list[MapPoint] = field(default_factory=list)
    provisional_note: str | None = None  # shown in red when results use PROVISIONAL values
    missing_note: str | None = None  # e.g. "12 communes have no coordinates"
    count_format: Any = str  # formats legend counts in the page language
    background: Background = field(default_factory=Background)


def rings(geometry: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Outer rings of a Polygon or MultiPolygon (holes are too small to see on these maps)."""
    if geometry.get("type") == "Polygon":
        polygons = [geometry["coordinates"]]
    elif geometry.get("type") == "MultiPolygon":
        polygons = geometry["coordinates"]
    else:
        return []
    return [[(float(x), float(y)) for x, y, *_ in polygon[0]] for polygon in polygons if polygon]


def _marker_size(count: int) -> float:
    return 4.0 if count > 2000 else 10.0 if count > 300 else 28.0


def _extent(spec: MapSpec) -> tuple[float, float, float, float]:
    if spec.background.national:
        return NATIONAL_EXTENT
    lons = [p.lon for p in spec.points if not p.geometry] + [x for p in spec.points if p.geometry
                                                              for ring in rings(p.geometry) for x, _ in ring]
    lats = [p.lat for p in spec.points if not p.geometry] + [y for p in spec.points if p.geometry
                                                              for ring in rings(p.geometry) for _, y in ring]
    background = spec.background
    around = [(code, shape) for code, shape in background.cells if code in background.focus] or \
        [(code, shape) for code, shape in background.provinces if code in background.highlight]
    for _, shape in around:
        lons += [x for ring in shape for x, _ in ring]
        lats += [y for ring in shape for _, y in ring]
    if not lons:
        return NATIONAL_EXTENT
    share = 0.25 if background.cells else 0.06  # around a commune, room for its neighbours' names
    pad = max(0.02, (max(lons) - min(lons)) * share, (max(lats) - min(lats)) * share)
    return min(lons) - pad, max(lons) + pad, min(lats) - pad, max(lats) + pad


def _wrapped(text: str, width: int = 34) -> list[str]:
    return textwrap.wrap(text, width) or [""]


def draw_map(spec: MapSpec) -> Figure:
    x0, x1, y0, y1 = _extent(spec)
    mid = math.cos(math.radians((y0 + y1) / 2))
    map_w = PHONE_WIDTH_IN - 0.2
    map_h = min(map_w * (y1 - y0) / ((x1 - x0) * mid), 6.0)
    map_w = min(map_w, map_h * (x1 - x0) * mid / (y1 - y0))
    head = [(line, 13, True, "black") for line in _wrapped(spec.title, 30)]
    head += [(line, MIN_TEXT_PT, False, "#343a40") for line in _wrapped(spec.subtitle)]
    if spec.provisional_note:
        head += [(line, MIN_TEXT_PT, True, PROVISIONAL) for line in _wrapped(spec.provisional_note)]
    footer = _wrapped(spec.source if not spec.missing_note else f"{spec.source} {spec.missing_note}", 40)
    legend_rows = sum(1 for key in spec.categories if any(p.category == key for p in spec.points))
    insets = _left_out(spec.background, (x0, x1, y0, y1))
    height = 0.15 + sum(LINE_IN * size / MIN_TEXT_PT for _, size, _, _ in head) + 0.1 + map_h \
        + 0.15 + (INSET_IN + 0.15 if insets else 0) + legend_rows * LINE_IN * 1.15 + 0.1 + len(footer) * LINE_IN + 0.1
    figure = Figure(figsize=(PHONE_WIDTH_IN, height), facecolor="white")
    y = height - 0.12
    for line, size, bold, colour in head:
        figure.text(0.03, y / height, line, va="top", fontproperties=fonts.font(size, bold), color=colour)
        y -= LINE_IN * size / MIN_TEXT_PT
    y -= 0.1
    axes = figure.add_axes(((PHONE_WIDTH_IN - map_w) / 2 / PHONE_WIDTH_IN, (y - map_h) / height,
                            map_w / PHONE_WIDTH_IN, map_h / height))
    axes.set_xlim(x0, x1)
    axes.set_ylim(y0, y1)
    axes.set_aspect(1 / mid, adjustable="datalim")
    axes.set_xticks([])
    axes.set_yticks([])
    for side in axes.spines.values():
        side.set_color(LAND_EDGE)
    axes.set_facecolor(SEA)
    _background(axes, spec.background)
    counts = _draw_points(axes, spec)
    _names(axes, spec.background, (x0, x1, y0, y1))
    y -= map_h + 0.15
    if insets:
        _draw_insets(figure, insets, y, height)
        y -= INSET_IN + 0.15
    for key, (label, colour) in spec.categories.items():
        if not counts.get(key):
            continue
        figure.patches.append(Rectangle((0.03, (y - 0.15) / height), 0.05, 0.14 / height,
                                        transform=figure.transFigure, color=colour))
        figure.text(0.1, (y - 0.08) / height, f"{label} ({spec.count_format(counts[key])})", va="center",
                    fontproperties=fonts.font())
        y -= LINE_IN * 1.15
    y -= 0.1
    for line in footer:
        figure.text(0.03, y / height, line, va="top", color="#495057", fontproperties=fonts.font())
        y -= LINE_IN
    return figure


def _background(axes, background: Background) -> None:
    land = [ring for code, shape in background.provinces if code not in background.highlight for ring in shape]
    mine = [ring for code, shape in background.provinces if code in background.highlight for ring in shape]
    if land:
        axes.add_collection(PolyCollection(land, facecolors=LAND, edgecolors=LAND_EDGE, linewidths=0.4, zorder=0))
    if mine:
        axes.add_collection(PolyCollection(mine, facecolors=AREA, edgecolors="#495057", linewidths=0.8, zorder=0))
    cells = [ring for code, shape in background.cells if code not in background.focus for ring in shape]
    focus = [ring for code, shape in background.cells if code in background.focus for ring in shape]
    if cells:
        axes.add_collection(PolyCollection(cells, facecolors="none", edgecolors="#ced4da", linewidths=0.5, zorder=0))
    if focus:
        axes.add_collection(PolyCollection(focus, facecolors="#fff9db", edgecolors="#343a40", linewidths=1.2,
                                           zorder=0))
    for _, islands in background.archipelagos:
        axes.scatter([x for x, _ in islands], [y for _, y in islands], s=6, c=LAND_EDGE, marker="o",
                     linewidths=0, zorder=1)
        xs, ys = [x for x, _ in islands], [y for _, y in islands]
        axes.add_patch(Rectangle((min(xs) - 0.35, min(ys) - 0.35), max(xs) - min(xs) + 0.7, max(ys) - min(ys) + 0.7,
                                 fill=False, edgecolor=LAND_EDGE, linestyle=(0, (3, 2)), linewidth=0.6, zorder=1))


def _draw_points(axes, spec: MapSpec) -> dict[str, int]:
    points = spec.points
    base = _marker_size(len(points))
    populations = [p.population for p in points if p.population]
    typical = statistics.median(populations) if populations else 1
    counts = dict.fromkeys(spec.categories, 0)
    # Drawn in reverse legend order, so the first categories (results) lie on top of "not listed".
    for key in reversed(list(spec.categories)):
        colour = spec.categories[key][1]
        members = [p for p in points if p.category == key]
        counts[key] = len(members)
        shapes = [ring for p in members if p.geometry for ring in rings(p.geometry)]
        if shapes:
            axes.add_collection(PolyCollection(shapes, facecolors=colour, edgecolors="white", linewidths=0.3,
                                               zorder=2))
        dots = [p for p in members if not p.geometry]
        if dots:
            sizes = [base * min(3.0, max(0.5, math.sqrt(p.population / typical))) if p.population else base
                     for p in dots]
            axes.scatter([p.lon for p in dots], [p.lat for p in dots], s=sizes, c=colour, marker="o",
                         linewidths=0, zorder=3)
    return counts


def _names(axes, background: Background, extent: tuple[float, float, float, float]) -> None:
    """Write the places' names, the bold ones first, skipping a name that would cover one already written."""
    x0, x1, y0, y1 = extent
    dpi = axes.figure.dpi
    taken: list[tuple[float, float, float, float]] = []
    for place in sorted(background.places, key=lambda p: not p.bold):
        if not (x0 <= place.lon <= x1 and y0 <= place.lat <= y1):
            continue
        lines = _wrapped(place.name, 18)
        x, y = axes.transData.transform((place.lon, place.lat))
        width = max(len(line) for line in lines) * MIN_TEXT_PT * 0.6 * dpi / 72
        height = len(lines) * MIN_TEXT_PT * 1.25 * dpi / 72
        left = place.lon > x0 + (x1 - x0) * 0.6
        box = (x - width if left else x, y - height + MIN_TEXT_PT * 0.6 * dpi / 72,
               x if left else x + width, y + MIN_TEXT_PT * 0.6 * dpi / 72)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in taken):
            continue
        taken.append(box)
        for index, line in enumerate(lines):
            axes.annotate(line, (place.lon, place.lat), xytext=(0, -index * 13), textcoords="offset points",
                          ha="right" if left else "left", va="center", color="#212529", zorder=4,
                          fontproperties=fonts.font(bold=place.bold), annotation_clip=False,
                          bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none",
                                "alpha": 0.7})


INSET_IN = 1.5  # height of the box that shows the area's archipelago below a province's map


def _left_out(background: Background, extent: tuple[float, float, float, float]) -> list[tuple[str, list]]:
    """The area's archipelagos that the map's frame does not show."""
    x0, x1, y0, y1 = extent
    return [(name, islands) for name, islands in background.insets
            if not all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in islands)]


def _draw_insets(figure: Figure, insets: list[tuple[str, list]], top: float, height: float) -> None:
    """Each left-out archipelago in its own box below the map (never over the land), drawn and named."""
    for index, (name, islands) in enumerate(insets):
        xs, ys = [x for x, _ in islands], [y for _, y in islands]
        box = figure.add_axes((0.03 + index * 0.49, (top - INSET_IN) / height, 0.45, INSET_IN / height))
        box.set_facecolor(SEA)
        box.set_xticks([])
        box.set_yticks([])
        for side in box.spines.values():
            side.set_color("#495057")
        box.set_xlim(min(xs) - 0.5, max(xs) + 0.5)
        box.set_ylim(min(ys) - 0.4, max(ys) + (max(ys) - min(ys) + 0.8) * 0.9)  # the name above the islands
        box.scatter(xs, ys, s=8, c=LAND_EDGE, marker="o", linewidths=0)
        box.text(0.5, 0.96, "\n".join(_wrapped(name, 20)), transform=box.transAxes, ha="center", va="top",
                 color="#212529", fontproperties=fonts.font(bold=True))
