"""The collaborator's pages: my commune (its forms and its assessment), fill a form, my submissions.

All of them work offline once the phone has been online with this user (see `offline.py`): their
scripts show what waits on the phone, and the texts those scripts show are translated here.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Template

from forms import registry as form_registry
from forms.identify import describe, identifying_keys
from forms.validate import MESSAGES as FORM_MESSAGES
from server.accounts.auth import current_user, requires_login, unit_of
from server.collection import intake, submissions
from server.collection.offline import forms_for, versioned
from server.core.errors import not_found
from server.core import i18n
from server.core.tables import Assessment, ReviewComment, User
from server.review import assessments, lists
from server.review.states import STATE_LABELS

CLIENT_MESSAGES = {
    "queued": i18n.N_("Waiting to be sent"),
    "photos": i18n.N_("Stored; sending the photo"),
    "stored": i18n.N_("Stored on the server"),
    "rejected": i18n.N_("Refused by the server"),
    "duplicate": i18n.N_("Already stored earlier"),
    "server_ok": i18n.N_("Connected to the server (last answer at %(time)s)."),
    "server_lost": i18n.N_("The server cannot be reached (last answer at %(time)s). Forms are kept on this phone "
                           "and sent when it answers again."),
    "server_never": i18n.N_("The server cannot be reached. Forms are kept on this phone and sent when it answers."),
    "offline_ready": i18n.N_("Ready to work without a connection: this phone keeps %(count)s pages and forms."),
    "draft_continued": i18n.N_("You are continuing the draft saved on %(time)s."),
    "start_over": i18n.N_("Start over"),
    "start_over_confirm": i18n.N_("Delete this draft and start an empty form?"),
    "fix_errors": i18n.N_("Please correct the answers marked in red."),
    "fix_refused": i18n.N_("The server refused this form. Correct the answers marked in red, then send it again."),
    "submitted": i18n.N_("The form is on this phone's list of forms to send. It is sent as soon as the server "
                         "answers."),
    "step": i18n.N_("Step %(current)s of %(total)s"),
    "back": i18n.N_("Back"),
    "next": i18n.N_("Next"),
    "submit": i18n.N_("Send the form"),
    "nothing_waiting": i18n.N_("Nothing waiting to be sent."),
    "others_waiting": i18n.N_("%(count)s forms of another user wait on this phone: they are sent when that user "
                              "logs in."),
    "use_gps": i18n.N_("Use my location"),
    "gps_reading": i18n.N_("Reading the location…"),
    "gps_failed": i18n.N_("The location could not be read. Type it instead."),
    "latitude": i18n.N_("Latitude"),
    "longitude": i18n.N_("Longitude"),
    "yes": i18n.N_("Yes"),
    "no": i18n.N_("No"),
    "retry": i18n.N_("Try again now"),
    "edit": i18n.N_("Correct it"),
    "send_again": i18n.N_("Send again"),
    "answers_refused": i18n.N_("Answers to correct: %(messages)s"),
    "refused_not_answers": i18n.N_("The server refused this form: %(reason)s The answers need no change: send it "
                                   "again once this is resolved, or delete it from this phone."),
    "forget": i18n.N_("Delete from this phone"),
    "forget_confirm": i18n.N_("Delete this form from the phone? It has not been stored on the server."),
    "photo_take": i18n.N_("Take or choose a photo"),
    "photo_remove": i18n.N_("Remove the photo"),
    "photo_ready": i18n.N_("Photo kept on this phone (%(width)s × %(height)s, %(size)s KB)."),
    "photo_failed": i18n.N_("This photo could not be read. Try another one."),
    "photo_refused": i18n.N_("The server refused the photo:"),
    "logout_waiting": i18n.N_("%(count)s forms have not been sent yet. They stay on this phone and are sent when "
                              "you log in again. Log out anyway?"),
    "not_sent": i18n.N_("The server cannot be reached: nothing was sent. What you typed is still here; send it "
                        "again when the server answers."),
    "logout_stay": i18n.N_("Stay logged in"),
    "logout_anyway": i18n.N_("Log out anyway"),
    "other_form": i18n.N_("This form belongs to another user of this phone."),
}


def phone_data(user: User, **extra: Any) -> dict[str, Any]:
    """What the phone scripts of every collection page read: who, which commune, every text they show."""
    commune = unit_of(user)
    messages = {key: i18n.gettext(msgid) for key, msgid in CLIENT_MESSAGES.items()}
    messages.update({code: i18n.gettext(msgid) for code, msgid in FORM_MESSAGES.items()})
    return {"user": user.username, "commune_code": commune.code if commune else None,
            "commune_name": commune.name if commune else None, "language": i18n.current_language(),
            "percent_sign": i18n.unit_sign("%"),  # the server's number format, for the computed shares
            "messages": messages, **extra}


async def assessment_status(user: User) -> dict[str, Any] | None:
    """The commune's assessment in the open period as /my shows it: its state, and the reviewer's last word
    when it was returned."""
    commune = unit_of(user)
    if commune is None or commune.kind != "commune":
        return None
    period = await assessments.current_period(commune.unit_set)
    if period is None:
        return None
    row = await Assessment.objects().where(Assessment.key == f"{period.id}:{commune.id}").first()
    with_data = await assessments.has_submissions(period.id, commune.id)
    state = assessments.effective_state(row.state if row else None, with_data)
    returned = None
    if row is not None and state == "returned":
        returned = await ReviewComment.select(
            ReviewComment.text, ReviewComment.created_at, ReviewComment.author.display_name.as_alias("author"),
        ).where((ReviewComment.assessment == row.id) & (ReviewComment.action == "return")).order_by(
            ReviewComment.id, ascending=False).first()
    decided = await lists.decision_note(period.id, commune.id, state) if row is not None and state not in (
        "recognised", "not_recognised") else None  # reopened after the signed decision: both are true
    return {"period": period, "state": state, "label": STATE_LABELS[state], "returned": returned, "decided": decided}


@get("/my", name="my", guards=[requires_login], include_in_schema=False)
async def my_commune(request: Request) -> Template:
    user = current_user(request)
    return await versioned(request, Template("my.html", context={
        "user": user, "commune": unit_of(user), "forms": await forms_for(user),
        "status": await assessment_status(user), "page_data": phone_data(user)}))


@get("/my/forms/{form_id:str}/{version:int}", name="fill", guards=[requires_login], include_in_schema=False)
async def fill_form(request: Request, form_id: FromPath[str], version: FromPath[int]) -> Template:
    try:
        form = form_registry.get_form(form_id, version)
    except form_registry.FormNotAccepted as missing:
        raise not_found(missing.message, missing.params) from missing
    user = current_user(request)
    page_data = phone_data(user, form=form.to_client_json(), identify=identifying_keys(form),
                           retired=form.status == "retired", earliest_date=await intake.earliest_date(unit_of(user)))
    return await versioned(request, Template("fill.html", context={"form": form, "commune": unit_of(user),
                                                                   "page_data": page_data}))


@get("/my/submissions", name="my_submissions", guards=[requires_login], include_in_schema=False)
async def my_submissions(request: Request) -> Template:
    user = current_user(request)
    rows = await submissions.list_for(user, limit=100, with_answers=True)
    forms = {(f.form_id, f.version): f for f in form_registry.list_forms()}
    language = i18n.current_language()
    for row in rows:
        form = forms.get((row["form_id"], row["form_version"]))
        row["title"] = form.title if form else {"vi": row["form_id"], "en": row["form_id"]}
        row["label"] = describe(form, row.pop("answers"), language, i18n.format_date, i18n.format_number) if form else ""
    return await versioned(request, Template("submissions.html", context={
        "rows": rows, "commune": unit_of(user), "page_data": phone_data(user)}))


ROUTES = [my_commune, fill_form, my_submissions]
