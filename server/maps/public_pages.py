"""Public results, no login: final certification lists, maps, charts, downloads, and a summary of
each listed commune for children's forums (with a large-print view and a share image).

Only final lists are public: a period without one, a list that is a draft or posted for comment,
or a commune on no final list answers 404 here. Pictures are cached (server/maps/cache.py) and
served with an ETag, so a phone that already has one gets 304.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from scoring import COMMUNE_TYPE_LABELS
from server.core.filenames import attachment, export_name
from server.core.i18n import N_, current_language, gettext
from server.maps import exports, geojson, legend, pictures, playareas, results, summary
from server.maps.render import MEDIA_TYPES
from server.core.tables import Period, Unit
from server.core.templating import localized

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


@get("/public/{period_id:int}/lists/{list_id:int}", name="public_list", include_in_schema=False)
async def list_page(period_id: FromPath[int], list_id: FromPath[int]) -> Template:
    period = await _period(period_id)
    item = await results.public_list(period.id, list_id)
    if item is None:
        raise NotFoundException(NOT_PUBLIC)
    rows = await results.entries([item.id])
    return Template("public_list.html", context={
        "period": period, "item": item, "rows": rows, "type_labels": COMMUNE_TYPE_LABELS,
        "provisional": any(e.provisional for e in rows)})


@get("/public/{period_id:int}/communes/{code:str}", name="public_commune", include_in_schema=False)
async def commune_page(period_id: FromPath[int], code: FromPath[str],
                       view: Annotated[str, QueryParameter(name="view", required=False, max_length=16)] = "") -> Template:
    period = await _period(period_id)
    commune, entry = await _listed(period, code)
    result = await results.score_result(entry.score_id) or {}
    return Template("public_commune.html", context={
        "period": period, "commune": commune, "entry": entry, "province": await _province_of(commune),
        "summary": summary.summarise(result, entry.provisional), "large": view == "large"})


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


@get("/public/{period_id:int}/totals/{fmt:str}", name="public_totals", include_in_schema=False)
async def totals_chart(request: Request, period_id: FromPath[int], fmt: FromPath[str],
                       area: AreaParam = None) -> Response:
    period = await _period(period_id)
    return picture_response(request, await pictures.totals_chart(period, await _area(period, area), _format(fmt)))


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
        return _download(geojson.dumps(geojson.play_areas(places, labels, extra={"name": place.name})),
                         MEDIA_TYPES["geojson"], export_name("điểm vui chơi", place.name, period.year, ext="geojson"))
    return picture_response(request, await pictures.play_area_map(period, place, _format(fmt)))


# ---------------------------------------------------------------- downloads of a list

def _list_table(rows: list[results.Entry], scores: dict[int, dict[str, Any]]) -> exports.Table:
    mark = gettext(N_("PROVISIONAL"))
    criteria = max((len(s.get("criteria", [])) for s in scores.values()), default=0)
    header = [gettext(N_("Code")), gettext(N_("Commune")), gettext(N_("Commune type")), gettext(N_("Total points")),
              gettext(N_("Threshold")), gettext(N_("Result")), gettext(N_("Provisional values"))]
    header += [gettext(N_("Criterion %(number)s"), number=n) for n in range(1, criteria + 1)]
    body = []
    for entry in rows:
        result = scores.get(entry.score_id, {})
        verdict = legend.RESULTS[0] if entry.certified else legend.RESULTS[1]
        body.append([entry.code, entry.name, gettext(COMMUNE_TYPE_LABELS.get(entry.commune_type, entry.commune_type)),
                     entry.total, entry.threshold, gettext(verdict.label), mark if entry.provisional else "",
                     *[c["points"] for c in result.get("criteria", [])]])
    return exports.Table(title=gettext(N_("List")), header=header, rows=body)


def _figures_table(rows: list[results.Entry], scores: dict[int, dict[str, Any]]) -> exports.Table:
    mark = gettext(N_("PROVISIONAL"))
    header = [gettext(N_("Code")), gettext(N_("Commune")), gettext(N_("Line")), gettext(N_("Indicator")),
              gettext(N_("Values (counts below 5 of sensitive facts shown as < 5)")), gettext(N_("Measured")),
              gettext(N_("Unit")), gettext(N_("Points")), gettext(N_("Maximum")), gettext(N_("Provisional values"))]
    body = [row for entry in rows
            for row in exports.figure_rows(entry.code, entry.name, scores.get(entry.score_id, {}), localized, mark)]
    return exports.Table(title=gettext(N_("Figures")), header=header, rows=body)


@get("/public/{period_id:int}/lists/{list_id:int}/download/{name:str}", name="public_download",
     include_in_schema=False)
async def download(period_id: FromPath[int], list_id: FromPath[int], name: FromPath[str]) -> Response:
    period = await _period(period_id)
    item = await results.public_list(period.id, list_id)
    if item is None or name not in ("list.csv", "figures.csv", "list.xlsx"):
        raise NotFoundException(NOT_PUBLIC)
    rows = await results.entries([item.id])
    scores = await results.score_results([e.score_id for e in rows])
    about = (item.area_name, period.year, f"lần {item.revision}")
    if name == "list.csv":
        return _download(exports.to_csv(_list_table(rows, scores)), MEDIA_TYPES["csv"],
                         export_name("danh sách công nhận", *about, ext="csv"))
    if name == "figures.csv":
        return _download(exports.to_csv(_figures_table(rows, scores)), MEDIA_TYPES["csv"],
                         export_name("số liệu chi tiết", *about, ext="csv"))
    note = pictures.provisional_note(any(e.provisional for e in rows))
    content = exports.to_xlsx([_list_table(rows, scores), _figures_table(rows, scores)], note)
    return _download(content, MEDIA_TYPES["xlsx"], export_name("danh sách công nhận", *about, ext="xlsx"))


ROUTES = [index, period_page, list_page, commune_page, results_map, totals_chart, recognised_chart, criteria_chart,
          history_chart, share_image, play_area_map, download]
