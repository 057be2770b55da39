"""Counts and percentages of communes per state, per unit of an area, against the previous period."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.core.tables import CertificationEntry, Period, Unit
from server.review.collation import sort_key
from server.review.queue import QueueRow, area_rows
from server.review.states import STATES

FINAL_STATES = ("recognised", "not_recognised")


@dataclass
class AreaStats:
    name: str
    communes: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    previous_recognised: int | None = None
    previous_communes: int | None = None

    def percent(self, state: str) -> float:
        return 100.0 * self.counts[state] / self.communes if self.communes else 0.0

    @property
    def recognised_percent(self) -> float:
        return self.percent("recognised")

    @property
    def previous_percent(self) -> float | None:
        if not self.previous_communes or self.previous_recognised is None:
            return None
        return 100.0 * self.previous_recognised / self.previous_communes


@dataclass
class Dashboard:
    period: Period
    previous: Period | None
    total: AreaStats
    parts: list[AreaStats]
    # Communes a signed decision of this period named, reopened since: the counts above follow their state
    # now, the decision (and the public list) still stands.
    reopened: list[QueueRow] = field(default_factory=list)


async def previous_period(period: Period) -> Period | None:
    """The latest earlier period of the same registry set (by year, then by id)."""
    rows = await Period.objects().where((Period.unit_set == period.unit_set) & (Period.id != period.id)
                                        & (Period.year <= period.year)).run()
    earlier = [p for p in rows if (p.year, p.id) < (period.year, period.id)]
    return max(earlier, key=lambda p: (p.year, p.id), default=None)


async def build(period: Period, area: Unit | None) -> Dashboard:
    """The area's totals and one row per unit below it (per province for the whole country)."""
    rows = await area_rows(period, area)
    previous = await previous_period(period)
    before = {row.commune_id: row.state for row in await area_rows(previous, area)} if previous else {}
    children = await _children(period, area)
    total = AreaStats(name=area.name if area else "")
    parts: dict[str, AreaStats] = {path: AreaStats(name=name) for path, name in children}
    paths = await _paths(period, area)
    for row in rows:
        for stats in (total, parts.get(_part_of(paths.get(row.commune_id, ""), children))):
            if stats is None:
                continue
            stats.communes += 1
            stats.counts[row.state] += 1
            if previous is not None:
                stats.previous_communes = (stats.previous_communes or 0) + 1
                stats.previous_recognised = (stats.previous_recognised or 0) + (before.get(row.commune_id) == "recognised")
    decided = {entry["commune"] for entry in await CertificationEntry.select(CertificationEntry.commune).where(
        (CertificationEntry.certification_list.period == period.id)
        & (CertificationEntry.certification_list.state == "final")).run()}
    reopened = sorted((row for row in rows if row.commune_id in decided and row.state not in FINAL_STATES),
                      key=lambda row: sort_key(row.name))
    return Dashboard(period=period, previous=previous, total=total, parts=[parts[path] for path, _ in children],
                     reopened=reopened)


async def _children(period: Period, area: Unit | None) -> list[tuple[str, str]]:
    """(path, name) of the units directly below the area that are not communes themselves."""
    query = Unit.select(Unit.path, Unit.name).where((Unit.unit_set == period.unit_set) & (Unit.kind != "commune"))
    query = query.where(Unit.parent == area.id) if area is not None else query.where(Unit.level == 1)
    return [(row["path"], row["name"]) for row in await query.order_by(Unit.code).run()]


async def _paths(period: Period, area: Unit | None) -> dict[int, str]:
    query = Unit.select(Unit.id, Unit.path).where((Unit.unit_set == period.unit_set) & (Unit.kind == "commune"))
    if area is not None:
        query = query.where((Unit.path == area.path) | Unit.path.like(f"{area.path}/%"))
    return {row["id"]: row["path"] for row in await query.run()}


def _part_of(path: str, children: list[tuple[str, str]]) -> str:
    for child_path, _ in children:
        if path.startswith(child_path + "/"):
            return child_path
    return ""
