"""Whether a new submission joins its commune's assessment: the period, the closing date, and "approved means frozen".

A submission joins the newest open period of its commune's registry that accepts its form version.
A collaborator cannot send after the period's closing date (or the later date a reviewer gave the
commune). A submission that arrives once the commune's assessment is approved (or listed, or
recognised) is kept as "received after approval": it changes no score and no state; the reviewer
sees it and may reopen the assessment (with a reason), which takes it in.
"""

from __future__ import annotations

from typing import Any

from piccolo.utils.encoding import load_json

from server.core.errors import FieldError, InputError
from server.core.i18n import format_date
from server.core.tables import Assessment, Period, Unit, User
from server.review import deadlines
from server.review.states import FROZEN

STORED, AFTER_APPROVAL = "stored", "after_approval"

# The one read of the submission path besides the session's: the open periods of the registry, each
# with this commune's assessment (indexed columns; nothing is cached, so a period closed or an
# assessment approved a moment ago counts at once, in every worker).
_QUERY = (f'SELECT p."id", p."form_versions", p."closes_on", a."state", a."extended_until" '
          f'FROM "{Period._meta.tablename}" p LEFT JOIN "{Assessment._meta.tablename}" a '
          f'ON a."period" = p."id" AND a."commune" = {{}} '
          f'WHERE p."active" = {{}} AND p."unit_set" = {{}} ORDER BY p."id" DESC')


async def intake_for(user: User, commune: Unit, form_id: str, form_version: int) -> tuple[int | None, str]:
    """The open period that takes this form version (None: none does) and the state a new submission is
    stored in; a 422 when that period is closed for this collaborator."""
    for row in await Period.raw(_QUERY, commune.id, True, commune.unit_set):
        if _accepts(row["form_versions"], form_id, form_version):
            return row["id"], _state(user, row)
    return None, STORED


def _accepts(form_versions: Any, form_id: str, form_version: int) -> bool:
    """A period takes the versions it lists per form (any, if it lists none)."""
    if isinstance(form_versions, str):  # JSON text on both engines; decoded if a driver ever does it
        form_versions = load_json(form_versions)
    accepted = (form_versions or {}).get(form_id)
    return not form_versions or bool(accepted and form_version in accepted)


def _state(user: User, row: dict[str, Any]) -> str:
    if user.role == "collaborator" and deadlines.is_closed(row["closes_on"], row["extended_until"]):
        last = deadlines.closing_date(row["closes_on"], row["extended_until"])
        raise InputError([FieldError("period", "period_closed", deadlines.CLOSED, {"date": format_date(last)})])
    return AFTER_APPROVAL if row["state"] in FROZEN else STORED
