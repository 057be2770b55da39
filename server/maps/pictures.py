"""Every picture the site serves: find it in the cache or build its spec (translated, in the
request's language) and render it in the worker thread.

Each function returns a `Picture` (bytes, a fingerprint for the ETag, whether it was cached).
Only public data is read here for the public pictures: `results` gives final lists only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from matplotlib.figure import Figure

from scoring import COMMUNE_TYPE_LABELS
from server.core.i18n import N_, current_language, format_number, format_percent, gettext
from server.maps import cache, charts, legend, mapping, playareas, render, results, share
from server.core.templating import localized
from server.core.tables import Period, Unit

SOURCE = N_("Source: final certification lists published with phuhop; commune positions from the official "
            "registry of administrative units.")
PLAY_SOURCE = N_("Source: play-area surveys of the communes (phuhop).")
PROVISIONAL_NOTE = N_("PROVISIONAL: computed with provisional values of the rule set; not an official score.")
COUNTRY = N_("Viet Nam")


@dataclass(frozen=True)
class Picture:
    content: bytes
    fingerprint: str
    cached: bool
    media_type: str


def area_name(area: Unit | None) -> str:
    return area.name if area is not None else gettext(COUNTRY)


def provisional_note(provisional: bool) -> str | None:
    return gettext(PROVISIONAL_NOTE) if provisional else None


async def _picture(key: cache.CacheKey, fingerprint: str, spec: Callable[[], Awaitable[Callable[[], Figure]]],
                   dpi: int = 100) -> Picture:
    async def make() -> bytes:
        return await render.render(await spec(), key.format, dpi)  # type: ignore[arg-type]

    content, hit = await cache.get_or_make(key, fingerprint, make)
    return Picture(content, fingerprint, hit, render.MEDIA_TYPES[key.format])


def _missing_note(points: list[results.CommunePoint], boundaries: dict[int, object]) -> str | None:
    missing = sum(1 for p in points if (p.lat is None or p.lon is None) and p.id not in boundaries)
    return gettext(N_("%(count)s communes without coordinates are not shown."),
                   count=format_number(missing)) if missing else None


def _map_points(points: list[results.CommunePoint], boundaries: dict[int, dict]) -> list[mapping.MapPoint]:
    return [mapping.MapPoint(lon=p.lon or 0.0, lat=p.lat or 0.0, category=p.category, population=p.population,
                             geometry=boundaries.get(p.id))
            for p in points if p.id in boundaries or (p.lat is not None and p.lon is not None)]


# ---------------------------------------------------------------- maps

async def results_map(period: Period, area: Unit | None, fmt: str) -> Picture:
    """Communes of the country, a province or a district, coloured by their public result."""
    key = cache.CacheKey("results-map", area.code if area else "national", str(period.id), current_language(), fmt)
    fingerprint = await results.fingerprint(period_id=period.id, unit_set=period.unit_set, boundaries=True)

    async def spec() -> Callable[[], Figure]:
        points = await results.result_points(period, area)
        shapes = await results.boundaries_for([p.id for p in points])
        map_spec = mapping.MapSpec(
            title=gettext(N_("Child-friendly communes: %(area)s"), area=area_name(area)), subtitle=period.name,
            source=gettext(SOURCE), categories=legend.translated(legend.RESULTS),
            points=_map_points(points, shapes), count_format=format_number,
            provisional_note=provisional_note(any(p.provisional for p in points if p.category != results.NOT_LISTED)),
            missing_note=_missing_note(points, shapes))
        return lambda: mapping.draw_map(map_spec)

    return await _picture(key, fingerprint, spec)


async def state_map(period: Period, area: Unit | None, fmt: str) -> Picture:
    """Communes coloured by the state of their assessment (for reviewers and admins, not public)."""
    key = cache.CacheKey("state-map", area.code if area else "national", str(period.id), current_language(), fmt)
    fingerprint = await results.fingerprint(period_id=period.id, unit_set=period.unit_set, boundaries=True,
                                            states=True)

    async def spec() -> Callable[[], Figure]:
        points = await results.state_points(period, area)
        shapes = await results.boundaries_for([p.id for p in points])
        map_spec = mapping.MapSpec(
            title=gettext(N_("Assessment progress: %(area)s"), area=area_name(area)), subtitle=period.name,
            source=gettext(N_("Source: assessments in phuhop; commune positions from the official registry.")),
            categories=legend.translated(legend.STATES), points=_map_points(points, shapes),
            count_format=format_number, missing_note=_missing_note(points, shapes))
        return lambda: mapping.draw_map(map_spec)

    return await _picture(key, fingerprint, spec)


async def play_area_map(period: Period, area: Unit, fmt: str) -> Picture:
    """Every surveyed play area of a commune or district, coloured by its safety rating."""
    key = cache.CacheKey("play-map", area.code, str(period.id), current_language(), fmt)
    fingerprint = await results.fingerprint(extra=await playareas.fingerprint_parts(period.id))

    async def spec() -> Callable[[], Figure]:
        places = await playareas.play_areas(period.id, period.unit_set, area)
        map_spec = mapping.MapSpec(
            title=gettext(N_("Play areas: %(area)s"), area=area.name), subtitle=period.name,
            source=gettext(PLAY_SOURCE), categories=legend.translated(legend.SAFETY), count_format=format_number,
            points=[mapping.MapPoint(lon=p.lon, lat=p.lat, category=p.rating) for p in places])
        return lambda: mapping.draw_map(map_spec)

    return await _picture(key, fingerprint, spec)


# ---------------------------------------------------------------- charts of a commune

def criteria_bars(result: dict) -> list[charts.CriterionBar]:
    return [charts.CriterionBar(label=f"{c['id']}. {localized(c['title'])}", points=c["points"], max=c["max"])
            for c in result.get("criteria", [])]


async def criteria_chart(period: Period, commune: Unit, entry: results.Entry, fmt: str) -> Picture:
    key = cache.CacheKey("criteria-chart", commune.code, str(period.id), current_language(), fmt)
    fingerprint = await results.fingerprint(period_id=period.id, extra=(entry.score_id,))

    async def spec() -> Callable[[], Figure]:
        result = await results.score_result(entry.score_id) or {}
        chart = charts.CriteriaSpec(
            frame=charts.Frame(title=gettext(N_("Points per criterion: %(commune)s"), commune=commune.name),
                               subtitle=period.name, source=gettext(SOURCE),
                               provisional_note=provisional_note(entry.provisional)),
            bars=criteria_bars(result), points_label=gettext(N_("points")),
            legend_points=gettext(N_("Points earned")), legend_max=gettext(N_("Maximum")),
            count_format=format_number)
        return lambda: charts.draw_criteria(chart)

    return await _picture(key, fingerprint, spec)


async def history_chart(commune: Unit, fmt: str) -> Picture:
    key = cache.CacheKey("history-chart", commune.code, commune.unit_set, current_language(), fmt)
    fingerprint = await results.fingerprint(all_periods=True)

    async def spec() -> Callable[[], Figure]:
        history = await results.commune_history(commune)
        chart = charts.HistorySpec(
            frame=charts.Frame(title=gettext(N_("Total points over the periods: %(commune)s"), commune=commune.name),
                               subtitle=gettext(N_("Final lists only")), source=gettext(SOURCE),
                               provisional_note=provisional_note(any(h["provisional"] for h in history))),
            points=[charts.HistoryPoint(h["period"], h["total"], h["threshold"], h["certified"]) for h in history],
            total_label=gettext(N_("Total points")), threshold_label=gettext(N_("Threshold")),
            count_format=format_number)
        return lambda: charts.draw_history(chart)

    return await _picture(key, fingerprint, spec)


# ---------------------------------------------------------------- charts of an area

async def share_chart(unit_set: str, area: Unit | None, fmt: str) -> Picture:
    key = cache.CacheKey("share-chart", area.code if area else "national", unit_set, current_language(), fmt)
    fingerprint = await results.fingerprint(all_periods=True)

    async def spec() -> Callable[[], Figure]:
        history = await results.area_history(unit_set, area)
        chart = charts.ShareSpec(
            frame=charts.Frame(title=gettext(N_("Communes recognised over the periods: %(area)s"),
                                             area=area_name(area)),
                               subtitle=gettext(N_("Share of the communes on final lists")), source=gettext(SOURCE),
                               provisional_note=provisional_note(any(h["provisional"] for h in history))),
            periods=[h["period"] for h in history], recognised=[h["recognised"] for h in history],
            listed=[h["listed"] for h in history], share_label=gettext(N_("Recognised")), count_format=format_number,
            percent_format=lambda share: format_percent(share * 100, 0))
        return lambda: charts.draw_share(chart)

    return await _picture(key, fingerprint, spec)


async def totals_chart(period: Period, area: Unit | None, fmt: str) -> Picture:
    key = cache.CacheKey("totals-chart", area.code if area else "national", str(period.id), current_language(), fmt)
    fingerprint = await results.fingerprint(period_id=period.id)

    async def spec() -> Callable[[], Figure]:
        listed = [e for e in (await results.period_entries(period.id)).values()
                  if area is None or e.path == area.path or e.path.startswith(area.path + "/")]
        thresholds: dict[int, str] = {}
        for entry in listed:
            kind = gettext(COMMUNE_TYPE_LABELS.get(entry.commune_type, entry.commune_type))
            thresholds[entry.threshold] = gettext(N_("Threshold %(points)s: %(kind)s"), points=entry.threshold,
                                                  kind=kind)
        chart = charts.TotalsSpec(
            frame=charts.Frame(title=gettext(N_("Distribution of total points: %(area)s"), area=area_name(area)),
                               subtitle=period.name, source=gettext(SOURCE),
                               provisional_note=provisional_note(any(e.provisional for e in listed))),
            totals=[e.total for e in listed], thresholds=thresholds,
            communes_label=gettext(N_("Communes")), total_label=gettext(N_("Total points")),
            count_format=format_number)
        return lambda: charts.draw_totals(chart)

    return await _picture(key, fingerprint, spec)


# ---------------------------------------------------------------- the share image

async def share_image(period: Period, commune: Unit, area: Unit | None, entry: results.Entry) -> Picture:
    key = cache.CacheKey("share-image", commune.code, str(period.id), current_language(), "png")
    fingerprint = await results.fingerprint(period_id=period.id, extra=(entry.score_id,))

    async def spec() -> Callable[[], Figure]:
        result = await results.score_result(entry.score_id) or {}
        verdict = legend.RESULTS[0] if entry.certified else legend.RESULTS[1]
        image = share.ShareSpec(
            commune=commune.name, area=area.name if area else "", period=period.name,
            verdict=gettext(verdict.label), verdict_colour=verdict.colour,
            total_line=gettext(N_("%(total)s / %(max)s points"), total=format_number(entry.total),
                               max=format_number(result.get("max", 1000))),
            threshold_line=gettext(N_("Needed for recognition: %(threshold)s points"),
                                   threshold=format_number(entry.threshold)),
            source=gettext(SOURCE), criteria=[(c["points"], c["max"]) for c in result.get("criteria", [])],
            criteria_label=gettext(N_("Points per criterion")), provisional_note=provisional_note(entry.provisional))
        return lambda: share.draw_share(image)

    return await _picture(key, fingerprint, spec, dpi=share.DPI)
