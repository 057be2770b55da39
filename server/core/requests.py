"""Request hygiene: malformed JSON and impossible static file names are client errors, never 500s."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.connection import ASGIConnection
from litestar.exceptions import ClientException, NotFoundException
from litestar.handlers import BaseRouteHandler

from server.core.errors import FieldError, InputError
from server.core.i18n import N_


class SafeRequest(Request):
    async def json(self) -> Any:
        """msgspec raises RecursionError on very deep nesting and UnicodeDecodeError on bytes that are
        not UTF-8, not its decode error: Litestar would answer both with a 500."""
        try:
            return await super().json()
        except RecursionError as deep:
            raise ClientException(N_("The data sent is nested too deeply.")) from deep
        except UnicodeDecodeError as garbled:
            raise ClientException(N_("The data sent is not valid UTF-8 text.")) from garbled


async def sane_static_path(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A guard for the static files router: a NUL byte or a name longer than the file system allows
    makes the file look-up raise (ValueError, OSError), which Litestar answers with a 500."""
    path = str(connection.path_params.get("file_path", ""))
    if "\x00" in path or any(len(part.encode()) > 255 for part in path.split("/")):
        raise NotFoundException()


SPREADSHEET = N_("Choose a CSV or Excel file (.csv, .xlsx).")


async def form_with_file(request: Request) -> tuple[dict[str, str], UploadFile | None]:
    """A multipart form's text fields (to show again with an error) and its `file` part, if one was chosen."""
    form = await request.form()
    upload = form.get("file")
    return ({key: value for key, value in form.items() if isinstance(value, str)},
            upload if isinstance(upload, UploadFile) and upload.filename else None)


def chosen(upload: UploadFile | None, message: str = SPREADSHEET) -> UploadFile:
    """The uploaded file, or the error that names the `file` field."""
    if upload is None:
        raise InputError([FieldError("file", "required", message)])
    return upload
