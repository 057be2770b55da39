"""The server's side of working offline: what a user's phone keeps (and when it fetches it again), who each
response is for, the shared-phone refusal, /my after a return, the favicon. The phone's side is
tests/test_phone.py, in real Chromium."""

from __future__ import annotations

from conftest import csrf_header, login
from test_collection_api import body_for, post
from test_review_workflow import submit_forms

from forms import registry as form_registry
from forms.hashes import publish_hashes
from server.collection import offline
from server.core.tables import Submission

FORMS = ["child-participation/1", "commune-annual/1", "play-area/1", "satisfaction/1"]


def manifest(client) -> dict:
    response = client.get("/api/my/offline")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    return response.json()


def test_the_phone_keeps_every_collection_page_and_current_form_of_its_user(client, world) -> None:
    login(client, "collab_a")
    kept = manifest(client)
    assert kept["user"] == "collab_a" and kept["build"] == offline.build()
    assert sorted(kept["urls"]) == sorted(["/my", "/my/submissions", "/my/assessment",
                                           *[f"/my/forms/{form}" for form in FORMS],
                                           *[f"/api/forms/{form}" for form in FORMS]])
    assert all(version.startswith(offline.build() + ".") for version in kept["urls"].values())
    for url, version in kept["urls"].items():  # the page says the same version as the list
        response = client.get(url)
        assert response.status_code == 200, url
        if url.startswith("/my"):
            assert response.headers["x-phuhop-version"] == version, url


def test_a_page_is_fetched_again_only_when_what_it_shows_changes(client, world) -> None:
    login(client, "collab_a")
    before = manifest(client)["urls"]
    assert manifest(client)["urls"] == before
    assert post(client, body_for()).status_code == 201
    after = manifest(client)["urls"]
    changed = sorted(url for url in before if before[url] != after[url])
    assert changed == ["/my", "/my/assessment", "/my/submissions"]


def test_the_pages_are_each_users_own(client, world) -> None:
    login(client, "collab_a")
    a = manifest(client)["urls"]
    client.post("/logout", headers=csrf_header(client))
    login(client, "collab_b")
    b = manifest(client)["urls"]
    assert a.keys() == b.keys() and all(a[url] != b[url] for url in a if url.startswith("/my"))


def test_a_newly_published_form_version_replaces_the_old_one_on_the_phone(client, world, tmp_path, monkeypatch) -> None:
    import shutil

    definitions = tmp_path / "definitions"
    shutil.copytree(form_registry.DEFINITIONS_DIR, definitions)
    draft = definitions / "play-area" / "v2.yaml"
    draft.write_text(draft.read_text().replace("status: draft", "status: published", 1))
    publish_hashes(definitions)
    monkeypatch.setattr(form_registry, "default_registry", lambda: form_registry.load_all(definitions))
    login(client, "collab_a")
    urls = manifest(client)["urls"]
    assert "/my/forms/play-area/2" in urls and "/api/forms/play-area/2" in urls
    assert "/my/forms/play-area/1" not in urls


def test_every_response_to_a_logged_in_user_names_them(client, world) -> None:
    assert "x-phuhop-user" not in client.get("/login").headers
    login(client, "collab_a")
    for url in ["/my", "/api/me", "/public", "/api/forms/satisfaction/1"]:
        assert client.get(url).headers["x-phuhop-user"] == "collab_a", url
    me = client.get("/api/me").json()
    assert me == {"username": "collab_a", "display_name": me["display_name"], "role": "collaborator",
                  "commune_code": "00004", "commune_name": "Phường Ba Đình"}


def test_a_logged_in_users_pages_stay_out_of_the_browsers_http_cache(client, world) -> None:
    """On a shared phone, "back" after a logout must not bring the previous user's page from the HTTP cache."""
    assert "no-store" not in client.get("/public").headers.get("cache-control", "")
    login(client, "collab_a")
    for url in ["/my", "/my/submissions", "/my/forms/satisfaction/1", "/public"]:
        assert client.get(url).headers["cache-control"] == "no-store", url
    assert client.get("/static/app.css").headers.get("cache-control") != "no-store"  # the same for everybody


def test_a_form_queued_by_another_user_of_the_phone_is_refused_and_nothing_is_stored(client, world) -> None:
    login(client, "collab_b")
    refused = post(client, body_for(username="collab_a"))
    assert refused.status_code == 403
    assert "người dùng khác" in refused.json()["detail"]
    assert post(client, body_for(commune_code="00004")).status_code == 403
    assert Submission.count().run_sync() == 0
    assert post(client, body_for(username="collab_b", commune_code="00008")).status_code == 201


def test_my_commune_shows_when_the_assessment_was_returned_with_the_reviewers_comment(client, world) -> None:
    login(client, "collab_a")
    submit_forms(client)
    mine = client.get("/api/my/assessment").json()
    assert client.post("/api/my/assessment/send", json={"version": mine["version"]},
                       headers=csrf_header(client)).status_code == 200
    client.post("/logout", headers=csrf_header(client))
    login(client, "reviewer_x")
    url = f"/api/review/assessments/{world['period'].id}/00004"
    version = client.get(url).json()["version"]
    returned = client.post(f"{url}/actions", headers=csrf_header(client),
                           json={"action": "return", "version": version, "comment": "Thiếu ảnh điểm vui chơi thôn 2"})
    assert returned.status_code == 200, returned.text
    client.post("/logout", headers=csrf_header(client))
    login(client, "collab_a")
    page = client.get("/my").text
    assert 'class="badge state-returned"' in page
    assert "Cán bộ thẩm định đã trả lại hồ sơ lúc" in page and "Thiếu ảnh điểm vui chơi thôn 2" in page


def test_favicon_and_the_no_connection_page(client, world) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon" and icon.content[:4] == b"\0\0\1\0"
    page = client.get("/offline")
    assert page.status_code == 200 and "Không liên lạc được với máy chủ" in page.text
    page = client.get("/offline/logout")
    assert page.status_code == 200 and "Bạn đã đăng xuất trên điện thoại này" in page.text
    worker = client.get("/sw.js")
    assert offline.build() in worker.text and "__VERSION__" not in worker.text


def test_the_phone_api_needs_a_login(client, world) -> None:
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/my/offline").status_code == 401
