"""POST /api/submissions and the list of my submissions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import JSONBody, QueryParameter
from pydantic import BaseModel, Field

from server.collection import submissions
from server.accounts.auth import current_user, requires_login


class SubmissionIn(BaseModel):
    """One filled form, as the phone sends it."""

    uuid: UUID = Field(description="Made by the phone; resending the same UUID stores nothing new.")
    form_id: str = Field(max_length=64, examples=["play-area"])
    form_version: int = Field(ge=1, examples=[1])
    answers: dict[str, Any] = Field(description="Answers by field key, as the form version defines them.")
    commune_code: str | None = Field(default=None, max_length=16,
                                     description="Official code; defaults to the collaborator's commune.")
    client_created_at: datetime | None = None


class SubmissionOut(BaseModel):
    uuid: UUID
    form_id: str
    form_version: int
    commune_code: str
    commune_name: str
    state: str
    received_at: datetime
    duplicate: bool = Field(description="True when this UUID was already stored: nothing new was stored.")


@post("/api/submissions", guards=[requires_login], summary="Submit a filled form", tags=["submissions"],
      status_code=201)
async def create_submission(request: Request, data: JSONBody[SubmissionIn]) -> Response[SubmissionOut]:
    user = current_user(request)
    try:
        stored = await submissions.submit(
            user, uuid=data.uuid, form_id=data.form_id, form_version=data.form_version, answers=data.answers,
            commune_code=data.commune_code, client_created_at=data.client_created_at, source="api",
            ip=request.client.host if request.client else None)
    except submissions.Forbidden as refused:
        raise PermissionDeniedException(refused.message) from refused
    row = stored.submission
    out = SubmissionOut(uuid=row.uuid, form_id=row.form_id, form_version=row.form_version,
                        commune_code=stored.commune.code, commune_name=stored.commune.name, state=row.state,
                        received_at=row.received_at, duplicate=stored.duplicate)
    return Response(out, status_code=200 if stored.duplicate else 201)


@get("/api/submissions", guards=[requires_login], summary="List my submissions", tags=["submissions"])
async def list_submissions(
    request: Request,
    limit: Annotated[int, QueryParameter(ge=1, le=200, required=False)] = 50,
    offset: Annotated[int, QueryParameter(ge=0, le=1_000_000_000, required=False)] = 0,
) -> list[SubmissionOut]:
    rows = await submissions.list_for(current_user(request), limit=limit, offset=offset)
    return [SubmissionOut(uuid=r["uuid"], form_id=r["form_id"], form_version=r["form_version"],
                          commune_code=r["commune.code"], commune_name=r["commune.name"], state=r["state"],
                          received_at=r["received_at"], duplicate=False) for r in rows]


ROUTES = [create_submission, list_submissions]
