"""Every picture the site serves: find it in the cache or build its spec (translated, in the
request's language) and render it in the worker thread.

Each function returns a `Picture` (bytes, a fingerprint for the ETag, whether it was cached).
Only public data is read here for the public pictures: `results` gives final lists only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from matplotlib.figure import Figure

from server.core.i18n import N_, current_language, format_number, format_percent, gettext
from server.maps import cache, charts, goals, legend, mapping, outline, playareas, privacy, render, results, share
from server.maps.summary import titles_of
from server.core.tables import Period, Unit

SOURCE = N_("Source: final certification lists published with phuhop; commune positions from the official "
            "registry of administrative units.")
PLAY_SOURCE = N_("Source: play-area surveys of the communes (phuhop).")
PROVISIONAL_NOTE = N_("PROVISIONAL: computed with provisional values of the rule set; not an official score.")
COUNTRY = N_("Viet Nam")
APPROXIMATE = N_("Boundaries of provinces and communes, and coasts, are approximate, drawn from the communes' "
                 "centres; island positions are approximate.")
ARCHIPELAGOS = {"hoang_sa": N_("Hoàng Sa archipelago (Đà Nẵng, Viet Nam)"),
                "truong_sa": N_("Trường Sa archipelago (Khánh Hòa, Viet Nam)")}
MAX_NAMES = 12  # commune names written on one phone-sized map


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


DPI = 200  # 4-inch figures → 800 px: sharp on phones' dense screens


def _missing_note(points: list[results.CommunePoint], boundaries: dict[int, object]) -> str | None:
    missing = sum(1 for p in points if (p.lat is None or p.lon is None) and p.id not in boundaries)
    return gettext(N_("%(count)s communes without coordinates are not shown."),
                   count=format_number(missing)) if missing else None


def _map_points(points: list[results.CommunePoint], boundaries: dict[int, dict]) -> list[mapping.MapPoint]:
    return [mapping.MapPoint(lon=p.lon or 0.0, lat=p.lat or 0.0, category=p.category, population=p.population,
                             geometry=boundaries.get(p.id))
            for p in points if p.id in boundaries or (p.lat is not None and p.lon is not None)]


# ---------------------------------------------------------------- backgrounds

def _archipelagos(shape: outline.Outline) -> tuple[list, list[mapping.Place]]:
    drawn = [(gettext(ARCHIPELAGOS[a.key]), list(a.islands)) for a in shape.archipelagos]
    names = [mapping.Place(lon=max(x for x, _ in a.islands) + 0.3, lat=max(y for _, y in a.islands) + 0.8,
                           name=gettext(ARCHIPELAGOS[a.key]), bold=True) for a in shape.archipelagos]
    return drawn, names


def _within(path: str, area: Unit) -> bool:
    return path == area.path or path.startswith(area.path + "/")


async def background(unit_set: str, area: Unit | None, highlight: set[str] | None = None) -> mapping.Background:
    """Provinces of the unit set, the area's province highlighted, and the names of the places shown.

    The whole country: the provinces with results (`highlight`) and both archipelagos are named. A
    province: it and its neighbours. A district or commune: its province, and the communes around it.
    """
    shape = outline.load(unit_set)
    provinces = [(p.code, mapping.rings(p.geometry)) for p in shape.provinces]
    drawn, island_names = _archipelagos(shape)
    if area is None:
        marked = highlight or set()
        names = [mapping.Place(lon=p.label[0], lat=p.label[1], name=p.name) for p in shape.provinces
                 if p.code in marked]
        return mapping.Background(provinces=provinces, highlight=marked, archipelagos=drawn,
                                  places=names + island_names, national=True)
    top = area.path.strip("/").split("/")[0]
    province_shape = shape.province(top)
    if area.kind == "province":
        insets = [(gettext(ARCHIPELAGOS[a.key]), list(a.islands)) for a in shape.archipelagos
                  if province_shape is not None and province_shape.name.endswith(a.province)]
        names = [mapping.Place(lon=p.label[0], lat=p.label[1], name=p.name, bold=p.code == top)
                 for p in shape.provinces]
        return mapping.Background(provinces=provinces, highlight={top}, archipelagos=drawn, places=names,
                                  insets=insets)
    province = await results.find_area(unit_set, top)
    around = [c for c in await results.commune_points(unit_set, province) if c.lat is not None and c.lon is not None]
    cells = outline.commune_cells(province_shape, [(c.code, c.lon, c.lat) for c in around])
    focus = {c.code for c in around if _within(c.path, area)}
    inside = [c for c in around if c.code in focus]
    names = [mapping.Place(lon=c.lon, lat=c.lat, name=c.name, bold=area.kind == "commune") for c in inside]
    if inside:  # then the neighbours nearest to the area
        lon = sum(c.lon for c in inside) / len(inside)
        lat = sum(c.lat for c in inside) / len(inside)
        near = sorted((c for c in around if c.code not in focus), key=lambda c: (c.lat - lat) ** 2 + (c.lon - lon) ** 2)
        names += [mapping.Place(lon=c.lon, lat=c.lat, name=c.name) for c in near[:MAX_NAMES]]
    return mapping.Background(provinces=provinces, highlight={top}, archipelagos=drawn, places=names,
                              cells=[(code, mapping.rings(geometry)) for code, geometry in cells.items()],
                              focus=focus)


def _percent(share: float) -> str:
    """A share (0..1) as a whole percentage in the page language: "75 %"."""
    return format_percent(share * 100, 0)


def _source(text: str) -> str:
    return f"{gettext(text)} {gettext(APPROXIMATE)}"


# ---------------------------------------------------------------- maps

async def results_map(period: Period, area: Unit | None, fmt: str) -> Picture:
    """Communes of the country, a province or a district, coloured by their public result."""
    key = cache.CacheKey("results-map", area.code if area else "national", str(period.id), current_language(), fmt)
    fingerprint = await results.fingerprint(period_id=period.id, unit_set=period.unit_set, boundaries=True)

    async def spec() -> Callable[[], Figure]:
        points = await results.result_points(period, area)
        shapes = await results.boundaries_for([p.id for p in points])
        listed = {p.path.strip("/").split("/")[0] for p in points if p.category != results.NOT_LISTED}
        map_spec = mapping.MapSpec(
            title=gettext(N_("Child-friendly communes: %(area)s"), area=area_name(area)), subtitle=period.name,
            source=_source(SOURCE), categories=legend.translated(legend.RESULTS),
            points=_map_points(points, shapes), count_format=format_number,
            provisional_note=provisional_note(any(p.provisional for p in points if p.category != results.NOT_LISTED)),
            missing_note=_missing_note(points, shapes),
            background=await background(period.unit_set, area, listed))
        return lambda: mapping.draw_map(map_spec)

    return await _picture(key, fingerprint, spec, dpi=DPI)


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
            source=_source(N_("Source: assessments in phuhop; commune positions from the official registry.")),
            categories=legend.translated(legend.STATES), points=_map_points(points, shapes),
            count_format=format_number, missing_note=_missing_note(points, shapes),
            background=await background(period.unit_set, area))
        return lambda: mapping.draw_map(map_spec)

    return await _picture(key, fingerprint, spec, dpi=DPI)


async def play_area_map(period: Period, area: Unit, fmt: str) -> Picture:
    """The reviewed play areas of a commune or district (playareas), coloured by their safety rating."""
    key = cache.CacheKey("play-map", area.code, str(period.id), current_language(), fmt)
    fingerprint = await results.fingerprint(period_id=period.id, extra=await playareas.fingerprint_parts(period.id))

    async def spec() -> Callable[[], Figure]:
        places = await playareas.play_areas(period.id, period.unit_set, area)
        map_spec = mapping.MapSpec(
            title=gettext(N_("Play areas: %(area)s"), area=area.name), subtitle=period.name,
            source=_source(PLAY_SOURCE), categories=legend.translated(legend.SAFETY), count_format=format_number,
            points=[mapping.MapPoint(lon=p.lon, lat=p.lat, category=p.rating) for p in places],
            missing_note=None if places else gettext(N_("No reviewed play area to show.")),
            background=await background(period.unit_set, area))
        return lambda: mapping.draw_map(map_spec)

    return await _picture(key, fingerprint, spec, dpi=DPI)


# ---------------------------------------------------------------- charts of a commune

async def criteria_chart(period: Period, commune: Unit, entry: results.Entry, fmt: str) -> Picture:
    """The commune's goals, reached or still to reach (the public view of its result)."""
    key = cache.CacheKey("goals-chart", commune.code, str(period.id), current_language(), fmt)
    fingerprint = await results.fingerprint(period_id=period.id, extra=(entry.score_id,))

    async def spec() -> Callable[[], Figure]:
        result = await results.score_result(entry.score_id) or {}
        public = privacy.public_result(result)
        titles = titles_of(result)
        chart = charts.GoalsSpec(
            frame=charts.Frame(title=gettext(N_("Goals for children: %(commune)s"), commune=commune.name),
                               subtitle=period.name, source=gettext(SOURCE),
                               provisional_note=provisional_note(public.provisional)),
            rows=[charts.GoalRow(goals.sentence(public.rules, goal, titles), goal.reached) for goal in public.goals],
            reached_label=gettext(N_("Reached")), to_reach_label=gettext(N_("Still working on it")))
        return lambda: charts.draw_goals(chart)

    return await _picture(key, fingerprint, spec, dpi=DPI)


async def history_chart(commune: Unit, fmt: str) -> Picture:
    key = cache.CacheKey("history-chart", commune.code, commune.unit_set, current_language(), fmt)
    fingerprint = await results.fingerprint(all_periods=True)

    async def spec() -> Callable[[], Figure]:
        history = await results.commune_history(commune)
        chart = charts.HistorySpec(
            frame=charts.Frame(title=gettext(N_("Goals reached over the periods: %(commune)s"), commune=commune.name),
                               subtitle=gettext(N_("Final lists only")), source=gettext(SOURCE),
                               provisional_note=provisional_note(any(h["provisional"] for h in history))),
            points=[charts.HistoryPoint(h["period"], h["reached"], h["goals"], h["certified"]) for h in history],
            goals_label=gettext(N_("Goals reached")), recognised_label=gettext(legend.RESULTS[0].label),
            not_recognised_label=gettext(legend.RESULTS[1].label), count_format=format_number)
        return lambda: charts.draw_history(chart)

    return await _picture(key, fingerprint, spec, dpi=DPI)


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
            percent_format=_percent)
        return lambda: charts.draw_share(chart)

    return await _picture(key, fingerprint, spec, dpi=DPI)


async def goals_chart(period: Period, area: Unit | None, fmt: str) -> Picture:
    """Per goal, the share of the area's listed communes that reached it (from their public results)."""
    key = cache.CacheKey("area-goals", area.code if area else "national", str(period.id), current_language(), fmt)
    fingerprint = await results.fingerprint(period_id=period.id)

    async def spec() -> Callable[[], Figure]:
        listed = [e for e in (await results.period_entries(period.id)).values()
                  if area is None or _within(e.path, area)]
        stored = await results.score_results([e.score_id for e in listed])
        publics = [privacy.public_result(stored.get(e.score_id, {})) for e in listed]
        titles = titles_of(next(iter(stored.values()), {}))
        shares: dict[str, charts.GoalShare] = {}
        for public in publics:
            for goal in public.goals:
                share = shares.setdefault(goal.key, charts.GoalShare(goals.sentence(public.rules, goal, titles), 0, 0))
                share.listed += 1
                share.reached += goal.reached
        chart = charts.AreaGoalsSpec(
            frame=charts.Frame(title=gettext(N_("Goals reached by the communes: %(area)s"), area=area_name(area)),
                               subtitle=gettext(N_("%(period)s · %(count)s communes on final lists"),
                                                period=period.name, count=format_number(len(listed))),
                               source=gettext(SOURCE), provisional_note=provisional_note(any(p.provisional
                                                                                               for p in publics))),
            goals=list(shares.values()), count_format=format_number, percent_format=_percent)
        return lambda: charts.draw_area_goals(chart)

    return await _picture(key, fingerprint, spec, dpi=DPI)


# ---------------------------------------------------------------- the share image

async def share_image(period: Period, commune: Unit, area: Unit | None, entry: results.Entry) -> Picture:
    key = cache.CacheKey("share-image", commune.code, str(period.id), current_language(), "png")
    fingerprint = await results.fingerprint(period_id=period.id, extra=(entry.score_id,))

    async def spec() -> Callable[[], Figure]:
        public = privacy.public_result(await results.score_result(entry.score_id) or {})
        verdict = legend.RESULTS[0] if public.certified else legend.RESULTS[1]
        image = share.ShareSpec(
            commune=commune.name, area=area.name if area else "", period=period.name,
            verdict=gettext(verdict.label), verdict_colour=verdict.colour,
            goals_line=gettext(N_("%(reached)s of %(count)s goals for children reached"),
                               reached=public.reached, count=len(public.goals)),
            source=gettext(SOURCE), goals=[goal.reached for goal in public.goals],
            goal_names=[goal.key for goal in public.goals], goals_label=gettext(N_("Goals")),
            provisional_note=provisional_note(public.provisional))
        return lambda: share.draw_share(image)

    return await _picture(key, fingerprint, spec, dpi=share.DPI)
