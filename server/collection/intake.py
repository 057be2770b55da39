"""Whether a new submission joins its commune's assessment: the closing date, and "approved means frozen".

A collaborator cannot send after the period's closing date (or the later date a reviewer gave the
commune). A submission that arrives once the commune's assessment is approved (or listed, or
recognised) is kept as "received after approval": it changes no score and no state; the reviewer
sees it and may reopen the assessment (with a reason), which takes it in.
"""

from __future__ import annotations

from server.core.errors import FieldError, InputError
from server.core.i18n import format_date
from server.core.tables import Assessment, Period, Unit, User
from server.review import deadlines
from server.review.states import FROZEN

STORED, AFTER_APPROVAL = "stored", "after_approval"

# One indexed look-up on the submission path (the assessment's key is unique).
_QUERY = (f'SELECT p."closes_on", a."state", a."extended_until" FROM "{Period._meta.tablename}" p '
          f'LEFT JOIN "{Assessment._meta.tablename}" a ON a."key" = {{}} WHERE p."id" = {{}}')


async def state_for(user: User, commune: Unit, period_id: int | None) -> str:
    """The state a new submission is stored in, or a 422 when the period is closed for this collaborator."""
    if period_id is None:
        return STORED
    rows = await Period.raw(_QUERY, f"{period_id}:{commune.id}", period_id)
    if not rows:
        return STORED
    row = rows[0]
    if user.role == "collaborator" and deadlines.is_closed(row["closes_on"], row["extended_until"]):
        last = deadlines.closing_date(row["closes_on"], row["extended_until"])
        raise InputError([FieldError("period", "period_closed", deadlines.CLOSED, {"date": format_date(last)})])
    return AFTER_APPROVAL if row["state"] in FROZEN else STORED
