"""Server-side sessions over real HTTP: logout, password change, deactivation and "log out everywhere" end a
session at once, for every worker; a copied cookie is worth nothing afterwards; the cookie is set only when
the session changes.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from litestar.testing import TestClient

from conftest import PASSWORD, LiveServer, csrf_header, login
from server.accounts import sessions
from server.app import create_app
from server.core.tables import AuditLog, User, UserSession

COOKIE = sessions.COOKIE


def session_cookie(client) -> str:
    return client.cookies.get(COOKIE)


def replay(cookie: str, url: str = "/api/review/queue") -> int:
    """The status a stranger gets with a copied session cookie."""
    with TestClient(app=create_app(), base_url="http://127.0.0.1:8000") as stranger:
        stranger.cookies.set(COOKIE, cookie)
        return stranger.get(url, follow_redirects=False).status_code


def set_cookies(response, name: str) -> list[str]:
    return [value for key, value in response.headers.multi_items() if key == "set-cookie" and value.startswith(f"{name}=")]


def test_a_copied_cookie_stops_working_at_logout(client) -> None:
    login(client, "reviewer_x")
    copied = session_cookie(client)
    assert replay(copied) == 200
    response = client.post("/logout", headers=csrf_header(client), follow_redirects=False)
    assert response.status_code == 303
    [deleted] = set_cookies(response, COOKIE)
    assert 'phuhop_session="";' in deleted or "Max-Age=0" in deleted or "expires=" in deleted.lower()
    assert replay(copied) == 401
    row = UserSession.objects().first().run_sync()
    assert row.ended_at is not None and row.end_reason == "logout" and row.ended_by == "reviewer_x"


def test_only_a_hash_of_the_token_is_stored_and_the_cookie_is_strict(client) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "collab_a", "password": PASSWORD}, headers=csrf_header(client),
                           follow_redirects=False)
    [cookie] = set_cookies(response, COOKIE)
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/"} <= flags
    assert f"max-age={30 * 24 * 3600}" in flags
    token = cookie.split(";")[0].split("=", 1)[1]
    [row] = UserSession.select(UserSession.token_hash).run_sync()
    assert len(token) >= 40 and token not in row["token_hash"] and row["token_hash"] == sessions._digest(token)


def test_responses_that_do_not_change_the_session_do_not_set_its_cookie(client) -> None:
    login(client, "collab_a")
    from forms.registry import get_form
    from server.collection.samples import sample_answers
    import random
    import uuid

    form = get_form("satisfaction", 1)
    sent = client.post("/api/submissions", headers=csrf_header(client), json={
        "uuid": str(uuid.uuid4()), "form_id": "satisfaction", "form_version": 1,
        "answers": sample_answers(form, random.Random(1))})
    assert sent.status_code == 201
    for response in (sent, client.get("/my"), client.get("/api/forms"), client.get("/my/submissions")):
        assert set_cookies(response, COOKIE) == [], response.request.url


def test_password_change_ends_every_other_session_at_once(client, world: dict) -> None:
    login(client, "collab_a")
    with TestClient(app=create_app(), base_url="http://127.0.0.1:8000") as phone:
        login(phone, "collab_a")
        assert phone.get("/my", follow_redirects=False).status_code == 200
        old = session_cookie(client)
        page = client.get("/account/password")
        assert page.status_code == 200 and 'name="current"' in page.text
        wrong = client.post("/account/password", data={"current": "nope", "new": "mat-khau-moi-123",
                                                       "again": "mat-khau-moi-123"}, headers=csrf_header(client))
        assert wrong.status_code == 422 and "Mật khẩu hiện tại không đúng." in wrong.text
        differ = client.post("/account/password", data={"current": PASSWORD, "new": "mat-khau-moi-123",
                                                        "again": "mat-khau-moi-124"}, headers=csrf_header(client))
        assert differ.status_code == 422
        changed = client.post("/account/password", data={"current": PASSWORD, "new": "mat-khau-moi-123",
                                                         "again": "mat-khau-moi-123"}, headers=csrf_header(client),
                              follow_redirects=False)
        assert changed.status_code == 303 and len(set_cookies(changed, COOKIE)) == 1
        assert phone.get("/my", follow_redirects=False).status_code in (302, 303)  # the other device: out
        assert replay(old, "/my") in (302, 303)  # the old cookie of this browser too
        assert client.get("/my", follow_redirects=False).status_code == 200  # this browser: a new session
    assert AuditLog.count().where(AuditLog.action == "password_changed").run_sync() == 1
    with TestClient(app=create_app(), base_url="http://127.0.0.1:8000") as again:
        again.get("/login")
        old_password = again.post("/login", data={"username": "collab_a", "password": PASSWORD},
                                  headers=csrf_header(again), follow_redirects=False)
        assert old_password.status_code == 401
        login(again, "collab_a", "mat-khau-moi-123")


def test_deactivation_and_log_out_everywhere_end_sessions_at_once(client, world: dict) -> None:
    from server.accounts.sessions import end_user_sessions
    from server.accounts.users import set_active

    login(client, "reviewer_x")
    with TestClient(app=create_app(), base_url="http://127.0.0.1:8000") as laptop:
        login(laptop, "reviewer_x")
        cookies = [session_cookie(client), session_cookie(laptop)]
    user_id = world["users"]["reviewer_x"].id
    assert asyncio.run(end_user_sessions(user_id, by="admin", reason="lost phone")) == 2
    assert [replay(cookie) for cookie in cookies] == [401, 401]
    entry = AuditLog.objects().where(AuditLog.action == "sessions_ended").first().output(load_json=True).run_sync()
    assert entry.username == "admin" and entry.reason == "lost phone" and entry.after == {"sessions": 2}
    assert asyncio.run(end_user_sessions(user_id, by="admin", reason="again")) == 0

    login(client, "collab_b")
    cookie = session_cookie(client)
    assert replay(cookie, "/my") == 200
    user = User.objects().where(User.username == "collab_b").first().run_sync()
    assert asyncio.run(set_active(user, False, by="admin", reason="left the commune")) == 1
    assert replay(cookie, "/my") in (302, 303)
    assert UserSession.count().where(UserSession.end_reason == "deactivated").run_sync() == 1


def test_an_expired_or_forged_session_is_a_logged_out_visitor(client) -> None:
    login(client, "reviewer_x")
    cookie = session_cookie(client)
    UserSession.update({UserSession.expires_at: datetime.now(timezone.utc) - timedelta(seconds=1)}, force=True).run_sync()
    assert replay(cookie) == 401
    for forged in ("", "x", "a" * 5000, cookie[:-1] + ("A" if cookie[-1] != "A" else "B"), "%FF" * 20,
                   "eyJ1aWQiOiAxfQ==.bm90LWEtc2lnbmF0dXJl"):  # the shape of the old signed cookie sessions
        assert replay(forged) == 401, forged[:20]


def test_ending_sessions_reaches_every_worker_of_a_real_server(world: dict, tmp_path) -> None:
    """`phuhop serve --workers 2`: after `phuhop users end-sessions`, no worker accepts the cookie (20 tries)."""
    live = LiveServer()
    live.process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(live.port), "--workers", "2", "--no-migrate"],
        env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=live.base, timeout=30) as http:
            for _ in range(150):
                try:
                    if http.get("/login").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            token = http.cookies["csrftoken"]
            assert http.post("/login", data={"username": "reviewer_x", "password": PASSWORD},
                             headers={"x-csrftoken": token}).status_code in (200, 303)
            cookie = http.cookies[COOKIE]
        statuses = {httpx.get(f"{live.base}/api/review/queue", cookies={COOKIE: cookie}).status_code for _ in range(20)}
        assert statuses == {200}
        ended = subprocess.run([sys.executable, "-m", "server.cli", "users", "end-sessions", "reviewer_x"],
                               capture_output=True, text=True, timeout=120)
        assert ended.returncode == 0 and "1 session(s) of reviewer_x ended" in ended.stdout, ended.stderr
        statuses = [httpx.get(f"{live.base}/api/review/queue", cookies={COOKIE: cookie}).status_code for _ in range(20)]
        assert set(statuses) == {401}, statuses
    finally:
        live.stop()


@pytest.mark.parametrize("command", [["set-password", "collab_a", "--password", "mat-khau-moi-456"],
                                     ["deactivate", "collab_a", "--reason", "left"],
                                     ["end-sessions", "collab_a"]])
def test_the_command_line_ends_sessions(client, command: list[str]) -> None:
    login(client, "collab_a")
    cookie = session_cookie(client)
    done = subprocess.run([sys.executable, "-m", "server.cli", "users", *command], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 session(s)" in done.stdout
    assert replay(cookie, "/my") in (302, 303)
