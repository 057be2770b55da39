"""Progress for people: the chart (cached by a fingerprint of the data), the XLSX, and the texts around them.

One `Progress` per area is kept in memory while the data it was computed from is unchanged
(`fingerprint`: counts, sums and highest ids of the rows read), so a page and its two images
compute it once.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from matplotlib.figure import Figure

from server.core.i18n import N_, current_language, format_number, format_percent, gettext
from server.core.tables import Unit
from server.history import chart, progress
from server.maps import cache, exports, render, results
from server.maps.pictures import Picture

COUNTRY = N_("Viet Nam")
SOURCE = N_("Source: past rounds imported from the provinces' lists, final lists published with phuhop, "
            "registrations.")
REGISTRY_LABELS = {"legacy": N_("registry before 1 July 2025"), "2025": N_("2025 registry")}
CHART_REGISTRY = {"legacy": N_("before the 2025 merger"), "2025": N_("after the merger")}
MEASURE_LINE = {"registered": N_("Registered, %(registry)s"), "meeting": N_("Meeting the standard, %(registry)s")}
SUCCESSORS_LINE = N_("2025 communes whose every former commune met the standard")
TARGET_LEGEND = {"registered": N_("Target registered: %(goals)s"),
                 "meeting": N_("Target meeting the standard: %(goals)s")}
_MEMO: OrderedDict[tuple[str, str, str], progress.Progress] = OrderedDict()
_MEMO_SIZE = 16


async def fingerprint() -> str:
    """A short hash of every row progress reads (aggregates only: cheap)."""
    await progress.targets()  # stores the default targets on first use, before they are counted
    sql = ('SELECT (SELECT COUNT(*) FROM "history_row") AS a, (SELECT MAX("id") FROM "history_row") AS b, '
           '(SELECT COUNT(*) FROM "history_row" WHERE "status" IN ({}, {})) AS c, '
           '(SELECT MAX("resolved_at") FROM "history_row") AS d, '
           '(SELECT COUNT(*) FROM "registration") AS e, (SELECT MAX("id") FROM "registration") AS f, '
           '(SELECT SUM("version") FROM "registration") AS g, '
           '(SELECT COUNT(*) FROM "registration" WHERE "withdrawn_on" IS NULL) AS h, '
           '(SELECT COUNT(*) FROM "progress_target") AS i, (SELECT MAX("updated_at") FROM "progress_target") AS j, '
           '(SELECT SUM("percent" + "year") FROM "progress_target") AS k, (SELECT COUNT(*) FROM "unit_link") AS l, '
           '(SELECT COUNT(*) FROM "unit") AS m, (SELECT MAX("id") FROM "unit") AS n')
    rows = await Unit.raw(sql, "matched", "resolved").run()
    parts = [str(value) for value in rows[0].values()] + [await results.fingerprint(all_periods=True)]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


async def progress_of(area: Unit | None, unit_set: str = "2025", mark: str | None = None) -> progress.Progress:
    """`progress.build`, remembered while the data is unchanged (`mark`: a fingerprint already computed)."""
    mark = mark or await fingerprint()
    key = (area.key if area is not None else f"country:{unit_set}", mark, "")
    found = _MEMO.get(key)
    if found is None:
        found = await progress.build(area, unit_set)
        _MEMO[key] = found
        while len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)
    else:
        _MEMO.move_to_end(key)
    return found


def area_name(area: Unit | None) -> str:
    return area.name if area is not None else gettext(COUNTRY)


def scope_name(found: progress.Progress) -> str:
    """The area's name, as true as the figures: "Việt Nam" only when every province has results in the
    latest year shown, else what part of it they cover."""
    name, row = area_name(found.area), found.last
    if row is None or row.complete:
        return name
    if row.provinces > 1 and row.provinces_known < row.provinces:
        return gettext(N_("%(area)s (results from %(known)s of %(total)s provinces)"), area=name,
                       known=format_number(row.provinces_known), total=format_number(row.provinces))
    return gettext(N_("%(area)s (results for %(known)s of %(total)s communes)"), area=name,
                   known=format_number(row.known), total=format_number(row.communes))


def coverage_notes(found: progress.Progress) -> list[str]:
    """What the figures leave out, per registry (its latest year): communes without any result, provinces
    without any result or registration."""
    notes = []
    for unit_set in ("2025", "legacy"):
        rows = [row for row in found.rows if row.unit_set == unit_set]
        if not rows:
            continue
        row, registry = rows[-1], gettext(REGISTRY_LABELS[unit_set])
        partial_registry = row.known == row.communes and not row.complete  # all the registry holds: part of the country
        if partial_registry:
            notes.append(gettext(N_("%(year)s (%(registry)s): the registry holds %(known)s of the country's %(total)s "
                                    "provinces: these figures are theirs only."), year=row.year, registry=registry,
                                 known=format_number(row.provinces_known), total=format_number(row.provinces)))
        elif not row.complete:
            where = gettext(N_(", in %(known)s of %(total)s provinces"), known=format_number(row.provinces_known),
                            total=format_number(row.provinces)) if row.provinces > 1 else ""
            notes.append(gettext(N_("%(year)s (%(registry)s): results are known for %(known)s of %(total)s communes"
                                    "%(where)s. The others count as not meeting the standard, so the share is lower "
                                    "than the true one until every list is imported."),
                                 year=row.year, registry=registry, known=format_number(row.known),
                                 total=format_number(row.communes), where=where))
        if row.registered and row.provinces > 1 and row.provinces_registered < row.provinces \
                and not (partial_registry and row.provinces_registered == row.provinces_known):
            notes.append(gettext(N_("%(year)s (%(registry)s): registrations are recorded in %(known)s of %(total)s "
                                    "provinces only."), year=row.year, registry=registry,
                                 known=format_number(row.provinces_registered), total=format_number(row.provinces)))
    return notes


def percent(value: float | None) -> str:
    return format_percent(value, 1) if value is not None else "–"


def _spec(found: progress.Progress) -> chart.ProgressSpec:
    lines: list[chart.Line] = []
    for unit_set in ("legacy", "2025"):
        rows = [row for row in found.rows if row.unit_set == unit_set]
        if not rows:
            continue
        registry = gettext(CHART_REGISTRY[unit_set])
        dashed = unit_set == "legacy" and found.unit_set == "2025"
        meeting = [(row.year, row.meeting_share) for row in rows if row.meeting_share is not None]
        registered = [(row.year, row.registered_share) for row in rows if row.registered]
        if meeting:
            lines.append(chart.Line(gettext(MEASURE_LINE["meeting"], registry=registry), [y for y, _ in meeting],
                                    [s for _, s in meeting], chart.MEETING, dashed, "o"))
        if registered:
            lines.append(chart.Line(gettext(MEASURE_LINE["registered"], registry=registry),
                                    [y for y, _ in registered], [s for _, s in registered], chart.REGISTERED, dashed,
                                    "s"))
    targets, legend = [], []
    for measure, colour in (("meeting", chart.TARGET), ("registered", chart.REGISTERED)):
        chosen = sorted((t for t in found.targets if t.measure == measure), key=lambda t: t.year)
        targets += [chart.TargetMark(t.year, t.percent, colour) for t in chosen]
        if chosen:
            goals = ", ".join(gettext(N_("%(percent)s by %(year)s"), percent=format_percent(t.percent, 0), year=t.year)
                              for t in chosen)
            legend.append((colour, gettext(TARGET_LEGEND[measure], goals=goals)))
    return chart.ProgressSpec(
        title=gettext(N_("Progress toward the targets: %(area)s"), area=scope_name(found)),
        subtitle=gettext(N_("Share of communes registered and meeting the standard, by year")),
        source=gettext(SOURCE), lines=lines, targets=targets, target_legend=legend,
        percent=lambda v: format_percent(v, 0),
        empty_note=gettext(N_("No results or registrations yet.")))


async def picture(area: Unit | None, unit_set: str, layout: str, fmt: str) -> Picture:
    mark = await fingerprint()
    scope = area.key if area is not None else f"country-{unit_set}"
    key = cache.CacheKey(f"progress-{layout}-{chart.VERSION}", scope, "all", current_language(), fmt)

    async def make() -> bytes:
        spec = _spec(await progress_of(area, unit_set, mark))
        draw: Callable[[], Figure] = lambda: chart.draw(spec, layout)  # noqa: E731
        return await render.render(draw, fmt, chart.LAYOUTS[layout][1])  # type: ignore[arg-type]

    content, hit = await cache.get_or_make(key, mark, make)
    return Picture(content, f"{mark[:24]}-{chart.VERSION}-{layout}", hit, render.MEDIA_TYPES[fmt])


# ---------------------------------------------------------------- the sentences and the spreadsheet

def headline(found: progress.Progress) -> dict[str, Any] | None:
    """The latest year of the current registry (else the latest) in words."""
    row = found.last
    if row is None:
        return None
    goal = next((t for t in sorted(found.targets, key=lambda t: t.year)
                 if t.measure == "meeting" and t.year >= row.year), None)
    return {"row": row, "goal": goal,
            "registry": gettext(REGISTRY_LABELS[row.unit_set])}


def summary_text(summary: dict[str, Any] | None) -> str:
    """"3 xã cũ: 2 đạt chuẩn năm 2023, 1 chưa đạt" — the predecessors of a 2025 commune in one line."""
    if not summary:
        return ""
    if summary["year"] is None:
        return gettext(N_("%(count)s former communes, no result imported yet"), count=summary["count"])
    text = gettext(N_("%(count)s former communes: %(met)s met the standard in %(year)s, %(not_met)s did not"),
                   count=summary["count"], met=summary["met"], year=summary["year"], not_met=summary["not_met"])
    if summary["unknown"]:
        text += gettext(N_(", %(unknown)s without a result"), unknown=summary["unknown"])
    return text


async def commune_line(unit: Unit) -> str:
    """The one line a commune's other pages show of its history: its former communes' results (2025)."""
    if unit.unit_set != "2025":
        return ""
    return summary_text(progress.predecessor_summary(await progress.predecessor_results(unit)))


def year_table(found: progress.Progress) -> exports.Table:
    header = [gettext(N_("Year")), gettext(N_("Registry")), gettext(N_("Communes")), gettext(N_("Registered")),
              gettext(N_("Registered (%)")), gettext(N_("Target registered (%)")),
              gettext(N_("Meeting the standard")), gettext(N_("Meeting the standard (%)")),
              gettext(N_("Target meeting the standard (%)")), gettext(N_("Assessed that year")),
              gettext(N_("Communes with a result")), gettext(N_("Provinces with a result")),
              gettext(N_("Lost the standard")), gettext(SUCCESSORS_LINE)]
    rows = [[row.year, gettext(REGISTRY_LABELS[row.unit_set]), row.communes, row.registered,
             _round(row.registered_share), row.target_registered, row.meeting, _round(row.meeting_share),
             row.target_meeting, row.assessed, row.known, f"{row.provinces_known}/{row.provinces}", row.lost,
             "" if row.successors is None else f"{row.successors_meeting}/{row.successors}"]
            for row in found.rows]
    return exports.Table(title=gettext(N_("Progress")), header=header, rows=rows)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def notes_table(title: str, notes: list[progress.CommuneNote], *, details: bool) -> exports.Table:
    header = [gettext(N_("Code")), gettext(N_("Commune")), gettext(N_("Belongs to")), gettext(N_("Registry")),
              gettext(N_("Year"))]
    if details:
        header += [gettext(N_("Total points")), gettext(N_("Threshold")), gettext(N_("Criteria short")),
                   gettext(N_("Criteria to raise"))]
    rows = []
    for note in notes:
        row: list[Any] = [note.code, note.name, note.parent, gettext(REGISTRY_LABELS[note.unit_set]), note.year]
        if details:
            row += [note.total, note.threshold, note.criteria_short, ", ".join(note.criteria)]
        rows.append(row)
    return exports.Table(title=title, header=header, rows=rows)


def workbook(found: progress.Progress, *, details: bool) -> bytes:
    """The progress as XLSX: years, communes that lost the standard, communes closest to it."""
    return exports.to_xlsx([
        year_table(found),
        notes_table(gettext(N_("Lost the standard")), found.lost, details=details),
        notes_table(gettext(N_("Closest to the standard")), found.closest, details=details),
    ], gettext(N_("Progress toward the targets: %(area)s"), area=scope_name(found)))


def format_count(value: int | None) -> str:
    return format_number(value) if value is not None else "–"
