"""Reviewers' and admins' pages: progress toward the targets, a commune's history across the merger,
and registration (collaborators register their own commune there too).

A reviewer sees their own area (a province of the 2025 registry, or a district of the legacy one);
an admin chooses any area by code, or the whole country.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from server.accounts.auth import current_user, requires_role, unit_of
from server.core.errors import InputError
from server.core.i18n import N_, gettext
from server.core.tables import Unit, User
from server.history import crosswalk, figures, progress, registration
from server.maps import exports
from server.maps.public_pages import picture_response
from server.maps.render import MEDIA_TYPES
from server.registry.units import UNIT_SETS, is_within
from server.review.pages import client_ip, error_list, form_data

reviewers = requires_role("reviewer", "admin")
everyone_logged_in = requires_role("collaborator", "reviewer", "admin")
AreaParam = Annotated[str, QueryParameter(name="area", required=False, max_length=16)]
SetParam = Annotated[str, QueryParameter(name="set", required=False, max_length=8)]
LAYOUTS = tuple(figures.chart.LAYOUTS)
NO_AREA = N_("There is no province or district with this code.")


async def area_for(user: User, code: str, unit_set: str) -> tuple[Unit | None, str]:
    """The area shown: a reviewer's own; an admin's choice by code (None: the country) in a registry set."""
    if user.role != "admin":
        own = unit_of(user)
        if own is None:
            raise PermissionDeniedException(N_("You do not have permission to do this."))
        return own, own.unit_set
    unit_set = unit_set if unit_set in UNIT_SETS else "2025"
    code = code.strip()
    if not code:
        return None, unit_set
    area = await Unit.objects().where((Unit.key == f"{unit_set}:{code}") & (Unit.kind != "commune")).first().run()
    if area is None:
        raise NotFoundException(NO_AREA)
    return area, unit_set


def _query(area: Unit | None, unit_set: str) -> str:
    return f"?area={area.code}&set={area.unit_set}" if area is not None else f"?set={unit_set}"


# ---------------------------------------------------------------- progress

@get("/progress", name="progress", guards=[reviewers], include_in_schema=False)
async def progress_page(request: Request, area: AreaParam = "", unit_set: SetParam = "") -> Template:
    user = current_user(request)
    place, chosen_set = await area_for(user, area, unit_set)
    found = await figures.progress_of(place, chosen_set)
    return Template("history_progress.html", context={
        "found": found, "area": place, "unit_set": chosen_set, "query": _query(place, chosen_set), "user": user,
        "headline": figures.headline(found), "area_name": figures.area_name(place),
        "scope_name": figures.scope_name(found), "coverage": figures.coverage_notes(found), "public": False,
        "registry_labels": figures.REGISTRY_LABELS, "limit": progress.LIST_LIMIT, "base": "/progress"})


@get("/progress/chart/{fmt:str}", guards=[reviewers], include_in_schema=False)
async def progress_chart(request: Request, fmt: FromPath[str], area: AreaParam = "", unit_set: SetParam = "",
                         layout: Annotated[str, QueryParameter(required=False, max_length=8)] = "phone") -> Response:
    if fmt not in ("png", "svg") or layout not in LAYOUTS:
        raise NotFoundException(N_("This page does not exist."))
    place, chosen_set = await area_for(current_user(request), area, unit_set)
    picture = await figures.picture(place, chosen_set, layout, fmt)
    return picture_response(request, picture, cache_control="private, max-age=60")


@get("/progress/export.xlsx", guards=[reviewers], include_in_schema=False)
async def progress_export(request: Request, area: AreaParam = "", unit_set: SetParam = "") -> Response:
    place, chosen_set = await area_for(current_user(request), area, unit_set)
    found = await figures.progress_of(place, chosen_set)
    name = f"tien-do_{place.code if place else 'ca-nuoc'}_{dt.date.today().isoformat()}.xlsx"
    return Response(figures.workbook(found, details=True), media_type=MEDIA_TYPES["xlsx"],
                    headers={"content-disposition": f'attachment; filename="{name}"',
                             "cache-control": "private, no-store"})


# ---------------------------------------------------------------- one commune across the merger

async def _may_see(user: User, commune: Unit) -> bool:
    """Reviewers: a commune of their area, or one linked across the merger to a commune of their area."""
    if user.role == "admin":
        return True
    own = unit_of(user)
    if own is None:
        return False
    if own.unit_set == commune.unit_set:
        return is_within(commune.path, own.path) if user.role == "reviewer" else own.id == commune.id
    if user.role != "reviewer":
        return False
    linked = (await crosswalk.successors([commune.id]))[commune.id] if commune.unit_set == "legacy" \
        else (await crosswalk.predecessors([commune.id]))[commune.id]
    paths = await Unit.select(Unit.path).where(Unit.id.is_in(
        [link.successor_id if commune.unit_set == "legacy" else link.legacy_id for link in linked] or [-1])).run()
    return any(is_within(row["path"], own.path) for row in paths)


@get("/progress/communes/{unit_set:str}/{code:str}", name="commune_history", guards=[everyone_logged_in],
     include_in_schema=False)
async def commune_page(request: Request, unit_set: FromPath[str], code: FromPath[str]) -> Template:
    commune = await Unit.objects().where((Unit.key == f"{unit_set}:{code}") & (Unit.kind == "commune")).first().run() \
        if unit_set in UNIT_SETS else None
    if commune is None:
        raise NotFoundException(N_("There is no commune with this code."))
    user = current_user(request)
    if not await _may_see(user, commune):
        raise PermissionDeniedException(N_("This commune is outside your area."))
    found = await progress.predecessor_results(commune) if commune.unit_set == "2025" else []
    parent = await Unit.objects().where(Unit.id == commune.parent).first().run() if commune.parent else None
    return Template("history_commune.html", context={
        "commune": commune, "parent": parent, "user": user,
        "own": await progress.commune_results(commune),
        "predecessors": found, "summary": figures.summary_text(progress.predecessor_summary(found)),
        "successors": (await crosswalk.successors([commune.id]))[commune.id] if commune.unit_set == "legacy" else [],
        "registrations": await registration.commune_registrations(commune),
        "registry_labels": figures.REGISTRY_LABELS})


# ---------------------------------------------------------------- registration

def _year(raw: str) -> int:
    text = raw.strip()
    if text.isascii() and text.isdecimal() and len(text) <= 4:
        return int(text)
    return dt.date.today().year


async def _registration_page(request: Request, year: int, area_code: str, unit_set: str, show: str, *,
                             errors: list[dict[str, Any]] | None = None, status: int = 200,
                             done: str = "") -> Template:
    user = current_user(request)
    if user.role == "collaborator":
        own = unit_of(user)
        area, chosen_set = own, own.unit_set if own else "2025"
    else:
        area, chosen_set = await area_for(user, area_code, unit_set)
    rows = await registration.area_registrations(chosen_set, area, year) if area is not None else []
    registered = sum(1 for row in rows if row.registered)
    shown = [row for row in rows if not row.registered] if show == "missing" else rows
    return Template("history_registration.html", status_code=status, context={
        "user": user, "year": year, "area": area, "unit_set": chosen_set, "rows": shown, "total": len(rows),
        "registered": registered, "show": show, "errors": errors or [], "done": done,
        "query": _query(area, chosen_set), "today": dt.date.today().isoformat(),
        "years": list(range(dt.date.today().year + 1, 2018, -1)), "registry_labels": figures.REGISTRY_LABELS,
        "by_province": await _province_shares(chosen_set, year) if area is None else []})


async def _province_shares(unit_set: str, year: int) -> list[dict[str, Any]]:
    """For an admin without an area: each province's share registered in the year."""
    rows = await registration.area_registrations(unit_set, None, year)
    provinces = await Unit.select(Unit.id, Unit.code, Unit.name, Unit.path) \
        .where((Unit.unit_set == unit_set) & (Unit.level == 1)).order_by(Unit.code).run()
    paths = {row["id"]: row["path"] for row in await Unit.select(Unit.id, Unit.path)
             .where((Unit.unit_set == unit_set) & (Unit.kind == "commune")).run()}
    found = []
    for province in provinces:
        inside = [row for row in rows if is_within(paths.get(row.id, ""), province["path"])]
        found.append({"code": province["code"], "name": province["name"], "communes": len(inside),
                      "registered": sum(1 for row in inside if row.registered)})
    return found


@get("/registration", name="registration", guards=[everyone_logged_in], include_in_schema=False)
async def registration_page(request: Request, area: AreaParam = "", unit_set: SetParam = "",
                            year: Annotated[str, QueryParameter(required=False, max_length=8)] = "",
                            show: Annotated[str, QueryParameter(required=False, max_length=8)] = "",
                            done: Annotated[str, QueryParameter(required=False, max_length=12)] = "") -> Template:
    return await _registration_page(request, _year(year), area, unit_set, show, done=done)


@post("/registration/{unit_set:str}/{code:str}", guards=[everyone_logged_in], include_in_schema=False,
      status_code=303)
async def record_registration(request: Request, unit_set: FromPath[str], code: FromPath[str]) -> Template | Redirect:
    data = await form_data(request)
    commune = await Unit.objects().where((Unit.key == f"{unit_set}:{code}") & (Unit.kind == "commune")).first().run() \
        if unit_set in UNIT_SETS else None
    if commune is None:
        raise NotFoundException(N_("There is no commune with this code."))
    user = current_user(request)
    if not registration.may_record(user, commune):
        raise PermissionDeniedException(N_("This commune is outside your area."))
    action = data.get("action", "")
    area_code = data.get("area", "")
    try:
        year = registration.check_year(data.get("year", ""), commune.unit_set)
        day = registration.check_date(data.get("date", ""), year)
        await registration.record(commune, year, action, user=user, day=day, note=data.get("note", ""),
                                  ip=client_ip(request))
    except InputError as refused:
        return await _registration_page(request, _year(data.get("year", "")), area_code, commune.unit_set,
                                        data.get("show", ""), errors=error_list(refused),
                                        status=refused.status_code)
    area_part = f"&area={area_code}&set={commune.unit_set}" if area_code else ""
    return Redirect(f"/registration?year={year}{area_part}&done={action}#c{commune.code}", status_code=303)


@get("/registration/export.xlsx", guards=[reviewers], include_in_schema=False)
async def registration_export(request: Request, area: AreaParam = "", unit_set: SetParam = "",
                              year: Annotated[str, QueryParameter(required=False, max_length=8)] = "") -> Response:
    place, chosen_set = await area_for(current_user(request), area, unit_set)
    wanted = _year(year)
    rows = [row for row in await registration.area_registrations(chosen_set, place, wanted) if not row.registered]
    table = exports.Table(title=gettext(N_("Not registered")), header=[
        gettext(N_("Code")), gettext(N_("Commune")), gettext(N_("Belongs to")), gettext(N_("Withdrawn on"))],
        rows=[[row.code, row.name, row.district, row.withdrawn_on or ""] for row in rows])
    name = f"chua-dang-ky_{place.code if place else 'ca-nuoc'}_{wanted}.xlsx"
    return Response(exports.to_xlsx([table], None), media_type=MEDIA_TYPES["xlsx"],
                    headers={"content-disposition": f'attachment; filename="{name}"',
                             "cache-control": "private, no-store"})


ROUTES = [progress_page, progress_chart, progress_export, commune_page, registration_page, record_registration,
          registration_export]
