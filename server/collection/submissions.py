"""Storing submissions: validated against their form version, bound to a commune, stored once.

The phone makes the submission's UUID, so a resend (retry after a timeout, a double tap, a
replayed offline queue) finds the stored row and is answered as a duplicate, never stored twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

from piccolo.utils.encoding import load_json

from forms import registry as form_registry
from forms.validate import InvalidAnswers, clean
from server.core import audit
from server.accounts.auth import unit_of
from server.collection import edits, intake
from server.core.db import insert_values, write_atomically
from server.core.errors import FieldError, InputError
from server.core.i18n import N_, current_language, gettext
from server.core.tables import Submission, Unit, User


@dataclass
class Stored:
    """A stored submission: its column values (id included), or the row found for a resent UUID."""

    values: dict[str, Any]
    commune: Unit
    duplicate: bool
    _row: Submission | None = field(default=None, repr=False)

    @property
    def submission(self) -> Submission:
        """The row as a Piccolo object, made only when asked for (photos): the API answers from `values`."""
        if self._row is None:
            self._row = Submission(**self.values)
            self._row._exists_in_db = True
        return self._row

    @classmethod
    def found(cls, row: Submission, commune: Unit) -> Stored:
        return cls(row.to_dict(), commune, duplicate=True, _row=row)


class Forbidden(Exception):
    """The user may not submit for this commune; `message` is a msgid."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def commune_for(user: User, commune_code: str | None) -> Unit:
    """A collaborator submits for their own commune only; an admin names any commune."""
    own = unit_of(user)
    if user.role == "collaborator":
        if own is None:
            raise Forbidden(N_("Your account is not bound to a commune. Ask your district to fix it."))
        if commune_code not in (None, "", own.code):
            raise Forbidden(N_("You can only send data for your own commune."))
        return own
    if user.role == "admin" and commune_code:
        commune = await Unit.objects().where((Unit.code == commune_code) & (Unit.kind == "commune")).first()
        if commune is None:
            raise InputError([FieldError("commune_code", "unknown", N_("There is no commune with this code."))])
        return commune
    raise Forbidden(N_("Only the commune's collaborators can send survey forms."))


async def submit(user: User, *, uuid: UUID, form_id: str, form_version: int, answers: dict[str, Any],
                 commune_code: str | None = None, client_created_at: datetime | None = None,
                 source: str = "web", ip: str | None = None, replaces: UUID | None = None) -> Stored:
    """Validate and store one submission, or return the stored one for a known UUID with the same content.

    `replaces`: the UUID of an earlier submission this one edits (ODK Collect's meta/deprecatedID).
    """
    commune = await commune_for(user, commune_code)
    if not uuid.int:
        raise InputError([FieldError("uuid", "nil", N_("The submission's identifier is empty (all zeros)."))])
    # A new UUID is the common case: no look-up first. A known one is found when its insert
    # fails on the unique index, or here when a resend no longer validates (its form retired since).
    try:
        form = _accepting_form(form_id, form_version)
        # One read: the period that takes this version, its closing date (a form completed on time has a
        # few days' grace), kept aside once approved; the days its date answers may be.
        taken = await intake.intake_for(user, commune, form_id, form_version, client_created_at)
        period_id, state = taken.period_id, taken.state
        try:
            cleaned = clean(form, answers, taken.dates)  # validates as it cleans: one pass over the answers
        except InvalidAnswers as invalid:
            raise InputError([FieldError(f"answers.{p.field}", p.code, p.render(gettext, current_language()))
                              for p in invalid.problems]) from invalid
    except InputError:
        existing = await Submission.objects().where(Submission.uuid == uuid).first()
        if existing is not None:
            return same_or_conflict(existing, user, commune, form_id, form_version, answers, replaces)
        raise
    values = {"uuid": uuid, "form_id": form_id, "form_version": form_version, "commune": commune.id,
              "period": period_id, "author": user.id, "answers": cleaned, "state": state, "source": source,
              "client_created_at": _plausible(client_created_at), "received_at": datetime.now(timezone.utc),
              "replaces": replaces}
    if replaces is not None:
        return await edits.store_edit(Submission(**values), user, commune, ip)
    try:
        # One atomic write (on SQLite: the writer thread's next group commit), audit row included.
        [inserted, _] = await write_atomically(
            insert_values(Submission, **values),
            audit.entry("submission_stored", "submission", uuid, user=user, ip=ip,
                        after={"form": form_id, "version": form_version, "commune": commune.code}))
    except Exception:
        # Two sends of one UUID raced: the unique index let one in; answer the other as a duplicate.
        existing = await Submission.objects().where(Submission.uuid == uuid).first()
        if existing is None:
            raise
        return same_or_conflict(existing, user, commune, form_id, form_version, cleaned, replaces)
    return Stored({"id": inserted[0]["id"], **values}, commune, duplicate=False)


CHANGED = N_("A submission with this identifier was already received with different answers; the change was "
             "not stored. To change a sent form, edit it (ODK Collect: edit the sent form and send it again).")


def same_or_conflict(existing: Submission, user: User, commune: Unit, form_id: str, form_version: int,
                      answers: dict[str, Any], replaces: UUID | None) -> Stored:
    """A resend of the same submission is answered as a duplicate; the same identifier with anything
    else (another author or form, other answers) is a 409, as ODK Central answers it: one truth per UUID."""
    if existing.author != user.id or existing.form_id != form_id or existing.form_version != form_version:
        raise InputError([FieldError("uuid", "conflict", N_("This identifier is already used by another submission."))],
                         status_code=409)
    if _canonical(existing.form_id, existing.form_version, answers) != _canonical_stored(existing) \
            or existing.replaces != replaces:
        raise InputError([FieldError("uuid", "changed", CHANGED)], detail=CHANGED, status_code=409)
    return Stored.found(existing, commune)


def _canonical(form_id: str, form_version: int, answers: dict[str, Any]) -> str:
    """The answers as they would be stored (cleaned by their form version, retired or not), as JSON text."""
    try:
        answers = clean(form_registry.get_form(form_id, form_version), answers)
    except (InvalidAnswers, form_registry.FormNotAccepted):
        pass  # not storable: it cannot be the stored answers
    return json.dumps(answers, sort_keys=True, ensure_ascii=False, default=str)


def _canonical_stored(existing: Submission) -> str:
    stored = existing.answers
    return json.dumps(load_json(stored) if isinstance(stored, str) else stored, sort_keys=True, ensure_ascii=False,
                      default=str)


EARLIEST_CLIENT_TIME = datetime(2000, 1, 1, tzinfo=timezone.utc)


def _plausible(client_created_at: datetime | None) -> str | None:
    """The phone's clock as stored: kept when plausible (2000 to a day ahead of the server), else dropped.
    A phone whose clock says 0001 or 9999 still has its form stored: nothing typed is lost over a clock."""
    if client_created_at is None:
        return None
    moment = client_created_at if client_created_at.tzinfo else client_created_at.replace(tzinfo=timezone.utc)
    if not EARLIEST_CLIENT_TIME <= moment <= datetime.now(timezone.utc) + timedelta(days=1):
        return None
    return client_created_at.isoformat()


def _accepting_form(form_id: str, form_version: int):
    try:
        return form_registry.check_accepting(form_id, form_version)
    except form_registry.FormNotAccepted as refused:
        raise InputError([FieldError("form_version" if refused.code == "retired" else "form_id", refused.code,
                                     refused.message, refused.params)],
                         detail=refused.message, status_code=422, params=refused.params) from refused


async def list_for(user: User, limit: int = 50, offset: int = 0, with_answers: bool = False) -> list[dict[str, Any]]:
    """A user's own submissions, newest first (with their answers, for pages that say what each one is)."""
    columns = [Submission.uuid, Submission.form_id, Submission.form_version, Submission.state,
               Submission.received_at, Submission.commune.code, Submission.commune.name]
    if with_answers:
        columns.append(Submission.answers)
    return await Submission.select(*columns).where(Submission.author == user.id).order_by(
        Submission.id, ascending=False).limit(limit).offset(offset).output(load_json=with_answers)
