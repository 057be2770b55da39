"""The collaborator's pages: my commune's forms, fill a form (works offline), my submissions."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from litestar.params import FromPath
from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.response import Template

from forms import registry as form_registry
from forms.validate import MESSAGES as FORM_MESSAGES
from server.core import i18n
from server.collection import submissions
from server.accounts.auth import current_user, requires_login, unit_of

STATIC = Path(__file__).resolve().parent.parent / "static"
CLIENT_MESSAGES = {
    "queued": i18n.N_("Waiting to send"),
    "stored": i18n.N_("Stored on the server"),
    "rejected": i18n.N_("Refused by the server"),
    "offline": i18n.N_("No connection: your answers are kept on this phone and sent later."),
    "online": i18n.N_("Connected"),
    "draft_saved": i18n.N_("Draft saved on this phone"),
    "fix_errors": i18n.N_("Please correct the answers marked in red."),
    "submitted": i18n.N_("Submitted. It will be sent as soon as there is a connection."),
    "duplicate": i18n.N_("Already stored earlier"),
    "step": i18n.N_("Step %(current)s of %(total)s"),
    "nothing_queued": i18n.N_("Nothing waiting to be sent."),
    "use_gps": i18n.N_("Use my location"),
    "gps_failed": i18n.N_("The location could not be read. Type it instead."),
    "yes": i18n.N_("Yes"),
    "no": i18n.N_("No"),
    "retry": i18n.N_("Try again now"),
    "forget": i18n.N_("Remove from this phone"),
    "submit": i18n.N_("Submit"),
}


def _client_messages() -> dict[str, str]:
    """Every text the phone script shows, translated here so that the script holds none."""
    texts = {key: i18n.gettext(msgid) for key, msgid in CLIENT_MESSAGES.items()}
    texts.update({code: i18n.gettext(msgid) for code, msgid in FORM_MESSAGES.items()})
    return texts


@get("/my", name="my", guards=[requires_login], include_in_schema=False)
async def my_commune(request: Request) -> Template:
    user = current_user(request)
    forms = [form for form in form_registry.list_forms() if form.status == "published"]
    latest = {}
    for form in forms:
        current = latest.get(form.form_id)
        if current is None or form.version > current.version:
            latest[form.form_id] = form
    return Template("my.html", context={"user": user, "commune": unit_of(user), "forms": list(latest.values())})


@get("/my/forms/{form_id:str}/{version:int}", name="fill", guards=[requires_login], include_in_schema=False)
async def fill_form(request: Request, form_id: FromPath[str], version: FromPath[int]) -> Template:
    try:
        form = form_registry.get_form(form_id, version)
    except form_registry.FormNotAccepted as missing:
        raise NotFoundException(missing.message) from missing
    user = current_user(request)
    page_data = {
        "form": form.to_client_json(),
        "language": i18n.current_language(),
        "messages": _client_messages(),
        "user": user.username,
        "retired": form.status == "retired",
    }
    return Template("fill.html", context={"form": form, "commune": unit_of(user),
                                          "page_data": page_data})


@get("/my/submissions", name="my_submissions", guards=[requires_login], include_in_schema=False)
async def my_submissions(request: Request) -> Template:
    user = current_user(request)
    rows = await submissions.list_for(user, limit=100)
    titles = {(f.form_id, f.version): f.title for f in form_registry.list_forms()}
    page_data = {"messages": _client_messages(), "user": user.username}
    return Template("submissions.html", context={"rows": rows, "titles": titles, "commune": unit_of(user),
                                                 "page_data": page_data})


@lru_cache(maxsize=1)
def _service_worker() -> str:
    """The worker script, its cache name tied to the assets' content so that new assets replace old."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.glob("*")) + sorted((STATIC.parent.parent / "forms" / "static").glob("*.js")):
        digest.update(path.read_bytes())
    return (STATIC / "sw.js").read_text().replace("__VERSION__", digest.hexdigest()[:12])


@get("/sw.js", include_in_schema=False, cache_control=None)
async def service_worker() -> Response[str]:
    return Response(_service_worker(), media_type="text/javascript", headers={"cache-control": "no-cache"})


ROUTES = [my_commune, fill_form, my_submissions, service_worker]
