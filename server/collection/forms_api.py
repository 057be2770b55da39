"""Form versions over the API: what the phone (or another client) needs to fill and check a form."""

from __future__ import annotations

from typing import Any

from litestar.params import FromPath
from litestar import get
from pydantic import BaseModel

from forms import registry as form_registry
from server.core.errors import not_found


class FormVersionSummary(BaseModel):
    form_id: str
    version: int
    status: str
    title: dict[str, str]


@get("/api/forms", summary="List forms and their versions", tags=["forms"])
async def list_forms() -> list[FormVersionSummary]:
    return [FormVersionSummary(form_id=f.form_id, version=f.version, status=f.status, title=f.title)
            for f in form_registry.list_forms()]


@get("/api/forms/{form_id:str}/{version:int}", summary="Fetch one form version (its whole definition)",
     tags=["forms"])
async def get_form_version(form_id: FromPath[str], version: FromPath[int]) -> dict[str, Any]:
    try:
        return form_registry.get_form(form_id, version).to_client_json()
    except form_registry.FormNotAccepted as missing:
        raise not_found(missing.message, missing.params) from missing


ROUTES = [list_forms, get_form_version]
