"""Admin pages: import a past round or a year's registrations with a preview, resolve held rows, edit the targets.

The preview reads and matches the file and stores nothing but the file itself, under
`<data dir>/uploads/history/<sha256>` until the admin confirms (or a later upload replaces it);
confirming imports exactly the bytes that were previewed.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from server.accounts.auth import current_user, requires_role
from server.core.errors import FieldError, InputError
from server.core.i18n import N_
from server.core.settings import get_settings
from server.history import figures, imports, reports, targets
from server.registry.units import UNIT_SETS
from server.review.pages import client_ip, error_list, form_data

admins = requires_role("admin")
MAX_UPLOAD_BYTES = 16 * 1024 * 1024  # a national list of 10,035 communes is well under 2 MB
STALE_SECONDS = 24 * 3600
PREVIEW_ROWS = 200  # matched rows shown (every held row is)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _upload_dir() -> Path:
    return get_settings().data_dir / "uploads" / "history"


def _context(**extra: Any) -> dict[str, Any]:
    return {"kinds": imports.KINDS, "kind_labels": imports.KIND_LABELS, "unit_sets": UNIT_SETS,
            "status_labels": imports.STATUS_LABELS, "note_text": reports.note_text, "said": reports.said,
            "held": imports.HELD, "registry_labels": figures.REGISTRY_LABELS, **extra}


async def _index(form: dict[str, str] | None = None, errors: list[dict[str, Any]] | None = None,
                 status: int = 200) -> Template:
    return Template("history_admin.html", status_code=status, context=_context(
        found=await imports.imports(), form=form or {"kind": "results", "unit_set": "legacy"}, errors=errors or []))


@get("/admin/history", name="admin_history", guards=[admins], include_in_schema=False)
async def index() -> Template:
    return await _index()


def _fields(form: Any) -> dict[str, str]:
    return {key: str(form.get(key) or "").strip()[:100] for key in ("kind", "year", "unit_set", "province", "rules")}


@post("/admin/history/preview", guards=[admins], include_in_schema=False, status_code=200,
      request_max_body_size=MAX_UPLOAD_BYTES)
async def preview(request: Request) -> Template:
    form = await request.form()
    fields = _fields(form)
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InputError([FieldError("file", "required", N_("Choose an Excel (.xlsx) or CSV file."))])
        data = await upload.read()
        planned = await imports.plan(data, upload.filename, fields["kind"], fields["year"], fields["unit_set"],
                                     province=fields["province"] or None, rule_set=fields["rules"] or None)
    except InputError as refused:
        return await _index(fields, error_list(refused), refused.status_code)
    folder = _upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():  # previews never confirmed
        if stale.stat().st_mtime < time.time() - STALE_SECONDS:
            stale.unlink(missing_ok=True)
    (folder / planned.sha256).write_bytes(data)
    held = [row for row in planned.rows if row.status in imports.HELD]
    matched = [row for row in planned.rows if row.status not in imports.HELD]
    return Template("history_preview.html", context=_context(
        planned=planned, fields=fields, counts=planned.counts(), shown=held + matched[:PREVIEW_ROWS],
        hidden=max(0, len(matched) - PREVIEW_ROWS)))


@post("/admin/history/import", guards=[admins], include_in_schema=False, status_code=303)
async def confirm(request: Request) -> Template | Redirect:
    data = await form_data(request)
    fields = {key: data.get(key, "")[:100] for key in ("kind", "year", "unit_set", "province", "rules")}
    sha256 = data.get("sha256", "")
    path = _upload_dir() / sha256 if _SHA256.match(sha256) else None
    try:
        if path is None or not path.exists():
            raise InputError([FieldError("file", "gone", N_("The previewed file is no longer on the server: "
                                                            "upload it again."))], status_code=409)
        planned = await imports.plan(path.read_bytes(), data.get("file_name", "") or "file.xlsx", fields["kind"],
                                     fields["year"], fields["unit_set"], province=fields["province"] or None,
                                     rule_set=fields["rules"] or None)
        outcome = await imports.store(planned, user=current_user(request))
    except InputError as refused:
        return await _index(fields, error_list(refused), refused.status_code)
    path.unlink(missing_ok=True)
    return Redirect(f"/admin/history/{outcome.history_import.id}?created={int(outcome.created)}", status_code=303)


async def _detail(import_id: int, *, errors: list[dict[str, Any]] | None = None, status: int = 200,
                  created: str = "") -> Template:
    record = await imports.get_import(import_id)
    if record is None:
        raise NotFoundException(N_("There is no such import."))
    rows = await imports.rows_of(import_id)
    held = {row["id"]: row for row in await imports.held_rows(import_id)}
    return Template("history_import.html", status_code=status, context=_context(
        record=record, rows=rows, held_rows=held, counts=await imports.import_counts(import_id), errors=errors or [],
        created=created))


@get("/admin/history/{import_id:int}", guards=[admins], include_in_schema=False)
async def detail(import_id: FromPath[int],
                 created: Annotated[str, QueryParameter(required=False, max_length=1)] = "") -> Template:
    return await _detail(import_id, created=created)


@post("/admin/history/rows/{row_id:int}", guards=[admins], include_in_schema=False, status_code=303)
async def resolve(request: Request, row_id: FromPath[int]) -> Template | Redirect:
    data = await form_data(request)
    choice = data.get("commune", "").strip() or data.get("code", "").strip()
    skip = data.get("decision") == "skip"
    import_id = await _import_of(row_id)
    try:
        if not skip and not choice:
            raise InputError([FieldError("commune", "required", N_("Choose the commune, or say the row is no "
                                                                   "commune."))])
        await imports.resolve(row_id, commune_code=None if skip else choice[:16], user=current_user(request),
                              reason=data.get("reason", "")[:500])
    except InputError as refused:
        return await _detail(import_id, errors=error_list(refused), status=refused.status_code)
    return Redirect(f"/admin/history/{import_id}#row{row_id}", status_code=303)


async def _import_of(row_id: int) -> int:
    from server.core.tables import HistoryRow

    row = await HistoryRow.select(HistoryRow.history_import).where(HistoryRow.id == row_id).first().run()
    if row is None:
        raise NotFoundException(N_("There is no such row."))
    return row["history_import"]


# ---------------------------------------------------------------- targets

async def _targets_page(errors: list[dict[str, Any]] | None = None, status: int = 200,
                        form: dict[str, str] | None = None) -> Template:
    return Template("history_targets.html", status_code=status, context={
        "targets": await targets.targets(), "measures": targets.MEASURES, "measure_labels": targets.MEASURE_LABELS,
        "errors": errors or [], "form": form or {}})


@get("/admin/targets", name="admin_targets", guards=[admins], include_in_schema=False)
async def targets_page() -> Template:
    return await _targets_page()


@post("/admin/targets", guards=[admins], include_in_schema=False, status_code=303)
async def save_target(request: Request) -> Template | Redirect:
    data = await form_data(request)
    try:
        await targets.save(data, current_user(request), client_ip(request))
    except InputError as refused:
        return await _targets_page(error_list(refused), refused.status_code, data)
    return Redirect("/admin/targets?saved=1", status_code=303)


ROUTES = [index, preview, confirm, detail, resolve, targets_page, save_target]
