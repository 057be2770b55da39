"""Public results, no login: final certification lists, maps, charts, downloads, and a summary of
each listed commune for children's forums (with a large-print view and a share image).

Only final lists are public: a period without one, a list that is a draft or posted for comment,
or a commune on no final list answers 404 here. Pictures are cached (server/maps/cache.py) and
served with an ETag, so a phone that already has one gets 304.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from scoring import COMMUNE_TYPE_LABELS
from server.core.filenames import attachment, export_name
from server.core.i18n import N_, current_language, gettext
from server.maps import exports, geojson, goals, legend, pictures, playareas, privacy, results, summary
from server.maps.render import MEDIA_TYPES
from server.core.tables import Period, Unit
from server.review.collation import sort_key

NOT_PUBLIC = N_("These results are not public yet: only final lists are published.")
IMAGE_FORMATS = ("png", "svg")
AreaParam = Annotated[str | None, QueryParameter(name="area", required=False, max_length=16)]


# ---------------------------------------------------------------- look-ups (404 unless public)

async def _period(period_id: int) -> Period:
    period = await results.public_period(period_id)
    if period is None:
        raise NotFoundException(NOT_PUBLIC)
    return period


async def _area(period: Period, code: str | None) -> Unit | None:
    if not code:
        return None
    area = await results.find_area(period.unit_set, code)
    if area is None:
        raise NotFoundException(N_("There is no province or district with this code."))
    return area


async def _listed(period: Period, code: str) -> tuple[Unit, results.Entry]:
    commune = await results.find_commune(period.unit_set, code)
    entry = (await results.period_entries(period.id)).get(commune.id) if commune else None
    if commune is None or entry is None:
        raise NotFoundException(NOT_PUBLIC)
    return commune, entry


async def _province_of(commune: Unit) -> Unit | None:
    top = commune.path.strip("/").split("/")[0]
    return await results.find_area(commune.unit_set, top)


def _format(fmt: str, allowed: tuple[str, ...] = IMAGE_FORMATS) -> str:
    if fmt not in allowed:
        raise NotFoundException(N_("This page does not exist."))
    return fmt


def picture_response(request: Request, picture: pictures.Picture, filename: str | None = None,
                     cache_control: str = "public, max-age=300") -> Response:
    """The image with an ETag (304 on a repeat); non-public pictures pass `cache_control="private, …"`."""
    etag = f'"{picture.fingerprint}-{current_language()}"'
    headers = {"etag": etag, "cache-control": cache_control, "vary": "Accept-Language, Cookie",
               "x-phuhop-cache": "hit" if picture.cached else "miss"}
    if filename:
        headers["content-disposition"] = f'attachment; filename="{filename}"'
    if request.headers.get("if-none-match") == etag:
        return Response(b"", status_code=304, headers=headers)
    return Response(picture.content, media_type=picture.media_type, headers=headers)


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(content, media_type=media_type,
                    headers={"content-disposition": attachment(filename),
                             "cache-control": "public, max-age=300"})


# ---------------------------------------------------------------- pages

@get("/public", name="public_index", include_in_schema=False)
async def index() -> Template:
    periods = await results.public_periods()
    return Template("public_index.html", context={"periods": periods})


@get("/public/{period_id:int}", name="public_period", include_in_schema=False)
async def period_page(period_id: FromPath[int]) -> Template:
    period = await _period(period_id)
    lists = await results.final_lists(period.id)
    listed = await results.period_entries(period.id)
    by_list: dict[int, list[results.Entry]] = {}
    for entry in listed.values():
        by_list.setdefault(entry.list_id, []).append(entry)
    rows = [{"list": item, "listed": len(by_list.get(item.id, [])),
             "recognised": sum(1 for e in by_list.get(item.id, []) if e.certified)} for item in lists]
    return Template("public_period.html", context={
        "period": period, "rows": rows, "provisional": any(e.provisional for e in listed.values())})


UNIT_PREFIXES = ("Thị trấn ", "Phường ", "Đặc khu ", "Xã ")


def name_order(name: str) -> tuple:
    """Vietnamese alphabetical order of the commune's own name ("Xã Đông Phong" sorts under Đ)."""
    own = next((name[len(prefix):] for prefix in UNIT_PREFIXES if name.startswith(prefix)), name)
    return sort_key(own), sort_key(name)


@dataclass
class PublicRow:
    """A commune's line on a public list: registry facts and its `PublicResult`, nothing else."""

    code: str
    name: str
    commune_type: str
    result: privacy.PublicResult
    score_id: int  # to read criterion titles; never shown


async def public_rows(item: results.PublicList) -> tuple[list[PublicRow], dict[int, dict[str, Any]]]:
    """The list's communes in Vietnamese name order, with their public results (and the stored results)."""
    rows = await results.entries([item.id])
    scores = await results.score_results([e.score_id for e in rows])
    out = [PublicRow(code=e.code, name=e.name, commune_type=e.commune_type,
                     result=privacy.public_result(scores.get(e.score_id, {})), score_id=e.score_id) for e in rows]
    return sorted(out, key=lambda row: name_order(row.name)), scores


@get("/public/{period_id:int}/lists/{list_id:int}", name="public_list", include_in_schema=False)
async def list_page(period_id: FromPath[int], list_id: FromPath[int]) -> Template:
    period = await _period(period_id)
    item = await results.public_list(period.id, list_id)
    if item is None:
        raise NotFoundException(NOT_PUBLIC)
    rows, _ = await public_rows(item)
    return Template("public_list.html", context={
        "period": period, "item": item, "rows": rows, "type_labels": COMMUNE_TYPE_LABELS,
        "provisional": any(row.result.provisional for row in rows)})


@get("/public/{period_id:int}/communes/{code:str}", name="public_commune", include_in_schema=False)
async def commune_page(period_id: FromPath[int], code: FromPath[str],
                       view: Annotated[str, QueryParameter(name="view", required=False, max_length=16)] = "") -> Template:
    period = await _period(period_id)
    commune, entry = await _listed(period, code)
    result = await results.score_result(entry.score_id) or {}
    return Template("public_commune.html", context={
        "period": period, "commune": commune, "entry": entry, "province": await _province_of(commune),
        "summary": summary.summarise(result), "large": view == "large"})


# ---------------------------------------------------------------- pictures

@get("/public/{period_id:int}/map/{fmt:str}", name="public_map", include_in_schema=False)
async def results_map(request: Request, period_id: FromPath[int], fmt: FromPath[str],
                      area: AreaParam = None) -> Response:
    period = await _period(period_id)
    place = await _area(period, area)
    if fmt == "geojson":
        points = await results.result_points(period, place)
        shapes = await results.boundaries_for([p.id for p in points])
        labels = {key: label for key, (label, _) in legend.translated(legend.RESULTS).items()}
        collection = geojson.communes(points, shapes, labels, extra={
            "name": f"{period.name} – {pictures.area_name(place)}",
            "provisional_note": pictures.provisional_note(any(p.provisional for p in points))})
        return _download(geojson.dumps(collection), MEDIA_TYPES["geojson"],
                         export_name("bản đồ kết quả", place.name if place else "Việt Nam", period.year, ext="geojson"))
    picture = await pictures.results_map(period, place, _format(fmt))
    return picture_response(request, picture)


@get("/public/{period_id:int}/goals/{fmt:str}", name="public_goals", include_in_schema=False)
async def goals_chart(request: Request, period_id: FromPath[int], fmt: FromPath[str],
                      area: AreaParam = None) -> Response:
    period = await _period(period_id)
    return picture_response(request, await pictures.goals_chart(period, await _area(period, area), _format(fmt)))


@get("/public/{period_id:int}/recognised/{fmt:str}", name="public_recognised", include_in_schema=False)
async def recognised_chart(request: Request, period_id: FromPath[int], fmt: FromPath[str],
                           area: AreaParam = None) -> Response:
    period = await _period(period_id)
    picture = await pictures.share_chart(period.unit_set, await _area(period, area), _format(fmt))
    return picture_response(request, picture)


@get("/public/{period_id:int}/communes/{code:str}/criteria/{fmt:str}", name="public_criteria",
     include_in_schema=False)
async def criteria_chart(request: Request, period_id: FromPath[int], code: FromPath[str],
                         fmt: FromPath[str]) -> Response:
    period = await _period(period_id)
    commune, entry = await _listed(period, code)
    return picture_response(request, await pictures.criteria_chart(period, commune, entry, _format(fmt)))


@get("/public/{period_id:int}/communes/{code:str}/history/{fmt:str}", name="public_history",
     include_in_schema=False)
async def history_chart(request: Request, period_id: FromPath[int], code: FromPath[str],
                        fmt: FromPath[str]) -> Response:
    period = await _period(period_id)
    commune, _ = await _listed(period, code)
    return picture_response(request, await pictures.history_chart(commune, _format(fmt)))


@get("/public/{period_id:int}/communes/{code:str}/share.png", name="public_share", include_in_schema=False)
async def share_image(request: Request, period_id: FromPath[int], code: FromPath[str]) -> Response:
    period = await _period(period_id)
    commune, entry = await _listed(period, code)
    picture = await pictures.share_image(period, commune, await _province_of(commune), entry)
    return picture_response(request, picture)


@get("/public/{period_id:int}/play-areas/{fmt:str}", name="public_play_areas", include_in_schema=False)
async def play_area_map(request: Request, period_id: FromPath[int], fmt: FromPath[str],
                        area: Annotated[str, QueryParameter(name="area", max_length=16)]) -> Response:
    """Play areas of one commune or district (a province has too many to read on one map)."""
    period = await _period(period_id)
    place = await results.find_commune(period.unit_set, area) or await _area(period, area)
    if place is None or place.kind == "province":
        raise NotFoundException(N_("Give the code of a commune or a district."))
    if fmt == "geojson":
        labels = {key: label for key, (label, _) in legend.translated(legend.SAFETY).items()}
        places = await playareas.play_areas(period.id, period.unit_set, place)
        collection = geojson.play_areas(places, labels, playareas.kind_labels(), extra={"name": place.name})
        return _download(geojson.dumps(collection),
                         MEDIA_TYPES["geojson"], export_name("điểm vui chơi", place.name, period.year, ext="geojson"))
    return picture_response(request, await pictures.play_area_map(period, place, _format(fmt)))


# ---------------------------------------------------------------- downloads of a list

def _yes_no(value: bool) -> str:
    return gettext(N_("Yes")) if value else gettext(N_("No"))


def _list_table(rows: list[PublicRow]) -> exports.Table:
    mark = gettext(N_("PROVISIONAL"))
    keys = rows[0].result.goals if rows else ()
    header = [gettext(N_("Code")), gettext(N_("Commune")), gettext(N_("Commune type")), gettext(N_("Result")),
              gettext(N_("Provisional values")), gettext(N_("Goals reached"))]
    header += [gettext(N_("Goal %(criteria)s reached"), criteria=goal.key) for goal in keys]
    body = []
    for row in rows:
        verdict = legend.RESULTS[0] if row.result.certified else legend.RESULTS[1]
        body.append([row.code, row.name, gettext(COMMUNE_TYPE_LABELS.get(row.commune_type, row.commune_type)),
                     gettext(verdict.label), mark if row.result.provisional else "",
                     f"{row.result.reached}/{len(row.result.goals)}",
                     *[_yes_no(goal.reached) for goal in row.result.goals]])
    return exports.Table(title=gettext(N_("List")), header=header, rows=body)


def _goals_table(rows: list[PublicRow], scores: dict[int, dict[str, Any]]) -> exports.Table:
    """One row per commune and goal: the goal said for children, and whether it was reached."""
    mark = gettext(N_("PROVISIONAL"))
    header = [gettext(N_("Code")), gettext(N_("Commune")), gettext(N_("Criteria")), gettext(N_("Goal")),
              gettext(N_("Reached")), gettext(N_("Provisional values"))]
    body = []
    for row in rows:
        titles = summary.titles_of(scores.get(row.score_id, {}))
        for goal in row.result.goals:
            body.append([row.code, row.name, goal.key, goals.sentence(row.result.rules, goal, titles),
                         _yes_no(goal.reached), mark if row.result.provisional else ""])
    return exports.Table(title=gettext(N_("Goals")), header=header, rows=body)


@get("/public/{period_id:int}/lists/{list_id:int}/download/{name:str}", name="public_download",
     include_in_schema=False)
async def download(period_id: FromPath[int], list_id: FromPath[int], name: FromPath[str]) -> Response:
    period = await _period(period_id)
    item = await results.public_list(period.id, list_id)
    if item is None or name not in ("list.csv", "figures.csv", "list.xlsx"):
        raise NotFoundException(NOT_PUBLIC)
    rows, scores = await public_rows(item)
    about = (item.area_name, period.year, f"lần {item.revision}")
    if name == "list.csv":
        return _download(exports.to_csv(_list_table(rows)), MEDIA_TYPES["csv"],
                         export_name("danh sách công nhận", *about, ext="csv"))
    if name == "figures.csv":
        return _download(exports.to_csv(_goals_table(rows, scores)), MEDIA_TYPES["csv"],
                         export_name("mục tiêu đã đạt", *about, ext="csv"))
    note = pictures.provisional_note(any(row.result.provisional for row in rows))
    content = exports.to_xlsx([_list_table(rows), _goals_table(rows, scores)], note)
    return _download(content, MEDIA_TYPES["xlsx"], export_name("danh sách công nhận", *about, ext="xlsx"))


ROUTES = [index, period_page, list_page, commune_page, results_map, goals_chart, recognised_chart, criteria_chart,
          history_chart, share_image, play_area_map, download]
