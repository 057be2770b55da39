"""Photos of submissions on the server's disk, for the web form and OpenRosa (ODK Collect) alike.

A photo question's answer is a *name* (e.g. `photo.jpg`, or the phone's `1712345678901.jpg`); the
file arrives with the submission (OpenRosa: in the same multipart POST) or just after it (web:
`PUT /api/submissions/<uuid>/photos/<name>`). Every file is checked by its bytes before anything is
kept: a JPEG, PNG or WebP image that Pillow can read, at most `MAX_BYTES` and `MAX_PIXELS`. It is
stored at `<data dir>/attachments/<submission uuid>/<sha256>.<ext>`: a name made from the content,
never from what the phone sent, so no file name can escape the folder or collide. The phone's own
file name (any length, any script) is kept as data (`original_name`). One file per photo answer: a
resend of the same bytes is a duplicate, different bytes for an answered photo are refused (409).

The API the review pages use (a reviewer sees a submission's photos; the public never does):

- `photos_of(uuid)` / `photos_of_many(uuids)`: the stored photos (`Photo`) of submissions;
- `missing_photos(row)`: the names its answers mention that have not arrived (yet);
- `open_photo(uuid, name)`: the `Photo` and its path on disk (404 if there is none);
- `photo_response(photo, path)`: the HTTP response that shows it (inline, private cache);
- `Photo.url`: where a logged-in reviewer, admin or the commune's collaborator can see it.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import UUID

import anyio
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.response import File
from PIL import Image, UnidentifiedImageError

from forms import registry as form_registry
from forms.model import FormVersion
from server.core import audit
from server.core.db import insert_row, write_atomically
from server.core.errors import FieldError, InputError
from server.core.i18n import N_
from server.core.settings import get_settings
from server.core.tables import Submission, SubmissionPhoto, User

MAX_BYTES = 10 * 1024 * 1024
"""Largest photo file (ODK Collect may send a camera's full-size picture; the web form sends ≤ 300 KB)."""
MAX_PIXELS = 50_000_000
"""Largest picture in pixels: a bigger one is refused before Pillow decodes it (decompression bombs)."""
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
NOT_KEPT = N_("The photo was not kept.")
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}")
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9._-]+")


class PhotoRefused(InputError):
    """A photo file that is not kept: 422 (400 over OpenRosa), or 409 for other bytes under a stored name."""


@dataclass(frozen=True)
class Photo:
    """One stored photo of a submission."""

    submission_uuid: UUID
    name: str
    original_name: str
    content_type: str
    size: int
    width: int
    height: int
    sha256: str
    stored_name: str
    received_at: datetime

    @property
    def url(self) -> str:
        return f"/api/submissions/{self.submission_uuid}/photos/{quote(self.name)}"


@dataclass(frozen=True)
class Checked:
    """A photo file that passed the checks, not yet stored."""

    name: str
    original_name: str
    content: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str

    @property
    def stored_name(self) -> str:
        return f"{self.sha256[:32]}.{self.extension}"


# ---------------------------------------------------------------- names

def reference_for(file_name: str) -> str:
    """The name a photo answer stores for a file the phone named `file_name` (deterministic).

    A plain short name (`1712345678901.jpg`) stays as it is; any other ("Ảnh sân chơi thôn 3.jpg", a
    300-character name, `../../etc/passwd`) becomes letters, digits and dashes with a short hash of the
    original, so that the answer and its file still meet: `Anh-san-choi-thon-3-5f1c9a2e.jpg`.
    """
    base = unicodedata.normalize("NFC", file_name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if _SAFE.fullmatch(base) and ".." not in base:
        return base
    stem, dot, extension = base.rpartition(".")
    if not dot:
        stem, extension = base, ""
    ascii_stem = unicodedata.normalize("NFKD", stem.replace("đ", "d").replace("Đ", "D")).encode("ascii", "ignore").decode()
    ascii_stem = _UNSAFE_RUN.sub("-", ascii_stem).replace("..", "-").strip("-._")[:60] or "photo"
    extension = _UNSAFE_RUN.sub("", extension)[:8].lower()
    digest = hashlib.sha256(file_name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{ascii_stem}-{digest}" + (f".{extension}" if extension else "")


def photo_names(form: FormVersion, answers: dict[str, Any]) -> list[str]:
    """The photo names a submission's answers mention, in form order."""
    return [answers[field.key] for field in form.fields
            if field.type == "photo" and isinstance(answers.get(field.key), str)]


# ---------------------------------------------------------------- checking bytes

def check(name: str, original_name: str, content: bytes) -> Checked:
    """The file if it is a photo we keep (by its bytes, never by its name or declared type)."""
    shown = original_name or name
    if len(content) > MAX_BYTES:
        raise _refused(name, "too_large", N_("The photo «%(name)s» is too large: at most %(megabytes)s MB."),
                       name=shown, megabytes=MAX_BYTES // 2**20)
    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format
            width, height = image.size
            if kind in FORMATS and width * height <= MAX_PIXELS:
                image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        kind, width, height = None, 0, 0
    if kind not in FORMATS:
        raise _refused(name, "not_a_photo", N_("The file «%(name)s» is not a photo (JPEG, PNG or WebP)."), name=shown)
    if width * height > MAX_PIXELS:
        raise _refused(name, "too_many_pixels",
                       N_("The photo «%(name)s» is too large: at most %(megapixels)s million pixels."),
                       name=shown, megapixels=MAX_PIXELS // 1_000_000)
    content_type, extension = FORMATS[kind]
    return Checked(name, original_name[:500], content, content_type, extension, width, height,
                   hashlib.sha256(content).hexdigest())


def _refused(answer: str, code: str, message: str, status: int = 422, **params: Any) -> PhotoRefused:
    return PhotoRefused([FieldError(f"photos.{answer}", code, message, params)], detail=NOT_KEPT, status_code=status)


async def check_parts(form: FormVersion, answers: dict[str, Any], parts: list[UploadFile]) -> list[Checked]:
    """The uploaded files that are photos of these answers, each checked (PhotoRefused names a bad one).

    A file is matched to its answer by `reference_for` of its file name (as OpenRosa phones send them);
    files no photo answer mentions are not kept.
    """
    wanted = set(photo_names(form, answers))
    checked: dict[str, Checked] = {}
    for part in parts:
        original = part.filename or ""
        name = reference_for(original)
        if name not in wanted or name in checked:
            continue
        checked[name] = check(name, original, await part.read(MAX_BYTES + 1))
    return list(checked.values())


# ---------------------------------------------------------------- storing

def folder_of(submission_uuid: UUID) -> Path:
    return get_settings().data_dir / "attachments" / str(submission_uuid)


async def keep(submission: Submission, checked: list[Checked], *, user: User | None, source: str,
               ip: str | None = None) -> list[str]:
    """Store photos of a stored submission; the names newly stored (a repeat of a stored one is skipped).

    The file is written first (under its content's name, so a retry rewrites the same bytes), then its
    row and audit entry in one transaction; a photo whose name is stored with other bytes is a 409.
    """
    stored = {photo.name: photo for photo in await photos_of(submission.uuid)}
    kept = []
    for photo in checked:
        earlier = stored.get(photo.name)
        if earlier is not None:
            if earlier.sha256 != photo.sha256:
                raise _refused(photo.name, "conflict", N_("Another photo «%(name)s» is already stored for this form."),
                               status=409, name=photo.original_name or photo.name)
            continue
        await anyio.to_thread.run_sync(_write, folder_of(submission.uuid) / photo.stored_name, photo.content)
        row = SubmissionPhoto(
            key=f"{submission.id}:{photo.name}", submission=submission.id, name=photo.name,
            stored_name=photo.stored_name, original_name=photo.original_name, content_type=photo.content_type,
            size=len(photo.content), width=photo.width, height=photo.height, sha256=photo.sha256, source=source,
            uploaded_by=user.id if user else None)
        try:
            await write_atomically(insert_row(row), audit.entry(
                "submission_photo_stored", "submission", submission.uuid, user=user, ip=ip,
                after={"name": photo.name, "original_name": photo.original_name, "size": len(photo.content),
                       "sha256": photo.sha256}))
        except Exception:
            # The same photo sent twice at once: the unique key let one in; the other is that one's duplicate.
            again = {p.name: p for p in await photos_of(submission.uuid)}.get(photo.name)
            if again is None:
                raise
            if again.sha256 != photo.sha256:
                raise _refused(photo.name, "conflict", N_("Another photo «%(name)s» is already stored for this form."),
                               status=409, name=photo.original_name or photo.name) from None
            continue
        kept.append(photo.name)
    return kept


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(content)
    tmp.replace(path)


# ---------------------------------------------------------------- reading (the review pages use these)

_COLUMNS = (SubmissionPhoto.submission.uuid.as_alias("uuid"), SubmissionPhoto.name, SubmissionPhoto.original_name,
            SubmissionPhoto.content_type, SubmissionPhoto.size, SubmissionPhoto.width, SubmissionPhoto.height,
            SubmissionPhoto.sha256, SubmissionPhoto.stored_name, SubmissionPhoto.received_at)


def _photo(row: dict[str, Any]) -> Photo:
    uuid = row.pop("uuid")
    return Photo(submission_uuid=uuid if isinstance(uuid, UUID) else UUID(str(uuid)), **row)


async def photos_of_many(uuids: list[UUID]) -> dict[UUID, list[Photo]]:
    """The stored photos of these submissions, by submission UUID, in the order they arrived."""
    if not uuids:
        return {}
    rows = await SubmissionPhoto.select(*_COLUMNS).where(SubmissionPhoto.submission.uuid.is_in(list(uuids))).order_by(
        SubmissionPhoto.id).run()
    found: dict[UUID, list[Photo]] = {}
    for row in rows:
        photo = _photo(row)
        found.setdefault(photo.submission_uuid, []).append(photo)
    return found


async def photos_of(submission_uuid: UUID) -> list[Photo]:
    return (await photos_of_many([submission_uuid])).get(submission_uuid, [])


async def missing_photos(row: Submission) -> list[str]:
    """Photo names the submission's answers mention that the server has not received (yet)."""
    answers = row.answers if isinstance(row.answers, dict) else {}
    try:
        form = form_registry.get_form(row.form_id, row.form_version)
    except form_registry.FormNotAccepted:
        return []
    have = {photo.name for photo in await photos_of(row.uuid)}
    return [name for name in photo_names(form, answers) if name not in have]


async def open_photo(submission_uuid: UUID, name: str) -> tuple[Photo, Path]:
    """A stored photo and its file; NotFoundException when there is none."""
    photo = next((p for p in await photos_of(submission_uuid) if p.name == name), None)
    path = folder_of(submission_uuid) / photo.stored_name if photo else None
    if photo is None or path is None or not path.is_file():
        raise NotFoundException(N_("There is no such photo."))
    return photo, path


def photo_response(photo: Photo, path: Path) -> File:
    """The photo, shown inline under its original name; private (never in a shared cache), immutable."""
    return File(path=path, media_type=photo.content_type, content_disposition_type="inline",
                filename=photo.original_name or photo.name,
                headers={"cache-control": "private, max-age=31536000, immutable"})
