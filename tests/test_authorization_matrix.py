"""Who may call what: every route of the app × every role → exactly the expected status.

The routes are read from the Litestar app's route table, so a route added without an entry
here makes `test_every_route_has_an_entry` FAIL, naming it.

How to add a route:
1. Add one `Case` to MATRIX under the key `(METHOD, path template as Litestar prints it)`, e.g.
   `("GET", "/review/{commune:str}")` — run the test to see the exact template it wants.
2. `url`: a concrete URL using the world of tests/conftest.py: commune A is 00004 (collab_a), B
   is 00008 (collab_b), both in province 01 (reviewer_x); 26734 is in province 79 (reviewer_y).
   Use commune A (or an object of commune A) so that the row shows who may see A's data.
   `url` may also be a function `(world) -> str` for ids made by `setup`.
3. `body`: form fields (dict, sent URL-encoded) or `json` (sent as JSON); a function of the role
   gives a fresh value per call (a new UUID per submission, say).
4. `expect`: the status for each of ROLES. Redirects are not followed: a page that needs a
   login answers 302 to /login for `public`. Write what SHOULD happen, not what happens: a wrong
   row is a bug to fix in the app, not in the table.
5. `setup` (optional): a function `(world) -> None` run once before the row, e.g. to create a
   submission of commune A that the URL then names.
Every request is sent logged in as the role (session cookie) with a valid CSRF token, so the
row tests authorization, not CSRF (tests/test_security.py covers CSRF).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

import httpx
import pytest

from conftest import PASSWORD, csrf_header, login

ROLES = ("public", "collab_a", "collab_b", "reviewer_x", "reviewer_y", "admin")
SKIPPED_METHODS = {"OPTIONS"}  # Litestar answers these itself, the same for everybody


def _row(public: int, collab_a: int, collab_b: int, reviewer_x: int, reviewer_y: int, admin: int) -> dict[str, int]:
    return dict(zip(ROLES, (public, collab_a, collab_b, reviewer_x, reviewer_y, admin)))


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def logged_in(status: int, public: int = 302) -> dict[str, int]:
    return {**everyone(status), "public": public}


def submission_of_a(_role: str) -> dict[str, Any]:
    """A valid satisfaction form for commune A, with a fresh UUID."""
    from forms.registry import get_form
    from server.collection.samples import sample_answers

    return {"uuid": str(uuid.uuid4()), "form_id": "satisfaction", "form_version": 1, "commune_code": "00004",
            "answers": sample_answers(get_form("satisfaction", 1), random.Random(1))}


def draft_list_of_01(world: dict) -> None:
    """A draft certification list of province 01 (reviewer_x's area), its id kept in `world`."""
    from server.core.tables import CertificationList

    row = CertificationList(key=f"{world['period'].id}:{world['province'].id}:1", period=world["period"].id,
                            area=world["province"].id, revision=1, created_by=world["users"]["admin"].id)
    row.save().run_sync()
    world["list_id"] = row.id


def play_area_photo_of_a(world: dict) -> None:
    """A play-area submission of commune A by collab_a, with its photo stored; its UUID kept in `world`."""
    import asyncio

    from forms.registry import get_form
    from photo_files import photo_bytes
    from server.collection import photos
    from server.collection.samples import sample_answers
    from server.accounts.auth import active_user_with_unit
    from server.collection.submissions import submit

    answers = {**sample_answers(get_form("play-area", 1), random.Random(1), near=(21.03, 105.82)), "photo": "photo.jpg"}

    async def make() -> uuid.UUID:
        author = await active_user_with_unit(world["users"]["collab_a"].id)
        stored = await submit(author, uuid=uuid.uuid4(), form_id="play-area", form_version=1,
                              answers=answers)
        await photos.keep(stored.submission, [photos.check("photo.jpg", "IMG_1.jpg", photo_bytes())],
                          user=author, source="web")
        return stored.submission.uuid

    world["photo_submission"] = asyncio.run(make())
def play_area_of_a(world: dict) -> None:
    """A play-area form of commune A with a stored photo (its UUID kept in `world`)."""
    from test_review_submissions import PLACE, send

    world["place"] = send(world, [("play-area", 1, PLACE)])[0]


def draft_rules_of_admin(world: dict) -> None:
    """A draft of vn-2019 entered by `admin` (equal to the version in force), its id kept in `world`."""
    import asyncio

    from server.rules import items, versions

    async def make() -> int:
        base = await versions.in_force("vn-2019")
        report = await versions.create_draft(items.document_of(versions.rules_of(base)), world["users"]["admin"],
                                             origin="web")
        return report.row.id

    world["rule_version_id"] = asyncio.run(make())


def _user_y(world: dict) -> str:
    """The account page of reviewer_y (admins change it last in each row: the other roles are not disturbed)."""
    return f"/admin/users/{world['users']['reviewer_y'].id}"


def registration_of_a(_role: str) -> dict[str, str]:
    """Commune A registers today for this year."""
    import datetime

    today = datetime.date.today()
    return {"action": "register", "year": str(today.year), "date": today.isoformat()}


@dataclass(frozen=True)
class Case:
    url: str | Callable[[dict], str]
    expect: dict[str, int]
    body: dict | Callable[[str], dict] | None = None
    json: dict | Callable[[str], dict] | None = None
    setup: Callable[[dict], None] | None = None
    note: str = field(default="", compare=False)


MATRIX: dict[tuple[str, str], Case] = {
    # ---------------------------------------------------------------- account
    ("GET", "/"): Case("/", _row(200, 302, 302, 302, 302, 302), note="login page, or off to /my"),
    ("GET", "/login"): Case("/login", everyone(200)),
    ("POST", "/login"): Case("/login", everyone(303), body={"username": "collab_a", "password": PASSWORD},
                             note="wrong passwords: tests/test_security.py (throttling would mix in here)"),
    ("POST", "/logout"): Case("/logout", everyone(303)),
    ("GET", "/account/password"): Case("/account/password", logged_in(200)),
    ("POST", "/account/password"): Case("/account/password", logged_in(422),
                                        body={"current": "not-the-password", "new": "x" * 10, "again": "x" * 10},
                                        note="422: wrong current password (a real change: tests/test_sessions.py, tests/test_admin_users.py)"),
    ("POST", "/language"): Case("/language", everyone(303), body={"language": "en"}),
    # ---------------------------------------------------------------- accounts (admins; tests/test_admin_users.py)
    ("GET", "/admin/users"): Case("/admin/users?q=collab", _row(302, 403, 403, 403, 403, 200)),
    ("GET", "/admin/users/new"): Case("/admin/users/new", _row(302, 403, 403, 403, 403, 200)),
    ("POST", "/admin/users"): Case("/admin/users", _row(302, 403, 403, 403, 403, 201),
                                   body={"username": "nguoi.moi", "role": "collaborator", "unit": "00004"}),
    ("GET", "/admin/users/{user_id:int}"): Case(_user_y, _row(302, 403, 403, 403, 403, 200)),
    ("POST", "/admin/users/{user_id:int}"): Case(_user_y, _row(302, 403, 403, 403, 403, 303),
                                                 body={"role": "reviewer", "unit": "01", "reason": "Chuyển tỉnh"}),
    ("POST", "/admin/users/{user_id:int}/password"): Case(lambda w: _user_y(w) + "/password",
                                                          _row(302, 403, 403, 403, 403, 200), body={"reason": "Quên"}),
    ("POST", "/admin/users/{user_id:int}/unlock"): Case(lambda w: _user_y(w) + "/unlock",
                                                        _row(302, 403, 403, 403, 403, 303)),
    ("POST", "/admin/users/{user_id:int}/active"): Case(lambda w: _user_y(w) + "/active",
                                                        _row(302, 403, 403, 403, 403, 303),
                                                        body={"active": "0", "reason": "Nghỉ việc"}),
    ("GET", "/admin/users/import"): Case("/admin/users/import", _row(302, 403, 403, 403, 403, 200)),
    ("GET", "/admin/users/import/template.xlsx"): Case("/admin/users/import/template.xlsx",
                                                       _row(302, 403, 403, 403, 403, 200)),
    ("POST", "/admin/users/import/preview"): Case("/admin/users/import/preview", _row(302, 403, 403, 403, 403, 422),
                                                  body={"unit_set": "2025"}, note="422: no file"),
    ("POST", "/admin/users/import"): Case("/admin/users/import", _row(302, 403, 403, 403, 403, 201), body={
        "unit_set": "2025", "file_name": "ds.csv", "rows": '[[2, "nguoi.moi", "Người Mới", "collaborator", "00004"]]'}),
    # ---------------------------------------------------------------- collection (the collaborator's phone)
    ("GET", "/my"): Case("/my", logged_in(200)),
    ("GET", "/my/forms/{form_id:str}/{version:int}"): Case("/my/forms/satisfaction/1", logged_in(200)),
    ("GET", "/my/submissions"): Case("/my/submissions", logged_in(200)),
    ("GET", "/sw.js"): Case("/sw.js", everyone(200)),
    ("GET", "/offline"): Case("/offline", everyone(200), note="what the phone shows when the server cannot be reached"),
    ("GET", "/offline/logout"): Case("/offline/logout", everyone(200),
                                     note="what the phone shows after logging out while the server cannot be reached"),
    ("GET", "/favicon.ico"): Case("/favicon.ico", everyone(200)),
    ("GET", "/api/me"): Case("/api/me", logged_in(200, public=401)),
    ("GET", "/api/my/offline"): Case("/api/my/offline", logged_in(200, public=401),
                                     note="each user's own pages; the list names only what that user may open"),
    # ---------------------------------------------------------------- JSON API
    ("GET", "/api/forms"): Case("/api/forms", everyone(200)),
    ("GET", "/api/forms/{form_id:str}/{version:int}"): Case("/api/forms/satisfaction/1", everyone(200)),
    ("GET", "/api/submissions"): Case("/api/submissions", logged_in(200, public=401)),
    ("POST", "/api/submissions"): Case("/api/submissions", _row(401, 201, 403, 403, 403, 201), json=submission_of_a,
                                       note="commune A's data: its collaborator or an admin"),
    ("PUT", "/api/submissions/{uuid:uuid}/photos/{name:str}"): Case(
        lambda w: f"/api/submissions/{w['photo_submission']}/photos/photo.jpg", _row(401, 422, 404, 404, 404, 404),
        body={"x": "1"}, setup=play_area_photo_of_a,
        note="only the author adds a photo (422: no file attached); for anybody else the submission does not exist"),
    ("GET", "/api/submissions/{uuid:uuid}/photos/{name:str}"): Case(
        lambda w: f"/api/submissions/{w['photo_submission']}/photos/photo.jpg", _row(401, 200, 403, 200, 403, 200),
        setup=play_area_photo_of_a, note="the commune's collaborators, reviewers of its area, admins; never the public"),
    # ---------------------------------------------------------------- the commune's own assessment
    ("GET", "/my/assessment"): Case("/my/assessment", logged_in(200),
                                    note="reviewers and admins see an explanation, not a commune's data"),
    ("POST", "/my/assessment/send"): Case("/my/assessment/send", _row(302, 409, 409, 403, 403, 403), body={"version": "0"},
                                          note="409: nothing filled in yet in this world"),
    ("GET", "/api/my/assessment"): Case("/api/my/assessment", _row(401, 200, 200, 403, 403, 403)),
    ("POST", "/api/my/assessment/send"): Case("/api/my/assessment/send", _row(401, 409, 409, 403, 403, 403),
                                              json={"version": 0}),
    # ---------------------------------------------------------------- review (reviewers of the area, admins)
    ("GET", "/review"): Case("/review", _row(302, 403, 403, 200, 200, 200)),
    ("GET", "/review/{period_id:int}/dashboard"): Case(lambda w: f"/review/{w['period'].id}/dashboard",
                                                       _row(302, 403, 403, 200, 200, 200)),
    ("GET", "/review/{period_id:int}/lists"): Case(lambda w: f"/review/{w['period'].id}/lists",
                                                   _row(302, 403, 403, 200, 200, 200)),
    ("GET", "/review/{period_id:int}/map/{fmt:str}"): Case(lambda w: f"/review/{w['period'].id}/map/png",
                                                           _row(302, 403, 403, 200, 200, 200)),
    ("GET", "/review/{period_id:int}/national"): Case(lambda w: f"/review/{w['period'].id}/national",
                                                      _row(302, 403, 403, 403, 403, 200)),
    ("GET", "/review/{period_id:int}/{code:str}"): Case(lambda w: f"/review/{w['period'].id}/00004",
                                                        _row(302, 403, 403, 200, 403, 200)),
    ("POST", "/review/{period_id:int}/{code:str}/action"): Case(
        lambda w: f"/review/{w['period'].id}/00004/action", _row(302, 403, 403, 409, 403, 409),
        body={"action": "approve", "version": "0"}, note="409: nothing was sent for review yet"),
    ("POST", "/review/{period_id:int}/{code:str}/correct"): Case(
        lambda w: f"/review/{w['period'].id}/00004/correct", _row(302, 403, 403, 409, 403, 409),
        body={"indicator": "c1_protection_officer", "value": "true", "reason": "matrix", "version": "0"},
        note="409: values can be corrected once the commune has sent its data"),
    ("POST", "/review/{period_id:int}/{code:str}/flags"): Case(
        lambda w: f"/review/{w['period'].id}/00004/flags", _row(302, 403, 403, 422, 403, 422),
        body={"check": "abuse_count", "fingerprint": "0" * 16, "comment": "matrix"},
        note="422: values are checked once the commune has sent its data"),
    ("POST", "/review/{period_id:int}/{code:str}/withdraw"): Case(
        lambda w: f"/review/{w['period'].id}/00004/withdraw", _row(302, 403, 403, 409, 403, 409),
        body={"indicator": "c1_protection_officer", "reason": "matrix", "version": "0"},
        note="409: the page's version is stale (nothing was sent for review yet)"),
    ("POST", "/review/{period_id:int}/lists"): Case(lambda w: f"/review/{w['period'].id}/lists",
                                                    _row(302, 403, 403, 422, 422, 422), body={"area": "01"},
                                                    note="422: no approved commune in the area yet"),
    ("GET", "/review/lists/{list_id:int}"): Case(lambda w: f"/review/lists/{w['list_id']}",
                                                 _row(302, 403, 403, 200, 403, 200), setup=draft_list_of_01),
    ("GET", "/review/lists/{list_id:int}/export/{fmt:str}"): Case(
        lambda w: f"/review/lists/{w['list_id']}/export/csv", _row(302, 403, 403, 200, 403, 200),
        setup=draft_list_of_01),
    ("GET", "/review/lists/{list_id:int}/documents/{name:str}"): Case(
        lambda w: f"/review/lists/{w['list_id']}/documents/decision.docx", _row(302, 403, 403, 200, 403, 200),
        setup=draft_list_of_01, note="the official documents of a list: its area's reviewers and admins"),
    ("POST", "/review/lists/{list_id:int}/{step:str}"): Case(
        lambda w: f"/review/lists/{w['list_id']}/finalise", _row(302, 403, 403, 422, 403, 422),
        setup=draft_list_of_01, note="422: a draft must be posted for comment before it is final"),
    ("GET", "/review/submissions/{submission_uuid:uuid}"): Case(
        lambda w: f"/review/submissions/{w['place']}", _row(302, 403, 403, 200, 403, 200), setup=play_area_of_a,
        note="what commune A sent: its area's reviewers and admins (its collaborator has /my/submissions)"),
    ("GET", "/review/submissions/{submission_uuid:uuid}/map.png"): Case(
        lambda w: f"/review/submissions/{w['place']}/map.png", _row(302, 403, 403, 200, 403, 200),
        setup=play_area_of_a),
    ("GET", "/api/review/queue"): Case("/api/review/queue", _row(401, 403, 403, 200, 200, 200)),
    ("GET", "/api/review/assessments/{period_id:int}/{code:str}"): Case(
        lambda w: f"/api/review/assessments/{w['period'].id}/00004", _row(401, 403, 403, 200, 403, 200)),
    ("POST", "/api/review/assessments/{period_id:int}/{code:str}/actions"): Case(
        lambda w: f"/api/review/assessments/{w['period'].id}/00004/actions", _row(401, 403, 403, 409, 403, 409),
        json={"action": "approve", "version": 0}),
    ("POST", "/api/review/assessments/{period_id:int}/{code:str}/corrections"): Case(
        lambda w: f"/api/review/assessments/{w['period'].id}/00004/corrections", _row(401, 403, 403, 409, 403, 409),
        json={"indicator": "c1_protection_officer", "value": True, "reason": "matrix", "version": 0}),
    # ---------------------------------------------------------------- administration (admins only)
    ("POST", "/api/review/assessments/{period_id:int}/{code:str}/withdrawals"): Case(
        lambda w: f"/api/review/assessments/{w['period'].id}/00004/withdrawals", _row(401, 403, 403, 409, 403, 409),
        json={"indicator": "c1_protection_officer", "reason": "matrix", "version": 0}),
    ("GET", "/admin/audit"): Case("/admin/audit", _row(302, 403, 403, 403, 403, 200)),
    ("GET", "/admin/audit.csv"): Case("/admin/audit.csv", _row(302, 403, 403, 403, 403, 200)),
    ("GET", "/admin/registry"): Case("/admin/registry?province=01", _row(302, 403, 403, 403, 403, 200)),
    ("POST", "/admin/registry/types/preview"): Case("/admin/registry/types/preview", _row(302, 403, 403, 403, 403, 422),
                                                    body={"reason": "Quyết định 1/QĐ-TTg"}, note="422: no file"),
    ("POST", "/admin/registry/types"): Case("/admin/registry/types", _row(302, 403, 403, 403, 403, 303),
                                            body={"unit_set": "2025", "change": "00004:mountain_island_difficult",
                                                  "reason": "Quyết định 1/QĐ-TTg"}),
    ("GET", "/admin/boundaries"): Case("/admin/boundaries", _row(302, 403, 403, 403, 403, 200)),
    ("POST", "/admin/boundaries"): Case("/admin/boundaries", _row(302, 403, 403, 403, 403, 422), body={"x": "1"},
                                        note="422: no file uploaded"),
    ("GET", "/admin/odk"): Case("/admin/odk", _row(302, 403, 403, 403, 403, 200)),
    ("POST", "/admin/odk/tokens"): Case("/admin/odk/tokens", _row(302, 403, 403, 403, 403, 422), body={"x": "1"}),
    ("POST", "/admin/odk/tokens/{token_id:int}/revoke"): Case("/admin/odk/tokens/999/revoke",
                                                               _row(302, 403, 403, 403, 403, 404)),
    ("GET", "/admin/forms/{form_id:str}/{file_name:str}"): Case("/admin/forms/satisfaction/1.xlsx",
                                                                 _row(302, 403, 403, 200, 200, 200)),
    ("POST", "/admin/odk/xlsform"): Case("/admin/odk/xlsform", _row(302, 403, 403, 403, 403, 422), body={"x": "1"}),
    ("GET", "/admin/periods"): Case("/admin/periods", _row(302, 403, 403, 403, 403, 200)),
    ("GET", "/admin/periods/new"): Case("/admin/periods/new", _row(302, 403, 403, 403, 403, 200)),
    ("GET", "/admin/periods/{period_id:int}"): Case(lambda w: f"/admin/periods/{w['period'].id}",
                                                    _row(302, 403, 403, 403, 403, 200)),
    ("POST", "/admin/periods"): Case("/admin/periods", _row(302, 403, 403, 403, 403, 422), body={"x": "1"}),
    ("POST", "/admin/periods/{period_id:int}"): Case(lambda w: f"/admin/periods/{w['period'].id}",
                                                     _row(302, 403, 403, 403, 403, 422), body={"x": "1"}),
    ("POST", "/admin/periods/{period_id:int}/areas"): Case(lambda w: f"/admin/periods/{w['period'].id}/areas",
                                                           _row(302, 403, 403, 403, 403, 422), body={"unit_code": "99"},
                                                           note="422: no province 99"),
    ("POST", "/admin/periods/{period_id:int}/areas/{area_id:int}/remove"): Case(
        lambda w: f"/admin/periods/{w['period'].id}/areas/999/remove", _row(302, 403, 403, 403, 403, 404)),
    ("GET", "/admin/rules"): Case("/admin/rules", _row(302, 403, 403, 403, 403, 200)),
    ("POST", "/admin/rules/upload"): Case("/admin/rules/upload", _row(302, 403, 403, 403, 403, 422), body={"x": "1"},
                                          note="422: no file uploaded"),
    ("POST", "/admin/rules/new"): Case("/admin/rules/new", _row(302, 403, 403, 403, 403, 422),
                                       body={"rule_set": "vn-1999"}, note="422: no such rule set"),
    ("GET", "/admin/rules/{version_id:int}"): Case(lambda w: f"/admin/rules/{w['rule_version_id']}",
                                                   _row(302, 403, 403, 403, 403, 200), setup=draft_rules_of_admin),
    ("GET", "/admin/rules/{version_id:int}/table.xlsx"): Case(
        lambda w: f"/admin/rules/{w['rule_version_id']}/table.xlsx", _row(302, 403, 403, 403, 403, 200),
        setup=draft_rules_of_admin),
    ("GET", "/admin/rules/{version_id:int}/edit"): Case(
        lambda w: f"/admin/rules/{w['rule_version_id']}/edit", _row(302, 403, 403, 403, 403, 200),
        setup=draft_rules_of_admin, note="its author; another admin gets 403 (tests/test_rules_whatif.py)"),
    ("POST", "/admin/rules/{version_id:int}/edit"): Case(
        lambda w: f"/admin/rules/{w['rule_version_id']}/edit", _row(302, 403, 403, 403, 403, 422),
        body={"revision": "1"}, setup=draft_rules_of_admin, note="422: nothing was changed"),
    ("POST", "/admin/rules/{version_id:int}/check"): Case(
        lambda w: f"/admin/rules/{w['rule_version_id']}/check", _row(302, 403, 403, 403, 403, 422),
        body={"item": "line:2.1"}, setup=draft_rules_of_admin, note="422: no paper source given"),
    ("POST", "/admin/rules/{version_id:int}/publish"): Case(
        lambda w: f"/admin/rules/{w['rule_version_id']}/publish", _row(302, 403, 403, 403, 403, 422),
        body={"revision": "1"}, setup=draft_rules_of_admin, note="422: nothing checked yet"),
    ("POST", "/admin/rules/{version_id:int}/discard"): Case(
        lambda w: f"/admin/rules/{w['rule_version_id']}/discard", _row(302, 403, 403, 403, 403, 422),
        body={"reason": ""}, setup=draft_rules_of_admin, note="422: a reason is required"),
    ("GET", "/admin/rules/{version_id:int}/whatif/{period_id:int}"): Case(
        lambda w: f"/admin/rules/{w['rule_version_id']}/whatif/{w['period'].id}", _row(302, 403, 403, 403, 403, 200),
        setup=draft_rules_of_admin),
    ("GET", "/admin/rules/{version_id:int}/whatif/{period_id:int}/preview.xlsx"): Case(
        lambda w: f"/admin/rules/{w['rule_version_id']}/whatif/{w['period'].id}/preview.xlsx",
        _row(302, 403, 403, 403, 403, 200), setup=draft_rules_of_admin),
    ("POST", "/admin/rules/{version_id:int}/apply/{period_id:int}"): Case(
        lambda w: f"/admin/rules/{w['rule_version_id']}/apply/{w['period'].id}", _row(302, 403, 403, 403, 403, 422),
        body={"reason": "matrix"}, setup=draft_rules_of_admin, note="422: a draft cannot be applied"),
    # ---------------------------------------------------------------- rounds over the years (server/history)
    ("GET", "/progress"): Case("/progress", _row(302, 403, 403, 200, 200, 200), note="a reviewer sees their own area"),
    ("GET", "/progress/chart/{fmt:str}"): Case("/progress/chart/png?layout=phone", _row(302, 403, 403, 200, 200, 200)),
    ("GET", "/progress/export.xlsx"): Case("/progress/export.xlsx", _row(302, 403, 403, 200, 200, 200)),
    ("GET", "/progress/communes/{unit_set:str}/{code:str}"): Case(
        "/progress/communes/2025/00004", _row(302, 200, 403, 200, 403, 200), note="its collaborator sees it too"),
    ("GET", "/registration"): Case("/registration", logged_in(200)),
    ("POST", "/registration/{unit_set:str}/{code:str}"): Case(
        "/registration/2025/00004", _row(302, 303, 403, 409, 403, 409), body=registration_of_a,
        note="409: commune A was registered a moment ago by its collaborator"),
    ("GET", "/registration/export.xlsx"): Case("/registration/export.xlsx", _row(302, 403, 403, 200, 200, 200)),
    ("GET", "/admin/history"): Case("/admin/history", _row(302, 403, 403, 403, 403, 200)),
    ("POST", "/admin/history/preview"): Case("/admin/history/preview", _row(302, 403, 403, 403, 403, 422),
                                             body={"x": "1"}, note="422: no file uploaded"),
    ("POST", "/admin/history/import"): Case("/admin/history/import", _row(302, 403, 403, 403, 403, 409),
                                            body={"x": "1"}, note="409: no previewed file to import"),
    ("GET", "/admin/history/{import_id:int}"): Case("/admin/history/999", _row(302, 403, 403, 403, 403, 404)),
    ("POST", "/admin/history/rows/{row_id:int}"): Case("/admin/history/rows/999", _row(302, 403, 403, 403, 403, 404),
                                                      body={"decision": "skip"}),
    ("GET", "/admin/targets"): Case("/admin/targets", _row(302, 403, 403, 403, 403, 200)),
    ("POST", "/admin/targets"): Case("/admin/targets", _row(302, 403, 403, 403, 403, 422), body={"x": "1"}),
    ("GET", "/public/progress"): Case("/public/progress", everyone(200), note="progress shares: public for everyone"),
    ("GET", "/public/progress/chart/{fmt:str}"): Case("/public/progress/chart/png", everyone(200)),
    ("GET", "/public/progress/export.xlsx"): Case("/public/progress/export.xlsx", everyone(200)),
    # ---------------------------------------------------------------- public results (no login)
    ("GET", "/public"): Case("/public", everyone(200)),
    # The world's period has no final list: its results are public for nobody, admins included.
    # (Rows with a published list: add a `setup` that makes one, and expect 200 for everyone.)
    ("GET", "/public/{period_id:int}"): Case(lambda w: f"/public/{w['period'].id}", everyone(404)),
    ("GET", "/public/{period_id:int}/communes/{code:str}"): Case(
        lambda w: f"/public/{w['period'].id}/communes/00004", everyone(404)),
    ("GET", "/public/{period_id:int}/communes/{code:str}/criteria/{fmt:str}"): Case(
        lambda w: f"/public/{w['period'].id}/communes/00004/criteria/png", everyone(404)),
    ("GET", "/public/{period_id:int}/communes/{code:str}/history/{fmt:str}"): Case(
        lambda w: f"/public/{w['period'].id}/communes/00004/history/png", everyone(404)),
    ("GET", "/public/{period_id:int}/communes/{code:str}/share.png"): Case(
        lambda w: f"/public/{w['period'].id}/communes/00004/share.png", everyone(404)),
    ("GET", "/public/{period_id:int}/lists/{list_id:int}"): Case(lambda w: f"/public/{w['period'].id}/lists/1",
                                                                 everyone(404)),
    ("GET", "/public/{period_id:int}/lists/{list_id:int}/download/{name:str}"): Case(
        lambda w: f"/public/{w['period'].id}/lists/1/download/list.csv", everyone(404)),
    ("GET", "/public/{period_id:int}/map/{fmt:str}"): Case(lambda w: f"/public/{w['period'].id}/map/png", everyone(404)),
    ("GET", "/public/{period_id:int}/play-areas/{fmt:str}"): Case(
        lambda w: f"/public/{w['period'].id}/play-areas/geojson?area=00004", everyone(404)),
    ("GET", "/public/{period_id:int}/recognised/{fmt:str}"): Case(
        lambda w: f"/public/{w['period'].id}/recognised/png", everyone(404)),
    ("GET", "/public/{period_id:int}/goals/{fmt:str}"): Case(lambda w: f"/public/{w['period'].id}/goals/png",
                                                              everyone(404)),
    # ---------------------------------------------------------------- ODK Collect: device tokens, never cookies
    ("GET", "/openrosa/formList"): Case("/openrosa/formList", everyone(401)),
    ("POST", "/openrosa/submission"): Case("/openrosa/submission", everyone(401)),
    ("GET", "/openrosa/key/{token:str}/formList"): Case("/openrosa/key/not-a-token/formList", everyone(401)),
    ("GET", "/openrosa/key/{token:str}/forms/{form_id:str}/{file_name:str}"): Case(
        "/openrosa/key/not-a-token/forms/play-area/play-area.xml", everyone(401)),
    ("POST", "/openrosa/key/{token:str}/submission"): Case("/openrosa/key/not-a-token/submission", everyone(401)),
    ("HEAD", "/openrosa/key/{token:str}/submission"): Case("/openrosa/key/not-a-token/submission", everyone(401)),
    # ---------------------------------------------------------------- static files and the API schema
    ("GET", "/static/{file_path:path}"): Case("/static/app.css", everyone(200)),
    ("HEAD", "/static/{file_path:path}"): Case("/static/app.css", everyone(200)),
    ("GET", "/schema"): Case("/schema", everyone(200)),
    ("GET", "/schema/openapi.json"): Case("/schema/openapi.json", everyone(200)),
    ("GET", "/schema/{path:str}"): Case("/schema/nothing-here", everyone(404)),
}


def app_routes() -> set[tuple[str, str]]:
    """(method, path template) of every handler the app serves."""
    from server.app import create_app

    found = set()
    for route in create_app().routes:
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method not in SKIPPED_METHODS:
                    found.add((method, route.path))
    return found


def test_every_route_has_an_entry() -> None:
    routes = app_routes()
    missing = sorted(routes - set(MATRIX))
    assert not missing, "routes without an authorization entry (see this module's docstring):\n" + "\n".join(
        f'    ("{method}", "{path}"): Case(...),' for method, path in missing)
    gone = sorted(set(MATRIX) - routes)
    assert not gone, f"entries for routes the app no longer has: {gone}"


def _resolve(value: Any, *args: Any) -> Any:
    return value(*args) if callable(value) else value


def call(client, method: str, case: Case, role: str, world: dict):
    kwargs: dict[str, Any] = {"headers": csrf_header(client), "follow_redirects": False}
    if case.body is not None:
        kwargs["data"] = _resolve(case.body, role)
    if case.json is not None:
        kwargs["json"] = _resolve(case.json, role)
    return client.request(method, _resolve(case.url, world), **kwargs)


@pytest.fixture(scope="module")
def logged_in_clients(migrated_db: str):
    """One test client per role, each logged in once through the real login form.

    The database as it is right after those logins (sessions and audit entries included, whatever
    the session design keeps there) is saved as the snapshot "matrix", and each client's cookies
    with it: every row starts from exactly that state without logging in again. An app per client:
    one app's lifespan is not meant to be entered by several clients at once.
    """
    from litestar.testing import TestClient

    from server.app import create_app
    from server.core.testing import restore_snapshot, save_snapshot

    restore_snapshot("world")
    opened = {}
    try:
        for role in ROLES:
            client = TestClient(app=create_app(), base_url="http://127.0.0.1:8000")
            client.__enter__()
            opened[role] = client
            if role == "public":
                client.get("/login")  # the CSRF cookie
            else:
                login(client, role)
        save_snapshot("matrix")
        yield {role: (client, httpx.Cookies(client.cookies)) for role, client in opened.items()}
    finally:
        for client in opened.values():
            client.__exit__(None, None, None)


@pytest.fixture()
def matrix_world(logged_in_clients: dict) -> tuple[dict, dict]:
    """The logged-in clients and the world, both as they were right after logging in."""
    from server.core.testing import restore_snapshot, world_from_db

    restore_snapshot("matrix")
    clients = {}
    for role, (client, cookies) in logged_in_clients.items():
        client.cookies = httpx.Cookies(cookies)
        clients[role] = client
    return clients, world_from_db()


@pytest.mark.parametrize("route", sorted(MATRIX), ids=[f"{m} {p}" for m, p in sorted(MATRIX)])
def test_route_gives_the_expected_status_to_each_role(route: tuple[str, str], matrix_world: tuple[dict, dict]) -> None:
    method, _ = route
    case = MATRIX[route]
    clients, world = matrix_world
    if case.setup is not None:
        case.setup(world)
    got = {}
    for role in ROLES:
        got[role] = call(clients[role], method, case, role, world).status_code
    assert got == case.expect
