"""Account administration on the web (admins): find, create, change, reset a password, unlock,
deactivate or reactivate, and import many from a spreadsheet. The service is `server.accounts.admin`."""

from __future__ import annotations

import json
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from server.accounts import admin
from server.accounts.auth import ROLES, current_user, requires_role
from server.accounts.users import AREA_KINDS
from server.core.errors import FieldError, InputError
from server.core.requests import chosen, form_with_file
from server.core.filenames import attachment, export_name
from server.core.i18n import N_
from server.core.spreadsheets import MAX_ROWS
from server.core.tables import Unit
from server.registry.units import UNIT_SETS
from server.review import audit_log, audit_view
from server.review.pages import client_ip, error_list

admins = requires_role("admin")
MAX_FILE = 5 * 2**20  # 2,000 accounts are well under 1 MB
Text = Annotated[str, QueryParameter(required=False, max_length=100)]


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


async def _units(unit_set: str = "2025") -> list[dict[str, Any]]:
    """Provinces, districts and communes of the set for the unit field's suggestions (code and name)."""
    return await Unit.select(Unit.code, Unit.name, Unit.kind).where(
        (Unit.unit_set == unit_set) & Unit.kind.is_in(["province", "district", "commune"])).order_by(
        Unit.level).order_by(Unit.name).limit(MAX_ROWS).run()


def _context(request: Request, **values: Any) -> dict[str, Any]:
    return {"user": current_user(request), "roles": ROLES, "role_labels": admin.ROLE_LABELS,
            "states": admin.STATES, "unit_sets": UNIT_SETS, "area_kinds": AREA_KINDS, **values}


# ---------------------------------------------------------------- the list

@get("/admin/users", name="admin_users", guards=[admins], include_in_schema=False)
async def user_list(request: Request, q: Text = "", role: Text = "",
                    state_: Annotated[str, QueryParameter(name="state", required=False, max_length=16)] = "",
                    page: Annotated[int, QueryParameter(required=False, ge=1, le=100_000)] = 1) -> Template:
    state = state_
    accounts, total = await admin.search(q, role, state, page)
    return Template("admin_users.html", context=_context(
        request, accounts=accounts, total=total, page=page, pages=max(1, -(-total // admin.PAGE_SIZE)),
        filters={"q": q, "role": role if role in ROLES else "", "state": state if state in admin.STATES else ""}))


# ---------------------------------------------------------------- one account

async def _new_page(request: Request, *, form: dict | None = None, errors: list | None = None,
                    status: int = 200) -> Template:
    form = form or {"role": "collaborator", "unit_set": "2025"}
    return Template("admin_user_new.html", status_code=status, context=_context(
        request, form=form, errors=errors or [], units=await _units(form.get("unit_set") or "2025")))


@get("/admin/users/new", guards=[admins], include_in_schema=False)
async def new_user(request: Request) -> Template:
    return await _new_page(request)


def _password_shown(request: Request, accounts: list[tuple[Any, str]], *, kind: str, status: int = 200) -> Template:
    """The temporary password(s), shown once: the page is not cached and the passwords are stored only hashed."""
    return Template("admin_user_password.html", status_code=status, headers={"cache-control": "no-store"},
                    context=_context(request, accounts=accounts, kind=kind))


@post("/admin/users", guards=[admins], include_in_schema=False, status_code=200)
async def create_user(request: Request) -> Template:
    data = await _form(request)
    try:
        user, password = await admin.create(data, current_user(request), client_ip(request))
    except InputError as refused:
        return await _new_page(request, form=data, errors=error_list(refused), status=refused.status_code)
    return _password_shown(request, [(user, password)], kind="created", status=201)


async def _user_page(request: Request, user_id: int, *, errors: list | None = None, status: int = 200,
                     form: dict | None = None, done: str = "") -> Template:
    account = await admin.account(user_id)
    if account is None:
        raise InputError([FieldError("user", "not_found", N_("This account does not exist."))], status_code=404)
    unit_set = account.unit["unit_set"] if account.unit else "2025"
    history = await audit_view.explain(await audit_log.entries(entity="user", entity_id=str(user_id), page=1))
    return Template("admin_user.html", status_code=status, context=_context(
        request, account=account, errors=errors or [], done=done, history=history[:20],
        form=form or {"display_name": account.user["display_name"], "role": account.user["role"],
                      "unit": account.unit["code"] if account.unit else "", "unit_set": unit_set},
        units=await _units(unit_set)))


@get("/admin/users/{user_id:int}", guards=[admins], include_in_schema=False)
async def user_page(request: Request, user_id: FromPath[int],
                    done: Annotated[str, QueryParameter(required=False, max_length=16)] = "") -> Template:
    return await _user_page(request, user_id, done=done)


@post("/admin/users/{user_id:int}", guards=[admins], include_in_schema=False, status_code=303)
async def change_user(request: Request, user_id: FromPath[int]) -> Template | Redirect:
    data = await _form(request)
    try:
        changed = await admin.change(user_id, data, current_user(request), client_ip(request))
    except InputError as refused:
        if refused.status_code == 404:
            raise
        return await _user_page(request, user_id, errors=error_list(refused), status=refused.status_code, form=data)
    return Redirect(f"/admin/users/{user_id}?done={'changed' if changed else 'unchanged'}", status_code=303)


@post("/admin/users/{user_id:int}/password", guards=[admins], include_in_schema=False, status_code=200)
async def reset_password(request: Request, user_id: FromPath[int]) -> Template:
    data = await _form(request)
    try:
        user, password = await admin.reset_password(user_id, data, current_user(request), client_ip(request))
    except InputError as refused:
        if refused.status_code == 404:
            raise
        return await _user_page(request, user_id, errors=error_list(refused), status=refused.status_code)
    return _password_shown(request, [(user, password)], kind="reset")


@post("/admin/users/{user_id:int}/unlock", guards=[admins], include_in_schema=False, status_code=303)
async def unlock_user(request: Request, user_id: FromPath[int]) -> Redirect:
    await admin.unlock(user_id, current_user(request), client_ip(request))
    return Redirect(f"/admin/users/{user_id}?done=unlocked", status_code=303)


@post("/admin/users/{user_id:int}/active", guards=[admins], include_in_schema=False, status_code=303)
async def set_active(request: Request, user_id: FromPath[int]) -> Template | Redirect:
    data = await _form(request)
    active = data.get("active") == "1"
    try:
        await admin.activate(user_id, active, data, current_user(request), client_ip(request))
    except InputError as refused:
        if refused.status_code == 404:
            raise
        return await _user_page(request, user_id, errors=error_list(refused), status=refused.status_code)
    return Redirect(f"/admin/users/{user_id}?done={'activated' if active else 'deactivated'}", status_code=303)


# ---------------------------------------------------------------- many accounts from a spreadsheet

async def _import_page(request: Request, *, preview: admin.ImportPreview | None = None, rows: str = "",
                       errors: list | None = None, status: int = 200, form: dict | None = None) -> Template:
    return Template("admin_users_import.html", status_code=status, context=_context(
        request, preview=preview, rows=rows, errors=errors or [], form=form or {"unit_set": "2025"},
        max_rows=admin.MAX_IMPORT_ROWS))


@get("/admin/users/import", guards=[admins], include_in_schema=False)
async def import_page(request: Request) -> Template:
    return await _import_page(request)


@get("/admin/users/import/template.xlsx", guards=[admins], include_in_schema=False)
async def import_template(request: Request) -> Response:
    """An example list with the columns the import reads, to fill in Excel."""
    return Response(admin.template_xlsx(), media_type=admin.XLSX,
                    headers={"content-disposition": attachment(export_name("mẫu danh sách tài khoản", ext="xlsx"))})


@post("/admin/users/import/preview", guards=[admins], include_in_schema=False, status_code=200,
      request_max_body_size=MAX_FILE)
async def preview_import(request: Request) -> Template:
    """Read the uploaded list and check every row; nothing is stored."""
    data, file = await form_with_file(request)
    try:
        upload = chosen(file)
        rows = admin.read_rows(await upload.read(), upload.filename, data.get("default_role", ""))
        preview = await admin.check_rows(rows, data.get("unit_set", "2025"))
    except InputError as refused:
        return await _import_page(request, errors=error_list(refused), status=refused.status_code, form=data)
    preview.file_name = upload.filename[:200]
    return await _import_page(request, preview=preview, rows=json.dumps(rows, ensure_ascii=False), form=data)


def _rows(text: str) -> list[tuple[int, str, str, str, str]]:
    """The rows the preview carried, as the preview read them (checked again before anything is stored)."""
    try:
        rows = json.loads(text)
        parsed = [(int(n), str(u), str(d), str(r), str(t)) for n, u, d, r, t in rows]
    except (ValueError, TypeError, RecursionError) as error:  # RecursionError: "[[[[…" nested too deep
        raise InputError([FieldError("rows", "invalid", N_("The list to import is not valid: preview the file again."))]) \
            from error
    if not parsed or len(parsed) > admin.MAX_IMPORT_ROWS:
        raise InputError([FieldError("rows", "invalid", N_("The list to import is not valid: preview the file again."))])
    return parsed


@post("/admin/users/import", guards=[admins], include_in_schema=False, status_code=200,
      request_max_body_size=MAX_FILE)
async def apply_import(request: Request) -> Template:
    """Create every account of the previewed list, or none."""
    data = await _form(request)
    try:
        rows = _rows(data.get("rows", ""))
        preview = await admin.check_rows(rows, data.get("unit_set", ""))
        if not preview.errors:
            created = await admin.import_accounts(rows, preview.unit_set, data.get("file_name", ""),
                                                  current_user(request), client_ip(request))
            return _password_shown(request, created, kind="imported", status=201)
    except InputError as refused:
        return await _import_page(request, errors=error_list(refused), status=refused.status_code, form=data)
    preview.file_name = data.get("file_name", "")[:200]  # a row went wrong since the preview (a name taken meanwhile)
    return await _import_page(request, preview=preview, rows=data["rows"], form=data, status=409, errors=[
        FieldError("file", "invalid", N_("%(count)s rows have errors: nothing was imported. Correct the file and "
                                         "preview it again."), {"count": preview.errors}).render()])


ROUTES = [user_list, new_user, create_user, user_page, change_user, reset_password, unlock_user, set_active,
          import_page, import_template, preview_import, apply_import]
