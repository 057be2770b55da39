"""The reviewer's pages: the queue of their area and the review of one commune.

Handlers are thin: they call `server.review` services and render. A refused action (bad input,
a stale version, a wrong state) comes back on the same page with the message and its HTTP status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from scoring import COMMUNE_TYPE_LABELS
from server.accounts.auth import current_user, requires_role
from server.core.errors import InputError
from server.core.i18n import gettext, message_text
from server.core.templating import render_off_loop
from server.history import figures as history_figures
from forms import registry as form_registry
from server.core.strict import DATABASE_MAX, MAX_PAGE, parse_int
from server.review import assessments, deadlines, flags, indicators, lists, queue, submission_view
from server.review.missing import what_is_missing
from server.review.states import ACTION_LABELS, FROZEN, STATE_LABELS, STATES, allowed_actions
from server.core.tables import Period, Unit, User

reviewers = requires_role("reviewer", "admin")


# ---------------------------------------------------------------- shared by the review pages

def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def form_data(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


async def choose_period(user: User, period_id: int | None) -> tuple[Period | None, list[Period]]:
    """The period asked for, else the current one of the user's registry set; and the ones to choose from."""
    area = assessments.area_of(user)
    periods = await assessments.periods_of(area.unit_set if area else None)
    if period_id is not None:
        chosen = next((p for p in periods if p.id == period_id), None)
        if chosen is None:
            await assessments.get_period(period_id)  # 404 if it does not exist at all
            raise PermissionDeniedException(gettext("This commune is outside your area."))
        return chosen, periods
    current = next((p for p in periods if p.active), None)
    return current or (periods[0] if periods else None), periods


async def area_for(user: User, period: Period, code: str | None) -> Unit | None:
    """A reviewer's own area; an admin may name any unit by code (None: the whole registry set)."""
    if user.role != "admin":
        return assessments.area_of(user)
    if not code:
        return None
    return await Unit.objects().where(Unit.key == f"{period.unit_set}:{code.strip()}").first().run()


def error_list(error: InputError) -> list[dict[str, Any]]:
    return [item.render() for item in error.errors]


# ---------------------------------------------------------------- the queue

@dataclass(frozen=True)
class QueueRequest:
    """What a queue request asks for: the page and the JSON API read the same query string."""

    period_id: int | None
    state: str
    search: str
    sort: str
    descending: bool
    page: int
    area_code: str


async def queue_request(
    period_id: Annotated[int | None, QueryParameter(name="period", required=False, ge=1, le=DATABASE_MAX)] = None,
    state_filter: Annotated[str, QueryParameter(name="state", required=False)] = "",
    q: Annotated[str, QueryParameter(required=False, max_length=100)] = "",
    sort: Annotated[str, QueryParameter(required=False)] = "name",
    desc: Annotated[int, QueryParameter(required=False, ge=0, le=1)] = 0,
    page: Annotated[int, QueryParameter(required=False, ge=1, le=MAX_PAGE)] = 1,
    area_code: Annotated[str, QueryParameter(name="area", required=False, max_length=16)] = "",
) -> QueueRequest:
    return QueueRequest(period_id, state_filter, q, sort, bool(desc), page, area_code)


QUEUE_DEPENDENCIES = {"wanted": Provide(queue_request)}


async def build_queue(user: User, wanted: QueueRequest) -> tuple[Period | None, list[Period], Unit | None, Any]:
    """The period, the periods to choose from, the area and the built queue (empty without a period)."""
    period, periods = await choose_period(user, wanted.period_id)
    area = await area_for(user, period, wanted.area_code) if period else None
    rows = await queue.area_rows(period, area) if period else []
    built = queue.build(rows, state=wanted.state or None, search=wanted.search, sort=wanted.sort,
                        descending=wanted.descending, page=wanted.page)
    if period is not None:
        shown = await flags.assessment_ids(period, [row.commune_id for row in built.rows])
        counted = await flags.open_counts(period, shown)
        for row in built.rows:
            row.flags = counted.get(row.commune_id, 0)
    return period, periods, area, built


@get("/review", name="review_queue", guards=[reviewers], include_in_schema=False, dependencies=QUEUE_DEPENDENCIES)
async def review_queue(request: Request, wanted: NamedDependency[QueueRequest]) -> Response:
    user = current_user(request)
    period, periods, area, built = await build_queue(user, wanted)
    return await render_off_loop(request, Template("review_queue.html", context={
        "period": period, "periods": periods, "area": area, "area_code": wanted.area_code, "queue": built,
        "states": STATES, "state_labels": STATE_LABELS, "sorts": queue.SORTS, "user": user}))


# ---------------------------------------------------------------- one commune

def reason_text(item: dict[str, Any]) -> str:
    """Why a commune is not certifiable, from a stored result's reason (a msgid of scoring/ with its params)."""
    return message_text(item["message"], {key: value for key, value in item.items() if key not in ("code", "message")})


def view_model(ctx: assessments.Context, user: User) -> dict[str, Any]:
    """What the review page shows, computed once: the result shown, reasons, indicators, history."""
    rules = ctx.rules
    stored, computed = ctx.stored, ctx.computed
    stored_matches = stored is not None and stored.indicators == computed.values
    if stored_matches:
        result = stored.result
    elif computed.result is not None:
        result = computed.result.model_dump(mode="json")
    else:
        result = None
    corrected = {key: row for key, row in {row["indicator"]: row for row in ctx.corrections}.items()
                 if row["after"] is not None}  # the latest row of each indicator, unless it was a withdrawal
    decides = assessments.may_decide(user, ctx.commune, ctx.setting.review_level)
    labels = indicators.indicator_labels()
    rows = [{"key": key, "label": labels.get(key), "type": declared.type,
             "reported": ctx.reported.values.get(key), "current": computed.values.get(key),
             "corrected": key in corrected}
            for key, declared in rules.indicators.items()]
    return {
        "rules": rules, "result": result, "stored": stored, "stored_matches": stored_matches,
        "rules_changed": stored_matches and stored.rules_sha256 != rules.sha256,
        "reasons": [reason_text(r) for r in result["reasons"]] if result else [],
        "missing": what_is_missing(ctx.reported, computed.problems),
        "indicator_rows": rows, "current_values": computed.values, "reported": ctx.reported.values,
        "corrected": corrected,
        "actions": allowed_actions(ctx.state, user.role) if decides else [],
        "can_correct": decides and user.role in ("reviewer", "admin") and ctx.state in ("submitted", "under_review"),
        "review_level": ctx.setting.review_level, "decides": decides,
        "type_label": COMMUNE_TYPE_LABELS.get(ctx.commune.commune_type or "", ""),
        "frozen": ctx.state in FROZEN,
        "closing": deadlines.closing_date(ctx.period.closes_on, ctx.assessment.extended_until),
        "closed": deadlines.is_closed(ctx.period.closes_on, ctx.assessment.extended_until),
        "today": deadlines.today().isoformat(),
        "last_submission": ctx.reported.last_id,  # sent back with a decision: newer forms make an approval wait
    }


async def render_review(request: Request, ctx: assessments.Context, *, errors: list[dict[str, Any]] | None = None,
                        status: int = 200, form: dict[str, str] | None = None, done: str = "") -> Response:
    user = current_user(request)
    history = await assessments.comments_of(ctx.assessment.id)
    sent = await submission_view.period_rows(ctx.period.id, ctx.commune.id)
    view = view_model(ctx, user)
    view["late"] = [{**row, "title": form_registry.get_form(row["form_id"], row["form_version"]).title}
                    for row in await indicators.after_approval(ctx.period.id, ctx.commune.id)]
    raised = await flags.for_assessment(ctx)
    view["edits"] = [{**row, "title": form_registry.get_form(row["form_id"], row["form_version"]).title}
                     for row in await indicators.edits(ctx.period.id, ctx.commune.id)]
    return await render_off_loop(request, Template("review_commune.html", status_code=status, context={
        "ctx": ctx, "period": ctx.period, "view": view, "history": history, "errors": errors or [], "form": form or {},
        "state_labels": STATE_LABELS, "action_labels": ACTION_LABELS, "done": done, "labels": indicators.indicator_labels(),
        "user": user, "forms_sent": submission_view.grouped(sent, view["closing"]), "flags": raised,
        "flags_by_key": {key: [f for f in raised if key in f.keys] for f in raised for key in f.keys},
        "fix": request.query_params.get("fix", ""),
        "sources": submission_view.sources(sent, [row["key"] for row in view["indicator_rows"]]),
        "past": await history_figures.commune_line(ctx.commune),
        "decided": await lists.decision_note(ctx.period.id, ctx.commune.id, ctx.state)}))


async def assessment_context(request: Request, period_id: int, code: str) -> assessments.Context:
    """One commune's assessment, after checking the commune is in the user's area (pages and API)."""
    user = current_user(request)
    period = await assessments.get_period(period_id)
    commune = await assessments.commune_of(period, code)
    assessments.check_area(user, commune)
    return await assessments.load(period, commune, user)


@get("/review/{period_id:int}/{code:str}", name="review_commune", guards=[reviewers], include_in_schema=False)
async def review_commune(request: Request, period_id: FromPath[int], code: FromPath[str],
                         done: Annotated[str, QueryParameter(required=False, max_length=20)] = "") -> Response:
    ctx = await assessment_context(request, period_id, code)
    return await render_review(request, ctx, done=done)


@post("/review/{period_id:int}/{code:str}/correct", guards=[reviewers], include_in_schema=False, status_code=303)
async def correct_value(request: Request, period_id: FromPath[int], code: FromPath[str]) -> Response | Redirect:
    ctx = await assessment_context(request, period_id, code)
    data = await form_data(request)
    try:
        await assessments.correct(ctx, current_user(request), data.get("indicator", ""), data.get("value", ""),
                                  data.get("reason", ""), _version(data), ip=client_ip(request))
    except InputError as refused:
        return await render_review(request, ctx, errors=error_list(refused), status=refused.status_code, form=data)
    return Redirect(f"/review/{period_id}/{code}?done=corrected", status_code=303)


@post("/review/{period_id:int}/{code:str}/withdraw", guards=[reviewers], include_in_schema=False, status_code=303)
async def withdraw_correction(request: Request, period_id: FromPath[int], code: FromPath[str]) -> Template | Redirect:
    ctx = await assessment_context(request, period_id, code)
    data = await form_data(request)
    try:
        await assessments.withdraw(ctx, current_user(request), data.get("indicator", ""), data.get("reason", ""),
                                   _version(data), ip=client_ip(request))
    except InputError as refused:
        return await render_review(request, ctx, errors=error_list(refused), status=refused.status_code, form=data)
    return Redirect(f"/review/{period_id}/{code}?done=withdrawn", status_code=303)


@post("/review/{period_id:int}/{code:str}/action", guards=[reviewers], include_in_schema=False, status_code=303)
async def act(request: Request, period_id: FromPath[int], code: FromPath[str]) -> Response | Redirect:
    ctx = await assessment_context(request, period_id, code)
    data = await form_data(request)
    user = current_user(request)
    action = data.get("action", "")
    try:
        if action == "rescore":
            await assessments.rescore(ctx, user, data.get("reason", ""), ip=client_ip(request))
        elif action == "extend":
            assessments.check_area(user, ctx.commune)
            await deadlines.extend(ctx.assessment, ctx.period.closes_on, user, data.get("extended_until", ""),
                                   data.get("reason", ""), ip=client_ip(request))
        else:
            await assessments.change_state(ctx, action, user, _version(data), data.get("comment", ""),
                                           ip=client_ip(request), seen_submission=_whole(data, "seen_submission"))
    except InputError as refused:
        return await render_review(request, ctx, errors=error_list(refused), status=refused.status_code, form=data)
    return Redirect(f"/review/{period_id}/{code}?done={action}", status_code=303)


@post("/review/{period_id:int}/{code:str}/flags", guards=[reviewers], include_in_schema=False, status_code=303)
async def check_flag(request: Request, period_id: FromPath[int], code: FromPath[str]) -> Response | Redirect:
    """A reviewer marks a plausibility flag as checked: the value is right, and says why."""
    ctx = await assessment_context(request, period_id, code)
    data = await form_data(request)
    try:
        await flags.mark_checked(ctx, current_user(request), data.get("check", ""), data.get("fingerprint", ""),
                                 data.get("comment", ""), ip=client_ip(request))
    except InputError as refused:
        return await render_review(request, ctx, errors=error_list(refused), status=refused.status_code, form=data)
    return Redirect(f"/review/{period_id}/{code}?done=checked#flags", status_code=303)


def _version(data: dict[str, str]) -> int | None:
    """The version the page was made from (None: missing or not a number, refused as stale)."""
    return _whole(data, "version")


def _whole(data: dict[str, str], field: str) -> int | None:
    """A hidden whole number the page sent back (the strict parser: ASCII digits only, bounded), or None."""
    return parse_int(data.get(field, ""), minimum=0, maximum=DATABASE_MAX)


ROUTES = [review_queue, review_commune, correct_value, withdraw_correction, act, check_flag]
