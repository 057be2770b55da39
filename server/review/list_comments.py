"""Comments received while a list is posted, recorded against it with the answer given.

The reviewing office types what it received (from whom, when, what) and the answer it gave; a
list becomes final only once every comment has an answer. Comments are part of the list's record:
they are not changed after the list is final, and every write is audited.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from server.core.strict import parse_int
from server.core import audit
from server.core.db import write_transaction
from server.core.i18n import N_, format_date
from server.review import deadlines
from server.review.errors import invalid
from server.core.tables import CertificationList, ListComment, User


def _text(field: str, raw: str | None, *, required: bool, limit: int = 4000) -> str:
    text = (raw or "").strip()
    if required and len(text) < 2:
        raise invalid(field, "required", N_("This field is required."))
    if len(text) > limit:
        raise invalid(field, "too_long", N_("Too long: at most %(count)s characters."), count=limit)
    return text


async def of_list(list_id: int) -> list[dict[str, Any]]:
    return await ListComment.select(
        ListComment.id, ListComment.received_on, ListComment.sender, ListComment.text, ListComment.answer,
        ListComment.recorded_at, ListComment.answered_at, ListComment.recorded_by.display_name.as_alias("recorded_by"),
    ).where(ListComment.certification_list == list_id).order_by(ListComment.id).run()


async def unanswered(list_id: int) -> int:
    return await ListComment.count().where((ListComment.certification_list == list_id) & (ListComment.answer == "")).run()


def _check_open(row: CertificationList) -> None:
    if row.state != "posted":
        raise invalid("state", "not_posted", N_("Comments are recorded while the list is posted for comment."))


async def _still_posted(row: CertificationList) -> None:
    """Inside the write: a list made final meanwhile (another tab), or replaced by a newer revision, takes no more
    comments (they belong to the revision now posted)."""
    if not await CertificationList.exists().where((CertificationList.id == row.id)
                                                  & (CertificationList.state == "posted")).run():
        raise invalid("state", "not_posted", N_("Comments are recorded while the list is posted for comment."))
    if await CertificationList.exists().where(
            (CertificationList.period == row.period) & (CertificationList.area == getattr(row.area, "id", row.area))
            & (CertificationList.revision > row.revision)).run():
        raise invalid("state", "superseded", N_("A newer revision of this list exists: record the comment there."))


async def record(row: CertificationList, user: User, data: dict[str, str], ip: str | None = None) -> None:
    """A new comment (with its answer, if already given), or the answer to a recorded one (`comment_id`)."""
    _check_open(row)
    answer = _text("answer", data.get("answer"), required=False)
    if data.get("comment_id"):
        await _answer(row, user, data["comment_id"], answer, ip)
        return
    received = deadlines.parse_day("received_on", data.get("received_on", ""))
    if received > deadlines.today() or (row.comment_from and received < date.fromisoformat(row.comment_from)):
        raise invalid("received_on", "outside", N_("The date received must be between the start of the comment "
                                                   "period (%(date)s) and today."), date=format_date(row.comment_from))
    sender = _text("sender", data.get("sender"), required=True, limit=200)
    text = _text("text", data.get("text"), required=True)
    async with write_transaction():
        await _still_posted(row)
        if await ListComment.exists().where(
                (ListComment.certification_list == row.id) & (ListComment.received_on == received.isoformat())
                & (ListComment.sender == sender) & (ListComment.text == text)).run():
            return  # the same comment sent twice (a double click, two tabs): recorded once
        comment = ListComment(certification_list=row.id, received_on=received.isoformat(), sender=sender, text=text,
                              answer=answer, recorded_by=user.id,
                              answered_at=datetime.now(timezone.utc) if answer else None)
        await comment.save().run()
        await audit.record("list_comment_recorded", "certification_list", row.id, user=user, ip=ip,
                           after={"comment": comment.id, "received_on": received.isoformat(), "sender": sender,
                                  "text": text, "answer": answer})


async def _answer(row: CertificationList, user: User, raw_id: str, answer: str, ip: str | None) -> None:
    if not answer:
        raise invalid("answer", "required", N_("This field is required."))
    comment = await ListComment.objects().where(
        (ListComment.id == (parse_int(raw_id, minimum=1, maximum=2**31 - 1) or -1))
        & (ListComment.certification_list == row.id)
    ).first().run()
    if comment is None:
        raise invalid("comment_id", "unknown", N_("There is no such comment on this list."))
    async with write_transaction():
        await _still_posted(row)
        await ListComment.update({ListComment.answer: answer, ListComment.answered_at: datetime.now(timezone.utc)}) \
            .where(ListComment.id == comment.id).run()
        await audit.record("list_comment_answered", "certification_list", row.id, user=user, ip=ip,
                           before={"comment": comment.id, "answer": comment.answer},
                           after={"comment": comment.id, "answer": answer})
