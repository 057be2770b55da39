"""Vietnam's outline and provinces for the maps' background: an honest approximation, labelled so.

No package on PyPI or npm that we could check ships Vietnam's province boundaries with the Hoàng Sa
and Trường Sa archipelagos under a clear licence, so the background is derived from data phuhop
already depends on: the official registry of administrative units in `vietnamadminunits` (MIT),
which gives every commune's centre and, for the 2025 set, its area.

- Land: a disc of each commune's area around its centre (2 km where the area is unknown), merged,
  the gaps between neighbours closed (a morphological closing of `CLOSING` degrees).
- Communes: the Voronoi cell of each centre inside the land; a province is the union of its cells.
  Both unit sets (34 provinces from 2025, 63 before) are cut from the same land.
- The Hoàng Sa and Trường Sa archipelagos (Đà Nẵng and Khánh Hòa): islands at approximate positions
  of their main islands and reefs (`ARCHIPELAGOS`), drawn and named as Vietnam's on every national map.

Every map that uses it says "approximate boundaries" in its source line. `python -m server.maps.outline`
writes `server/maps/data/provinces-<set>.geojson` (simplified, 3 decimals); the maps read those files.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
CLOSING = 0.05  # degrees: gaps between neighbouring communes' discs narrower than this are land
SIMPLIFY = 0.004  # degrees (≈ 400 m): what a map of a province can show

# Approximate positions (latitude, longitude) of main islands and reefs; names as Vietnamese maps give them.
ARCHIPELAGOS: dict[str, dict[str, Any]] = {
    "hoang_sa": {"name": "Quần đảo Hoàng Sa", "province": "Đà Nẵng", "islands": [
        (16.53, 111.61), (16.83, 112.34), (16.67, 112.73), (15.78, 111.20), (16.45, 111.71), (16.46, 111.74),
        (17.07, 111.50), (16.98, 112.26), (16.05, 111.77), (16.45, 111.51), (16.55, 111.58)]},
    "truong_sa": {"name": "Quần đảo Trường Sa", "province": "Khánh Hòa", "islands": [
        (8.64, 111.92), (11.43, 114.33), (11.45, 114.36), (10.18, 114.36), (10.38, 114.48), (10.38, 114.36),
        (9.88, 114.33), (7.87, 112.92), (8.97, 113.68), (11.05, 114.28), (10.68, 114.42), (10.73, 115.80),
        (10.81, 115.82), (8.85, 112.22), (8.13, 113.30), (8.67, 111.67)]},
}
# The special zones of the registry that stand for the archipelagos: left out of the mainland's cells.
ARCHIPELAGO_WORDS = ("Hoàng Sa", "Trường Sa")


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    geometry: dict[str, Any]  # GeoJSON Polygon / MultiPolygon
    label: tuple[float, float]  # (lon, lat) inside the shape, where its name goes


@dataclass(frozen=True)
class Archipelago:
    key: str
    name: str
    province: str
    islands: tuple[tuple[float, float], ...]  # (lon, lat)


@dataclass(frozen=True)
class Outline:
    unit_set: str
    provinces: tuple[Province, ...]
    archipelagos: tuple[Archipelago, ...]

    def province(self, code: str) -> Province | None:
        return next((p for p in self.provinces if p.code == code), None)


def _archipelagos() -> tuple[Archipelago, ...]:
    return tuple(Archipelago(key=key, name=item["name"], province=item["province"],
                             islands=tuple((lon, lat) for lat, lon in item["islands"]))
                 for key, item in ARCHIPELAGOS.items())


@cache
def load(unit_set: str) -> Outline:
    """The shipped outline of a unit set ("2025" or "legacy")."""
    data = json.loads((DATA_DIR / f"provinces-{unit_set}.geojson").read_text(encoding="utf-8"))
    provinces = tuple(Province(code=f["properties"]["code"], name=f["properties"]["name"], geometry=f["geometry"],
                               label=tuple(f["properties"]["label"]))  # type: ignore[arg-type]
                      for f in data["features"])
    return Outline(unit_set=unit_set, provinces=provinces, archipelagos=_archipelagos())


def commune_cells(province: Province | None, communes: list[tuple[str, float, float]]) -> dict[str, dict[str, Any]]:
    """Approximate commune areas inside a province: the Voronoi cell of each commune centre (code, lon, lat)."""
    from shapely import MultiPoint, voronoi_polygons
    from shapely.geometry import mapping, shape

    if province is None or len(communes) < 2:
        return {}
    land = shape(province.geometry).buffer(0)
    unique = {(lon, lat): code for code, lon, lat in communes}
    cells = voronoi_polygons(MultiPoint(list(unique)), extend_to=land.envelope.buffer(0.5), ordered=True).geoms
    out = {}
    for (lon, lat), cell in zip(unique, cells):
        part = cell.intersection(land)
        if not part.is_empty and part.geom_type in ("Polygon", "MultiPolygon"):
            out[unique[(lon, lat)]] = mapping(part)
    return out


# ---------------------------------------------------------------- building the files (offline)

def _disc(lon: float, lat: float, area_km2: float | None) -> Any:
    from shapely import affinity
    from shapely.geometry import Point

    radius_km = math.sqrt(area_km2 / math.pi) if area_km2 and area_km2 > 0 else 2.0
    disc = Point(lon, lat).buffer(radius_km / 111.0, quad_segs=6)
    return affinity.scale(disc, xfact=1 / math.cos(math.radians(lat)), yfact=1.0)


def _land() -> Any:
    """Vietnam's land, approximated from the 2025 communes' centres and areas."""
    from shapely import unary_union
    from vietnamadminunits.database import query

    rows = query("SELECT [wardLat] AS lat, [wardLon] AS lon, [wardAreaKm2] AS area, [ward] AS name "
                  "FROM [admin_units]")
    discs = [_disc(float(r["lon"]), float(r["lat"]), float(r["area"] or 0)) for r in rows
             if r["lat"] and r["lon"] and not any(word in r["name"] for word in ARCHIPELAGO_WORDS)]
    return unary_union(discs).buffer(CLOSING, quad_segs=4).buffer(-CLOSING, quad_segs=4)


def build(unit_set: str, land: Any) -> dict[str, Any]:
    """The provinces of a unit set as a GeoJSON FeatureCollection (see the module docstring)."""
    from shapely import MultiPoint, coverage_simplify, unary_union, voronoi_polygons
    from shapely.ops import polylabel
    from shapely.geometry import mapping
    from server.registry.units import source_units

    units = source_units(unit_set)
    names = {u.code: u.name for u in units if u.kind == "province"}
    # The archipelagos' own units are drawn as islands (legacy ones even carry a mainland centre).
    districts = {u.code: u.name for u in units if u.kind == "district"}
    communes = [u for u in units if u.kind == "commune" and u.lat is not None and u.lon is not None
                and not any(word in u.name or word in districts.get(u.parent_code or "", "")
                            for word in ARCHIPELAGO_WORDS)]
    seen: dict[tuple[float, float], Any] = {}
    for unit in communes:  # communes sharing one centre share one cell (and one province, in the data)
        seen.setdefault((unit.lon, unit.lat), unit)
    points = list(seen)
    cells = voronoi_polygons(MultiPoint(points), extend_to=land.envelope.buffer(1.0), ordered=True).geoms
    parts: dict[str, list[Any]] = {}
    for (lon, lat), cell in zip(points, cells):
        parts.setdefault(seen[(lon, lat)].province_code, []).append(cell.intersection(land))
    codes = sorted(parts)
    shapes = coverage_simplify([unary_union(parts[code]).buffer(0) for code in codes], SIMPLIFY)
    features = []
    for code, shape in zip(codes, shapes):
        biggest = max(getattr(shape, "geoms", [shape]), key=lambda g: g.area)
        label = polylabel(biggest, tolerance=0.01)
        geometry = json.loads(json.dumps(mapping(shape)), parse_float=lambda x: round(float(x), 3))
        features.append({"type": "Feature", "geometry": geometry, "properties": {
            "code": code, "name": names.get(code, code), "label": [round(label.x, 3), round(label.y, 3)]}})
    return {"type": "FeatureCollection", "name": f"Approximate provinces ({unit_set})",
            "source": "Derived from commune centres and areas of vietnamadminunits (MIT); approximate.",
            "features": features}


def main() -> None:
    land = _land()
    DATA_DIR.mkdir(exist_ok=True)
    for unit_set in ("2025", "legacy"):
        collection = build(unit_set, land)
        path = DATA_DIR / f"provinces-{unit_set}.geojson"
        path.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        print(f"{path}: {len(collection['features'])} provinces, {path.stat().st_size:,} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
