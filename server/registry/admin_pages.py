"""The registry on the web (admins): the communes of a province with their scoring type, a list of
mountain, island or especially difficult communes imported from a decision (preview, then apply),
and what changed."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from scoring import COMMUNE_TYPE_LABELS, COMMUNE_TYPES
from server.accounts.auth import current_user, requires_role
from server.core.errors import InputError
from server.core.requests import chosen, form_with_file
from server.core.tables import Unit
from server.registry import commune_types
from server.registry.units import UNIT_SETS, communes_in
from server.review.pages import client_ip, error_list

admins = requires_role("admin")
MAX_FILE = 5 * 2**20  # a national list of 3,321 communes is well under 1 MB


async def _page(request: Request, unit_set: str, province_code: str, *, preview: commune_types.Preview | None = None,
                errors: list | None = None, status: int = 200, form: dict | None = None, done: str = "") -> Template:
    unit_set = unit_set if unit_set in UNIT_SETS else "2025"
    provinces = await Unit.select(Unit.code, Unit.name).where(
        (Unit.unit_set == unit_set) & (Unit.kind == "province")).order_by(Unit.code).run()
    province = await Unit.objects().where(Unit.key == f"{unit_set}:{province_code}").first().run() \
        if province_code else None
    communes = await communes_in(province) if province is not None and province.kind == "province" else []
    counts = {key: sum(1 for c in communes if c.commune_type == key) for key in COMMUNE_TYPES}
    return Template("admin_registry.html", status_code=status, context={
        "unit_set": unit_set, "unit_sets": UNIT_SETS, "provinces": provinces, "province": province,
        "communes": communes, "counts": counts, "types": COMMUNE_TYPES, "type_labels": COMMUNE_TYPE_LABELS,
        "preview": preview, "errors": errors or [], "form": form or {}, "done": done,
        "changes": await commune_types.recent_changes(unit_set), "user": current_user(request)})


@get("/admin/registry", name="admin_registry", guards=[admins], include_in_schema=False)
async def registry_page(request: Request,
                        unit_set: Annotated[str, QueryParameter(name="set", required=False, max_length=16)] = "2025",
                        province: Annotated[str, QueryParameter(required=False, max_length=16)] = "",
                        done: Annotated[str, QueryParameter(required=False, max_length=10)] = "") -> Template:
    return await _page(request, unit_set, province, done=done)


@post("/admin/registry/types/preview", guards=[admins], include_in_schema=False, status_code=200,
      request_max_body_size=MAX_FILE)
async def preview_types(request: Request) -> Template:
    """Read an uploaded list and show what it would change; nothing is stored."""
    data, file = await form_with_file(request)
    try:
        upload = chosen(file)
        content = await upload.read()
        shown = await commune_types.preview(content, upload.filename, data.get("unit_set", "2025"),
                                            data.get("default_type", ""), data.get("reason", ""))
    except InputError as refused:
        return await _page(request, data.get("unit_set", "2025"), data.get("province", ""),
                           errors=error_list(refused), status=refused.status_code, form=data)
    return await _page(request, shown.unit_set, data.get("province", ""), preview=shown, form=data)


@post("/admin/registry/types", guards=[admins], include_in_schema=False, status_code=303)
async def apply_types(request: Request) -> Template | Redirect:
    """Apply the changes the preview listed (each one checked again), with the decision as the reason."""
    form = await request.form()
    data = {key: value for key, value in form.items() if isinstance(value, str)}
    changes = []
    for value in form.getall("change", []):
        code, _, commune_type = str(value).partition(":")
        changes.append((code, commune_type))
    try:
        changed = await commune_types.apply(data.get("unit_set", ""), changes, data.get("reason", ""),
                                            current_user(request), data.get("file_name", ""), ip=client_ip(request))
    except InputError as refused:
        return await _page(request, data.get("unit_set", "2025"), data.get("province", ""),
                           errors=error_list(refused), status=refused.status_code, form=data)
    return Redirect(f"/admin/registry?set={data.get('unit_set')}&province={data.get('province', '')}&done={changed}",
                    status_code=303)


ROUTES = [registry_page, preview_types, apply_types]
