"""Progress toward the targets for children's forums: the country or one province, no login.

Only what is public anyway is read: final lists, the provinces' recognition decisions imported as
past rounds, and registrations (a commune's decision, not a child's). Commune-level shares are
not counts of children; no criterion or point of a commune is shown here.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from server.core.i18n import N_
from server.core.tables import Unit
from server.history import figures, progress
from server.history.pages import LAYOUTS
from server.maps.public_pages import picture_response
from server.maps.render import MEDIA_TYPES

AreaParam = Annotated[str, QueryParameter(name="area", required=False, max_length=16)]


async def _province(code: str) -> Unit | None:
    """A province of the 2025 registry (None: the country)."""
    if not code.strip():
        return None
    area = await Unit.objects().where((Unit.key == f"2025:{code.strip()}") & (Unit.level == 1)).first().run()
    if area is None:
        raise NotFoundException(N_("There is no province with this code."))
    return area


@get("/public/progress", name="public_progress", include_in_schema=False)
async def public_progress(area: AreaParam = "") -> Template:
    place = await _province(area)
    found = await figures.progress_of(place, "2025")
    provinces = await Unit.select(Unit.code, Unit.name).where((Unit.unit_set == "2025") & (Unit.level == 1)) \
        .order_by(Unit.name).run()
    return Template("history_progress.html", context={
        "found": found, "area": place, "unit_set": "2025", "query": f"?area={place.code}" if place else "",
        "headline": figures.headline(found), "area_name": figures.area_name(place),
        "scope_name": figures.scope_name(found), "coverage": figures.coverage_notes(found), "public": True,
        "provinces": provinces, "registry_labels": figures.REGISTRY_LABELS, "limit": progress.LIST_LIMIT,
        "base": "/public/progress"})


@get("/public/progress/chart/{fmt:str}", include_in_schema=False)
async def public_chart(request: Request, fmt: FromPath[str], area: AreaParam = "",
                       layout: Annotated[str, QueryParameter(required=False, max_length=8)] = "phone") -> Response:
    if fmt not in ("png", "svg") or layout not in LAYOUTS:
        raise NotFoundException(N_("This page does not exist."))
    return picture_response(request, await figures.picture(await _province(area), "2025", layout, fmt))


@get("/public/progress/export.xlsx", include_in_schema=False)
async def public_export(area: AreaParam = "") -> Response:
    place = await _province(area)
    found = await figures.progress_of(place, "2025")
    name = f"tien-do-xa-phu-hop-voi-tre-em_{place.code if place else 'ca-nuoc'}.xlsx"
    return Response(figures.workbook(found, details=False), media_type=MEDIA_TYPES["xlsx"],
                    headers={"content-disposition": f'attachment; filename="{name}"',
                             "cache-control": "public, max-age=300"})


ROUTES = [public_progress, public_chart, public_export]
