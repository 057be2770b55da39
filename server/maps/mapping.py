"""Maps of communes: one point per commune (sized by population where known) or, where an admin
uploaded its boundary, the commune's polygon (a choropleth). Coloured by a category.

`MapSpec` carries everything already translated, so `draw_map` (run in the render thread) only
draws: no database, no gettext, no request context.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from server.maps import fonts
from server.maps.legend import PROVISIONAL

WIDTH, HEIGHT = 8.0, 9.0  # inches; × 100 dpi = 800 × 900 px


@dataclass(frozen=True)
class MapPoint:
    lon: float
    lat: float
    category: str
    population: int | None = None
    geometry: dict[str, Any] | None = None  # GeoJSON Polygon / MultiPolygon, when uploaded


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


def _rings(geometry: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Outer rings of a Polygon or MultiPolygon (holes are too small to see on these maps)."""
    if geometry.get("type") == "Polygon":
        polygons = [geometry["coordinates"]]
    elif geometry.get("type") == "MultiPolygon":
        polygons = geometry["coordinates"]
    else:
        return []
    return [[(float(x), float(y)) for x, y, *_ in polygon[0]] for polygon in polygons if polygon]


def _marker_size(count: int) -> float:
    return 3.0 if count > 2000 else 12.0 if count > 300 else 48.0


def draw_map(spec: MapSpec) -> Figure:
    figure = Figure(figsize=(WIDTH, HEIGHT), facecolor="white")
    axes = figure.add_axes((0.04, 0.17, 0.92, 0.70))
    axes.set_axis_off()
    figure.text(0.5, 0.965, spec.title, ha="center", va="top", fontproperties=fonts.font(15, bold=True))
    figure.text(0.5, 0.925, spec.subtitle, ha="center", va="top", fontproperties=fonts.font(11))
    if spec.provisional_note:
        figure.text(0.5, 0.895, spec.provisional_note, ha="center", va="top", color=PROVISIONAL,
                    fontproperties=fonts.font(10, bold=True), wrap=True)

    points = spec.points
    base = _marker_size(len(points))
    populations = [p.population for p in points if p.population]
    typical = statistics.median(populations) if populations else 1
    counts = {key: 0 for key in spec.categories}
    lons: list[float] = []
    lats: list[float] = []
    # Drawn in reverse legend order, so the first categories (results) lie on top of "not listed".
    for key in reversed(list(spec.categories)):
        colour = spec.categories[key][1]
        members = [p for p in points if p.category == key]
        counts[key] = len(members)
        shapes = [ring for p in members if p.geometry for ring in _rings(p.geometry)]
        if shapes:
            axes.add_collection(PolyCollection(shapes, facecolors=colour, edgecolors="white", linewidths=0.3))
            for ring in shapes:
                lons.extend(x for x, _ in ring)
                lats.extend(y for _, y in ring)
        dots = [p for p in members if not p.geometry]
        if dots:
            sizes = [base * min(3.0, max(0.5, math.sqrt(p.population / typical))) if p.population else base
                     for p in dots]
            axes.scatter([p.lon for p in dots], [p.lat for p in dots], s=sizes, c=colour, marker="o",
                         linewidths=0, zorder=2)
            lons.extend(p.lon for p in dots)
            lats.extend(p.lat for p in dots)
    if lons:
        pad_x = max(0.05, (max(lons) - min(lons)) * 0.03)
        pad_y = max(0.05, (max(lats) - min(lats)) * 0.03)
        axes.set_xlim(min(lons) - pad_x, max(lons) + pad_x)
        axes.set_ylim(min(lats) - pad_y, max(lats) + pad_y)
        # Degrees of longitude shrink with latitude: keep shapes true at the map's centre.
        axes.set_aspect(1 / math.cos(math.radians((min(lats) + max(lats)) / 2)), adjustable="box")

    handles = [Patch(facecolor=colour, edgecolor=colour, label=f"{label} ({spec.count_format(counts[key])})")
               for key, (label, colour) in spec.categories.items() if counts[key]]
    if handles:
        figure.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.045), ncol=2,
                      frameon=False, prop=fonts.font(10), handlelength=1.6, handleheight=1.1)
    footer = spec.source if not spec.missing_note else f"{spec.source} · {spec.missing_note}"
    figure.text(0.02, 0.012, footer, ha="left", va="bottom", color="#495057", fontproperties=fonts.font(8))
    return figure
