"""Security properties of the running app: cookies, headers, CSRF on every state change,
and no secret committed to the repository.

Routes are read from the app's route table, so a new state-changing route is covered (or fails
here) without editing this file.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path

import pytest

from server.app import MACHINE_PATHS, create_app
from server.core.settings import get_settings
from conftest import PASSWORD, csrf_header, login

ROOT = Path(__file__).resolve().parent.parent
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def set_cookie_headers(response, name: str) -> list[str]:
    return [value for key, value in response.headers.multi_items()
            if key.lower() == "set-cookie" and value.startswith(f"{name}=")]


# ---------------------------------------------------------------- cookies

def test_session_cookie_is_httponly_and_samesite_lax(client) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "collab_a", "password": PASSWORD},
                           headers=csrf_header(client), follow_redirects=False)
    [cookie] = set_cookie_headers(response, "phuhop_session")
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert "httponly" in flags and "samesite=lax" in flags
    assert "secure" not in flags  # plain http on a laptop: PHUHOP_SECURE_COOKIES is off by default


def test_cookies_are_secure_when_served_over_https(world: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    from litestar.testing import TestClient

    monkeypatch.setenv("PHUHOP_SECURE_COOKIES", "1")
    get_settings.cache_clear()
    try:
        with TestClient(app=create_app(), base_url="https://127.0.0.1:8000") as https:
            page = https.get("/login")
            [csrf] = set_cookie_headers(page, "csrftoken")
            response = https.post("/login", data={"username": "collab_a", "password": PASSWORD},
                                  headers=csrf_header(https), follow_redirects=False)
            assert response.status_code == 303
            [session] = set_cookie_headers(response, "phuhop_session")
    finally:
        get_settings.cache_clear()
    for cookie in (session, csrf):
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert "secure" in flags, cookie
        assert "samesite=lax" in flags, cookie
    assert "httponly" in session.lower()


def test_every_cookie_is_secure_over_https_even_without_the_setting(client, world: dict) -> None:
    """Behind HTTPS (uvicorn sees the scheme, or the proxy's X-Forwarded-Proto) the language cookie and the
    session cookie are Secure although PHUHOP_SECURE_COOKIES is not set; over plain http they are not."""
    from litestar.testing import TestClient

    with TestClient(app=client.app, base_url="https://127.0.0.1:8000") as https:
        https.get("/login")
        login_response = https.post("/login", data={"username": "collab_a", "password": PASSWORD},
                                    headers=csrf_header(https), follow_redirects=False)
        language = https.post("/language", data={"language": "en", "next": "/"}, headers=csrf_header(https),
                              follow_redirects=False)
    cookies = [*set_cookie_headers(login_response, "phuhop_session"), *set_cookie_headers(language, "lang")]
    assert len(cookies) == 2, (login_response.headers, language.headers)
    for cookie in cookies:
        assert "secure" in {part.strip().lower() for part in cookie.split(";")[1:]}, cookie
    client.get("/login")
    plain = client.post("/language", data={"language": "en", "next": "/"}, headers=csrf_header(client),
                        follow_redirects=False)
    [cookie] = set_cookie_headers(plain, "lang")
    assert "secure" not in {part.strip().lower() for part in cookie.split(";")[1:]}


# ---------------------------------------------------------------- headers

def _directives(csp: str) -> dict[str, list[str]]:
    parts = [d.strip().split() for d in csp.split(";") if d.strip()]
    return {d[0]: d[1:] for d in parts}


@pytest.mark.parametrize("method, path", [("GET", "/login"), ("GET", "/api/forms"), ("GET", "/static/app.css"),
                                          ("GET", "/no-such-page"), ("DELETE", "/login"), ("GET", "/schema/openapi.json")])
def test_security_headers_on_pages_api_static_and_errors(client, method: str, path: str) -> None:
    """Also on the 404 and 405 that the router answers before any middleware runs."""
    response = client.request(method, path)
    csp = _directives(response.headers["content-security-policy"])
    script = csp.get("script-src", csp.get("default-src"))
    assert script and "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] in ("same-origin", "strict-origin-when-cross-origin", "no-referrer")
    assert response.headers["x-frame-options"] == "DENY"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def test_pages_have_no_inline_script_the_csp_would_block(client) -> None:
    """Every GET page a collaborator, a reviewer and an admin can open (concrete URLs from the matrix)."""
    from test_authorization_matrix import MATRIX

    pages = sorted({case.url for (method, _), case in MATRIX.items()
                    if method == "GET" and isinstance(case.url, str) and not case.url.startswith(("/api", "/schema", "/static"))})
    for username in ("collab_a", "reviewer_x", "admin"):
        login(client, username)
        for url in pages:
            response = client.get(url)
            if "text/html" not in response.headers.get("content-type", ""):
                continue
            assert not INLINE_SCRIPT.search(response.text), (username, url)
            assert not INLINE_HANDLER.search(response.text), (username, url)


# ---------------------------------------------------------------- CSRF

def state_changing_routes() -> list[tuple[str, str]]:
    routes = []
    for route in create_app().routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods & UNSAFE):
                routes.append((method, route.path))
    return sorted(set(routes))


def _concrete(path: str) -> str:
    """A URL for a path template: 1 for ids, a word for strings, a UUID for UUIDs (the CSRF check runs before
    routing args matter)."""
    path = re.sub(r"\{[^}:]+:uuid\}", str(uuid.UUID(int=1)), path)
    return re.sub(r"\{[^}:]+:int\}", "1", re.sub(r"\{[^}:]+:(str|path)\}", "x", path))


def _is_machine(path: str) -> bool:
    return any(path.startswith(prefix) for prefix in MACHINE_PATHS)


def test_api_uses_cookie_sessions_so_it_is_not_exempt_from_csrf() -> None:
    """/api authenticates by the session cookie (no token scheme): it must stay under CSRF."""
    assert not any(prefix.startswith("/api") or prefix == "/" for prefix in MACHINE_PATHS)
    assert all(prefix.startswith("/openrosa") for prefix in MACHINE_PATHS)


@pytest.mark.parametrize("route", state_changing_routes(), ids=lambda r: f"{r[0]} {r[1]}")
def test_every_browser_state_change_requires_the_csrf_token(client, route: tuple[str, str]) -> None:
    """Logged in as admin (who may do most), without the token and with a wrong one: 403, nothing written."""
    from server.core.tables import AuditLog, Submission

    method, path = route
    if _is_machine(path):
        pytest.skip("machine endpoint (token-authenticated): see test_machine_paths_ignore_browser_sessions")
    login(client, "admin")
    audit_before, stored_before = AuditLog.count().run_sync(), Submission.count().run_sync()
    body = {"uuid": str(uuid.uuid4()), "form_id": "satisfaction", "form_version": 1, "commune_code": "00004",
            "answers": {}}
    for headers in ({}, {"x-csrftoken": "forged-" + "0" * 40}):
        response = client.request(method, _concrete(path), json=body, headers=headers, follow_redirects=False)
        assert response.status_code == 403, (method, path, headers, response.status_code)
        form = client.request(method, _concrete(path), data={"language": "en", "csrf_token": "forged"},
                              headers=headers, follow_redirects=False)
        assert form.status_code == 403, (method, path, headers, form.status_code)
    assert AuditLog.count().run_sync() == audit_before
    assert Submission.count().run_sync() == stored_before


def test_machine_paths_ignore_browser_sessions(client) -> None:
    """CSRF-exempt paths must not act on a session cookie alone (else a foreign page could post to them)."""
    from server.core.tables import AuditLog

    login(client, "admin")
    before = AuditLog.count().run_sync()
    for method, path in state_changing_routes():
        if not _is_machine(path):
            continue
        response = client.request(method, _concrete(path), content=b"<data/>", headers={"content-type": "text/xml"},
                                  follow_redirects=False)
        assert response.status_code in (400, 401, 403, 404, 413, 415, 422), (method, path, response.status_code)
    assert AuditLog.count().run_sync() == before


def test_the_token_of_one_browser_does_not_work_in_another(client, world: dict) -> None:
    from litestar.testing import TestClient

    stolen = csrf_header(client)["x-csrftoken"]
    with TestClient(app=create_app(), base_url="http://127.0.0.1:8000") as other:
        other.get("/login")
        response = other.post("/login", data={"username": "collab_a", "password": PASSWORD},
                              headers={"x-csrftoken": stolen[:-2] + ("00" if stolen[-2:] != "00" else "11")},
                              follow_redirects=False)
    assert response.status_code == 403


# ---------------------------------------------------------------- login throttling
# tests/test_login_throttle.py: parallel guesses, backoff, carrier NAT, known browsers, unlock.


# ---------------------------------------------------------------- no secret in the repository

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY( BLOCK)?-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}"),
    "secret key value": re.compile(r"PHUHOP_SECRET_KEY\s*[=:]\s*[\"']?([A-Za-z0-9+/_\-]{12,})"),
    "password in a URL": re.compile(r"\b[a-z][a-z0-9+]*://[^/\s:@\"']+:([^@\s\"'/]+)@"),
    "password literal": re.compile(r"(?i)\bpassword\s*[=:]\s*[\"']([^\"'\s{}%$<>]{8,})[\"']"),
}
# Values that are test fixtures or documented placeholders, never used in production.
ALLOWED = {
    "test-secret-key-not-for-production", "bench-secret", "phuhop", "mat-khau-thu-nghiem", "bench-password",
    "change-me-to-a-long-random-string", "wrong-password", "pass", "password",
}
PLACEHOLDER = re.compile(r"(?i)(example|placeholder|change.?me|replace|your|xxx|\*\*\*|<|test|demo|bench)")


def repository_files() -> list[Path]:
    """Tracked files and the untracked ones that a commit would add (ignored files excluded)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.split(b"\0")
    return [ROOT / name.decode() for name in listed if name and (ROOT / name.decode()).is_file()]


def test_no_secret_is_committed() -> None:
    found = []
    for path in repository_files():
        if path.stat().st_size > 2_000_000 or path.suffix in (".png", ".jpg", ".mo", ".gz", ".zip", ".xlsx", ".pbf"):
            continue
        text = path.read_text(errors="replace")
        for name, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(text):
                value = match.group(1) if pattern.groups else match.group(0)
                if value in ALLOWED or PLACEHOLDER.search(value or ""):
                    continue
                if name == "password literal" and path.is_relative_to(ROOT / "tests"):
                    continue  # passwords of test users in a throwaway database
                found.append(f"{path.relative_to(ROOT)}: {name}: {match.group(0)[:60]}")
    assert not found, "possible secrets in the repository:\n" + "\n".join(found)


def test_the_secret_scan_finds_what_it_looks_for() -> None:
    """The patterns themselves work (a scan that finds nothing proves nothing otherwise)."""
    # Assembled at run time, so that this file does not trip its own scan.
    samples = {
        "private key": "-----BEGIN OPENSSH " + "PRIVATE KEY-----",
        "secret key value": "PHUHOP_SECRET_KEY" + "=4f9a1c2b7d8e3f60a1b2c3d4",
        "password in a URL": "postgresql://app:" + "s3cr3tPassw0rd@db/phuhop",
        "password literal": "password = " + '"Hunter2Hunter2"',
        "AWS access key": "AKIA" + "IOSFODNN7EXAMPL3",
    }
    for name, sample in samples.items():
        assert SECRET_PATTERNS[name].search(sample), name
