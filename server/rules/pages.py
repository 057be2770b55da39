"""Admin pages of the official scoring table: versions, upload, a draft's numbers, checks, publication.

Handlers only read the request and call `server.rules.versions`; a refused action comes back on the
same page with its message and status.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from scoring import COMMUNE_TYPE_LABELS
from server.core.strict import parse_int
from server.accounts.auth import current_user, requires_role
from server.core.errors import FieldError, InputError
from server.core.i18n import N_, gettext
from server.review.pages import client_ip, error_list, form_data
from server.review import assessments
from server.review.admin_pages import period_page
from server.rules import describe, edits, items, versions, whatif
from server.rules.spreadsheet import export_workbook

admins = requires_role("admin")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # a scoring table is a few dozen kilobytes


def _revision(data: dict[str, str]) -> int | None:
    raw = data.get("revision", "")
    return parse_int(raw, minimum=0, maximum=2**31 - 1)


# ---------------------------------------------------------------- the list and the upload

async def _index(request: Request, *, problems: list[str] | None = None, warnings: list[str] | None = None,
                 errors: list[dict[str, Any]] | None = None, status: int = 200) -> Template:
    rows = await versions.listing()
    in_force = {rule_set: (await versions.in_force(rule_set)) for rule_set in await versions.rule_set_ids()}
    return Template("rules_index.html", status_code=status, context={
        "rows": rows, "in_force": {key: row.id for key, row in in_force.items() if row is not None},
        "rule_sets": list(in_force), "problems": problems or [], "warnings": warnings or [], "errors": errors or [],
        "state_labels": versions.STATE_LABELS, "origin_labels": versions.ORIGIN_LABELS, "user": current_user(request)})


@get("/admin/rules", name="admin_rules", guards=[admins], include_in_schema=False)
async def index(request: Request) -> Template:
    return await _index(request)


@post("/admin/rules/upload", guards=[admins], include_in_schema=False, status_code=303,
      request_max_body_size=MAX_UPLOAD_BYTES)
async def upload(request: Request) -> Template | Redirect:
    """A spreadsheet of the table → a draft; every problem listed by sheet, row and cell, nothing stored."""
    form = await request.form()
    upload_file = form.get("file")
    note = str(form.get("note") or "")
    if not isinstance(upload_file, UploadFile) or not upload_file.filename:
        return await _index(request, errors=[FieldError("file", "required", N_("Choose the spreadsheet (.xlsx) of "
                                                                                "the scoring table.")).render()],
                            status=422)
    content = await upload_file.read()
    read, report = await versions.draft_from_workbook(content, current_user(request), source_name=upload_file.filename,
                                                      note=note, ip=client_ip(request))
    warnings = [problem.render(gettext) for problem in read.warnings]
    if report is None:
        return await _index(request, problems=[problem.render(gettext) for problem in read.errors], warnings=warnings,
                            status=422)
    return Redirect(f"/admin/rules/{report.row.id}?done=created", status_code=303)


@post("/admin/rules/new", guards=[admins], include_in_schema=False, status_code=303)
async def new_draft(request: Request) -> Template | Redirect:
    """A draft equal to the version in force, to edit its numbers on the web."""
    data = await form_data(request)
    rule_set = data.get("rule_set", "")
    if rule_set not in await versions.rule_set_ids():
        return await _index(request, errors=[FieldError("rule_set", "unknown", N_("Choose one of the rule sets."))
                                             .render()], status=422)
    base = await versions.in_force(rule_set)
    assert base is not None
    report = await versions.create_draft(items.document_of(versions.rules_of(base)), current_user(request),
                                         origin="web", note=data.get("note", ""), ip=client_ip(request))
    return Redirect(f"/admin/rules/{report.row.id}/edit", status_code=303)


# ---------------------------------------------------------------- one version

def _item_view(key: str, state: versions.ItemState, base_rules, rules) -> dict[str, Any]:
    before = describe.rows(base_rules, key) if state.change and state.change.status != "added" else []
    after = describe.rows(rules, key) if state.item is not None else []
    return {"key": key, "title": describe.title_parts(rules if state.item is not None else base_rules, key),
            "status": state.change.status if state.change else None, "before": before, "after": after,
            "new_rows": {text for text, _ in after} - {text for text, _ in before} if state.change else set(),
            "check": state.check, "needs_check": state.needs_check,
            "content": state.item.sha256 if state.item is not None else "removed",
            "checkable": state.check is None and (state.change is not None or (
                state.item is not None and state.item.provisional and state.item.kind in items.FLAGGED))}


async def _version_page(request: Request, row, *, errors: list[dict[str, Any]] | None = None,
                        form: dict[str, str] | None = None, status: int = 200, done: str = "") -> Template:
    user = current_user(request)
    rules = versions.rules_of(row)
    base = await versions.get(row.base) if row.base else None
    base_rules = versions.rules_of(base) if base else None
    states = await versions.item_states(row)
    if row.origin == "shipped":  # the file as shipped: its lines as they are, not as a change from nothing
        states = {key: versions.ItemState(None, state.item, None) for key, state in states.items()}
    views = [_item_view(key, state, base_rules, rules) for key, state in states.items()]
    changed = [view for view in views if view["status"]]
    provisional = [view for view in views if not view["status"] and view["checkable"]]
    if row.state != "draft":  # nothing is checked any more: every item with PROVISIONAL numbers is listed as it is
        provisional = [view for view in views if not view["status"] and not view["check"] and any(
            mark for _, mark in view["after"])]
    checked = [view for view in views if not view["status"] and view["check"]]
    names = await versions.people(row)
    return Template("rules_version.html", status_code=status, context={
        "row": row, "rules": rules, "base": base, "changed": changed, "provisional": provisional,
        "checked_unchanged": checked, "names": names,
        "periods": [(period, whatif.assign.period_setting(period)) for period in await whatif.periods_using(row.rule_set)],
        "to_check": sum(1 for view in changed if view["needs_check"]),
        "can_edit": row.state == "draft" and row.entered_by == user.id,
        "can_check": row.state == "draft" and row.entered_by != user.id,
        "can_publish": row.state == "draft" and not any(view["needs_check"] for view in changed)
                       and any(view["check"] for view in views),
        "errors": errors or [], "form": form or {}, "done": done, "state_labels": versions.STATE_LABELS,
        "origin_labels": versions.ORIGIN_LABELS, "status_labels": describe.STATUS_LABELS, "user": user})


@get("/admin/rules/{version_id:int}", name="admin_rule_version", guards=[admins], include_in_schema=False)
async def version_page(request: Request, version_id: FromPath[int],
                       done: Annotated[str, QueryParameter(required=False, max_length=20)] = "") -> Template:
    return await _version_page(request, await versions.get(version_id), done=done)


@get("/admin/rules/{version_id:int}/table.xlsx", guards=[admins], include_in_schema=False)
async def version_table(version_id: FromPath[int]) -> Response:
    row = await versions.get(version_id)
    return Response(export_workbook(versions.rules_of(row)),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"content-disposition": f'attachment; filename="bieu-diem-{row.rule_set}-{row.version}.xlsx"'})


@post("/admin/rules/{version_id:int}/check", guards=[admins], include_in_schema=False, status_code=303)
async def check(request: Request, version_id: FromPath[int]) -> Template | Redirect:
    row = await versions.get(version_id)
    data = await form_data(request)
    try:
        source = versions.parse_source(data.get("document_number", ""), data.get("document_date", ""),
                                       data.get("page", ""), data.get("note", ""))
        await versions.check_item(row, data.get("item", ""), current_user(request), source, ip=client_ip(request),
                                  seen=data.get("content", ""))
    except InputError as refused:
        return await _version_page(request, row, errors=error_list(refused), form=data, status=refused.status_code)
    return Redirect(f"/admin/rules/{version_id}?done=checked#item-{data.get('item', '')}", status_code=303)


@post("/admin/rules/{version_id:int}/publish", guards=[admins], include_in_schema=False, status_code=303)
async def publish(request: Request, version_id: FromPath[int]) -> Template | Redirect:
    row = await versions.get(version_id)
    data = await form_data(request)
    try:
        await versions.publish(row, current_user(request), _revision(data), ip=client_ip(request))
    except InputError as refused:
        return await _version_page(request, row, errors=error_list(refused), status=refused.status_code)
    return Redirect(f"/admin/rules/{version_id}?done=published", status_code=303)


@post("/admin/rules/{version_id:int}/discard", guards=[admins], include_in_schema=False, status_code=303)
async def discard(request: Request, version_id: FromPath[int]) -> Template | Redirect:
    row = await versions.get(version_id)
    data = await form_data(request)
    try:
        await versions.discard(row, current_user(request), data.get("reason", ""), ip=client_ip(request))
    except InputError as refused:
        return await _version_page(request, row, errors=error_list(refused), form=data, status=refused.status_code)
    return Redirect(f"/admin/rules/{version_id}?done=discarded", status_code=303)


# ---------------------------------------------------------------- a draft's numbers

def _edit_page(row, *, values: dict[str, str] | None = None, errors: list[dict[str, Any]] | None = None,
               status: int = 200) -> Template:
    rules = versions.rules_of(row)
    return Template("rules_edit.html", status_code=status, context={
        "row": row, "rules": rules, "fields": edits.fields(rules), "values": values or {}, "errors": errors or [],
        "field_label": edits.field_label,
        "bad": {error["field"] for error in errors or []}, "commune_type_labels": COMMUNE_TYPE_LABELS})


@get("/admin/rules/{version_id:int}/edit", guards=[admins], include_in_schema=False)
async def edit_page(request: Request, version_id: FromPath[int]) -> Template:
    row = await versions.get(version_id)
    versions.check_editable(row, current_user(request))
    return _edit_page(row)


@post("/admin/rules/{version_id:int}/edit", guards=[admins], include_in_schema=False, status_code=303)
async def save_edit(request: Request, version_id: FromPath[int]) -> Template | Redirect:
    row = await versions.get(version_id)
    user = current_user(request)
    versions.check_editable(row, user)
    data = await form_data(request)
    try:
        document = edits.apply_form(versions.rules_of(row), data)
        await versions.save_draft(row, document, user, _revision(data), ip=client_ip(request))
    except InputError as refused:
        return _edit_page(row, values=data, errors=error_list(refused), status=refused.status_code)
    return Redirect(f"/admin/rules/{version_id}?done=saved", status_code=303)


# ---------------------------------------------------------------- what-if, then apply to a period

PREVIEW_ROWS = 500  # the page shows the first rows (changed results first); the XLSX has them all


async def _whatif_page(request: Request, row, period, *, errors: list[dict[str, Any]] | None = None,
                       status: int = 200, done: str = "", form: dict[str, str] | None = None) -> Template:
    what = await whatif.compute(period, row)
    settings = await whatif.assign.settings_of(period)
    uses = [setting for setting in (settings.default, *settings.areas) if setting.rule_set == row.rule_set]
    return Template("rules_whatif.html", status_code=status, context={
        "row": row, "period": period, "what": what, "counts": what.counts, "shown": what.rows[:PREVIEW_ROWS],
        "uses": uses, "applied": all(setting.version == row.version for setting in uses) if uses else False,
        "errors": errors or [], "done": done, "form": form or {}, "criteria_text": whatif.criteria_text,
        "state_labels": whatif.STATE_LABELS, "user": current_user(request)})


@get("/admin/rules/{version_id:int}/whatif/{period_id:int}", guards=[admins], include_in_schema=False)
async def whatif_page(request: Request, version_id: FromPath[int], period_id: FromPath[int],
                      done: Annotated[str, QueryParameter(required=False, max_length=20)] = "") -> Template:
    return await _whatif_page(request, await versions.get(version_id), await assessments.get_period(period_id),
                              done=done)


@get("/admin/rules/{version_id:int}/whatif/{period_id:int}/preview.xlsx", guards=[admins], include_in_schema=False)
async def whatif_table(request: Request, version_id: FromPath[int], period_id: FromPath[int]) -> Response:
    row = await versions.get(version_id)
    period = await assessments.get_period(period_id)
    what = await whatif.compute(period, row)
    return Response(whatif.to_xlsx(what), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"content-disposition":
                             f'attachment; filename="xem-truoc-{row.rule_set}-{row.version}-ky-{period.id}.xlsx"'})


@post("/admin/rules/{version_id:int}/apply/{period_id:int}", guards=[admins], include_in_schema=False,
      status_code=303)
async def apply_to_period(request: Request, version_id: FromPath[int], period_id: FromPath[int]) -> Template | Redirect:
    row = await versions.get(version_id)
    period = await assessments.get_period(period_id)
    data = await form_data(request)
    try:
        await whatif.apply(period, row, current_user(request), data.get("reason", ""), ip=client_ip(request))
    except InputError as refused:
        return await _whatif_page(request, row, period, errors=error_list(refused), status=refused.status_code,
                                  form=data)
    return Redirect(f"/admin/rules/{version_id}/whatif/{period_id}?done=applied", status_code=303)


# ---------------------------------------------------------------- a province's own rule set in a period

@post("/admin/periods/{period_id:int}/areas", guards=[admins], include_in_schema=False, status_code=303)
async def save_area(request: Request, period_id: FromPath[int]) -> Template | Redirect:
    period = await assessments.get_period(period_id)
    data = await form_data(request)
    try:
        await whatif.assign.save_area(period, data.get("unit_code", ""), data.get("rule_set", ""),
                                      data.get("review_level", ""), current_user(request), ip=client_ip(request))
    except InputError as refused:
        return await period_page(period, errors=error_list(refused), status=refused.status_code, area_form=data)
    return Redirect(f"/admin/periods/{period_id}?saved=1#areas", status_code=303)


@post("/admin/periods/{period_id:int}/areas/{area_id:int}/remove", guards=[admins], include_in_schema=False,
      status_code=303)
async def remove_area(request: Request, period_id: FromPath[int], area_id: FromPath[int]) -> Template | Redirect:
    period = await assessments.get_period(period_id)
    try:
        await whatif.assign.remove_area(period, area_id, current_user(request), ip=client_ip(request))
    except InputError as refused:
        return await period_page(period, errors=error_list(refused), status=refused.status_code)
    return Redirect(f"/admin/periods/{period_id}?saved=1#areas", status_code=303)


ROUTES = [save_area, remove_area, index, upload, new_draft, version_page, version_table, check, publish, discard, edit_page,
          save_edit, whatif_page, whatif_table, apply_to_period]
