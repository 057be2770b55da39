"""Hostile input over real HTTP: huge bodies, deep JSON, invalid UTF-8, injection strings in every text
field of every form, and markup in names shown to reviewers.

What must hold: never a 5xx; a refusal is a 4xx naming the field, with nothing stored; what is
stored is stored verbatim (trimmed); what is shown is escaped.
"""

from __future__ import annotations

import json
import random
import socket
import uuid
from urllib.parse import urlsplit

import httpx
import pytest

from conftest import csrf_header, login
from forms import registry as form_registry
from forms.logic import evaluate
from server.collection.samples import sample_answers

XSS = "<script>alert('phuhop-xss')</script>"
PAYLOADS = [
    "{{7*7}}", "{% raw %}{{ config }}{% endraw %}", "${7*7}", "'; DROP TABLE unit;--", "\" OR 1=1 --",
    XSS, "<img src=x onerror=alert(1)>", "</script><script>alert(2)</script>", "Robert'); DELETE FROM submission;--",
    "\u202eRTL override", "zero\u200bwidth", "tab\tand\nnewline", "%(name)s %s %d", "Phường Ba Đình ✓ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
]
ACCEPTING = [form for form in form_registry.list_forms() if form.status == "published"]


def submission(form, answers: dict, **extra) -> dict:
    return {"uuid": str(uuid.uuid4()), "form_id": form.form_id, "form_version": form.version, "answers": answers, **extra}


def count_submissions() -> int:
    from server.core.tables import Submission

    return Submission.count().run_sync()


def assert_no_raw_markup(text: str, where: str, content_type: str = "text/html") -> None:
    """HTML must escape markup; JSON carries text as it is (the page that shows it escapes it)."""
    if "html" not in content_type:
        return
    for raw in (XSS, "<img src=x onerror", "</script><script>"):
        assert raw not in text, f"{where}: unescaped {raw!r}"


# ---------------------------------------------------------------- size, depth, encoding

def test_huge_bodies_are_refused_with_413_and_nothing_stored(client) -> None:
    login(client, "collab_a")
    form = form_registry.get_form("satisfaction", 1)
    answers = sample_answers(form, random.Random(1))
    big = submission(form, {**answers, "comment": "x" * (3 * 1024 * 1024)})
    response = client.post("/api/submissions", json=big, headers=csrf_header(client))
    assert response.status_code == 413
    assert response.json()["detail"]
    page = client.post("/login", data={"username": "a" * (3 * 1024 * 1024), "password": "x"}, headers=csrf_header(client))
    assert page.status_code == 413
    assert count_submissions() == 0


def test_a_body_larger_than_announced_or_endless_is_cut_off_by_the_real_server(live_server: str) -> None:
    """Through uvicorn: a client that announces 1 GB is answered 413 without the server reading it all."""
    parts = urlsplit(live_server)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(b"POST /api/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1073741824\r\n\r\n" + b"[" * 65536)
        head = sock.recv(200).decode("latin-1")
    status = int(head.split()[1])
    assert status in (401, 403, 413), head  # not logged in / no CSRF token may come first: never read, never 5xx
    assert count_submissions() == 0


@pytest.mark.parametrize("depth", [100, 900, 10_000, 200_000])
def test_deeply_nested_json_is_a_client_error(client, depth: int) -> None:
    login(client, "collab_a")
    nested_list = "[" * depth + "]" * depth
    nested_dict = '{"a":' * depth + "1" + "}" * depth
    for deep in (nested_list, nested_dict):
        body = (f'{{"uuid": "{uuid.uuid4()}", "form_id": "satisfaction", "form_version": 1, "answers": {{"comment": {deep}}}}}').encode()
        response = client.post("/api/submissions", content=body,
                               headers={**csrf_header(client), "content-type": "application/json"})
        assert 400 <= response.status_code < 500, (depth, response.status_code)
        assert response.json()["errors"] or response.json()["detail"]
    assert count_submissions() == 0


def test_overlong_login_fields_are_a_wrong_login_not_a_crash(client) -> None:
    for field in ("username", "password", "next"):
        data = {"username": "collab_a", "password": "x" * 10, field: "a" * 5000}
        response = client.post("/login", data=data, headers=csrf_header(client), follow_redirects=False)
        assert response.status_code == 401, (field, response.status_code)


def test_static_file_names_the_file_system_cannot_hold_are_404(client) -> None:
    for name in ("a" * 5000, "%00", "x%00.css", "%2e%2e/%2e%2e/etc/passwd"):
        for method in ("GET", "HEAD"):
            assert client.request(method, f"/static/{name}").status_code == 404, (method, name[:20])


def test_invalid_utf8_anywhere_is_a_client_error(client) -> None:
    login(client, "collab_a")
    headers = {**csrf_header(client), "content-type": "application/json"}
    bad_json = b'{"uuid": "' + str(uuid.uuid4()).encode() + b'", "form_id": "satisfaction\xff\xfe", "form_version": 1, "answers": {"comment": "\xc3\x28"}}'
    assert 400 <= client.post("/api/submissions", content=bad_json, headers=headers).status_code < 500
    bad_form = b"username=\xff\xfe\xfd&password=%FF%FE"
    response = client.post("/login", content=bad_form,
                           headers={**csrf_header(client), "content-type": "application/x-www-form-urlencoded"})
    assert 400 <= response.status_code < 500
    for url in ("/api/submissions?limit=%FF", "/my/forms/%FF%FE/1", "/static/%C0%AF..%C0%AFetc/passwd",
                "/api/forms/play-area/%FF", "/login?next=%FF%FE"):
        response = client.get(url)
        assert response.status_code < 500, url
    assert count_submissions() == 0


def test_the_wrong_shapes_everywhere_are_client_errors(client) -> None:
    login(client, "collab_a")
    headers = csrf_header(client)
    shapes = [[], "text", 1, None, {"uuid": "not-a-uuid"}, {"uuid": str(uuid.uuid4()), "form_id": ["x"]},
              {"uuid": str(uuid.uuid4()), "form_id": "satisfaction", "form_version": 10**30, "answers": {}},
              {"uuid": str(uuid.uuid4()), "form_id": "satisfaction", "form_version": -1, "answers": []},
              {"uuid": str(uuid.uuid4()), "form_id": "../../etc/passwd", "form_version": 1, "answers": {}},
              {"uuid": str(uuid.uuid4()), "form_id": "satisfaction", "form_version": 1, "answers": {},
               "commune_code": "'; DROP TABLE unit;--"},
              {"uuid": str(uuid.uuid4()), "form_id": "satisfaction", "form_version": 1, "answers": {"__proto__": {}}},
              {"uuid": str(uuid.uuid4()), "form_id": "satisfaction", "form_version": 1, "answers": {},
               "client_created_at": "9999-99-99T99:99"}]
    for shape in shapes:
        response = client.post("/api/submissions", content=json.dumps(shape),
                               headers={**headers, "content-type": "application/json"})
        assert 400 <= response.status_code < 500, (shape, response.status_code, response.text[:200])
    assert count_submissions() == 0


# ---------------------------------------------------------------- injection strings, stored and shown

def _text_fields(form) -> list[str]:
    return [field.key for field in form.fields if field.type == "text"]


@pytest.mark.parametrize("form", ACCEPTING, ids=lambda f: f"{f.form_id}-v{f.version}")
def test_injection_strings_in_every_text_field_are_stored_verbatim_and_shown_escaped(client, world: dict, form) -> None:
    from server.core.tables import Submission

    login(client, "collab_a")
    rng = random.Random(3)
    stored = 0
    for key in _text_fields(form):
        field = form.field_map[key]
        for payload in PAYLOADS:
            answers = sample_answers(form, rng)
            while field.relevant is not None and evaluate(field.relevant, answers) is not True:
                answers = sample_answers(form, rng)  # a text only asked for some answers ("other: which?")
            answers[key] = payload
            response = client.post("/api/submissions", json=submission(form, answers), headers=csrf_header(client))
            assert response.status_code in (201, 422), (key, payload, response.status_code, response.text[:300])
            if response.status_code == 422:
                fields = {error["field"] for error in response.json()["errors"]}
                assert fields == {f"answers.{key}"} or fields <= {f"answers.{k}" for k in answers}, fields
                continue
            stored += 1
            row = Submission.objects().where(Submission.uuid == response.json()["uuid"]).output(load_json=True).first().run_sync()
            assert row.answers[key] == payload.strip(), (key, payload)
    assert stored > 0 or not _text_fields(form)
    period = world["period"].id
    pages = ["/my", "/my/submissions", "/my/assessment"]
    reviewer_pages = ["/review", f"/review/{period}/00004", f"/review/{period}/dashboard", f"/public/{period}",
                      f"/public/{period}/communes/00004", "/admin/audit"]
    for username, urls in (("collab_a", pages), ("reviewer_x", reviewer_pages), ("admin", reviewer_pages)):
        login(client, username)
        for url in urls:
            response = client.get(url)
            assert response.status_code < 500, (username, url)
            assert_no_raw_markup(response.text, f"{username} {url}", response.headers.get("content-type", ""))
            if "7*7" in response.text:  # shown: as typed, never evaluated as a template
                assert "{{7*7}}" in response.text or "{{ 7*7 }}" in response.text, (username, url)


def test_markup_in_names_shown_to_reviewers_is_escaped(client, world: dict) -> None:
    """Commune and user names come from imports and admins: they reach every page, as text only."""
    from server.core.tables import Unit, User

    Unit.update({Unit.name: f"Phường {XSS}"}).where(Unit.code == "00004").run_sync()
    User.update({User.display_name: f"Cán bộ <img src=x onerror=alert(1)> {XSS}"}).where(
        User.username.is_in(["collab_a", "reviewer_x", "admin"])).run_sync()
    from test_authorization_matrix import MATRIX

    pages = sorted({case.url for (method, _), case in MATRIX.items() if method == "GET" and isinstance(case.url, str)
                    and not case.url.startswith(("/static", "/schema"))})
    period = world["period"].id
    pages += [f"/review/{period}/00004", "/review", f"/public/{period}/communes/00004", f"/public/{period}"]
    for username in ("collab_a", "reviewer_x", "admin"):
        login(client, username)
        for url in pages:
            response = client.get(url)
            assert response.status_code < 500, (username, url)
            assert_no_raw_markup(response.text, f"{username} {url}", response.headers.get("content-type", ""))


def test_the_escaping_check_would_see_raw_markup() -> None:
    with pytest.raises(AssertionError):
        assert_no_raw_markup(f"<p>{XSS}</p>", "sample")
    assert_no_raw_markup("<p>&lt;script&gt;alert(&#39;phuhop-xss&#39;)&lt;/script&gt;</p>", "sample")


def test_httpx_live_server_answers_hostile_query_strings(live_server: str) -> None:
    """The real server (uvicorn) with raw, unencoded bytes in the request line and headers."""
    parts = urlsplit(live_server)
    for target in (b"/login?next=\xff\xfe", b"/api/forms/\xc3\x28/1", b"/%00", b"/" + b"a" * 9000):
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
            sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: phuhop_session=\xff\xfe; lang=\xff\r\n"
                         b"Accept-Language: \xff\xfe;q=x\r\nConnection: close\r\n\r\n")
            head = sock.recv(200).decode("latin-1")
        assert head.startswith("HTTP/1.1 "), head
        assert int(head.split()[1]) < 500, (target, head)
    assert httpx.get(f"{live_server}/login").status_code == 200
