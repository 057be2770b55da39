"""A reviewer's queue: the communes of their area in one period, with state, score, counts per state.

Loaded with four queries whatever the size of the area (units, assessments, communes with data,
latest scores), then filtered, searched without diacritics and sorted in Vietnamese order in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from server.registry.units import fold
from server.review.assessments import effective_state
from server.review.collation import sort_key
from server.review.states import STATES
from server.core.tables import Assessment, Period, Score, Submission, Unit

SORTS = ("name", "code", "state", "total", "updated")
PAGE_SIZE = 100


@dataclass
class QueueRow:
    commune_id: int
    code: str
    name: str
    name_ascii: str  # folded name, for search
    parent: str  # the district (legacy) or province the commune belongs to
    commune_type: str | None
    state: str
    version: int
    total: int | None = None
    certified: bool | None = None
    provisional: bool = False
    updated_at: datetime | None = None
    flags: int = 0  # open plausibility flags (set for the rows of the page shown: server/review/flags.py)


@dataclass
class Queue:
    rows: list[QueueRow]
    counts: dict[str, int]  # per state, over the whole area (before filter and search)
    total_rows: int  # rows after filter and search, before paging
    page: int = 1
    pages: int = 1
    filters: dict[str, Any] = field(default_factory=dict)


def _in_area(column_path: Any, area_path: str) -> Any:
    return (column_path == area_path) | column_path.like(f"{area_path}/%")


async def area_rows(period: Period, area: Unit | None) -> list[QueueRow]:
    """Every commune of the area (the whole registry set of the period for None) with its state and score."""
    if area is not None and area.unit_set != period.unit_set:
        return []
    units = Unit.select(Unit.id, Unit.code, Unit.name, Unit.name_ascii, Unit.commune_type,
                        Unit.parent.name.as_alias("parent")).where(
        (Unit.unit_set == period.unit_set) & (Unit.kind == "commune"))
    assessments = Assessment.select(Assessment.id, Assessment.commune, Assessment.state, Assessment.version,
                                    Assessment.updated_at).where(Assessment.period == period.id)
    with_data = Submission.select(Submission.commune).where(Submission.period == period.id).distinct()
    scores = Score.select(Score.assessment, Score.total, Score.certified, Score.provisional).where(
        Score.assessment.period == period.id).order_by(Score.id)
    if area is not None:
        units = units.where(_in_area(Unit.path, area.path))
        assessments = assessments.where(_in_area(Assessment.commune.path, area.path))
        with_data = with_data.where(_in_area(Submission.commune.path, area.path))
        scores = scores.where(_in_area(Score.assessment.commune.path, area.path))
    by_commune = {row["commune"]: row for row in await assessments.run()}
    data = {row["commune"] for row in await with_data.run()}
    latest = {row["assessment"]: row for row in await scores.run()}  # the last one of each wins
    out = []
    for unit in await units.run():
        found = by_commune.get(unit["id"])
        score = latest.get(found["id"]) if found else None
        out.append(QueueRow(
            commune_id=unit["id"], code=unit["code"], name=unit["name"], name_ascii=unit["name_ascii"],
            parent=unit["parent"] or "",
            commune_type=unit["commune_type"],
            state=effective_state(found["state"] if found else None, unit["id"] in data),
            version=found["version"] if found else 0,
            total=score["total"] if score else None, certified=score["certified"] if score else None,
            provisional=bool(score and score["provisional"]),
            updated_at=found["updated_at"] if found else None))
    return out


def _sort(rows: list[QueueRow], sort: str, descending: bool) -> list[QueueRow]:
    """Sorted by `sort`; communes without a total or a change go last in either direction (by name)."""
    order = {state: index for index, state in enumerate(STATES)}
    keys = {
        "name": lambda r: sort_key(r.name),
        "code": lambda r: r.code,
        "state": lambda r: (order[r.state], sort_key(r.name)),
        "total": lambda r: r.total,
        "updated": lambda r: r.updated_at.timestamp(),
    }
    if sort in ("total", "updated"):
        attribute = "total" if sort == "total" else "updated_at"
        by_name = sorted(rows, key=keys["name"])  # sorting is stable: equal values stay in name order
        known = [row for row in by_name if getattr(row, attribute) is not None]
        unknown = [row for row in by_name if getattr(row, attribute) is None]
        # The total reads highest first by default; changes oldest first (who has waited longest).
        return sorted(known, key=keys[sort], reverse=descending != (sort == "total")) + unknown
    return sorted(rows, key=keys[sort], reverse=descending)


def build(rows: list[QueueRow], *, state: str | None = None, search: str | None = None, sort: str = "name",
          descending: bool = False, page: int = 1) -> Queue:
    """Counts per state, then filter by state, search without diacritics ("hoan kiem"), sort, page."""
    counts = dict.fromkeys(STATES, 0)
    for row in rows:
        counts[row.state] += 1
    chosen = rows
    if state in counts:
        chosen = [row for row in chosen if row.state == state]
    words = fold(search or "").split()
    if words:
        chosen = [row for row in chosen if _matches(row, words)]
    chosen = _sort(chosen, sort if sort in SORTS else "name", descending)
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(max(1, page), pages)
    return Queue(rows=chosen[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], counts=counts, total_rows=len(chosen),
                 page=page, pages=pages,
                 filters={"state": state if state in counts else "", "q": search or "", "sort": sort,
                          "desc": descending})


def _matches(row: QueueRow, words: list[str]) -> bool:
    haystack = f"{row.name_ascii} {row.code}"
    return all(word in haystack for word in words)
