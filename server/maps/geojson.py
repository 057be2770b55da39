"""The data of the maps as GeoJSON (RFC 7946) FeatureCollections, for QGIS or any web map.

Positions are [longitude, latitude] in WGS 84, as the RFC requires. A commune with an uploaded
boundary is its polygon; otherwise its registry centre point. Communes without coordinates
are left out (a null geometry breaks many tools).
"""

from __future__ import annotations

import json
from typing import Any

from server.maps.playareas import PlayArea
from server.maps.results import CommunePoint


def _feature(geometry: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def communes(points: list[CommunePoint], boundaries: dict[int, dict[str, Any]], labels: dict[str, str],
             extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """One feature per commune: its code, name, public result (privacy.PublicResult) and the category's label."""
    features = []
    for point in points:
        geometry = boundaries.get(point.id)
        if geometry is None:
            if point.lat is None or point.lon is None:
                continue
            geometry = {"type": "Point", "coordinates": [point.lon, point.lat]}
        features.append(_feature(geometry, {
            "code": point.code, "name": point.name, "category": point.category,
            "category_label": labels.get(point.category, point.category), "goals_reached": point.reached,
            "goals": point.goals, "provisional": point.provisional, "commune_type": point.commune_type,
            "population": point.population,
        }))
    return {"type": "FeatureCollection", "features": features, **(extra or {})}


def play_areas(places: list[PlayArea], labels: dict[str, str], kinds: dict[str, str],
               extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Reviewed places only (see playareas): the kind and rating come from choices, never from typed text."""
    features = [_feature({"type": "Point", "coordinates": [place.lon, place.lat]}, {
        "kind": place.kind, "kind_label": kinds.get(place.kind, place.kind), "commune_code": place.commune_code,
        "commune": place.commune_name, "safety": place.rating, "safety_label": labels.get(place.rating, place.rating),
    }) for place in places]
    return {"type": "FeatureCollection", "features": features, **(extra or {})}


def dumps(collection: dict[str, Any]) -> bytes:
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode()
