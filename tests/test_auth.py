"""Logging in and out over real HTTP: sessions, CSRF, throttling, audit."""

from __future__ import annotations

from conftest import PASSWORD, csrf_header, login

from server.core.tables import AuditLog, LoginAttempt


def test_start_page_offers_login_in_vietnamese(client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "Đăng nhập" in response.text
    assert 'name="_csrf_token"' in response.text  # the login form carries a CSRF token


def test_start_page_in_english_when_the_browser_asks(client) -> None:
    response = client.get("/", headers={"accept-language": "en-GB,en;q=0.9"})
    assert "Log in" in response.text and "Đăng nhập" not in response.text


def test_login_sets_an_httponly_session_and_leads_to_my_commune(client) -> None:
    login(client, "collab_a")
    cookie = next(c for c in client.cookies.jar if c.name == "phuhop_session")
    assert cookie.has_nonstandard_attr("HttpOnly")
    page = client.get("/my")
    assert page.status_code == 200
    assert "Phường Ba Đình" in page.text
    assert AuditLog.count().where(AuditLog.action == "login").run_sync() == 1


def test_wrong_password_is_refused_and_recorded(client) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "collab_a", "password": "sai-mat-khau"},
                           headers=csrf_header(client))
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu" in response.text
    assert LoginAttempt.count().run_sync() == 1
    assert client.get("/my", follow_redirects=False).status_code in (302, 303, 307)


def test_login_without_csrf_token_is_refused(client) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "collab_a", "password": PASSWORD})
    assert response.status_code == 403
    assert client.get("/my", follow_redirects=False).status_code != 200


def test_login_is_slowed_after_five_failures_even_with_the_right_password(client) -> None:
    """Five failures are free; then each attempt of the name from this address waits (1 s, 2 s, … 15 min).
    The history is written as rows so that the wait (2 ** 7 s) does not depend on the machine's speed."""
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    LoginAttempt.insert(*[LoginAttempt(username="collab_a", ip="testclient", at=now) for _ in range(12)]).run_sync()
    client.get("/login")
    response = client.post("/login", data={"username": "collab_a", "password": PASSWORD}, headers=csrf_header(client))
    assert response.status_code == 429
    assert 100 <= int(response.headers["retry-after"]) <= 130
    assert client.get("/my", follow_redirects=False).status_code != 200


def test_logout_ends_the_session(client) -> None:
    login(client, "collab_a")
    client.post("/logout", headers=csrf_header(client))
    response = client.get("/my", follow_redirects=False)
    assert response.status_code in (302, 303, 307)
    assert response.headers["location"].startswith("/login")


def test_next_parameter_cannot_redirect_elsewhere(client) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "collab_a", "password": PASSWORD, "next": "//evil.example"},
                           headers=csrf_header(client), follow_redirects=False)
    assert response.headers["location"] == "/my"


def test_language_choice_is_kept_on_the_account(client) -> None:
    from server.core.tables import User

    login(client, "collab_a")
    client.post("/language", data={"language": "en", "next": "/my"}, headers=csrf_header(client))
    assert User.select(User.language).where(User.username == "collab_a").first().run_sync()["language"] == "en"
    assert "My submissions" in client.get("/my").text


def test_accounts_are_hashed_and_checked_with_the_production_argon2_cost(production_password_hashes, client) -> None:
    """The rest of the suite hashes at argon2's cheapest (conftest); this test runs the real cost."""
    import asyncio

    from argon2 import extract_parameters

    from server.accounts.users import create_user
    from server.core.tables import User

    asyncio.run(create_user("nguoi.dung.that", PASSWORD, "admin"))
    stored = User.select(User.password_hash).where(User.username == "nguoi.dung.that").first().run_sync()
    cost = extract_parameters(stored["password_hash"])
    assert cost.type.name == "ID" and cost.time_cost >= 3 and cost.memory_cost >= 64 * 1024, cost
    login(client, "nguoi.dung.that")
    assert client.get("/my", follow_redirects=False).status_code == 200
