"""Admin pages: open and edit assessment periods; browse and export the audit log."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from litestar import Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from server.core import audit
from server.accounts.auth import current_user, requires_role
from server.core.db import write_transaction
from server.accounts.users import normalise_username
from server.core.errors import InputError
from server.core.filenames import attachment, export_name
from server.core.i18n import TIMEZONE
from server.core.strict import MAX_PAGE
from server.review.pages import client_ip, error_list
from server.registry.units import UNIT_SETS
from server.review import assessments, audit_log, audit_view, periods
from server.rules import assign, versions

admins = requires_role("admin")


async def period_page(period, *, errors: list | None = None, status: int = 200,
                      area_form: dict | None = None) -> Template:
    """An existing period's page (also after a refused change of a province's own settings)."""
    chosen = [f"{form_id}:{v}" for form_id, versions_ in (period.form_versions or {}).items() for v in versions_]
    return await _period_page(period, periods.as_dict(period), chosen, errors=errors, status=status,
                              area_form=area_form)


async def _period_page(period, values: dict, chosen: list[str], *, errors: list | None = None,
                       status: int = 200, area_form: dict | None = None) -> Template:
    return Template("admin_period.html", status_code=status, context={
        "area_form": area_form or {},
        "period": period, "values": values, "chosen": chosen, "errors": errors or [],
        "rule_sets": await versions.rule_set_ids(), "unit_sets": UNIT_SETS, "forms": periods.form_choices(),
        "levels": assign.REVIEW_LEVELS, "level_labels": assign.REVIEW_LEVEL_LABELS,
        "areas": (await assign.settings_of(period)).areas if period else [],
        "version_used": assign.period_setting(period).version if period else None,
        "in_force": await versions.in_force(period.rule_set) if period else None})


@get("/admin/periods", name="admin_periods", guards=[admins], include_in_schema=False)
async def period_list(request: Request) -> Template:
    return Template("admin_periods.html", context={"periods": await assessments.periods_of(None),
                                                   "user": current_user(request)})


@get("/admin/periods/new", guards=[admins], include_in_schema=False)
async def new_period(request: Request) -> Template:
    values = {"year": datetime.now(timezone.utc).year, "rule_set": "vn-2019", "unit_set": "2025", "active": True,
              "review_level": "province"}
    return await _period_page(None, values, [])


@get("/admin/periods/{period_id:int}", guards=[admins], include_in_schema=False)
async def edit_period(request: Request, period_id: FromPath[int]) -> Template:
    return await period_page(await assessments.get_period(period_id))


async def _save(request: Request, period_id: int | None) -> Template | Redirect:
    period = await assessments.get_period(period_id) if period_id is not None else None
    form = await request.form()
    data = {key: value for key, value in form.items() if isinstance(value, str)}
    chosen = [value for value in form.getall("form_versions", []) if isinstance(value, str)]
    try:
        parsed = periods.parse(data, chosen, await versions.rule_set_ids())
        saved = await periods.save(period, parsed, current_user(request), client_ip(request))
    except InputError as refused:
        return await _period_page(period, {**data, "active": "active" in data}, chosen, errors=error_list(refused),
                                  status=refused.status_code)
    return Redirect(f"/admin/periods/{saved.id}?saved=1", status_code=303)


@post("/admin/periods", guards=[admins], include_in_schema=False, status_code=303)
async def create_period(request: Request) -> Template | Redirect:
    return await _save(request, None)


@post("/admin/periods/{period_id:int}", guards=[admins], include_in_schema=False, status_code=303)
async def update_period(request: Request, period_id: FromPath[int]) -> Template | Redirect:
    return await _save(request, period_id)


def _filters(action: str, username: str, entity: str, entity_id: str) -> dict[str, str]:
    return {"action": action.strip(), "username": normalise_username(username), "entity": entity.strip(),
            "entity_id": entity_id.strip()}


Filter = Annotated[str, QueryParameter(required=False, max_length=64)]


@get("/admin/audit", name="admin_audit", guards=[admins], include_in_schema=False)
async def audit_page(request: Request, action: Filter = "", username: Filter = "", entity: Filter = "",
                     entity_id: Filter = "",
                     page: Annotated[int, QueryParameter(required=False, ge=1, le=MAX_PAGE)] = 1) -> Template:
    filters = _filters(action, username, entity, entity_id)
    rows = await audit_log.entries(**filters, page=page)
    lines = await audit_view.explain(rows)
    about = None
    if filters["entity"] and filters["entity_id"] and lines:
        about = lines[0].object
    return Template("admin_audit.html", context={
        "lines": lines, "filters": filters, "page": page, "about": about,
        "actions": sorted(((code, audit_view.action_label(code)) for code in await audit_log.actions()),
                          key=lambda pair: pair[1] or pair[0]),
        "entities": [(code, audit_view.entity_label(code)) for code in await audit_log.entities()],
        "more": len(rows) == audit_log.PAGE_SIZE, "user": current_user(request)})


@get("/admin/audit.csv", guards=[admins], include_in_schema=False)
async def audit_export(request: Request, action: Filter = "", username: Filter = "", entity: Filter = "",
                       entity_id: Filter = "") -> Response:
    """The whole (filtered) log as CSV; the export is itself recorded in the log."""
    filters = _filters(action, username, entity, entity_id)
    rows = await audit_log.entries(**filters, limit=None)
    async with write_transaction():
        await audit.record("exported", "audit_log", None, user=current_user(request), ip=client_ip(request),
                           after={"format": "csv", "rows": len(rows), "filters": filters})
    now = datetime.now(TIMEZONE)
    name = export_name("nhật ký hệ thống", now.strftime("%Y-%m-%d"), now.strftime("%H%M"), ext="csv")
    return Response(audit_log.to_csv(await audit_view.explain(rows)), media_type="text/csv",
                    headers={"content-disposition": attachment(name)})


ROUTES = [period_list, new_period, edit_period, create_period, update_period, audit_page, audit_export]
