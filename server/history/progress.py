"""Progress toward the national targets, for the country or one area, year by year.

What counts (the README says the same):
- **Registered in a year**: the commune has a registration for that year that is not withdrawn.
- **Meeting the standard in a year**: the commune's latest result up to that year says recognised —
  a recognition holds until the next assessment (procedure.md). Results are the final lists of the
  periods phuhop ran (by the period's year) and the imported past rounds (matched or resolved rows;
  of two imports for the same commune and year the later counts; phuhop's own final list wins over
  an import).
- Shares are of all communes of the registry of that year inside the area: a year is computed in the
  registry its results were kept in (legacy up to 2025, the 2025 registry from 2025). For an area of
  the 2025 registry, its legacy years are computed over the legacy communes that went into it, and
  shown beside the 2025 view: how many of the area's 2025 communes had every predecessor meeting
  the standard that year (the merger rule: server/history/crosswalk.py).
- **Lost the standard**: a result that is not recognised after a recognised one.
- **Known**: communes with a result up to a year, and the provinces with at least one. Where some
  are missing (a province whose past rounds are not imported yet), the pages say so: a share of the
  country is then the share of all its communes, counting the unknown ones as not meeting it.
- **Closest to the standard** (as of the last year): communes not meeting it whose latest result
  needs at most two criteria raised to their maximum (phuhop's own scores: every criterion at 0
  first, then the largest gaps, until the total reaches the threshold), or, for an imported result
  that gives only the total, is at most `CLOSE_POINTS` points below its threshold.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from scoring import UnknownRulesError, load_rules
from server.core.tables import CertificationList, Period, Score, Unit, UnitLink
from server.history.targets import Target, targets
from server.maps import results as public_results
from server.registry.units import source_provinces

CLOSE_CRITERIA = 2
CLOSE_POINTS = 50
LIST_LIMIT = 30  # communes listed as lost or closest on a page (the XLSX has them all)


@dataclass(frozen=True)
class Result:
    year: int
    recognised: bool
    total: float | None
    threshold: int | None  # known for phuhop's own scores
    score_id: int | None
    rule_set: str | None
    rank: tuple[int, int]  # which of two results for the same year counts: the highest


@dataclass
class YearRow:
    year: int
    unit_set: str
    communes: int
    registered: int = 0
    meeting: int = 0
    assessed: int = 0
    lost: int = 0
    successors: int | None = None  # the area's 2025 communes (a legacy year seen from the 2025 registry)
    successors_meeting: int | None = None  # … whose every predecessor met the standard that year
    target_registered: int | None = None
    target_meeting: int | None = None
    known: int = 0  # communes with a result up to this year (the others count as not meeting the standard)
    provinces: int = 0  # provinces the area's communes belong to
    provinces_known: int = 0  # … of which at least one commune has a result up to this year
    provinces_registered: int = 0  # … of which at least one commune is registered this year

    @property
    def complete(self) -> bool:
        """Every commune of the area has a result up to this year, and the registry holds the whole area
        (the country: every province): the share is the area's, not a part's."""
        return self.known == self.communes and self.provinces_known == self.provinces

    def share(self, count: int | None, of: int | None = None) -> float | None:
        whole = self.communes if of is None else of
        return None if count is None or not whole else 100.0 * count / whole

    @property
    def registered_share(self) -> float | None:
        return self.share(self.registered)

    @property
    def meeting_share(self) -> float | None:
        return self.share(self.meeting)

    @property
    def successors_share(self) -> float | None:
        return self.share(self.successors_meeting, self.successors)


@dataclass
class CommuneNote:
    id: int
    code: str
    name: str
    unit_set: str
    parent: str
    year: int
    since: int | None = None  # lost: the year of the recognition before
    total: float | None = None
    threshold: int | None = None
    criteria_short: int | None = None
    criteria: list[str] = field(default_factory=list)  # ids of the criteria to raise

    @property
    def points_short(self) -> float | None:
        if self.total is None or self.threshold is None:
            return None
        return max(0.0, self.threshold - self.total)


@dataclass
class Progress:
    area: Unit | None
    unit_set: str
    rows: list[YearRow]
    lost: list[CommuneNote]
    closest: list[CommuneNote]
    targets: list[Target]
    communes: dict[str, int]  # per registry set: communes inside the area

    @property
    def last(self) -> YearRow | None:
        current = [row for row in self.rows if row.unit_set == self.unit_set]
        return current[-1] if current else (self.rows[-1] if self.rows else None)


# ---------------------------------------------------------------- loading

async def _communes(unit_set: str, area: Unit | None) -> dict[int, dict[str, Any]]:
    query = Unit.select(Unit.id, Unit.code, Unit.name, Unit.path, Unit.commune_type, Unit.parent.name) \
        .where((Unit.unit_set == unit_set) & (Unit.kind == "commune"))
    if area is not None and area.unit_set == unit_set:
        query = query.where((Unit.path == area.path) | Unit.path.like(f"{area.path}/%"))
    return {row["id"]: row for row in await query.run()}


async def _legacy_inside(area: Unit | None) -> dict[int, dict[str, Any]]:
    """Legacy communes whose main 2025 successor lies in the 2025 area (every one for the country)."""
    communes = await _communes("legacy", None)
    if area is None:
        return communes
    rows = await UnitLink.select(UnitLink.legacy, UnitLink.successor.path).where(UnitLink.main == True).run()  # noqa: E712
    inside = {row["legacy"] for row in rows
              if row["successor.path"] == area.path or row["successor.path"].startswith(area.path + "/")}
    return {unit_id: row for unit_id, row in communes.items() if unit_id in inside}


async def _imported(unit_set: str) -> list[tuple[int, Result]]:
    sql = ('SELECT r."commune", i."year", r."recognised", r."total", i."id", i."rule_set" '
           'FROM "history_row" r JOIN "history_import" i ON i."id" = r."history_import" '
           'WHERE i."kind" = {} AND i."unit_set" = {} AND r."status" IN ({}, {}) AND r."commune" IS NOT NULL')
    rows = await Unit.raw(sql, "results", unit_set, "matched", "resolved").run()
    return [(row["commune"], Result(year=row["year"], recognised=bool(row["recognised"]), total=row["total"],
                                    threshold=None, score_id=None, rule_set=row["rule_set"], rank=(0, row["id"])))
            for row in rows]


async def _own(unit_set: str) -> list[tuple[int, Result]]:
    """Results of the final lists of phuhop's periods in this registry set."""
    ids = {row["period"] for row in await CertificationList.select(CertificationList.period)
           .where(CertificationList.state == public_results.FINAL).run()}
    if not ids:
        return []
    periods = await Period.select(Period.id, Period.year, Period.rule_set) \
        .where(Period.id.is_in(list(ids)) & (Period.unit_set == unit_set)).run()
    found = []
    for period in periods:
        for commune_id, entry in (await public_results.period_entries(period["id"])).items():
            found.append((commune_id, Result(year=period["year"], recognised=entry.certified, total=entry.total,
                                             threshold=entry.threshold, score_id=entry.score_id,
                                             rule_set=period["rule_set"], rank=(1, period["id"]))))
    return found


async def results_by_commune(unit_set: str, communes: set[int] | None = None) -> dict[int, dict[int, Result]]:
    """commune id → year → the result that counts for that year."""
    found: dict[int, dict[int, Result]] = defaultdict(dict)
    for commune_id, result in [*await _imported(unit_set), *await _own(unit_set)]:
        if communes is not None and commune_id not in communes:
            continue
        known = found[commune_id].get(result.year)
        if known is None or result.rank > known.rank:
            found[commune_id][result.year] = result
    return found


async def _registrations(unit_set: str) -> dict[int, set[int]]:
    """year → communes registered (not withdrawn) that year."""
    sql = ('SELECT g."commune", g."year" FROM "registration" g JOIN "unit" u ON u."id" = g."commune" '
           'WHERE u."unit_set" = {} AND g."withdrawn_on" IS NULL')
    found: dict[int, set[int]] = defaultdict(set)
    for row in await Unit.raw(sql, unit_set).run():
        found[row["year"]].add(row["commune"])
    return found


# ---------------------------------------------------------------- computing

def status_by_year(history: dict[int, Result], years: list[int]) -> dict[int, bool | None]:
    """Meeting the standard in each year: the latest result up to it (None before any result)."""
    ordered = sorted(history.items())
    status: dict[int, bool | None] = {}
    position, current = 0, None
    for year in years:
        while position < len(ordered) and ordered[position][0] <= year:
            current = ordered[position][1].recognised
            position += 1
        status[year] = current
    return status


def losses(history: dict[int, Result]) -> list[tuple[int, int]]:
    """(year lost, year of the recognition before) for every not-recognised result after a recognised one."""
    found, previous = [], None
    for year, result in sorted(history.items()):
        if previous is not None and previous[1].recognised and not result.recognised:
            found.append((year, previous[0]))
        previous = (year, result)
    return found


def criteria_short(result: dict[str, Any]) -> tuple[int, list[str]]:
    """How many criteria must reach their maximum for this score to meet the standard, and which.

    Every criterion at 0 first (the rules allow none), then those with the largest gap until the
    total reaches the threshold.
    """
    criteria = result.get("criteria", [])
    total, threshold = result.get("total", 0), result.get("threshold", 0)
    chosen = [c for c in criteria if c["points"] == 0]
    total += sum(c["max"] - c["points"] for c in chosen)
    rest = sorted((c for c in criteria if c["points"] > 0), key=lambda c: c["max"] - c["points"], reverse=True)
    for criterion in rest:
        if total >= threshold:
            break
        if criterion["max"] > criterion["points"]:
            chosen.append(criterion)
            total += criterion["max"] - criterion["points"]
    if total < threshold:
        return len(criteria) + 1, []
    return len(chosen), [str(c["id"]) for c in sorted(chosen, key=lambda c: c["id"])]


_SHORT: dict[int, tuple[int, list[str]]] = {}  # score id → criteria_short (a stored score never changes)


async def _criteria_short(score_ids: list[int]) -> dict[int, tuple[int, list[str]]]:
    missing = [score_id for score_id in score_ids if score_id not in _SHORT]
    for start in range(0, len(missing), 500):
        rows = await Score.select(Score.id, Score.result).where(Score.id.is_in(missing[start:start + 500])) \
            .output(load_json=True).run()
        for row in rows:
            _SHORT[row["id"]] = criteria_short(row["result"])
    return {score_id: _SHORT[score_id] for score_id in score_ids if score_id in _SHORT}


def _threshold(rule_set: str | None, commune_type: str | None) -> int | None:
    try:
        thresholds = load_rules(rule_set or "vn-2019").thresholds
    except UnknownRulesError:
        return None
    found = thresholds.get(commune_type or "other")
    return found.points if found else None


def _note(unit: dict[str, Any], unit_set: str, year: int, **extra: Any) -> CommuneNote:
    return CommuneNote(id=unit["id"], code=unit["code"], name=unit["name"], unit_set=unit_set,
                       parent=unit.get("parent.name") or "", year=year, **extra)


async def _series(unit_set: str, communes: dict[int, dict[str, Any]], years: list[int],
                  history: dict[int, dict[int, Result]], registered: dict[int, set[int]],
                  goals: list[Target], country: int = 0) -> tuple[list[YearRow], list[CommuneNote],
                                                                  list[CommuneNote], dict[int, dict[int, bool | None]]]:
    """`country`: the country's provinces in this registry (0 for an area): where the registry holds fewer
    (the demo's one province), the country's figures cover only those."""
    province_of = {unit_id: unit["path"].strip("/").split("/")[0] for unit_id, unit in communes.items()}
    provinces = max(len(set(province_of.values())), country)
    rows = {year: YearRow(year=year, unit_set=unit_set, communes=len(communes), provinces=provinces) for year in years}
    known_in: dict[int, set[str]] = defaultdict(set)
    for year, row in rows.items():
        inside = registered.get(year, set()) & communes.keys()
        row.registered = len(inside)
        row.provinces_registered = len({province_of[unit_id] for unit_id in inside})
        row.target_registered = next((g.percent for g in goals if g.measure == "registered" and g.year == year), None)
        row.target_meeting = next((g.percent for g in goals if g.measure == "meeting" and g.year == year), None)
    statuses: dict[int, dict[int, bool | None]] = {}
    lost: list[CommuneNote] = []
    failing: list[tuple[dict[str, Any], Result]] = []
    last_year = years[-1] if years else None
    for unit_id, unit in communes.items():
        own = history.get(unit_id, {})
        status = status_by_year(own, years)
        statuses[unit_id] = status
        for year in years:
            if status[year] is not None:
                rows[year].known += 1
                known_in[year].add(province_of[unit_id])
            if status[year]:
                rows[year].meeting += 1
            if year in own:
                rows[year].assessed += 1
        for year, since in losses(own):
            if year in rows:
                rows[year].lost += 1
            lost.append(_note(unit, unit_set, year, since=since, total=own[year].total))
        if last_year is not None and status.get(last_year) is False:
            latest = own[max(y for y in own if y <= last_year)]
            failing.append((unit, latest))
    for year, row in rows.items():
        row.provinces_known = len(known_in[year])
    shorts = await _criteria_short([r.score_id for _, r in failing if r.score_id is not None])
    closest: list[CommuneNote] = []
    for unit, result in failing:
        if result.score_id is not None and result.score_id in shorts:
            count, which = shorts[result.score_id]
            if count <= CLOSE_CRITERIA:
                closest.append(_note(unit, unit_set, result.year, total=result.total, threshold=result.threshold,
                                     criteria_short=count, criteria=which))
        elif result.total is not None:
            threshold = result.threshold or _threshold(result.rule_set, unit.get("commune_type"))
            if threshold is not None and threshold - result.total <= CLOSE_POINTS:
                closest.append(_note(unit, unit_set, result.year, total=result.total, threshold=threshold))
    lost.sort(key=lambda n: (-n.year, n.code))
    closest.sort(key=lambda n: (n.criteria_short if n.criteria_short is not None else CLOSE_CRITERIA + 1,
                                n.points_short or 0, n.code))
    return [rows[year] for year in years], lost, closest, statuses


async def build(area: Unit | None, unit_set: str = "2025") -> Progress:
    """The progress of an area (a unit of either registry) or of the country (`area` None, in `unit_set`)."""
    primary = area.unit_set if area is not None else unit_set
    goals = await targets()
    sets = ["legacy", "2025"] if primary == "2025" else ["legacy"]
    all_rows: list[YearRow] = []
    all_lost: list[CommuneNote] = []
    nearest: dict[str, list[CommuneNote]] = {}
    counts: dict[str, int] = {}
    legacy_status: dict[int, dict[int, bool | None]] = {}
    legacy_years: list[int] = []
    for current in sets:
        if current == "legacy" and primary == "2025":
            communes = await _legacy_inside(area)
        else:
            communes = await _communes(current, area)
        counts[current] = len(communes)
        history = await results_by_commune(current, set(communes))
        registered = await _registrations(current)
        years = sorted({year for own in history.values() for year in own} | set(registered))
        if not communes:
            continue
        country = len(source_provinces(current)) if area is None else 0
        rows, lost, near, statuses = await _series(current, communes, years, history, registered, goals, country)
        all_rows += rows
        all_lost += lost
        nearest[current] = near
        if current == "legacy":
            legacy_status, legacy_years = statuses, years
    if primary == "2025" and legacy_years:
        await _carry(area, [row for row in all_rows if row.unit_set == "legacy"], legacy_status)
    all_lost.sort(key=lambda n: (-n.year, n.unit_set != primary, n.code))
    # The closest as of the latest year: in the current registry once it has results, else the legacy one.
    closest = nearest.get(primary) if any(r.unit_set == primary for r in all_rows) else nearest.get("legacy")
    return Progress(area=area, unit_set=primary, rows=all_rows, lost=all_lost, closest=closest or [],
                    targets=goals, communes=counts)


async def _carry(area: Unit | None, rows: list[YearRow], status: dict[int, dict[int, bool | None]]) -> None:
    """For each legacy year: the area's 2025 communes whose every predecessor met the standard."""
    successors = await _communes("2025", area)
    links = await UnitLink.select(UnitLink.legacy, UnitLink.successor).run()
    predecessors: dict[int, list[int]] = defaultdict(list)
    for link in links:
        if link["successor"] in successors:
            predecessors[link["successor"]].append(link["legacy"])
    for row in rows:
        row.successors = len(successors)
        row.successors_meeting = sum(
            1 for unit_id in successors
            if predecessors[unit_id] and all(status.get(old, {}).get(row.year) for old in predecessors[unit_id]))


# ---------------------------------------------------------------- one commune

@dataclass
class PastResult:
    year: int
    recognised: bool
    total: float | None
    source: str  # "import" | "period"


async def commune_results(unit: Unit) -> list[PastResult]:
    """A commune's results over the years (the one that counts per year), oldest first."""
    history = (await results_by_commune(unit.unit_set, {unit.id})).get(unit.id, {})
    return [PastResult(year, r.recognised, r.total, "period" if r.rank[0] else "import")
            for year, r in sorted(history.items())]


async def predecessor_results(unit: Unit) -> list[dict[str, Any]]:
    """Each predecessor of a 2025 commune with its past results (empty for a legacy commune)."""
    from server.history.crosswalk import predecessors

    links = (await predecessors([unit.id])).get(unit.id, [])
    history = await results_by_commune("legacy", {link.legacy_id for link in links})
    found = []
    for link in links:
        own = history.get(link.legacy_id, {})
        found.append({"link": link, "results": [PastResult(y, r.recognised, r.total,
                                                           "period" if r.rank[0] else "import")
                                                for y, r in sorted(own.items())]})
    return found


def predecessor_summary(found: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The latest year with results among the predecessors, and how many met the standard then.

    For "3 xã cũ: 2 đạt chuẩn năm 2023, 1 chưa đạt" (a predecessor without a result that year is
    counted as "no result").
    """
    years = {r.year for item in found for r in item["results"]}
    if not found:
        return None
    if not years:
        return {"count": len(found), "year": None, "met": 0, "not_met": 0, "unknown": len(found)}
    year = max(years)
    met = not_met = 0
    for item in found:
        before = [r for r in item["results"] if r.year <= year]
        if not before:
            continue
        if before[-1].recognised:
            met += 1
        else:
            not_met += 1
    return {"count": len(found), "year": year, "met": met, "not_met": not_met,
            "unknown": len(found) - met - not_met}
