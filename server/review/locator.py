"""A small map of where one submission's point lies: the point, the commune's other surveyed points,
the commune's centre from the registry and its boundary (when an admin uploaded it), with a scale.

No map tiles: the server draws it with matplotlib (offline, nothing leaves the server), like the
other maps. `LocatorSpec` carries every text already translated; `draw` only draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Polygon

from server.maps import fonts
from server.maps.mapping import rings

VERSION = 1  # bump when the drawing changes: cached maps are then drawn again
METRES_PER_DEGREE = 111_320.0
NICE_LENGTHS = (50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000)
PANEL_RATIO = 1.29  # width / height of the close-up panel


@dataclass
class LocatorSpec:
    lat: float
    lon: float
    accuracy: float | None
    label: str  # "Sân chơi thôn 3"
    others: list[tuple[float, float]] = field(default_factory=list)  # the commune's other points
    others_label: str = ""
    centre: tuple[float, float] | None = None  # (lat, lon) of the commune in the registry
    centre_label: str = ""
    boundary: dict[str, Any] | None = None  # GeoJSON geometry of the commune
    scale_text: Any = str  # metres → "500 m", "1 km" in the page's language
    area_points: list[tuple[float, float]] = field(default_factory=list)  # every commune of the province
    area_label: str = ""  # "Tỉnh Bắc Ninh"


def _extent(spec: LocatorSpec) -> tuple[float, float, float, float]:
    """Around the point, taking in what is near it (not a stray point far away)."""
    lats, lons = [spec.lat], [spec.lon]
    for lat, lon in spec.others + ([spec.centre] if spec.centre else []):
        if abs(lat - spec.lat) < 0.08 and abs(lon - spec.lon) < 0.08:
            lats.append(lat)
            lons.append(lon)
    shrink = math.cos(math.radians(spec.lat))  # a degree of longitude is shorter than one of latitude
    half = max(0.006, (max(lats) - min(lats)) * 0.6, (max(lons) - min(lons)) * 0.6 * shrink / PANEL_RATIO)
    mid_lat, mid_lon = (max(lats) + min(lats)) / 2, (max(lons) + min(lons)) / 2
    half_lon = half * PANEL_RATIO / shrink
    return mid_lon - half_lon, mid_lon + half_lon, mid_lat - half, mid_lat + half


def draw(spec: LocatorSpec) -> Figure:
    """Two panels: where the point lies in the province (left), and close up with a scale (right)."""
    figure = Figure(figsize=(7.2, 3.6), facecolor="white")
    if spec.area_points:
        _overview(figure.add_axes((0.01, 0.02, 0.34, 0.96)), spec)
        axes = figure.add_axes((0.37, 0.02, 0.62, 0.96))
    else:
        axes = figure.add_axes((0.01, 0.02, 0.98, 0.96))
    _plain(axes)
    west, east, south, north = _extent(spec)
    if spec.boundary:
        for ring in rings(spec.boundary):
            axes.add_patch(Polygon(ring, closed=True, facecolor="#e3efe6", edgecolor="#5f8f6b", linewidth=1))
    if spec.others:
        axes.scatter([lon for _, lon in spec.others], [lat for lat, _ in spec.others], s=22, c="#8a94a3",
                     zorder=2, label=spec.others_label)
    if spec.centre:
        axes.scatter([spec.centre[1]], [spec.centre[0]], s=40, marker="s", c="#4a5568", zorder=3,
                     label=spec.centre_label)
    axes.scatter([spec.lon], [spec.lat], s=160, marker="*", c="#c62828", edgecolors="white", linewidths=0.8,
                 zorder=4, label=spec.label)
    axes.set_xlim(west, east)
    axes.set_ylim(south, north)
    axes.set_aspect(1 / math.cos(math.radians((south + north) / 2)), adjustable="box")
    _scale_bar(axes, spec, west, east)
    axes.legend(loc="upper left", prop=fonts.font(7.5), frameon=True, framealpha=0.9, borderpad=0.4,
                handletextpad=0.3)
    return figure


def _plain(axes: Any) -> None:
    axes.set_facecolor("#f4f6f2")
    for side in axes.spines.values():
        side.set_color("#c8cdd4")
    axes.set_xticks([])
    axes.set_yticks([])


def _overview(axes: Any, spec: LocatorSpec) -> None:
    """The province's communes as dots, the point as a star: where in the province this is."""
    _plain(axes)
    lats = [lat for lat, _ in spec.area_points] + [spec.lat]
    lons = [lon for _, lon in spec.area_points] + [spec.lon]
    axes.scatter(lons[:-1], lats[:-1], s=6, c="#b5bcc6", linewidths=0)
    axes.scatter([spec.lon], [spec.lat], s=120, marker="*", c="#c62828", edgecolors="white", linewidths=0.8, zorder=3)
    pad = 0.03
    axes.set_xlim(min(lons) - pad, max(lons) + pad)
    axes.set_ylim(min(lats) - pad, max(lats) + pad)
    axes.set_aspect(1 / math.cos(math.radians(spec.lat)), adjustable="box")
    axes.set_title(spec.area_label, fontproperties=fonts.font(8), pad=2)


def _scale_bar(axes: Any, spec: LocatorSpec, west: float, east: float) -> None:
    metres_per_lon = METRES_PER_DEGREE * math.cos(math.radians(spec.lat))
    width_m = (east - west) * metres_per_lon
    length = max((n for n in NICE_LENGTHS if n <= width_m / 4), default=NICE_LENGTHS[0])
    x0 = west + (east - west) * 0.05
    y0 = axes.get_ylim()[0] + (axes.get_ylim()[1] - axes.get_ylim()[0]) * 0.05
    x1 = x0 + length / metres_per_lon
    axes.plot([x0, x1], [y0, y0], color="black", linewidth=2.5, solid_capstyle="butt", zorder=5)
    axes.text((x0 + x1) / 2, y0, spec.scale_text(length), ha="center", va="bottom", fontproperties=fonts.font(8),
              zorder=5)
