"""Closing dates: until when a period takes a commune's data, and a reviewer's extension for one commune.

Dates are calendar days in Vietnam: a period that closes on 31/12 takes data until the end of that
day in Asia/Ho_Chi_Minh, whatever the server's clock zone. A reviewer may give one commune a later
closing date (a reason is required, and it is audited); admins change the period's own date.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from server.core import audit
from server.core.db import write_transaction
from server.core.i18n import N_, format_date
from server.review.errors import NotAllowed, invalid
from server.core.tables import Assessment, User

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
LONGEST_EXTENSION_DAYS = 180  # past the period's closing date (or today): beyond that, the round is over
CLOSED = N_("The period closed on %(date)s: your commune can no longer send forms or send them for review. "
            "If you need more time, ask your reviewer to extend the closing date for your commune.")


def today() -> date:
    """Today's date in Vietnam."""
    return datetime.now(VIETNAM).date()


def closing_date(closes_on: str | None, extended_until: str | None) -> date | None:
    """The last day a commune may send: the period's closing date, or the reviewer's later one."""
    days = [date.fromisoformat(value) for value in (closes_on, extended_until) if value]
    return max(days) if days else None


def is_closed(closes_on: str | None, extended_until: str | None) -> bool:
    last = closing_date(closes_on, extended_until)
    return last is not None and today() > last


def parse_day(field: str, raw: str) -> date:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        raise invalid(field, "not_a_date", N_("Enter a date (year-month-day).")) from None


async def extend(assessment: Assessment, closes_on: str | None, user: User, until: str, reason: str,
                 ip: str | None = None) -> date:
    """A reviewer gives one commune a later closing date (never earlier than the period's, never in the past)."""
    if user.role not in ("reviewer", "admin"):
        raise NotAllowed(N_("You do not have permission to do this."))
    day = parse_day("extended_until", until)
    if day < today():
        raise invalid("extended_until", "past", N_("The new closing date must not be in the past."))
    if closes_on and day <= date.fromisoformat(closes_on):
        raise invalid("extended_until", "not_later", N_("The new closing date must be after the period's own closing "
                                                        "date."))
    latest = max(date.fromisoformat(closes_on), today()) + timedelta(days=LONGEST_EXTENSION_DAYS) if closes_on else \
        today() + timedelta(days=LONGEST_EXTENSION_DAYS)
    if day > latest:
        raise invalid("extended_until", "too_late", N_("An extension can reach %(date)s at the latest (%(days)s days): "
                                                       "a longer one is a new period."),
                      date=format_date(latest.isoformat()), days=LONGEST_EXTENSION_DAYS)
    reason = " ".join((reason or "").split())
    if len(reason) < 3:
        raise invalid("reason", "required", N_("Give the reason for this change."))
    async with write_transaction():
        await Assessment.update({Assessment.extended_until: day.isoformat()}).where(Assessment.id == assessment.id).run()
        await audit.record("closing_extended", "assessment", assessment.id, user=user, ip=ip, reason=reason[:2000],
                           before={"extended_until": assessment.extended_until, "period_closes_on": closes_on},
                           after={"extended_until": day.isoformat()})
    assessment.extended_until = day.isoformat()
    return day
