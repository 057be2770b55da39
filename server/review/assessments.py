"""One commune in one period: finding it, who may act on it, and its state changes.

Every change checks the version the user's page was made from (optimistic concurrency): the row
is updated only `WHERE version = <seen>`, so of two reviewers acting on the same page the second
gets a Conflict (HTTP 409) instead of silently overwriting the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from litestar.exceptions import NotFoundException

from scoring import RuleSet
from server.core import audit
from server.accounts.auth import unit_of
from server.core.db import write_transaction
from server.core.errors import FieldError, InputError
from server.core.i18n import N_, format_date
from server.registry.units import is_within
from server.review import deadlines, indicators, scoring_service
from server.review.errors import Conflict, NotAllowed, invalid
from server.review.states import EDITABLE_BY_REVIEWER, FROZEN, TRANSITIONS
from server.rules import assign
from server.core.tables import Assessment, Period, ReviewComment, Submission, Unit, User


NO_PERIOD = N_("No assessment period is open for your commune.")

# ---------------------------------------------------------------- periods and communes

async def get_period(period_id: int) -> Period:
    period = await Period.objects().where(Period.id == period_id).first().output(load_json=True).run()
    if period is None:
        raise NotFoundException(N_("There is no such assessment period."))
    return period


async def current_period(unit_set: str) -> Period | None:
    """The newest active period of a registry set (the one a commune is collecting for)."""
    return await Period.objects().where((Period.active == True) & (Period.unit_set == unit_set)).order_by(  # noqa: E712
        Period.id, ascending=False).first().output(load_json=True).run()


async def periods_of(unit_set: str | None) -> list[Period]:
    query = Period.objects().order_by(Period.year, ascending=False).order_by(Period.id, ascending=False)
    return await (query.where(Period.unit_set == unit_set) if unit_set else query).output(load_json=True).run()


async def commune_of(period: Period, code: str) -> Unit:
    commune = await Unit.objects().where((Unit.key == f"{period.unit_set}:{code}") & (Unit.kind == "commune")).first().run()
    if commune is None:
        raise NotFoundException(N_("There is no commune with this code."))
    return commune


# ---------------------------------------------------------------- who may act

def area_of(user: User) -> Unit | None:
    """The area a reviewer works in (a province, or a district of the legacy registry); None for an admin."""
    return unit_of(user) if user.role != "admin" else None


def check_area(user: User, commune: Unit) -> None:
    """A reviewer acts only inside their area, a collaborator only on their commune; 403 otherwise."""
    if user.role == "admin":
        return
    own = unit_of(user)
    if own is not None and own.unit_set == commune.unit_set:
        if user.role == "reviewer" and is_within(commune.path, own.path):
            return
        if user.role == "collaborator" and own.id == commune.id:
            return
    raise NotAllowed(N_("This commune is outside your area."))


def check_review_level(user: User, commune: Unit, level: str) -> None:
    """Decisions on a commune (review, correct, return, approve, reopen, re-score) belong to the reviewers of
    the period's reviewing level for it: a district's, a province's, or the commune's own committee's.
    Reviewers of other levels in the area still see it; admins act everywhere."""
    if user.role != "reviewer":
        return
    own = unit_of(user)
    allowed = own is not None and (own.id == commune.id if level == "commune" else own.kind == level)
    if not allowed:
        raise NotAllowed(N_("In this period this commune is reviewed at another level: you can see it, but the "
                            "decisions belong to the reviewers of that level."))


def may_decide(user: User, commune: Unit, level: str) -> bool:
    try:
        check_review_level(user, commune, level)
    except NotAllowed:
        return False
    return True


def check_role(user: User, action: str) -> None:
    transition = TRANSITIONS[action]
    if user.role not in transition.roles:
        raise NotAllowed(N_("You do not have permission to do this."))


# ---------------------------------------------------------------- the assessment row

async def has_submissions(period_id: int, commune_id: int) -> bool:
    return await Submission.exists().where((Submission.period == period_id) & (Submission.commune == commune_id)).run()


def effective_state(stored: str | None, with_data: bool) -> str:
    """A commune that has sent forms is "collecting" even before its assessment row is made."""
    state = stored or "not_started"
    return "collecting" if state == "not_started" and with_data else state


async def get_or_create(period: Period, commune: Unit, user: User | None = None) -> Assessment:
    """The assessment of (period, commune), created on first use (unique key: a race inserts once)."""
    key = f"{period.id}:{commune.id}"
    row = await Assessment.objects().where(Assessment.key == key).first().run()
    if row is not None:
        return row
    state = effective_state(None, await has_submissions(period.id, commune.id))
    try:
        async with write_transaction():
            row = Assessment(key=key, period=period.id, commune=commune.id, state=state,
                             updated_by=user.id if user else None)
            await row.save().run()
            await audit.record("assessment_created", "assessment", row.id, user=user,
                               after={"period": period.id, "commune": commune.code, "state": state})
    except Exception:
        row = await Assessment.objects().where(Assessment.key == key).first().run()
        if row is None:
            raise
    return row


async def _bump(assessment: Assessment, seen_version: int, user: User, state: str | None = None) -> dict[str, Any]:
    """Move to the next version (and state) only if nobody else did first; the caller holds the transaction."""
    change: dict[Any, Any] = {Assessment.version: seen_version + 1, Assessment.updated_by: user.id,
                              Assessment.updated_at: datetime.now(timezone.utc)}
    if state is not None:
        change[Assessment.state] = state
    updated = await Assessment.update(change).where(
        (Assessment.id == assessment.id) & (Assessment.version == seen_version)).returning(Assessment.id).run()
    if not updated:
        raise Conflict()
    before = {"state": assessment.state, "version": assessment.version}
    assessment.version = seen_version + 1
    assessment.state = state or assessment.state
    return before


def _check_version(assessment: Assessment, seen_version: int | None) -> int:
    if seen_version is None or seen_version != assessment.version:
        raise Conflict()
    return seen_version


# ---------------------------------------------------------------- state changes

@dataclass
class Context:
    """Everything a page or the API shows about one assessment, loaded once."""

    period: Period
    commune: Unit
    assessment: Assessment
    state: str
    reported: indicators.Reported
    corrections: list[dict[str, Any]]
    computed: scoring_service.Computed
    stored: Any  # the latest Score row, or None
    rules: RuleSet  # the version the period names for this commune
    setting: assign.Setting  # where that comes from, and the reviewing level


async def load(period: Period, commune: Unit, user: User | None) -> Context:
    assessment = await get_or_create(period, commune, user)
    reported = await indicators.reported(period.id, commune.id)
    corrections = await indicators.corrections_of(assessment.id)
    stored = await scoring_service.latest(assessment.id)
    if assessment.state in FROZEN and stored is not None:
        # Approved means frozen: the approved score's values are the truth until a reopen.
        values, form_versions = dict(stored.indicators), dict(stored.form_versions)
    else:
        values, form_versions = indicators.current(reported.values, corrections), reported.form_versions
    setting = await assign.setting_for(period, commune.path)
    rules = await assign.rules_of(setting)
    computed = scoring_service.compute(rules, commune.commune_type, values, form_versions)
    return Context(period, commune, assessment, effective_state(assessment.state, reported.submissions > 0),
                   reported, corrections, computed, stored, rules, setting)


NEW_FORMS = N_("The commune sent new forms after you opened this page: reload it and look at them before approving.")


async def change_state(ctx: Context, action: str, user: User, seen_version: int | None, comment: str = "",
                       ip: str | None = None, confirm_incomplete: bool = False,
                       seen_submission: int | None = None) -> None:
    """Apply one transition (send, start_review, return, approve, reopen) after every check.

    A commune that cannot be scored yet is sent only with `confirm_incomplete`: the confirmation is
    kept as a comment ("send_incomplete") that the reviewers read, and in the audit log.
    """
    if action not in TRANSITIONS:
        raise invalid("action", "unknown", N_("This action is not allowed here."))
    check_role(user, action)
    check_area(user, ctx.commune)
    if action != "send":
        check_review_level(user, ctx.commune, ctx.setting.review_level)
    transition = TRANSITIONS[action]
    seen = _check_version(ctx.assessment, seen_version)
    if ctx.state not in transition.sources:
        raise invalid("action", "wrong_state", N_("This action is not possible in the assessment's present state."))
    comment = (comment or "").strip()
    if transition.needs_comment and len(comment) < 3:
        raise invalid("comment", "required", N_("Write a comment saying why."))
    if len(comment) > 4000:
        raise invalid("comment", "too_long", N_("The comment is too long (at most 4,000 characters)."))
    if action == "send" and ctx.reported.submissions == 0:
        raise invalid("action", "no_data", N_("Nothing to send yet: fill in the commune's forms first."))
    if action == "send" and user.role == "collaborator" and deadlines.is_closed(ctx.period.closes_on,
                                                                                 ctx.assessment.extended_until):
        raise invalid("period", "period_closed", deadlines.CLOSED, date=format_date(
            deadlines.closing_date(ctx.period.closes_on, ctx.assessment.extended_until)))
    incomplete = action == "send" and ctx.computed.result is None
    if incomplete and not confirm_incomplete:
        raise invalid("confirm_incomplete", "incomplete", N_("The assessment is not complete yet. Complete it, or "
                                                             "confirm that you send it as it is."))
    if action == "approve" and seen_submission is not None and ctx.reported.last_id > seen_submission:
        # A form arrived while the reviewer read the page: approving would count data nobody has looked at.
        raise InputError([FieldError("version", "new_forms", NEW_FORMS)], detail=NEW_FORMS, status_code=409)
    if action == "approve" and ctx.computed.result is None:
        raise invalid("action", "not_scorable", N_("This assessment cannot be approved: some indicators are missing "
                                                   "or wrong. Correct them first."))
    rules = ctx.rules
    async with write_transaction():
        before = await _bump(ctx.assessment, seen, user, transition.target)
        new_score = None
        # A score is stored when the data it describes may have changed since the last one; a
        # changed rule file alone never re-scores (that is the explicit "re-score").
        if action in ("send", "approve") and ctx.computed.result is not None and (
                ctx.stored is None or ctx.stored.indicators != ctx.computed.values):
            new_score = await scoring_service.store(ctx.assessment.id, rules, ctx.computed, user, action)
        if comment or incomplete:
            await ReviewComment(assessment=ctx.assessment.id, author=user.id,
                                action="send_incomplete" if incomplete else action, text=comment).save().run()
        after = {"state": transition.target, "version": ctx.assessment.version}
        moved = await _set_aside_or_take_in(ctx, action)
        if moved:
            after["submissions_after_approval" if action == "approve" else "submissions_taken_in"] = moved
        if incomplete:
            after["incomplete"] = sorted(problem.key for problem in ctx.computed.problems)
        if new_score is not None:
            after["score"] = scoring_service.summary(new_score)
        await audit.record(f"assessment_{action}", "assessment", ctx.assessment.id, user=user, ip=ip,
                           before=before, after=after, reason=comment or None)
    ctx.state = transition.target
    if new_score is not None:
        ctx.stored = new_score
    if action == "reopen":  # no longer frozen: the live data (with what arrived after the approval) counts again
        fresh = await load(ctx.period, ctx.commune, user)
        ctx.reported, ctx.corrections, ctx.computed, ctx.stored = fresh.reported, fresh.corrections, fresh.computed, \
            fresh.stored


async def _set_aside_or_take_in(ctx: Context, action: str) -> int:
    """Approving sets aside what arrived after the data the reviewer saw; reopening takes it in.

    Returns how many submissions moved (the caller holds the transaction and audits the count).
    """
    mine = (Submission.period == ctx.period.id) & (Submission.commune == ctx.commune.id)
    if action == "approve":
        change, where = "after_approval", mine & (Submission.state == "stored") & (Submission.id > ctx.reported.last_id)
    elif action == "reopen":
        change, where = "stored", mine & (Submission.state == "after_approval")
    else:
        return 0
    return len(await Submission.update({Submission.state: change}).where(where).returning(Submission.id).run())


def _check_correctable(ctx: Context, user: User, seen_version: int | None) -> int:
    """Who may change values, and when; the version the user's page was made from."""
    if user.role not in ("reviewer", "admin"):
        raise NotAllowed(N_("Only reviewers can correct values."))
    check_area(user, ctx.commune)
    check_review_level(user, ctx.commune, ctx.setting.review_level)
    seen = _check_version(ctx.assessment, seen_version)
    if ctx.state not in EDITABLE_BY_REVIEWER:
        if ctx.state in ("approved", "posted", "recognised", "not_recognised"):
            raise invalid("indicator", "approved", N_("Approved data cannot be changed. Reopen the assessment first."))
        raise invalid("indicator", "wrong_state", N_("Values can be corrected only once the commune has sent its "
                                                     "data for review."))
    return seen


async def correct(ctx: Context, user: User, indicator: str, raw_value: str, reason: str,
                  seen_version: int | None, ip: str | None = None) -> None:
    """A reviewer's correction of one value: a new Correction row, a new score, a new version."""
    seen = _check_correctable(ctx, user, seen_version)
    rules = ctx.rules
    value = indicators.parse_value(rules, indicator, raw_value)
    reason = indicators.check_reason(reason)
    before_value = ctx.computed.values.get(indicator)
    if before_value == value and type(before_value) is type(value):
        raise invalid("value", "unchanged", N_("This is already the value."))
    await _change_value(ctx, user, seen, indicator, before_value, value, reason, "value_corrected", ip)


async def withdraw(ctx: Context, user: User, indicator: str, reason: str, seen_version: int | None,
                   ip: str | None = None) -> None:
    """Withdraw the correction of one indicator: back to the reported value; the history keeps both rows."""
    seen = _check_correctable(ctx, user, seen_version)
    rows = [row for row in ctx.corrections if row["indicator"] == indicator]
    if not rows or rows[-1]["after"] is None:
        raise invalid("indicator", "not_corrected", N_("This value has no correction to withdraw."))
    reason = indicators.check_reason(reason)
    await _change_value(ctx, user, seen, indicator, rows[-1]["after"], None, reason, "correction_withdrawn", ip)


async def _change_value(ctx: Context, user: User, seen: int, indicator: str, before_value: Any, value: Any,
                        reason: str, action: str, ip: str | None) -> None:
    """Write a correction (or a withdrawal: `value` None), the new score and the audit entry in one transaction."""
    rules = ctx.rules
    corrections = [*ctx.corrections, {"indicator": indicator, "after": value}]
    computed = scoring_service.compute(rules, ctx.commune.commune_type,
                                       indicators.current(ctx.reported.values, corrections), ctx.reported.form_versions)
    async with write_transaction():
        before = await _bump(ctx.assessment, seen, user, "under_review")
        row = await indicators.add_correction(ctx.assessment.id, indicator, before_value, value, reason, user)
        new_score = None
        if computed.result is not None:
            new_score = await scoring_service.store(ctx.assessment.id, rules, computed, user, "correction")
        await audit.record(action, "assessment", ctx.assessment.id, user=user, ip=ip, reason=reason,
                           before={**before, "indicator": indicator, "value": before_value,
                                   "score": scoring_service.summary(ctx.stored)},
                           after={"state": "under_review", "version": ctx.assessment.version, "indicator": indicator,
                                  "value": computed.values.get(indicator), "correction": row.id,
                                  "score": scoring_service.summary(new_score)})
    ctx.state, ctx.computed = "under_review", computed
    ctx.corrections = await indicators.corrections_of(ctx.assessment.id)
    ctx.stored = new_score or ctx.stored


async def rescore(ctx: Context, user: User, reason: str, ip: str | None = None) -> None:
    """An explicit re-score with the rule file as it is now (reason required, audited)."""
    if user.role not in ("reviewer", "admin"):
        raise NotAllowed(N_("You do not have permission to do this."))
    check_area(user, ctx.commune)
    check_review_level(user, ctx.commune, ctx.setting.review_level)
    if ctx.state in FROZEN:
        raise invalid("action", "approved", N_("Approved data cannot be changed. Reopen the assessment first."))
    reason = indicators.check_reason(reason)
    if ctx.computed.result is None:
        raise invalid("action", "not_scorable", N_("This assessment cannot be scored: some indicators are missing "
                                                   "or wrong."))
    ctx.stored = await scoring_service.rescore(ctx.assessment, ctx.rules, ctx.computed, user, reason, ip)


async def rescore_after_edit(period_id: int | None, commune: Unit, user: User, ip: str | None = None) -> None:
    """An edit of a submission changed the commune's data: store its score again, if it has one and is not
    frozen (an edit arriving after the approval is kept aside, server/collection/intake.py, and counts once
    a reviewer reopens). The audit entry says so; the reviewer's page lists the edit."""
    if period_id is None:
        return
    assessment = await Assessment.objects().where(Assessment.key == f"{period_id}:{commune.id}").first().run()
    if assessment is None or assessment.state in FROZEN:
        return
    stored = await scoring_service.latest(assessment.id)
    if stored is None:  # never scored: it is scored when the commune sends it for review
        return
    ctx = await load(await get_period(period_id), commune, user)
    if ctx.computed.result is None or ctx.computed.values == stored.indicators:
        return
    rules = ctx.rules
    async with write_transaction():
        new_score = await scoring_service.store(assessment.id, rules, ctx.computed, user, "submission_edited")
        await audit.record("rescored", "assessment", assessment.id, user=user, ip=ip, reason="submission_edited",
                           before=scoring_service.summary(stored), after=scoring_service.summary(new_score))


async def comments_of(assessment_id: int) -> list[dict[str, Any]]:
    """What reviewers (and collaborators) said, newest first."""
    return await ReviewComment.select(
        ReviewComment.action, ReviewComment.text, ReviewComment.created_at,
        ReviewComment.author.display_name.as_alias("author"),
    ).where(ReviewComment.assessment == assessment_id).order_by(ReviewComment.id, ascending=False).run()
