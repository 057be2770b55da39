"""Errors as users see them: JSON with field paths for the API, a page or a redirect for people.

Every message is a msgid translated into the request's language here, at the edge.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from asyncpg.exceptions import DataError as PostgresDataError
from asyncpg.exceptions import DiskFullError as PostgresDiskFull
from asyncpg.exceptions import ReadOnlySQLTransactionError as PostgresReadOnly
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from server.core.i18n import N_, gettext, has_message


@dataclass
class FieldError:
    """One problem with one field: `message` is a msgid (or already-translated text)."""

    field: str
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "message": gettext(self.message, **self.params)}


class InputError(HTTPException):
    """Bad input: 4xx with every problem listed by field; nothing was stored. `detail` (a msgid, with its
    `params`) says what went wrong in one sentence: the phone shows it in its list of refused forms."""

    status_code = 422

    def __init__(self, errors: list[FieldError], detail: str = N_("The data sent has errors."),
                 status_code: int = 422, params: dict[str, Any] | None = None) -> None:
        super().__init__(detail=detail, status_code=status_code)
        self.errors = errors
        self.params = params or {}


def not_found(message: str, params: dict[str, Any]) -> NotFoundException:
    """A 404 whose detail is a msgid with params (filled where it is translated, like InputError's)."""
    error = NotFoundException(message)
    error.params = params
    return error


STORAGE_FULL = N_("The server's storage is full: nothing was stored. The form stays on your phone; "
                  "send it again later.")
READ_ONLY = N_("The server cannot write to its database at the moment: nothing was stored. The form stays on "
               "your phone; send it again later. Tell the administrator.")
STATUS_MESSAGES = {
    400: N_("The request could not be understood."),
    401: N_("Please log in."),
    403: N_("You do not have permission to do this."),
    404: N_("This page does not exist."),
    405: N_("This action is not allowed here."),
    409: N_("Someone else changed this data at the same time. Reload and try again."),
    413: N_("The data sent is too large."),
    429: N_("Too many requests. Please wait a moment and try again."),
    500: N_("Something went wrong on the server. Your data was not changed; please try again."),
    503: READ_ONLY,
    507: STORAGE_FULL,
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(("/api", "/schema")) or "application/json" in request.headers.get("accept", "")


def _detail(exc: Exception, status: int) -> str:
    """Our own msgids are translated; Litestar's technical English gives way to a plain message."""
    detail = getattr(exc, "detail", "") or ""
    if detail and has_message(detail):
        params = getattr(exc, "params", None)  # InputError's and not_found's: the msgid's %(name)s
        return gettext(detail, **(params if isinstance(params, dict) else {}))
    return gettext(STATUS_MESSAGES.get(status, STATUS_MESSAGES[400 if status < 500 else 500]))


def _validation_errors(exc: ValidationException) -> list[dict[str, Any]]:
    """Litestar's body/parameter validation errors, reshaped to our field/code/message form."""
    errors = []
    for item in exc.extra or []:
        if isinstance(item, dict):
            key = str(item.get("key") or "").removeprefix("body.") or "body"
            errors.append({"field": key, "code": "invalid", "message": gettext(N_("This value is not valid."))})
    missing = _MISSING.match(str(exc.detail or ""))
    if not errors and missing:  # Litestar names a missing parameter only in its English detail
        return [{"field": missing.group(1), "code": "required", "message": gettext(N_("This field is required."))}]
    return errors or [{"field": "body", "code": "invalid", "message": gettext(N_("This value is not valid."))}]


def as_http(request: Request, exc: Exception) -> Exception:
    """The HTTP meaning of what the database said: a number in the URL too large for its integer
    (SQLite: OverflowError, PostgreSQL: asyncpg's DataError) names nothing that can exist: 404; a full
    disk: 507; a database that cannot be written (read-only file or server): 503. Those last two
    are logged once as what they are. Anything else is returned as it is (a real bug stays a 500)."""
    if isinstance(exc, (OverflowError, PostgresDataError)):
        return NotFoundException()
    text = str(exc).lower()
    if isinstance(exc, PostgresDiskFull) or (isinstance(exc, sqlite3.OperationalError) and "full" in text):
        request.logger.error("database storage is full: %s", exc)
        return HTTPException(detail=STORAGE_FULL, status_code=507)
    if isinstance(exc, PostgresReadOnly) or (isinstance(exc, sqlite3.OperationalError) and "readonly" in text):
        request.logger.error("the database cannot be written: %s", exc)
        return HTTPException(detail=READ_ONLY, status_code=503)
    return exc


_MISSING = re.compile(r"Missing required \w+ parameter '([^']{1,100})'")


def handle_exception(request: Request, exc: Exception) -> Response:
    exc = as_http(request, exc)
    status = getattr(exc, "status_code", HTTP_500_INTERNAL_SERVER_ERROR)
    if status == HTTP_500_INTERNAL_SERVER_ERROR:
        request.logger.exception("server error", exc_info=exc)
    if isinstance(exc, InputError):
        errors = [e.render() for e in exc.errors]
    elif isinstance(exc, ValidationException):
        errors = _validation_errors(exc)
    else:
        errors = []
    detail = _detail(exc, status)
    if _wants_json(request):
        return Response({"status": status, "detail": detail, "errors": errors}, status_code=status,
                        media_type=MediaType.JSON, headers=getattr(exc, "headers", None))
    if isinstance(exc, NotAuthorizedException):
        return Redirect(f"/login?next={quote(request.url.path)}")
    if getattr(exc, "redirect_to", None):  # e.g. a temporary password still to be changed
        return Redirect(exc.redirect_to)
    return Template("error.html", context={"status": status, "detail": detail, "errors": errors},
                    status_code=status)


# Every class with a handler of its own (Litestar picks the most specific class, whatever the layer: a
# router that wants every error in its own format, as /openrosa does, maps the same classes).
EXCEPTION_CLASSES = (HTTPException, Exception, PermissionDeniedException, OverflowError, PostgresDataError,
                     sqlite3.OperationalError, PostgresDiskFull, PostgresReadOnly)
