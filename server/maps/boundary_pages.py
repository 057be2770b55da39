"""Admin page: upload a GeoJSON of commune boundaries (then maps are choropleths where known)."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.response import Template

from server.accounts.auth import current_user, requires_role
from server.core.errors import FieldError, InputError
from server.core.i18n import N_
from server.maps import boundaries
from server.registry.units import UNIT_SETS
from server.core.tables import Boundary

MAX_UPLOAD_BYTES = 64 * 1024 * 1024  # a national file of ~10,000 simplified communes fits


async def _counts() -> dict[str, int]:
    """Boundaries stored per registry set."""
    rows = await Boundary.select(Boundary.unit.unit_set)
    counts = dict.fromkeys(UNIT_SETS, 0)
    for row in rows:
        counts[row["unit.unit_set"]] = counts.get(row["unit.unit_set"], 0) + 1
    return counts


def _page(errors: list[dict] | None = None, report: boundaries.UploadReport | None = None,
          status_code: int = 200, form: dict | None = None) -> Template:
    return Template("admin_boundaries.html", status_code=status_code, context={
        "errors": errors or [], "report": report, "unit_sets": UNIT_SETS, "form": form or {},
        "code_properties": ", ".join(boundaries.CODE_PROPERTIES)})


@get("/admin/boundaries", name="admin_boundaries", guards=[requires_role("admin")], include_in_schema=False)
async def boundaries_page() -> Template:
    template = _page()
    template.context["counts"] = await _counts()
    return template


@post("/admin/boundaries", guards=[requires_role("admin")], include_in_schema=False, status_code=200,
      request_max_body_size=MAX_UPLOAD_BYTES)
async def upload_boundaries(request: Request) -> Template:
    form = await request.form()
    unit_set = str(form.get("unit_set") or "")
    code_property = str(form.get("code_property") or "").strip() or None
    upload = form.get("file")
    shown = {"unit_set": unit_set, "code_property": code_property or ""}
    try:
        if unit_set not in UNIT_SETS:
            raise InputError([FieldError("unit_set", "invalid", N_("Choose the registry set of the codes."))])
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InputError([FieldError("file", "required", N_("Choose a GeoJSON file."))])
        content = await upload.read()
        client = request.client.host if request.client else None
        report = await boundaries.upload(content, unit_set, current_user(request), code_property=code_property,
                                         ip=client)
    except InputError as refused:
        template = _page([e.render() for e in refused.errors], status_code=422, form=shown)
    else:
        template = _page(report=report, form=shown)
    template.context["counts"] = await _counts()
    return template


ROUTES = [boundaries_page, upload_boundaries]

