"""Whether a new submission joins its commune's assessment: the period, the closing date, and "approved means frozen".

A submission joins the newest open period of its commune's registry that accepts its form version.
A collaborator cannot send after the period's closing date (or the later date a reviewer gave the
commune), with one exception: a form **completed on the phone by the closing date** (the phone records
when the collaborator tapped "Send", `client_created_at`) is still taken if it reaches the server within
`GRACE_DAYS` days after that date. The commune did its work on time; a phone without a connection must not
lose it. The reviewer sees that it arrived after the closing date, and when it was completed. A phone clock
set ahead of the server's is not believed (`completed_on`), and the grace is short, so a wrong clock
cannot reopen a period.

A date answered in a form (an activity's date, the day the commune answered the children) is of
something that already happened for this period: from the start of the span the period's figures
describe (`covers_from`, else 1 January of the year before the period's year) to today in Vietnam
(`date_span`; the phone checks the same span with its own date).

A submission that arrives once the commune's assessment is approved (or listed, or
recognised) is kept as "received after approval": it changes no score and no state; the reviewer
sees it and may reopen the assessment (with a reason), which takes it in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from piccolo.utils.encoding import load_json

from forms.validate import ANY_DATE
from server.core.errors import FieldError, InputError
from server.core.i18n import N_, format_date
from server.core.tables import Assessment, Period, Unit, User
from server.review import deadlines
from server.review.states import FROZEN

STORED, AFTER_APPROVAL = "stored", "after_approval"
GRACE_DAYS = 7
CLOCK_SKEW = timedelta(days=1)  # a phone's clock may be this far ahead of the server's and still be believed
LATE = N_("This form was completed on %(completed)s, by the closing date (%(date)s), but it reached the server "
          "more than %(days)s days after that date, so the period no longer takes it. Ask your reviewer to extend "
          "the closing date for your commune, then send it again.")

# The one read of the submission path besides the session's: the open periods of the registry, each
# with this commune's assessment (indexed columns; nothing is cached, so a period closed or an
# assessment approved a moment ago counts at once, in every worker).
_QUERY = (f'SELECT p."id", p."form_versions", p."closes_on", p."year", p."covers_from", a."state", '
          f'a."extended_until" FROM "{Period._meta.tablename}" p LEFT JOIN "{Assessment._meta.tablename}" a '
          f'ON a."period" = p."id" AND a."commune" = {{}} '
          f'WHERE p."active" = {{}} AND p."unit_set" = {{}} ORDER BY p."id" DESC')


@dataclass(frozen=True)
class Intake:
    period_id: int | None  # the open period that takes the form version (None: none does)
    state: str  # the state a new submission is stored in
    dates: tuple[str, str]  # the days a date answer may be (`date_span`)


async def intake_for(user: User, commune: Unit, form_id: str, form_version: int,
                     completed_at: datetime | None = None) -> Intake:
    """The period, state and date span of a new submission; a 422 when that period is closed for this
    collaborator (unless the form was completed in time and arrives within the grace days)."""
    for row in await Period.raw(_QUERY, commune.id, True, commune.unit_set):
        if _accepts(row["form_versions"], form_id, form_version):
            return Intake(row["id"], _state(user, row, completed_at), date_span(row))
    return Intake(None, STORED, date_span(None))


def _accepts(form_versions: Any, form_id: str, form_version: int) -> bool:
    """A period takes the versions it lists per form (any, if it lists none)."""
    if isinstance(form_versions, str):  # JSON text on both engines; decoded if a driver ever does it
        form_versions = load_json(form_versions)
    accepted = (form_versions or {}).get(form_id)
    return not form_versions or bool(accepted and form_version in accepted)


def _state(user: User, row: dict[str, Any], completed_at: datetime | None) -> str:
    if user.role == "collaborator" and deadlines.is_closed(row["closes_on"], row["extended_until"]):
        last = deadlines.closing_date(row["closes_on"], row["extended_until"])
        on_time = last is not None and (completed_on(completed_at) or date.max) <= last
        if not on_time or deadlines.today() > last + timedelta(days=GRACE_DAYS):
            message, params = (LATE, {"completed": format_date(completed_on(completed_at)), "date": format_date(last),
                                      "days": GRACE_DAYS}) if on_time else (deadlines.CLOSED, {"date": format_date(last)})
            raise InputError([FieldError("period", "period_closed", message, params)], detail=message, params=params)
    return AFTER_APPROVAL if row["state"] in FROZEN else STORED


def date_span(period: dict[str, Any] | None) -> tuple[str, str]:
    """The days a date answer may be (ISO, inclusive): see the module's docstring."""
    today = deadlines.today().isoformat()
    if period is None:
        return ANY_DATE[0], today
    return period.get("covers_from") or f"{period['year'] - 1}-01-01", today


async def earliest_date(commune: Unit | None) -> str:
    """The first day a date answer may be, in the commune's current period (what the phone checks offline)."""
    from server.review.assessments import current_period  # the review imports the collection's modules

    period = await current_period(commune.unit_set) if commune is not None else None
    return date_span({"year": period.year, "covers_from": period.covers_from} if period else None)[0]


def completed_on(completed_at: datetime | str | None, now: datetime | None = None) -> date | None:
    """The day in Vietnam a form was completed on the phone, or None when unknown or not believable
    (a clock ahead of the server's by more than a day)."""
    if completed_at is None:
        return None
    if isinstance(completed_at, str):
        try:
            completed_at = datetime.fromisoformat(completed_at)
        except ValueError:
            return None
    if completed_at.tzinfo is None:
        completed_at = completed_at.replace(tzinfo=timezone.utc)
    if completed_at > (now or datetime.now(timezone.utc)) + CLOCK_SKEW:
        return None
    return completed_at.astimezone(deadlines.VIETNAM).date()


def arrived_late(last: date | None, received_at: datetime, completed_at: datetime | str | None) -> date | None:
    """For the reviewer: the day a form taken in the grace days was completed (None for any other form)."""
    if last is None or received_at.astimezone(deadlines.VIETNAM).date() <= last:
        return None
    day = completed_on(completed_at, received_at)
    return day if day is not None and day <= last else None
