"""What the public may see, read from the database: final certification lists and their entries.

Only lists whose state is "final" are public (a draft or a list posted for comment is not), and
of several final revisions of one area's list only the latest counts. Every function here reads;
the review service writes these rows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from piccolo.query.functions.aggregate import Count, Max, Sum

from server.core.tables import Assessment, Boundary, CertificationEntry, CertificationList, Period, Score, Unit
from server.maps import privacy

FINAL = "final"
RECOGNISED, NOT_RECOGNISED, NOT_LISTED = "recognised", "not_recognised", "not_listed"
RESULT_CATEGORIES = (RECOGNISED, NOT_RECOGNISED, NOT_LISTED)


@dataclass(frozen=True)
class PublicList:
    id: int
    period: int
    revision: int
    area_id: int
    area_code: str
    area_name: str
    area_path: str
    finalized_at: Any
    replaced_by: PublicList | None = None  # the newer final revision of the same area's list, if any
    decision_number: str | None = None  # the signed recognition decision (lists made final before it was
    decision_date: str | None = None    # required have none: no page may then say the list was signed)
    decision_signer: str | None = None
    early_reason: str | None = None  # made final before the end of its comment period, and why
    comment_from: str | None = None  # the public comment period the list went through
    comment_to: str | None = None


@dataclass
class CommunePoint:
    """One commune on a map: where it is, and what the public result says."""

    id: int
    code: str
    name: str
    path: str
    lat: float | None
    lon: float | None
    population: int | None
    category: str = NOT_LISTED
    reached: int | None = None  # goals reached (privacy.PublicResult), when on a final list
    goals: int | None = None
    provisional: bool = False
    list_id: int | None = None
    commune_type: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    """A commune's line on a final list, with its stored score."""

    list_id: int
    commune_id: int
    code: str
    name: str
    path: str
    commune_type: str
    total: int
    threshold: int
    certified: bool
    provisional: bool
    score_id: int


async def public_periods() -> list[Period]:
    """Periods with at least one final list, newest first."""
    ids = await CertificationList.select(CertificationList.period).where(CertificationList.state == FINAL).distinct()
    if not ids:
        return []
    return await Period.objects().where(Period.id.is_in([row["period"] for row in ids])) \
        .order_by(Period.year, ascending=False).order_by(Period.id, ascending=False)


async def public_period(period_id: int) -> Period | None:
    """The period, if anything of it is public."""
    if not await CertificationList.exists().where(
            (CertificationList.period == period_id) & (CertificationList.state == FINAL)):
        return None
    return await Period.objects().where(Period.id == period_id).first()


async def final_lists(period_id: int) -> list[PublicList]:
    """The latest final revision of each area's list in a period, by area path."""
    rows = await CertificationList.select(
        CertificationList.id, CertificationList.period, CertificationList.revision, CertificationList.area,
        CertificationList.area.code, CertificationList.area.name, CertificationList.area.path,
        CertificationList.finalized_at,
    ).where((CertificationList.period == period_id) & (CertificationList.state == FINAL)) \
        .order_by(CertificationList.revision, ascending=False).order_by(CertificationList.id, ascending=False)
    latest: dict[int, PublicList] = {}
    for row in rows:
        latest.setdefault(row["area"], PublicList(
            id=row["id"], period=row["period"], revision=row["revision"], area_id=row["area"],
            area_code=row["area.code"], area_name=row["area.name"], area_path=row["area.path"],
            finalized_at=row["finalized_at"]))
    return sorted(latest.values(), key=lambda item: item.area_path)


DECISION = (CertificationList.decision_number, CertificationList.decision_date, CertificationList.decision_signer,
            CertificationList.early_reason, CertificationList.comment_from, CertificationList.comment_to)


async def public_list(period_id: int, list_id: int) -> PublicList | None:
    """A final revision of the period: the current one, or an older one marked as replaced.

    A published revision stays at its address: a newer revision replaces it, it does not unpublish it.
    """
    row = await CertificationList.select(
        CertificationList.id, CertificationList.period, CertificationList.revision, CertificationList.area,
        CertificationList.area.code, CertificationList.area.name, CertificationList.area.path,
        CertificationList.finalized_at, *DECISION,
    ).where((CertificationList.id == list_id) & (CertificationList.period == period_id)
            & (CertificationList.state == FINAL)).first()
    if row is None:
        return None
    current = next((item for item in await final_lists(period_id) if item.area_id == row["area"]), None)
    return PublicList(id=row["id"], period=row["period"], revision=row["revision"], area_id=row["area"],
                      area_code=row["area.code"], area_name=row["area.name"], area_path=row["area.path"],
                      finalized_at=row["finalized_at"],
                      replaced_by=current if current is not None and current.id != row["id"] else None,
                      **{column._meta.name: row[column._meta.name] for column in DECISION})


async def entries(list_ids: list[int]) -> list[Entry]:
    if not list_ids:
        return []
    rows = await CertificationEntry.select(
        CertificationEntry.certification_list, CertificationEntry.commune, CertificationEntry.commune.code,
        CertificationEntry.commune.name, CertificationEntry.commune.path, CertificationEntry.commune_type,
        CertificationEntry.total, CertificationEntry.threshold, CertificationEntry.certified,
        CertificationEntry.provisional, CertificationEntry.score,
    ).where(CertificationEntry.certification_list.is_in(list_ids)).order_by(CertificationEntry.id)
    return [Entry(list_id=r["certification_list"], commune_id=r["commune"], code=r["commune.code"],
                  name=r["commune.name"], path=r["commune.path"], commune_type=r["commune_type"],
                  total=r["total"], threshold=r["threshold"], certified=bool(r["certified"]),
                  provisional=bool(r["provisional"]), score_id=r["score"]) for r in rows]


async def period_entries(period_id: int) -> dict[int, Entry]:
    """Each listed commune's public entry in a period (a later final list wins over an earlier one)."""
    lists = await final_lists(period_id)
    order = sorted(lists, key=lambda item: (item.finalized_at is not None, str(item.finalized_at), item.id))
    by_commune: dict[int, Entry] = {}
    rank = {item.id: position for position, item in enumerate(order)}
    for entry in sorted(await entries([item.id for item in lists]), key=lambda e: rank[e.list_id]):
        by_commune[entry.commune_id] = entry
    return by_commune


# ---------------------------------------------------------------- areas and communes

async def find_area(unit_set: str, code: str | None) -> Unit | None:
    """A province or district of the set by official code (None: the whole country)."""
    if not code:
        return None
    return await Unit.objects().where((Unit.key == f"{unit_set}:{code}") & (Unit.kind != "commune")).first()


async def find_commune(unit_set: str, code: str) -> Unit | None:
    return await Unit.objects().where((Unit.key == f"{unit_set}:{code}") & (Unit.kind == "commune")).first()


def _within(area: Unit | None) -> Any:
    if area is None:
        return Unit.kind == "commune"
    return (Unit.kind == "commune") & ((Unit.path == area.path) | Unit.path.like(f"{area.path}/%"))


async def commune_points(unit_set: str, area: Unit | None) -> list[CommunePoint]:
    """Every commune of the set inside the area (or the country), with its coordinates."""
    rows = await Unit.select(Unit.id, Unit.code, Unit.name, Unit.path, Unit.lat, Unit.lon, Unit.population,
                             Unit.commune_type) \
        .where((Unit.unit_set == unit_set) & _within(area)).order_by(Unit.path)
    return [CommunePoint(id=r["id"], code=r["code"], name=r["name"], path=r["path"], lat=r["lat"], lon=r["lon"],
                         population=r["population"], commune_type=r["commune_type"]) for r in rows]


async def result_points(period: Period, area: Unit | None) -> list[CommunePoint]:
    """Communes of the area coloured by their public result in the period."""
    points = await commune_points(period.unit_set, area)
    listed = await period_entries(period.id)
    publics = await public_results([entry.score_id for entry in listed.values()])
    for point in points:
        entry = listed.get(point.id)
        if entry is None or entry.score_id not in publics:
            continue
        public = publics[entry.score_id]
        point.category = RECOGNISED if public.certified else NOT_RECOGNISED
        point.reached, point.goals, point.provisional = public.reached, len(public.goals), public.provisional
        point.list_id, point.commune_type = entry.list_id, entry.commune_type
    return points


async def state_points(period: Period, area: Unit | None) -> list[CommunePoint]:
    """Communes of the area coloured by the state of their assessment (an internal view)."""
    points = await commune_points(period.unit_set, area)
    rows = await Assessment.select(Assessment.commune, Assessment.state).where(Assessment.period == period.id)
    states = {row["commune"]: row["state"] for row in rows}
    for point in points:
        point.category = states.get(point.id, "not_started")
    return points


async def boundaries_for(unit_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Uploaded boundary geometries of these communes, by unit id."""
    if not unit_ids:
        return {}
    rows = await Boundary.select(Boundary.unit, Boundary.geometry).where(Boundary.unit.is_in(unit_ids))
    return {row["unit"]: json_value(row["geometry"]) for row in rows}


async def score_result(score_id: int) -> dict[str, Any] | None:
    """The stored ScoreResult dump of a score."""
    row = await Score.select(Score.result).where(Score.id == score_id).first()
    return json_value(row["result"]) if row else None


async def score_results(score_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Stored ScoreResult dumps by score id."""
    if not score_ids:
        return {}
    rows = await Score.select(Score.id, Score.result).where(Score.id.is_in(score_ids))
    return {row["id"]: json_value(row["result"]) for row in rows}


_PUBLIC: dict[tuple[int, str], privacy.PublicResult] = {}  # (score id, computed at) → its public view
_PUBLIC_MAX = 50_000


async def public_results(score_ids: list[int]) -> dict[int, privacy.PublicResult]:
    """The public view of each stored score. A stored score never changes, so its view is kept per process
    (a national map needs 10,000); the key includes when it was computed, so a reused id (a restored or
    emptied database) is never mistaken for the old score."""
    if not score_ids:
        return {}
    stamps = {row["id"]: (row["id"], str(row["computed_at"])) for row in
              await Score.select(Score.id, Score.computed_at).where(Score.id.is_in(list(set(score_ids))))}
    missing = [score_id for score_id, key in stamps.items() if key not in _PUBLIC]
    if missing:
        if len(_PUBLIC) + len(missing) > _PUBLIC_MAX:
            _PUBLIC.clear()
        for score_id, result in (await score_results(missing)).items():
            _PUBLIC[stamps[score_id]] = privacy.public_result(result)
    return {score_id: _PUBLIC[key] for score_id, key in stamps.items() if key in _PUBLIC}


async def commune_history(commune: Unit) -> list[dict[str, Any]]:
    """The commune's public results across periods, oldest first: goals reached and recognition."""
    history = []
    for period in reversed(await public_periods()):
        if period.unit_set != commune.unit_set:
            continue
        entry = (await period_entries(period.id)).get(commune.id)
        if entry is not None:
            public = (await public_results([entry.score_id]))[entry.score_id]
            history.append({"period": period.name, "year": period.year, "reached": public.reached,
                            "goals": len(public.goals), "certified": public.certified,
                            "provisional": public.provisional})
    return history


async def area_history(unit_set: str, area: Unit | None) -> list[dict[str, Any]]:
    """Per public period: communes of the area on final lists, and how many were recognised."""
    history = []
    for period in reversed(await public_periods()):
        if period.unit_set != unit_set:
            continue
        listed = [e for e in (await period_entries(period.id)).values() if _inside(e.path, area)]
        if listed:
            history.append({"period": period.name, "year": period.year, "listed": len(listed),
                            "recognised": sum(1 for e in listed if e.certified),
                            "provisional": any(e.provisional for e in listed)})
    return history


def _inside(path: str, area: Unit | None) -> bool:
    return area is None or path == area.path or path.startswith(area.path + "/")


def json_value(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# ---------------------------------------------------------------- fingerprints

async def _aggregate(query: Any) -> list[Any]:
    row = await query.first()
    return [str(value) for value in (row or {}).values()]


async def fingerprint(*, period_id: int | None = None, all_periods: bool = False, unit_set: str | None = None,
                      boundaries: bool = False, states: bool = False, extra: tuple[Any, ...] = ()) -> str:
    """A short hash of the rows a picture is drawn from (counts, sums, highest ids, latest times).

    Cheap (aggregate queries only) so that a cached picture is found without reading its rows.
    """
    parts: list[Any] = list(extra)
    if period_id is not None or all_periods:
        final = CertificationList.state == FINAL
        final_entry = CertificationEntry.certification_list.state == FINAL
        if not all_periods:
            final &= CertificationList.period == period_id
            final_entry &= CertificationEntry.certification_list.period == period_id
        parts += await _aggregate(CertificationList.select(
            Count(), Max(CertificationList.id), Sum(CertificationList.id), Max(CertificationList.finalized_at),
        ).where(final))
        parts += await _aggregate(CertificationEntry.select(
            Count(), Max(CertificationEntry.id), Sum(CertificationEntry.total), Sum(CertificationEntry.commune),
            Sum(CertificationEntry.score),
        ).where(final_entry))
    if states and period_id is not None:
        parts += await _aggregate(Assessment.select(
            Count(), Max(Assessment.updated_at), Sum(Assessment.version), Sum(Assessment.commune),
        ).where(Assessment.period == period_id))
    if unit_set is not None:
        parts += await _aggregate(Unit.select(Count(), Max(Unit.id), Sum(Unit.population), Sum(Unit.lat))
                                  .where(Unit.unit_set == unit_set))
    if boundaries:
        parts += await _aggregate(Boundary.select(Count(), Max(Boundary.id), Max(Boundary.uploaded_at),
                                                  Sum(Boundary.unit)))
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]
