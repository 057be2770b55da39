"""The review's refusals, as HTTP errors the app's handler already turns into pages and JSON."""

from __future__ import annotations

from litestar.exceptions import PermissionDeniedException

from server.core.errors import FieldError, InputError
from server.core.i18n import N_

STALE = N_("Someone else changed this assessment after you opened it. Reload the page to see their changes, "
           "then try again.")


class Conflict(InputError):
    """The form was made from an older version of the assessment: nothing was changed (HTTP 409)."""

    def __init__(self) -> None:
        super().__init__([FieldError("version", "stale", STALE)], detail=STALE, status_code=409)


class NotAllowed(PermissionDeniedException):
    """Outside the user's area or role (HTTP 403); `detail` is a msgid."""


def invalid(field: str, code: str, message: str, **params: object) -> InputError:
    """One bad field (HTTP 422), nothing stored."""
    return InputError([FieldError(field, code, message, dict(params))], detail=message if not params else
                      N_("The data sent has errors."))
