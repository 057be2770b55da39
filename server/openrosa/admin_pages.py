"""Admin pages for ODK Collect / KoboCollect: device tokens, XLSForm upload, XLSForm download."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Template

from forms import registry as form_registry
from forms.xlsform import export_workbook
from server.core import i18n
from server.accounts.auth import current_user, requires_role
from server.core.errors import InputError, not_found
from server.core.export_cells import xlsx_bytes
from server.core.settings import get_settings
from server.core.strict import MAX_FORM_VERSION, parse_int
from server.openrosa import drafts, tokens
from server.openrosa.routes import MAX_BODY

admins = requires_role("admin")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_XLSFORM = 5 * 1024 * 1024


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _page(request: Request, *, status: int = 200, **context) -> Template:
    return Template("odk_admin.html", status_code=status, context={
        "tokens": await tokens.list_tokens(), "forms": form_registry.list_forms(),
        "base_url": get_settings().public_url(str(request.base_url)), "max_megabytes": MAX_BODY // 2**20,
        "new_token": None, "server_url": None, "token_errors": [], "import_result": None, "draft_path": None,
        "import_errors": [], "import_warnings": [], "values": {}, **context})


@get("/admin/odk", name="odk_admin", guards=[admins], include_in_schema=False)
async def odk_page(request: Request) -> Template:
    return await _page(request)


@post("/admin/odk/tokens", guards=[admins], include_in_schema=False, status_code=200)
async def create_token(request: Request) -> Template:
    """Make a token and show it once, inside the server URL to type or paste into ODK Collect."""
    form = await request.form()
    values = {key: str(form.get(key) or "") for key in ("username", "label")}
    try:
        token, _ = await tokens.create_token(values["username"], values["label"], by=current_user(request),
                                             ip=_ip(request))
    except InputError as refused:
        return await _page(request, status=422, values=values, token_errors=[e.render() for e in refused.errors])
    return await _page(request, new_token=token, values=values,
                       server_url=f"{get_settings().public_url(str(request.base_url))}/openrosa/key/{token}")


@post("/admin/odk/tokens/{token_id:int}/revoke", guards=[admins], include_in_schema=False, status_code=303)
async def revoke_token(request: Request, token_id: FromPath[int]) -> Redirect:
    await tokens.revoke_token(token_id, by=current_user(request), ip=_ip(request))
    return Redirect("/admin/odk", status_code=303)


@post("/admin/odk/xlsform", guards=[admins], include_in_schema=False, status_code=200,
      request_max_body_size=MAX_XLSFORM)
async def upload_xlsform(request: Request) -> Template:
    """An XLSForm → a draft version; problems listed by sheet, row and column."""
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await _page(request, status=422, import_errors=[i18n.gettext(i18n.N_("Choose an XLSForm file (.xlsx)."))])
    result, path = await drafts.import_draft(await upload.read(), upload.filename, by=current_user(request),
                                             ip=_ip(request))
    problems = [problem.render(i18n.gettext) for problem in result.errors]
    return await _page(request, status=200 if result.form else 422, import_result=result, draft_path=path,
                       import_errors=problems, import_warnings=[w.render(i18n.gettext) for w in result.warnings])


@get("/admin/forms/{form_id:str}/{file_name:str}", guards=[requires_role("admin", "reviewer")],
     include_in_schema=False)
async def download_xlsform(form_id: FromPath[str], file_name: FromPath[str]) -> Response:
    """One form version as an XLSForm (.xlsx), for admins and reviewers."""
    version = parse_int(file_name.removesuffix(".xlsx"), minimum=1, maximum=MAX_FORM_VERSION)
    try:
        if not file_name.endswith(".xlsx") or version is None:
            raise form_registry.FormNotAccepted("unknown", i18n.N_("This page does not exist."))
        form = form_registry.get_form(form_id, version)
    except form_registry.FormNotAccepted as missing:
        raise not_found(missing.message, missing.params) from missing
    return Response(xlsx_bytes(export_workbook(form)), media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{form.form_id}-v{form.version}.xlsx"'})


ROUTES = [odk_page, create_token, revoke_token, upload_xlsform, download_xlsform]
