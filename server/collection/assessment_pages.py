"""The collaborator's view of their commune's assessment: its state, the reviewers' comments, "send for review"."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Template

from server.accounts.auth import current_user, requires_login, requires_role, unit_of
from server.collection.offline import versioned
from server.collection.pages import phone_data
from server.core.errors import InputError
from server.core.strict import DATABASE_MAX, parse_int
from server.review.pages import client_ip, error_list, form_data
from server.review import assessments, deadlines
from server.review.errors import invalid
from server.review.missing import what_is_missing
from server.review.states import ACTION_LABELS, STATE_LABELS, allowed_actions


async def _render(request: Request, *, errors: list | None = None, status: int = 200, done: bool = False) -> Template:
    user = current_user(request)
    commune = unit_of(user)
    period = await assessments.current_period(commune.unit_set) if commune and commune.kind == "commune" else None
    ctx = await assessments.load(period, commune, user) if period else None
    comments = await assessments.comments_of(ctx.assessment.id) if ctx else []
    closing = deadlines.closing_date(period.closes_on, ctx.assessment.extended_until) if ctx else None
    closed = closing is not None and deadlines.today() > closing
    missing = what_is_missing(ctx.reported, ctx.computed.problems) if ctx else []
    page = Template("assessment.html", status_code=status, context={
        "closing": closing, "closed": closed,
        "commune": commune, "period": period, "ctx": ctx, "comments": comments, "errors": errors or [],
        "can_send": bool(ctx) and ctx.reported.submissions > 0 and "send" in allowed_actions(ctx.state, user.role)
        and not closed, "done": done,
        "missing": missing, "state_labels": STATE_LABELS, "action_labels": ACTION_LABELS,
        "page_data": phone_data(user)})
    return await versioned(request, page) if status == 200 else page


@get("/my/assessment", name="my_assessment", guards=[requires_login], include_in_schema=False)
async def my_assessment(request: Request) -> Template:
    return await _render(request)


@post("/my/assessment/send", guards=[requires_role("collaborator")], include_in_schema=False, status_code=303)
async def send_for_review(request: Request) -> Template | Redirect:
    user = current_user(request)
    data = await form_data(request)
    commune = unit_of(user)
    period = await assessments.current_period(commune.unit_set) if commune else None
    try:
        if period is None:
            raise invalid("action", "no_period", assessments.NO_PERIOD)
        ctx = await assessments.load(period, commune, user)
        version = parse_int(data.get("version", ""), minimum=0, maximum=DATABASE_MAX)
        await assessments.change_state(ctx, "send", user, version, data.get("comment", ""), ip=client_ip(request),
                                       confirm_incomplete=data.get("confirm_incomplete") == "1")
    except InputError as refused:
        return await _render(request, errors=error_list(refused), status=refused.status_code)
    return Redirect("/my/assessment?sent=1", status_code=303)


ROUTES = [my_assessment, send_for_review]
