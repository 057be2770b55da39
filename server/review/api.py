"""The review as JSON: queue, one assessment, corrections and state changes (same services as the pages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from pydantic import BaseModel, Field

from server.accounts.auth import current_user, requires_role, unit_of
from server.review.pages import (QUEUE_DEPENDENCIES, QueueRequest, assessment_context, build_queue, client_ip,
                                 reason_text)
from server.review import assessments, indicators
from server.review.errors import invalid

reviewers = requires_role("reviewer", "admin")


class QueueRowOut(BaseModel):
    code: str
    name: str
    parent: str
    state: str
    version: int
    total: int | None
    certified: bool | None
    provisional: bool
    flags: int = Field(0, description="Values to check (open plausibility flags) of the latest stored score.")


class QueueOut(BaseModel):
    period_id: int
    counts: dict[str, int] = Field(description="Communes per state in the whole area, before filter and search.")
    total_rows: int
    page: int
    pages: int
    rows: list[QueueRowOut]


class CorrectionOut(BaseModel):
    indicator: str
    before: bool | int | float | str | None = Field(
        description="The value before (text: a value stored before bounds existed, ignored when scoring).")
    after: bool | int | float | str | None = Field(
        description="The corrected value; null: the correction was withdrawn.")
    withdrawn: bool = Field(description="True for the withdrawal of the indicator's correction (back to reported).")
    reason: str
    author: str
    created_at: datetime


class AssessmentOut(BaseModel):
    period_id: int
    commune_code: str
    commune_name: str
    state: str
    version: int = Field(description="Send it back with every change: a stale version is refused with 409.")
    values: dict[str, bool | int | float] = Field(
        description="Current indicator values (reported, then corrected); a percentage may have decimals.")
    total: int | None
    threshold: int | None
    certified: bool | None
    provisional: bool = Field(description="True when the score uses PROVISIONAL points or thresholds.")
    reasons: list[str] = Field(description="Why it is not certifiable, translated.")
    problems: list[str] = Field(description="Why it cannot be scored, translated.")
    stored_score_id: int | None
    last_submission: int = Field(default=0, description="The newest submission counted (send it back as seen_submission).")
    rules: dict[str, str] | None = Field(description="Rule file of the stored score: id, version, sha256.")
    corrections: list[CorrectionOut]


class CorrectionIn(BaseModel):
    indicator: str = Field(max_length=64, examples=["c2_births_registered"])
    value: bool | int | float = Field(description="The corrected value: true/false, a whole number (0 to the "
                                                  "indicator's maximum, at most 10,000,000), or a percentage "
                                                  "from 0 to 100 (rule sets that read one).")
    reason: str = Field(max_length=2000)
    version: int


class WithdrawalIn(BaseModel):
    indicator: str = Field(max_length=64, examples=["c2_births_registered"])
    reason: str = Field(max_length=2000)
    version: int


class ActionIn(BaseModel):
    action: Literal["send", "start_review", "return", "approve", "reopen"]
    comment: str = Field(default="", max_length=4000)
    version: int
    seen_submission: int | None = Field(default=None, ge=0, le=2**62, description=(
        "The assessment's last_submission when the reviewer looked at it: an approval after newer forms "
        "arrived is refused with 409."))


def _out(ctx: assessments.Context) -> AssessmentOut:
    stored, computed = ctx.stored, ctx.computed
    result: dict[str, Any] | None
    if stored is not None and stored.indicators == computed.values:
        result = stored.result
    else:
        result = computed.result.model_dump(mode="json") if computed.result else None
    reasons = [reason_text(r) for r in (result or {}).get("reasons", [])]
    return AssessmentOut(
        period_id=ctx.period.id, commune_code=ctx.commune.code, commune_name=ctx.commune.name, state=ctx.state,
        version=ctx.assessment.version, values=computed.values,
        total=result["total"] if result else None, threshold=result["threshold"] if result else None,
        certified=result["certified"] if result else None,
        provisional=bool(result and (result["provisional"] or result["threshold_provisional"])),
        reasons=reasons, problems=[indicators.problem_text(p) for p in computed.problems],
        stored_score_id=stored.id if stored else None, last_submission=ctx.reported.last_id,
        rules={"id": stored.rules_id, "version": stored.rules_version, "sha256": stored.rules_sha256} if stored else None,
        corrections=[CorrectionOut(indicator=c["indicator"], before=c["before"], after=c["after"],
                                   withdrawn=c["withdrawn"], reason=c["reason"], author=c["author"],
                                   created_at=c["created_at"]) for c in ctx.corrections])


@get("/api/review/queue", guards=[reviewers], summary="The review queue of my area", tags=["review"],
     dependencies=QUEUE_DEPENDENCIES)
async def api_queue(request: Request, wanted: NamedDependency[QueueRequest]) -> QueueOut:
    period, _, _, built = await build_queue(current_user(request), wanted)
    if period is None:
        raise invalid("period", "none", assessments.NO_PERIOD)
    return QueueOut(period_id=period.id, counts=built.counts, total_rows=built.total_rows, page=built.page,
                    pages=built.pages, rows=[QueueRowOut(code=r.code, name=r.name, parent=r.parent, state=r.state,
                                                         version=r.version, total=r.total, certified=r.certified,
                                                         provisional=r.provisional, flags=r.flags)
                                                 for r in built.rows])


@get("/api/review/assessments/{period_id:int}/{code:str}", guards=[reviewers], summary="One commune's assessment",
     tags=["review"])
async def api_assessment(request: Request, period_id: FromPath[int], code: FromPath[str]) -> AssessmentOut:
    return _out(await assessment_context(request, period_id, code))


@post("/api/review/assessments/{period_id:int}/{code:str}/corrections", guards=[reviewers], status_code=201,
      summary="Correct one indicator value (reason required)", tags=["review"])
async def api_correct(request: Request, period_id: FromPath[int], code: FromPath[str],
                      data: JSONBody[CorrectionIn]) -> AssessmentOut:
    ctx = await assessment_context(request, period_id, code)
    value = str(data.value).lower() if isinstance(data.value, bool) else str(data.value)
    await assessments.correct(ctx, current_user(request), data.indicator, value, data.reason, data.version,
                              ip=client_ip(request))
    return _out(ctx)


@post("/api/review/assessments/{period_id:int}/{code:str}/withdrawals", guards=[reviewers], status_code=201,
      summary="Withdraw the correction of one indicator (reason required): back to the reported value",
      tags=["review"])
async def api_withdraw(request: Request, period_id: FromPath[int], code: FromPath[str],
                       data: JSONBody[WithdrawalIn]) -> AssessmentOut:
    ctx = await assessment_context(request, period_id, code)
    await assessments.withdraw(ctx, current_user(request), data.indicator, data.reason, data.version,
                               ip=client_ip(request))
    return _out(ctx)


@post("/api/review/assessments/{period_id:int}/{code:str}/actions", guards=[reviewers], status_code=200,
      summary="Start the review, return, approve or reopen", tags=["review"])
async def api_action(request: Request, period_id: FromPath[int], code: FromPath[str],
                     data: JSONBody[ActionIn]) -> AssessmentOut:
    ctx = await assessment_context(request, period_id, code)
    await assessments.change_state(ctx, data.action, current_user(request), data.version, data.comment,
                                   ip=client_ip(request), seen_submission=data.seen_submission)
    return _out(ctx)


class SendIn(BaseModel):
    version: int
    comment: str = Field(default="", max_length=4000)
    confirm_incomplete: bool = Field(default=False, description="Send although the commune cannot be scored yet "
                                                               "(the reviewers see this confirmation).")


async def _my_context(request: Request) -> assessments.Context:
    user = current_user(request)
    commune = unit_of(user)
    is_commune = commune is not None and commune.kind == "commune"
    period = await assessments.current_period(commune.unit_set) if is_commune else None
    if period is None:
        raise invalid("period", "none", assessments.NO_PERIOD)
    return await assessments.load(period, commune, user)


@get("/api/my/assessment", guards=[requires_role("collaborator")], summary="My commune's assessment in the open period",
     tags=["review"])
async def api_my_assessment(request: Request) -> AssessmentOut:
    return _out(await _my_context(request))


@post("/api/my/assessment/send", guards=[requires_role("collaborator")], status_code=200,
      summary="Send my commune's assessment for review", tags=["review"])
async def api_send(request: Request, data: JSONBody[SendIn]) -> AssessmentOut:
    ctx = await _my_context(request)
    await assessments.change_state(ctx, "send", current_user(request), data.version, data.comment,
                                   ip=client_ip(request), confirm_incomplete=data.confirm_incomplete)
    return _out(ctx)


ROUTES = [api_queue, api_assessment, api_correct, api_withdraw, api_action, api_my_assessment, api_send]
