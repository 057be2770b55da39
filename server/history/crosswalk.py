"""The 2025 merger, legacy → 2025: which 2025 commune took each legacy commune.

Source: `data/converter_2025.json` shipped by `vietnamadminunits` (the data its
`convert_address` uses), keyed by the package's name keys ("tinhbacninh_huyenyenphong_xadongtien");
the keys are turned into official codes through its `dataset.db`.

- `DICT_PROVINCE_WARD_NO_DIVIDED`: each 2025 commune with the legacy communes that went into it
  whole (9,564 legacy communes).
- `DICT_PROVINCE_WARD_DIVIDED`: the legacy communes split between several 2025 communes (471), each
  with its 2025 parts and one `isDefaultNewWard` — the part whose area holds the legacy commune's
  centre (else the nearest), which `convert_address` answers when it has no street to place.
- Five island districts had no commune (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo): the
  district itself is the predecessor of its 2025 special zone.

**The rule for a split commune.** It is a predecessor of every 2025 commune that received part of
it, so its past results show on each of them, marked "part of". Where a legacy commune must be
counted once (its successor on its own page, the 2025 view of a province's past years), it counts
toward its main successor only (the package's default). Every legacy province went whole into one
2025 province, so a province's figures never depend on this rule.
"""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from server.core import audit
from server.core.db import insert_many, write_transaction
from server.core.tables import Unit, UnitLink
from server.registry.units import RegistryError, _fetch


@dataclass(frozen=True)
class SourceLink:
    legacy_code: str  # a legacy commune's code, or an island district's
    new_code: str  # a 2025 commune's code
    whole: bool
    main: bool

    @property
    def key(self) -> str:
        return f"{self.legacy_code}:{self.new_code}"


def _package_file(name: str) -> Path:
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise RegistryError("the vietnamadminunits package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / name


@lru_cache(maxsize=1)
def source_links() -> tuple[SourceLink, ...]:
    """Every legacy → 2025 link of the package's conversion data, by official codes."""
    with _package_file("converter_2025.json").open(encoding="utf-8") as handle:
        data = json.load(handle)
    legacy: dict[str, str] = {}
    for row in _fetch("SELECT provinceKey, districtKey, wardKey, districtCode, wardCode FROM admin_units_legacy"):
        if row["wardCode"]:
            legacy[f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey']}"] = row["wardCode"]
        else:  # an island district without communes
            legacy[f"{row['provinceKey']}_{row['districtKey']}_"] = row["districtCode"]
    new = {(row["provinceKey"], row["wardKey"]): row["wardCode"]
           for row in _fetch("SELECT provinceKey, wardKey, wardCode FROM admin_units")}
    links: dict[str, SourceLink] = {}
    unknown: list[str] = []

    def add(old_key: str, province_key: str, ward_key: str, whole: bool, main: bool) -> None:
        old, successor = legacy.get(old_key), new.get((province_key, ward_key))
        if old is None or successor is None:
            unknown.append(old_key if old is None else f"{province_key}_{ward_key}")
            return
        link = SourceLink(old, successor, whole, main)
        links[link.key] = link

    for province_key, wards in data["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, old_keys in wards.items():
            for old_key in old_keys:
                add(old_key, province_key, ward_key, True, True)
    for province_key, divided in data["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, parts in divided.items():
            for part in parts:
                add(old_key, province_key, part["newWardKey"], False, bool(part["isDefaultNewWard"]))
    if unknown:
        raise RegistryError(f"the conversion data names units the dataset does not have: {sorted(unknown)[:10]}")
    return tuple(sorted(links.values(), key=lambda link: link.key))


# ---------------------------------------------------------------- into the database

@dataclass
class LinkSummary:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    missing: int = 0  # links whose legacy or 2025 unit is not in the registry (a one-province import)
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        """e.g. "10,040 links (9,564 whole, 476 parts of 471 split communes): 10,040 new, 0 updated"."""
        text = (f"{self.counts.get('links', 0):,} links ({self.counts.get('whole', 0):,} whole, "
                f"{self.counts.get('parts', 0):,} parts of {self.counts.get('split', 0):,} split communes): "
                f"{self.inserted:,} new, {self.updated:,} updated")
        if self.missing:
            text += f"; {self.missing:,} skipped (a registry set is not imported for those units)"
        return text


async def _unit_ids(unit_set: str) -> dict[str, int]:
    rows = await Unit.select(Unit.id, Unit.code).where(Unit.unit_set == unit_set).run()
    return {row["code"]: row["id"] for row in rows}


async def import_links(by: str = "system") -> LinkSummary:
    """Store the links whose two units are in the registry (upsert by key: a second run changes nothing)."""
    started = time.perf_counter()
    summary = LinkSummary()
    legacy_ids, new_ids = await _unit_ids("legacy"), await _unit_ids("2025")
    existing = {row["key"]: row for row in await UnitLink.select(UnitLink.id, UnitLink.key, UnitLink.whole,
                                                                   UnitLink.main).run()}
    new_rows: list[dict[str, Any]] = []
    changes: list[tuple[int, dict[Any, Any]]] = []
    for link in source_links():
        legacy_id, new_id = legacy_ids.get(link.legacy_code), new_ids.get(link.new_code)
        if legacy_id is None or new_id is None:
            summary.missing += 1
            continue
        row = existing.get(link.key)
        if row is None:
            new_rows.append({"key": link.key, "legacy": legacy_id, "successor": new_id, "whole": link.whole,
                             "main": link.main})
        elif (bool(row["whole"]), bool(row["main"])) != (link.whole, link.main):
            changes.append((row["id"], {UnitLink.whole: link.whole, UnitLink.main: link.main}))
        else:
            summary.unchanged += 1
    if new_rows or changes:
        async with write_transaction():
            await insert_many(UnitLink, new_rows)
            for link_id, change in changes:
                await UnitLink.update(change).where(UnitLink.id == link_id).run()
            summary.inserted, summary.updated = len(new_rows), len(changes)
            await audit.record("crosswalk_imported", "unit_link", username=by,
                               after={"inserted": summary.inserted, "updated": summary.updated,
                                      "skipped": summary.missing})
    stored = [link for link in source_links()
              if link.legacy_code in legacy_ids and link.new_code in new_ids]
    split = {link.legacy_code for link in stored if not link.whole}
    summary.counts = {"links": len(stored), "whole": sum(link.whole for link in stored),
                      "parts": sum(not link.whole for link in stored), "split": len(split)}
    summary.seconds = time.perf_counter() - started
    return summary


async def link_if_both_sets(by: str = "system") -> LinkSummary | None:
    """`import_links` once both registry sets hold communes (after a registry import); None before."""
    for unit_set in ("legacy", "2025"):
        if not await Unit.exists().where((Unit.unit_set == unit_set) & (Unit.kind == "commune")).run():
            return None
    return await import_links(by=by)


# ---------------------------------------------------------------- look-ups

@dataclass(frozen=True)
class Link:
    """A link with both units named (for pages)."""

    legacy_id: int
    legacy_code: str
    legacy_name: str
    legacy_kind: str
    legacy_parent: str  # the legacy district's name
    successor_id: int
    successor_code: str
    successor_name: str
    whole: bool
    main: bool


async def _links(where: Any) -> list[Link]:
    rows = await UnitLink.select(
        UnitLink.legacy, UnitLink.legacy.code, UnitLink.legacy.name, UnitLink.legacy.kind,
        UnitLink.legacy.parent.name, UnitLink.successor, UnitLink.successor.code, UnitLink.successor.name,
        UnitLink.whole, UnitLink.main,
    ).where(where).order_by(UnitLink.key).run()
    return [Link(legacy_id=r["legacy"], legacy_code=r["legacy.code"], legacy_name=r["legacy.name"],
                 legacy_kind=r["legacy.kind"], legacy_parent=r["legacy.parent.name"] or "",
                 successor_id=r["successor"], successor_code=r["successor.code"], successor_name=r["successor.name"],
                 whole=bool(r["whole"]), main=bool(r["main"])) for r in rows]


async def predecessors(successor_ids: Iterable[int]) -> dict[int, list[Link]]:
    """The legacy units of each 2025 commune (whole ones first, then the parts of split ones)."""
    ids = list(successor_ids)
    found: dict[int, list[Link]] = {unit_id: [] for unit_id in ids}
    if ids:
        for link in await _links(UnitLink.successor.is_in(ids)):
            found[link.successor_id].append(link)
    for links in found.values():
        links.sort(key=lambda link: (not link.whole, link.legacy_code))
    return found


async def successors(legacy_ids: Iterable[int]) -> dict[int, list[Link]]:
    """The 2025 communes of each legacy unit (the main successor first)."""
    ids = list(legacy_ids)
    found: dict[int, list[Link]] = {unit_id: [] for unit_id in ids}
    if ids:
        for link in await _links(UnitLink.legacy.is_in(ids)):
            found[link.legacy_id].append(link)
    for links in found.values():
        links.sort(key=lambda link: (not link.main, link.successor_code))
    return found


async def main_successor_paths() -> dict[int, str]:
    """Legacy unit id → the path of its main 2025 successor (to place legacy communes in 2025 areas)."""
    rows = await UnitLink.select(UnitLink.legacy, UnitLink.successor.path).where(UnitLink.main == True).run()  # noqa: E712
    return {row["legacy"]: row["successor.path"] for row in rows}
