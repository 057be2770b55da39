"""Edits of a sent submission (ODK Collect's meta/deprecatedID), taken as ODK Central takes them.

An edit is a new submission with its own identifier that names the one it replaces (`replaces`).
The original is kept unchanged, as history; the edit counts instead of it (server/review/indicators.py:
a submission replaced by a counted edit does not count), the commune's stored score is computed
again, and the reviewer's commune page lists the edit. Refused, as Central refuses them: an unknown
original (404), an original of another commune or form (409), an original already edited (409: the
phone must edit the newest copy). A submission is replaced at most once (a unique index), so two
edits of one copy racing each other cannot both win.
"""

from __future__ import annotations

from server.core import audit
from server.core.db import write_transaction
from server.core.errors import FieldError, InputError
from server.core.i18n import N_
from server.core.tables import Submission, Unit, User

OUT_OF_DATE = N_("This form was edited from an older copy: the copy you were editing was already replaced by "
                 "another edit. Nothing was stored; edit the newest copy.")


async def store_edit(row: Submission, user: User, commune: Unit, ip: str | None):
    """Store `row` (its `replaces` set) in place of the submission it names; the Stored answer."""
    from server.collection.submissions import Stored, same_or_conflict

    resent = await Submission.objects().where(Submission.uuid == row.uuid).first()
    if resent is not None:  # this edit was received before: a resend, or the same identifier reused
        return same_or_conflict(resent, user, commune, row.form_id, row.form_version, row.answers, row.replaces)
    original = await Submission.objects().where(Submission.uuid == row.replaces).first()
    if original is None:
        raise InputError([FieldError("deprecatedID", "unknown", N_(
            "The submission this edit replaces was never received here."))], status_code=404)
    if original.commune != commune.id or original.form_id != row.form_id:
        raise InputError([FieldError("deprecatedID", "mismatch", N_(
            "This edit does not match the submission it replaces (another commune or another form)."))],
            status_code=409)
    if await Submission.exists().where(Submission.replaces == original.uuid):
        raise InputError([FieldError("deprecatedID", "out_of_date", OUT_OF_DATE)], detail=OUT_OF_DATE, status_code=409)
    try:
        async with write_transaction():
            await row.save()
            await audit.record("submission_edited", "submission", row.uuid, user=user, ip=ip,
                               before={"uuid": str(original.uuid)},
                               after={"form": row.form_id, "version": row.form_version, "commune": commune.code,
                                      "replaces": str(original.uuid), "state": row.state})
    except Exception:
        if await Submission.exists().where(Submission.replaces == original.uuid):  # another edit won the race
            raise InputError([FieldError("deprecatedID", "out_of_date", OUT_OF_DATE)], detail=OUT_OF_DATE,
                             status_code=409) from None
        raise
    from server.review.assessments import rescore_after_edit

    await rescore_after_edit(row.period, commune, user, ip)
    return Stored(row.to_dict(), commune, duplicate=False, _row=row)
