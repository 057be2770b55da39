"""The registry of administrative units: import from the official lists, and look-ups.

The data comes from the `vietnamadminunits` package (its `data/dataset.db`, read through its
`vietnamadminunits.database.query` API): table `admin_units_legacy` holds the legacy 3-tier set
(province → district → commune/ward/township) and `admin_units` the 2-tier set in force from
1 July 2025 (province → commune/ward/special zone). Every row is one commune-level unit with its
ancestors' names, official codes and centre coordinates (at every level).

Depth is data: `LEVELS` names the levels of each set; nothing else in this module branches on
the set. The import is an upsert by `key` ("<set>:<code>"): running it twice changes nothing.

Scoring type of a commune (`commune_type`): the import gives new communes a default —
"urban_ward" for a ward ("Phường ...") of a centrally-run city (`CENTRAL_CITIES`), else
"other". The "mountain_island_difficult" type is not in the source data: an admin sets it
(`set_commune_type`, `phuhop registry set-type`), and a later import never overwrites it.
"""

from __future__ import annotations

import json
import math
import re
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from scoring import COMMUNE_TYPES
from server.core import audit
from server.core.db import write_transaction
from server.core.i18n import N_
from server.core.tables import Unit

UnitSet = Literal["legacy", "2025"]
UNIT_SETS: tuple[str, ...] = ("legacy", "2025")
UNIT_SET_LABELS = {"legacy": N_("Three tiers (until 30/06/2025)"), "2025": N_("Two tiers (from 01/07/2025)")}
"""How people name each registry set (msgids; translated where shown)."""



@dataclass(frozen=True)
class Level:
    kind: str  # province | district | commune
    column: str  # column prefix in the package's tables: "<column>", "<column>Code", "<column>Lat", ...


# The one table of per-set differences: the source table and its levels, outermost first.
SOURCE_TABLES: dict[str, str] = {"legacy": "admin_units_legacy", "2025": "admin_units"}
LEVELS: dict[str, tuple[Level, ...]] = {
    "legacy": (Level("province", "province"), Level("district", "district"), Level("commune", "ward")),
    "2025": (Level("province", "province"), Level("commune", "ward")),
}
# Centrally-run cities (thành phố trực thuộc trung ương), by official province code. Huế became
# one on 1 January 2025; the brief counts it in the 2025 set only (see the module's report).
CENTRAL_CITIES: dict[str, frozenset[str]] = {
    "legacy": frozenset({"01", "31", "48", "79", "92"}),
    "2025": frozenset({"01", "31", "46", "48", "79", "92"}),
}
URBAN_WARD_PREFIX = "Phường"

BATCH_SIZE = 1000


class RegistryError(ValueError):
    pass


class UnknownProvince(RegistryError):
    def __init__(self, unit_set: str, query: str, matches: Iterable[str] = ()) -> None:
        self.query = query
        matches = list(matches)
        if matches:
            message = f"province {query!r} is ambiguous in the {unit_set} set: {', '.join(matches)}"
        else:
            message = f"no province {query!r} in the {unit_set} set (give its official code or its name)"
        super().__init__(message)


# ---------------------------------------------------------------- names

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """The diacritic-free, lower-case form used for search: "Đống Đa" → "dong da"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", bare.lower()).strip()


def _compact(text: str) -> str:
    """`fold` without anything but letters and digits: "Bà Rịa - Vũng Tàu" → "bariavungtau"."""
    return re.sub(r"[^0-9a-z]", "", fold(text))


def _clean(name: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFC", name)).strip()


# ---------------------------------------------------------------- the source data

@dataclass(frozen=True)
class SourceUnit:
    code: str
    name: str
    kind: str
    level: int
    parent_code: str | None
    path: str
    province_code: str
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class SourceProvince:
    code: str
    name: str
    keywords: frozenset[str]  # compact folded names and aliases: "hanoi", "hn", "thanhphohanoi"


def _fetch(sql: str) -> list[dict[str, Any]]:
    from vietnamadminunits.database import query

    return query(sql)


@cache
def source_units(unit_set: str) -> tuple[SourceUnit, ...]:
    """Every unit of a set, parents before children (ordered by level, then path)."""
    levels = _levels(unit_set)
    columns = [f"[{level.column}{suffix}]" for level in levels for suffix in ("", "Code", "Lat", "Lon")]
    rows = _fetch(f"SELECT DISTINCT {', '.join(columns)} FROM [{SOURCE_TABLES[unit_set]}]")
    units: dict[str, SourceUnit] = {}
    for row in rows:
        parent: SourceUnit | None = None
        for depth, level in enumerate(levels, start=1):
            code = row[f"{level.column}Code"]
            if not code:  # e.g. an island district with no commune below it
                break
            code = str(code).strip()
            path = f"{parent.path if parent else ''}/{code}"
            unit = SourceUnit(
                code=code, name=_clean(row[level.column]), kind=level.kind, level=depth,
                parent_code=parent.code if parent else None, path=path,
                province_code=parent.province_code if parent else code,
                lat=_coordinate(row[f"{level.column}Lat"]), lon=_coordinate(row[f"{level.column}Lon"]),
            )
            known = units.setdefault(code, unit)
            if known != unit:
                raise RegistryError(f"the {unit_set} source data has two different units with code {code}: "
                                    f"{known} and {unit}")
            parent = unit
    return tuple(sorted(units.values(), key=lambda u: (u.level, u.path)))


@cache
def source_provinces(unit_set: str) -> tuple[SourceProvince, ...]:
    level = _levels(unit_set)[0]
    rows = _fetch(f"SELECT DISTINCT [{level.column}Code] AS code, [{level.column}] AS name, "
                  f"[{level.column}Short] AS short, [{level.column}Keywords] AS keywords "
                  f"FROM [{SOURCE_TABLES[unit_set]}] ORDER BY 1")
    provinces = []
    for row in rows:
        words = {_compact(row["name"]), _compact(row["short"] or "")}
        words.update(_compact(word) for word in json.loads(row["keywords"] or "[]"))
        provinces.append(SourceProvince(code=row["code"], name=_clean(row["name"]),
                                        keywords=frozenset(w for w in words if w)))
    return tuple(provinces)


def find_province(unit_set: str, query: str) -> SourceProvince:
    """A province of the source data by official code ("27", "1") or name without diacritics ("bac ninh")."""
    provinces = source_provinces(unit_set)
    wanted = query.strip()
    if wanted.isdigit():
        matches = [p for p in provinces if p.code == wanted.zfill(len(p.code))]
    else:
        key = _compact(wanted)
        matches = [p for p in provinces if key and key in p.keywords]
    if len(matches) != 1:
        raise UnknownProvince(unit_set, query, [f"{p.code} {p.name}" for p in matches])
    return matches[0]


def default_commune_type(unit_set: str, unit: SourceUnit) -> str | None:
    if unit.kind != "commune":
        return None
    if unit.province_code in CENTRAL_CITIES[unit_set] and unit.name.startswith(URBAN_WARD_PREFIX):
        return "urban_ward"
    return "other"


def _levels(unit_set: str) -> tuple[Level, ...]:
    if unit_set not in LEVELS:
        raise RegistryError(f"unknown unit set {unit_set!r} (one of: {', '.join(UNIT_SETS)})")
    return LEVELS[unit_set]


def _coordinate(value: Any) -> float | None:
    return None if value is None else float(value)


def _key(unit_set: str, code: str) -> str:
    return f"{unit_set}:{code}"


# ---------------------------------------------------------------- the import

@dataclass
class ImportSummary:
    unit_set: str
    province: str | None = None  # code of the province the import was limited to
    counts: dict[str, int] = field(default_factory=dict)  # per kind, outermost level first
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def line(self) -> str:
        """e.g. "34 provinces, 3,321 communes (3,321 new, 0 updated)"."""
        parts = [f"{count:,} {kind if count == 1 else _plural(kind)}" for kind, count in self.counts.items()]
        return f"{', '.join(parts)} ({self.inserted:,} new, {self.updated:,} updated)"


def _plural(kind: str) -> str:
    return kind[:-1] + "ies" if kind.endswith("y") else kind + "s"


_COMPARED = ("name", "name_ascii", "kind", "level", "parent", "path", "lat", "lon")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=0.0, abs_tol=1e-9)
    return a == b


async def import_units(unit_set: UnitSet, province: str | None = None,
                       progress: Callable[[int], None] | None = None) -> ImportSummary:
    """Insert or update the units of a set (or of one province of it) from the package data.

    Upsert by key: names, coordinates, parent and path follow the source; `commune_type` is
    only given to new communes (or ones without a type), so an admin's choice survives.
    Units no longer in the source are left alone (submissions may point at them).
    `progress(n)` is called after each batch with the number of units just handled.
    """
    started = time.perf_counter()
    levels = _levels(unit_set)
    units = source_units(unit_set)
    summary = ImportSummary(unit_set=unit_set)
    if province is not None:
        wanted = find_province(unit_set, province)
        summary.province = wanted.code
        units = tuple(u for u in units if u.province_code == wanted.code)
    summary.counts = {level.kind: 0 for level in levels}
    for unit in units:
        summary.counts[unit.kind] += 1

    rows = await Unit.select(Unit.id, Unit.key, Unit.commune_type, *[getattr(Unit, c) for c in _COMPARED]) \
        .where(Unit.unit_set == unit_set).run()
    existing: dict[str, dict[str, Any]] = {row["key"]: row for row in rows}
    ids: dict[str, int] = {key: row["id"] for key, row in existing.items()}

    for depth in range(1, len(levels) + 1):
        level_units = [u for u in units if u.level == depth]
        for start in range(0, len(level_units), BATCH_SIZE):
            batch = level_units[start:start + BATCH_SIZE]
            new_rows: list[Unit] = []
            changes: list[tuple[int, dict[Any, Any]]] = []
            for unit in batch:
                key = _key(unit_set, unit.code)
                wanted_values = {
                    "name": unit.name, "name_ascii": fold(unit.name), "kind": unit.kind, "level": unit.level,
                    "parent": ids[_key(unit_set, unit.parent_code)] if unit.parent_code else None,
                    "path": unit.path, "lat": unit.lat, "lon": unit.lon,
                }
                row = existing.get(key)
                if row is None:
                    new_rows.append(Unit(key=key, unit_set=unit_set, code=unit.code,
                                         commune_type=default_commune_type(unit_set, unit), **wanted_values))
                    continue
                change = {getattr(Unit, name): value for name, value in wanted_values.items()
                          if not _same(row[name], value)}
                if unit.kind == "commune" and row["commune_type"] is None:
                    change[Unit.commune_type] = default_commune_type(unit_set, unit)
                if change:
                    changes.append((row["id"], change))
                else:
                    summary.unchanged += 1
            if new_rows or changes:
                async with write_transaction():
                    if new_rows:
                        inserted = await Unit.insert(*new_rows).returning(Unit.id, Unit.key).run()
                        ids.update({r["key"]: r["id"] for r in inserted})
                    for unit_id, change in changes:
                        await Unit.update(change).where(Unit.id == unit_id).run()
                summary.inserted += len(new_rows)
                summary.updated += len(changes)
            if progress is not None:
                progress(len(batch))

    if summary.inserted or summary.updated:
        async with write_transaction():
            await audit.record("registry_imported", "unit_set", unit_set, username="system",
                               after={"province": summary.province, "counts": summary.counts,
                                      "inserted": summary.inserted, "updated": summary.updated})
    summary.seconds = time.perf_counter() - started
    return summary


# ---------------------------------------------------------------- look-ups

async def get_unit(unit_set: str, code: str) -> Unit | None:
    return await Unit.objects().where(Unit.key == _key(unit_set, code)).first().run()


async def children_of(unit_set: str, parent: Unit | None) -> list[Unit]:
    """The units directly below `parent`, or the provinces when it is None; ordered by code."""
    query = Unit.objects().where(Unit.unit_set == unit_set)
    query = query.where(Unit.parent == parent.id) if parent else query.where(Unit.level == 1)
    return await query.order_by(Unit.code).run()


async def communes_in(area: Unit) -> list[Unit]:
    """Every commune inside `area` (a province, district, or the commune itself), by path."""
    return await Unit.objects().where(
        (Unit.unit_set == area.unit_set) & (Unit.kind == "commune")
        & ((Unit.path == area.path) | Unit.path.like(f"{area.path}/%"))
    ).order_by(Unit.path).run()


def is_within(unit_path: str, area_path: str) -> bool:
    """Whether the unit at `unit_path` is the area or lies inside it ("/01/001/00001" in "/01").

    A prefix test on whole path segments: "/01/0010" is not within "/01/001". An empty area
    path contains nothing (fail closed).
    """
    area = area_path.rstrip("/")
    if not area:
        return False
    return unit_path == area or unit_path.startswith(area + "/")


async def set_commune_type(unit_set: str, code: str, commune_type: str, *, by: str = "system",
                           reason: str | None = None) -> Unit:
    """Set the scoring type of one commune (written to the audit log)."""
    if commune_type not in COMMUNE_TYPES:
        raise RegistryError(f"unknown commune type {commune_type!r} (one of: {', '.join(COMMUNE_TYPES)})")
    async with write_transaction():
        unit = await Unit.objects().where(Unit.key == _key(unit_set, code)).first().run()
        if unit is None or unit.kind != "commune":
            raise RegistryError(f"no commune with code {code!r} in the {unit_set} registry")
        before = unit.commune_type
        if before != commune_type:
            await Unit.update({Unit.commune_type: commune_type}).where(Unit.id == unit.id).run()
            await audit.record("commune_type_set", "unit", unit.id, username=by, reason=reason,
                               before={"key": unit.key, "commune_type": before},
                               after={"key": unit.key, "commune_type": commune_type})
            unit.commune_type = commune_type
    return unit
