"""Commune boundaries uploaded by an admin as GeoJSON, matched to the registry by official code.

The whole file is checked before anything is stored: a FeatureCollection of Polygon or
MultiPolygon features (pydantic for the shape, then closed rings and positions inside Vietnam's
box, which also catches swapped latitude/longitude), each with the commune's code in a property.
Any problem rejects the file with every problem listed by feature. Codes that name no commune of
the registry are reported by code (the matched ones are stored): a file of another registry set,
or of a neighbouring area, is common and not an error of the matched features. A commune's
boundary is replaced by a new upload. Once stored, maps draw polygons instead of points.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from server.core import audit
from server.core.db import write_transaction
from server.core.errors import FieldError, InputError
from server.core.i18n import N_
from server.core.tables import Boundary, Unit, User

CODE_PROPERTIES = ("code", "ma", "ma_xa", "maxa", "ward_code", "commune_code", "ma_dvhc", "id")
COMMUNE_CODE_LENGTH = 5
# Vietnam with its islands, generously: a position outside is a wrong file or swapped lat/lon.
LON_RANGE = (100.0, 119.0)
LAT_RANGE = (6.0, 24.5)
MAX_REPORTED = 30

Position = Annotated[list[float], Field(min_length=2, max_length=3)]
Ring = Annotated[list[Position], Field(min_length=4)]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow")


class PolygonGeometry(_Shape):
    type: Literal["Polygon"]
    coordinates: Annotated[list[Ring], Field(min_length=1)]


class MultiPolygonGeometry(_Shape):
    type: Literal["MultiPolygon"]
    coordinates: Annotated[list[Annotated[list[Ring], Field(min_length=1)]], Field(min_length=1)]


class Feature(_Shape):
    type: Literal["Feature"]
    geometry: Annotated[PolygonGeometry | MultiPolygonGeometry, Field(discriminator="type")]
    properties: dict[str, Any] | None = None


class Collection(_Shape):
    type: Literal["FeatureCollection"]
    features: list[dict[str, Any]] = Field(min_length=1)


_FEATURE = TypeAdapter(Feature)


@dataclass
class UploadReport:
    unit_set: str
    features: int
    inserted: int = 0
    replaced: int = 0
    unmatched: list[str] = field(default_factory=list)  # codes in the file with no commune in the registry

    @property
    def matched(self) -> int:
        return self.inserted + self.replaced


def _code(properties: dict[str, Any], code_property: str | None) -> str | None:
    names = (code_property,) if code_property else CODE_PROPERTIES
    lowered = {str(key).lower(): value for key, value in properties.items()}
    for name in names:
        value = properties.get(name, lowered.get(name.lower()))
        if value is None or isinstance(value, bool) or str(value).strip() == "":
            continue
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()
        return text.zfill(COMMUNE_CODE_LENGTH) if text.isdigit() else text
    return None


def _rings(geometry: PolygonGeometry | MultiPolygonGeometry) -> list[list[list[float]]]:
    polygons = [geometry.coordinates] if isinstance(geometry, PolygonGeometry) else geometry.coordinates
    return [ring for polygon in polygons for ring in polygon]


def _geometry_problems(index: int, geometry: PolygonGeometry | MultiPolygonGeometry) -> list[FieldError]:
    where = f"features[{index}].geometry"
    for ring in _rings(geometry):
        if ring[0][:2] != ring[-1][:2]:
            return [FieldError(where, "ring_not_closed",
                               N_("Feature %(index)s: a ring does not end where it starts."), {"index": index})]
        for lon, lat, *_ in ring:
            if not (LON_RANGE[0] <= lon <= LON_RANGE[1] and LAT_RANGE[0] <= lat <= LAT_RANGE[1]):
                return [FieldError(where, "outside_vietnam",
                                   N_("Feature %(index)s: the position %(lon)s, %(lat)s is outside Vietnam "
                                      "(GeoJSON gives longitude first, then latitude, in WGS 84)."),
                                   {"index": index, "lon": lon, "lat": lat})]
    return []


def parse(content: bytes, code_property: str | None = None) -> dict[str, dict[str, Any]]:
    """code → geometry for every feature of a valid file; InputError listing every problem otherwise."""
    try:
        document = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as broken:
        raise InputError([FieldError("file", "invalid_json", N_("The file is not valid GeoJSON: %(problem)s."),
                                     {"problem": str(broken)})]) from None
    try:
        collection = Collection.model_validate(document)
    except ValidationError:
        raise InputError([FieldError("file", "not_feature_collection",
                                     N_("The file must be a GeoJSON FeatureCollection with at least one feature."))]) \
            from None
    problems: list[FieldError] = []
    shapes: dict[str, dict[str, Any]] = {}
    for index, raw in enumerate(collection.features):
        try:
            feature = _FEATURE.validate_python(raw)
        except ValidationError:
            problems.append(FieldError(f"features[{index}]", "bad_geometry",
                                       N_("Feature %(index)s is not a Polygon or MultiPolygon feature with valid "
                                          "coordinates."), {"index": index}))
            continue
        code = _code(feature.properties or {}, code_property)
        if code is None:
            problems.append(FieldError(f"features[{index}].properties", "no_code",
                                       N_("Feature %(index)s has no commune code (property %(names)s)."),
                                       {"index": index, "names": code_property or ", ".join(CODE_PROPERTIES)}))
            continue
        if code in shapes:
            problems.append(FieldError(f"features[{index}].properties", "duplicate_code",
                                       N_("Feature %(index)s repeats the commune code %(code)s."),
                                       {"index": index, "code": code}))
            continue
        problems += _geometry_problems(index, feature.geometry)
        shapes[code] = feature.geometry.model_dump(mode="json", include={"type", "coordinates"})
    if problems:
        raise InputError(problems[:MAX_REPORTED])
    return shapes


async def upload(content: bytes, unit_set: str, user: User, *, code_property: str | None = None,
                 ip: str | None = None) -> UploadReport:
    """Validate the file, match codes to the set's communes, store the matched boundaries (audited)."""
    shapes = parse(content, code_property)
    report = UploadReport(unit_set=unit_set, features=len(shapes))
    keys = {f"{unit_set}:{code}": code for code in shapes}
    units = await Unit.select(Unit.id, Unit.key).where(Unit.key.is_in(list(keys)) & (Unit.kind == "commune"))
    unit_ids = {keys[row["key"]]: row["id"] for row in units}
    report.unmatched = sorted(code for code in shapes if code not in unit_ids)
    if not unit_ids:
        raise InputError([FieldError("file", "no_match",
                                     N_("No code in the file matches a commune of the %(unit_set)s registry "
                                        "(for example %(codes)s)."),
                                     {"unit_set": unit_set, "codes": ", ".join(report.unmatched[:5])})])
    async with write_transaction():
        existing = {row["unit"]: row["id"] for row in await Boundary.select(Boundary.unit, Boundary.id)
                    .where(Boundary.unit.is_in(list(unit_ids.values())))}
        new_rows = []
        for code, unit_id in unit_ids.items():
            if unit_id in existing:
                await Boundary.update({Boundary.geometry: shapes[code], Boundary.uploaded_by: user.id,
                                       Boundary.uploaded_at: Boundary.uploaded_at.default.python()}) \
                    .where(Boundary.id == existing[unit_id])
                report.replaced += 1
            else:
                new_rows.append(Boundary(unit=unit_id, geometry=shapes[code], uploaded_by=user.id))
        for start in range(0, len(new_rows), 500):
            await Boundary.insert(*new_rows[start:start + 500])
        report.inserted = len(new_rows)
        await audit.record("boundaries_uploaded", "boundary", unit_set, user=user, ip=ip,
                           after={"unit_set": unit_set, "features": report.features, "inserted": report.inserted,
                                  "replaced": report.replaced, "unmatched": report.unmatched[:100]})
    return report
