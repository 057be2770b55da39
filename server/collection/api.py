"""POST /api/submissions and the list of my submissions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, get, post, put
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import File
from pydantic import BaseModel, Field

from forms import registry as form_registry
from server.accounts.auth import current_user, requires_login
from server.collection import photos, submissions
from server.core.errors import FieldError, InputError
from server.core.i18n import N_
from server.core.middleware import SMALL_REPLY
from server.core.strict import MAX_FORM_VERSION
from server.core.tables import Submission, User
from server.review.assessments import check_area


class SubmissionIn(BaseModel):
    """One filled form, as the phone sends it."""

    uuid: UUID = Field(description="Made by the phone; resending the same UUID stores nothing new.")
    form_id: str = Field(max_length=64, examples=["play-area"])
    form_version: int = Field(ge=1, le=MAX_FORM_VERSION, examples=[1])
    answers: dict[str, Any] = Field(description="Answers by field key, as the form version defines them.")
    commune_code: str | None = Field(default=None, max_length=16,
                                     description="Official code; defaults to the collaborator's commune.")
    client_created_at: datetime | None = None
    username: str | None = Field(default=None, max_length=64,
                                 description="Who filled it in on the phone; refused (403) in anybody else's session.")


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
      status_code=201, opt={SMALL_REPLY: True})
async def create_submission(request: Request, data: JSONBody[SubmissionIn]) -> Response[SubmissionOut]:
    user = current_user(request)
    if data.username is not None and data.username != user.username:
        # A shared phone: the form stays on it until the person who filled it in logs in again.
        raise PermissionDeniedException(N_("This form was filled in by another user; it is sent when they log in."))
    try:
        stored = await submissions.submit(
            user, uuid=data.uuid, form_id=data.form_id, form_version=data.form_version, answers=data.answers,
            commune_code=data.commune_code, client_created_at=data.client_created_at, source="api",
            ip=request.client.host if request.client else None)
    except submissions.Forbidden as refused:
        raise PermissionDeniedException(refused.message) from refused
    row = stored.values
    out = SubmissionOut(uuid=row["uuid"], form_id=row["form_id"], form_version=row["form_version"],
                        commune_code=stored.commune.code, commune_name=stored.commune.name, state=row["state"],
                        received_at=row["received_at"], duplicate=stored.duplicate)
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



class PhotoOut(BaseModel):
    name: str = Field(description="The photo question's answer this file belongs to.")
    original_name: str = Field(description="The file name on the phone, kept as data only.")
    content_type: str
    size: int
    width: int
    height: int
    duplicate: bool = Field(description="True when this photo was already stored: nothing new was stored.")


async def _own_submission(user: User, uuid: UUID) -> Submission:
    """A submission its author may add photos to (another user's or an unknown one: 404, revealing nothing)."""
    row = await Submission.objects().where(Submission.uuid == uuid).first().output(load_json=True)
    if row is None or row.author != user.id:
        raise NotFoundException(N_("There is no such submission."))
    return row


@put("/api/submissions/{uuid:uuid}/photos/{name:str}", guards=[requires_login], status_code=201,
     opt={SMALL_REPLY: True}, summary="Send the photo of a stored submission (multipart, part `photo`)",
     tags=["submissions"])
async def put_photo(request: Request, uuid: FromPath[UUID], name: FromPath[str]) -> Response[PhotoOut]:
    """Checked by its bytes (JPEG, PNG or WebP); the same photo again is a duplicate (200), other bytes 409."""
    user = current_user(request)
    row = await _own_submission(user, uuid)
    form = form_registry.get_form(row.form_id, row.form_version)
    if name not in photos.photo_names(form, row.answers):
        raise InputError([FieldError("name", "unknown", N_("This form has no photo with this name."))])
    part = (await request.form()).get("photo")
    if not isinstance(part, UploadFile):
        raise InputError([FieldError("photo", "required", N_("Attach the photo as the part named photo."))])
    checked = photos.check(name, part.filename or "", await part.read(photos.MAX_BYTES + 1))
    kept = await photos.keep(row, [checked], user=user, source="web", ip=request.client.host if request.client else None)
    out = PhotoOut(name=name, original_name=checked.original_name, content_type=checked.content_type,
                   size=len(checked.content), width=checked.width, height=checked.height, duplicate=not kept)
    return Response(out, status_code=201 if kept else 200)


@get("/api/submissions/{uuid:uuid}/photos/{name:str}", guards=[requires_login], summary="See a submission's photo",
     tags=["submissions"], media_type="image/jpeg")
async def get_photo(request: Request, uuid: FromPath[UUID], name: FromPath[str]) -> File:
    """For the commune's collaborators, the reviewers of its area and admins; never the public."""
    row = await Submission.objects(Submission.commune).where(Submission.uuid == uuid).first()
    if row is None:
        raise NotFoundException(N_("There is no such photo."))
    check_area(current_user(request), row.commune)
    return photos.photo_response(*await photos.open_photo(uuid, name))


ROUTES = [create_submission, list_submissions, put_photo, get_photo]
