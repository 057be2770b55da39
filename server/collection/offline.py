"""What the phone keeps for working offline, and how its service worker tells one user's pages from another's.

- `/sw.js`: the service worker (`static/sw.js`), its cache names tied to `build()`, a hash of everything
  the pages are made of (scripts, styles, templates, translations, form definitions): a new release
  replaces the phone's copies at its next online visit, and old caches are removed.
- `GET /api/my/offline`: every page a logged-in user needs offline (`/my`, `/my/submissions`,
  `/my/assessment`, every current form of their commune, page and definition), each with a version.
  The worker fetches only what changed since its last visit; it runs at login and on each online visit.
- Every response to a logged-in user names them (`X-Phuhop-User`, percent-encoded): the worker keeps
  pages per user and, when someone else logs in on a shared phone, drops the previous user's pages.
  Collection pages also carry their version (`X-Phuhop-Version`), so a page kept while browsing is not
  fetched again by the next sync.
- `GET /api/me`: who the session belongs to (the phone sends queued forms only in their author's session)
  and, by answering at all, that the server is reachable.
- `/offline`: the page the worker shows when the server cannot be reached and it has no copy to show;
  `/offline/logout`: the one it shows when someone logged out and the server could not be told yet (the
  worker tells it first thing when it answers again).
- `/favicon.ico`.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache, cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get
from litestar.datastructures import MutableScopeHeaders
from litestar.response import File, Template
from litestar.types import Message, Scope
from pydantic import BaseModel, Field

from forms import registry as form_registry
from forms.loader import DEFINITIONS_DIR
from forms.model import FormVersion
from server.accounts.auth import current_user, requires_login, unit_of
from server.collection import intake
from server.core import i18n
from server.core.tables import Assessment, ReviewComment, Submission, User
from server.rules import assign

ROOT = Path(__file__).resolve().parent.parent.parent
STATIC = ROOT / "server" / "static"
USER_HEADER = "x-phuhop-user"
VERSION_HEADER = "x-phuhop-version"


@lru_cache(maxsize=1)
def build() -> str:
    """A short hash of everything a page is made of: it changes with each release, never between requests."""
    digest = hashlib.sha256()
    folders = [(STATIC, "*"), (ROOT / "forms" / "static", "*.js"), (ROOT / "server" / "templates", "*.html"),
               (ROOT / "locales", "*/LC_MESSAGES/*.po"), (form_registry_dir(), "*/*.yaml")]
    for folder, pattern in folders:
        for path in sorted(folder.glob(pattern)):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def form_registry_dir() -> Path:
    return Path(os.environ.get("PHUHOP_FORMS_DIR") or DEFINITIONS_DIR)


def current_forms() -> list[FormVersion]:
    """The newest published version of each form: the ones a collaborator fills now."""
    latest: dict[str, FormVersion] = {}
    for form in form_registry.list_forms():
        if form.status == "published" and (form.form_id not in latest or form.version > latest[form.form_id].version):
            latest[form.form_id] = form
    return list(latest.values())


async def forms_for(user: User) -> list[FormVersion]:
    """The forms of the user's commune: the current ones, without those asking for indicators its rule set
    does not read (the 2014 figures go only to communes still assessed under the 2014 rules)."""
    commune = unit_of(user)
    keys = await assign.indicators_for(commune) if commune is not None else None
    return [form for form in current_forms() if assign.serves(form, keys)]


@cache
def _form_hash(form_id: str, version: int) -> str:
    definition = form_registry.get_form(form_id, version).to_client_json()
    return hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:12]


async def _data_fingerprint(user: User) -> str:
    """What the dynamic pages (/my, /my/submissions, /my/assessment) show changes with any of these."""
    commune = unit_of(user)
    mine = await Submission.select(Submission.id).where(Submission.author == user.id).order_by(
        Submission.id, ascending=False).first()
    parts: list[Any] = [mine["id"] if mine else 0]
    if commune is not None:
        theirs = await Submission.select(Submission.id).where(Submission.commune == commune.id).order_by(
            Submission.id, ascending=False).first()
        assessments = await Assessment.select(Assessment.id, Assessment.version, Assessment.state).where(
            Assessment.commune == commune.id).order_by(Assessment.id).run()
        comment = await ReviewComment.select(ReviewComment.id).where(
            ReviewComment.assessment.is_in([row["id"] for row in assessments] or [0])).order_by(
            ReviewComment.id, ascending=False).first()
        # An assessment row is made the first time a page looks at it (version 1): that changes nothing shown.
        changed = [(row["version"], row["state"]) for row in assessments if row["version"] > 1]
        parts += [theirs["id"] if theirs else 0, changed, comment["id"] if comment else 0]
    return json.dumps(parts, default=str)


async def page_versions(user: User) -> dict[str, str]:
    """Every URL this user's phone keeps, with a version that changes when its content would."""
    commune = unit_of(user)
    person = [build(), i18n.current_language(), user.username, user.display_name,
              commune.id if commune else None, commune.name if commune else None]

    def version(*parts: Any) -> str:
        return build() + "." + hashlib.sha256(json.dumps([*person, *parts], default=str).encode()).hexdigest()[:16]

    data = await _data_fingerprint(user)
    forms = await forms_for(user)
    listed = [(form.form_id, form.version) for form in forms]
    urls = {"/my": version("my", listed, data), "/my/submissions": version("submissions", data),
            "/my/assessment": version("assessment", data)}
    earliest = await intake.earliest_date(commune)  # the form page checks dates from this day on
    for form in forms:
        urls[f"/my/forms/{form.form_id}/{form.version}"] = version("form", _form_hash(form.form_id, form.version),
                                                                   earliest)
        urls[f"/api/forms/{form.form_id}/{form.version}"] = build() + "." + _form_hash(form.form_id, form.version)
    return urls


async def versioned(request: Request, template: Template) -> Template:
    """A collection page, marked with its version (see the module's docstring)."""
    versions = await page_versions(current_user(request))
    found = versions.get(request.url.path)
    if found:
        template.headers[VERSION_HEADER] = found
    return template


async def add_user_header(message: Message, scope: Scope) -> None:
    """A `before_send` hook: every response to a logged-in user names them, for the phone's service worker.

    Their pages are not kept by the browser's HTTP cache either (`no-store`, unless the route chose): on a
    shared phone, "back" after a logout would show the previous user's page from it, offline too. The
    service worker keeps what the user needs offline, per user, and drops it at logout."""
    user = scope.get("user")
    if message["type"] == "http.response.start" and user is not None:
        headers = MutableScopeHeaders.from_message(message)
        headers[USER_HEADER] = quote(user.username, safe="")
        if "cache-control" not in headers and (headers.get("content-type") or "").startswith("text/html"):
            headers["cache-control"] = "no-store"


# ---------------------------------------------------------------- routes

class OfflineOut(BaseModel):
    user: str = Field(description="Whose pages these are: the phone keeps them apart from other users'.")
    build: str = Field(description="The release; the service worker's caches are named after it.")
    urls: dict[str, str] = Field(description="URL → version: the phone fetches a URL again when its version changes.")


@get("/api/my/offline", guards=[requires_login], summary="What my phone keeps for working offline",
     tags=["phone"], cache_control=None)
async def offline_manifest(request: Request) -> Response[OfflineOut]:
    user = current_user(request)
    out = OfflineOut(user=user.username, build=build(), urls=await page_versions(user))
    return Response(out, headers={"cache-control": "no-store"})


class MeOut(BaseModel):
    username: str
    display_name: str
    role: str
    commune_code: str | None
    commune_name: str | None


@get("/api/me", guards=[requires_login], summary="Who is logged in (and that the server answers)", tags=["phone"])
async def me(request: Request) -> Response[MeOut]:
    user = current_user(request)
    commune = unit_of(user)
    out = MeOut(username=user.username, display_name=user.display_name, role=user.role,
                commune_code=commune.code if commune else None, commune_name=commune.name if commune else None)
    return Response(out, headers={"cache-control": "no-store"})


@get("/offline", name="offline", include_in_schema=False)
async def offline_page() -> Template:
    return Template("offline.html")


@get("/offline/logout", name="offline_logout", include_in_schema=False)
async def offline_logout_page() -> Template:
    return Template("offline_logout.html")


@lru_cache(maxsize=1)
def _service_worker() -> str:
    return (STATIC / "sw.js").read_text().replace("__VERSION__", build())


@get("/sw.js", include_in_schema=False, cache_control=None)
async def service_worker() -> Response[str]:
    return Response(_service_worker(), media_type="text/javascript", headers={"cache-control": "no-cache"})


@get("/favicon.ico", include_in_schema=False)
async def favicon() -> File:
    return File(STATIC / "favicon.ico", media_type="image/x-icon", content_disposition_type="inline",
                headers={"cache-control": "public, max-age=604800"})


ROUTES = [offline_manifest, me, offline_page, offline_logout_page, service_worker, favicon]
