"""POST /api/submissions and the form API over real HTTP, on the real database."""

from __future__ import annotations

import asyncio
import random
import shutil
import uuid
from datetime import timedelta

import pytest

from conftest import csrf_header, login
from forms import registry as form_registry
from server.collection.samples import sample_answers
from server.core.tables import AuditLog, Submission


def answers_for(form_id: str, version: int | None = None, seed: int = 1) -> dict:
    form = form_registry.get_form(form_id, version) if version else form_registry.latest(form_id)
    return sample_answers(form, random.Random(seed), near=(21.03, 105.82))


def post(client, body: dict, **headers: str):
    return client.post("/api/submissions", json=body, headers={**csrf_header(client), **headers})


def body_for(form_id: str = "satisfaction", **changes) -> dict:
    return {"uuid": str(uuid.uuid4()), "form_id": form_id, "form_version": form_registry.latest(form_id).version,
            "answers": answers_for(form_id), **changes}


def stored_count() -> int:
    return Submission.count().run_sync()


def test_the_small_submission_reply_is_sent_uncompressed_and_a_page_compressed(client, world) -> None:
    """The submission route skips the compression middleware (opt SMALL_REPLY): its ~250 bytes are not
    worth a gzip stream; pages still go compressed."""
    login(client, "collab_a")
    stored = post(client, body_for("play-area"), **{"Accept-Encoding": "gzip"})
    assert stored.status_code == 201 and "content-encoding" not in stored.headers
    assert stored.json()["duplicate"] is False
    page = client.get("/my/forms/commune-annual/1", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200 and page.headers["content-encoding"] == "gzip"


def test_a_submission_is_stored_once_and_a_resend_is_answered_as_duplicate(client, world) -> None:
    login(client, "collab_a")
    body = body_for("play-area")
    first = post(client, body)
    assert first.status_code == 201, first.text
    assert first.json()["duplicate"] is False and first.json()["commune_code"] == "00004"
    again = post(client, body)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert stored_count() == 1
    row = Submission.objects().first().run_sync()
    assert row.period == world["period"].id and row.author == world["users"]["collab_a"].id
    assert str(row.uuid) == body["uuid"] and row.source == "api"
    listed = client.get("/api/submissions").json()
    assert [item["uuid"] for item in listed] == [body["uuid"]]
    audit = AuditLog.select(AuditLog.action, AuditLog.entity_id).where(AuditLog.action == "submission_stored").run_sync()
    assert audit == [{"action": "submission_stored", "entity_id": body["uuid"]}]


def test_every_problem_is_named_by_field_and_translated_and_nothing_is_stored(client, world) -> None:
    login(client, "collab_a")
    body = body_for("commune-annual")
    body["answers"]["c2_births_registered"] = body["answers"]["c2_births_total"] + 5
    body["answers"]["c3_abused_children"] = -1
    body["answers"]["not_a_question"] = 1
    response = post(client, body, **{"Accept-Language": "vi"})
    assert response.status_code == 422
    errors = {error["field"]: error for error in response.json()["errors"]}
    assert set(errors) == {"answers.c2_births_registered", "answers.c3_abused_children", "answers.not_a_question"}
    assert errors["answers.c3_abused_children"]["message"] == "Giá trị phải từ 0 trở lên."
    assert errors["answers.not_a_question"]["message"] == "Câu hỏi này không có trong phiên bản biểu mẫu này."
    assert "đăng ký khai sinh" in errors["answers.c2_births_registered"]["message"].lower()
    english = post(client, body, **{"Accept-Language": "en"}).json()
    assert {e["field"]: e["message"] for e in english["errors"]}["answers.c3_abused_children"] == \
        "The value must be at least 0."
    assert stored_count() == 0
    assert AuditLog.count().where(AuditLog.action == "submission_stored").run_sync() == 0


def test_a_collaborator_cannot_send_for_another_commune(client, world) -> None:
    login(client, "collab_a")
    response = post(client, body_for(commune_code="00008"))
    assert response.status_code == 403
    assert response.json()["detail"] == "Bạn chỉ được gửi số liệu của xã mình."
    assert stored_count() == 0


def test_reviewers_do_not_send_forms_and_strangers_must_log_in(client, world) -> None:
    assert post(client, body_for()).status_code == 401
    login(client, "reviewer_x")
    assert post(client, body_for()).status_code == 403
    assert stored_count() == 0


def test_a_browser_session_needs_the_csrf_token(client, world) -> None:
    login(client, "collab_a")
    response = client.post("/api/submissions", json=body_for())
    assert response.status_code == 403
    assert stored_count() == 0


def test_an_identifier_reused_for_another_form_is_a_conflict(client, world) -> None:
    login(client, "collab_a")
    body = body_for("satisfaction")
    assert post(client, body).status_code == 201
    clash = body_for("play-area", uuid=body["uuid"])
    response = post(client, clash)
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "uuid"
    assert stored_count() == 1


def test_an_oversized_body_is_refused_before_anything_is_stored(client, world) -> None:
    login(client, "collab_a")
    body = body_for()
    body["answers"]["comments"] = "x" * (3 * 1024 * 1024)
    response = post(client, body)
    assert response.status_code == 413
    assert stored_count() == 0


def test_unknown_form_and_draft_version_are_refused_with_the_field(client, world) -> None:
    login(client, "collab_a")
    unknown = post(client, {**body_for(), "form_id": "no-such-form"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "form_id"
    draft = form_registry.get_form("play-area", 2)
    assert draft.status == "draft"
    refused = post(client, {**body_for("play-area"), "form_version": 2}, **{"Accept-Language": "vi"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["message"] == "Phiên bản biểu mẫu này chưa được ban hành."
    assert stored_count() == 0


@pytest.fixture()
def retired_play_area_v1(tmp_path, monkeypatch):
    """A deployment's definitions folder where play-area v1 has been retired."""
    from forms.loader import DEFINITIONS_DIR

    folder = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS_DIR, folder)
    path = folder / "play-area" / "v1.yaml"
    path.write_bytes(path.read_bytes().replace(b"status: published", b"status: retired"))
    monkeypatch.setenv("PHUHOP_FORMS_DIR", str(folder))
    form_registry.default_registry.cache_clear()
    yield
    monkeypatch.delenv("PHUHOP_FORMS_DIR")
    form_registry.default_registry.cache_clear()


def test_a_retired_version_tells_the_collaborator_to_refresh(client, world, retired_play_area_v1) -> None:
    login(client, "collab_a")
    body = {"uuid": str(uuid.uuid4()), "form_id": "play-area", "form_version": 1,
            "answers": answers_for("play-area", 1)}
    response = post(client, body, **{"Accept-Language": "vi"})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "form_version" and error["code"] == "retired"
    assert "tải lại trang" in error["message"]
    page = client.get("/my/forms/play-area/1", headers={"Accept-Language": "vi"})
    assert page.status_code == 200 and 'role="alert"' in page.text
    assert stored_count() == 0


def test_the_form_api_and_openapi_describe_the_forms(client, world) -> None:
    forms = client.get("/api/forms").json()
    assert {(f["form_id"], f["version"]) for f in forms} >= {
        ("commune-annual", 1), ("play-area", 1), ("child-participation", 1), ("satisfaction", 1)}
    annual = client.get("/api/forms/commune-annual/1").json()
    keys = {field["key"] for group in annual["groups"] for field in group["fields"]}
    assert {"c2_births_total", "c2_births_registered", "c13_satisfied"} <= keys
    assert client.get("/api/forms/commune-annual/99").status_code == 404
    schema = client.get("/schema/openapi.json").json()
    assert "post" in schema["paths"]["/api/submissions"]
    assert "SubmissionIn" in str(schema["components"])


def test_concurrent_resends_of_one_submission_store_it_once(client, world) -> None:
    """Two phones' worth of retries racing on one UUID: the unique index lets one in."""
    from server.collection.submissions import submit
    from server.core.tables import User

    user = User.objects(User.unit).where(User.username == "collab_a").first().run_sync()
    body = body_for("satisfaction")

    async def race() -> list:
        sends = [submit(user, uuid=uuid.UUID(body["uuid"]), form_id=body["form_id"],
                        form_version=body["form_version"], answers=body["answers"]) for _ in range(8)]
        return await asyncio.gather(*sends)

    results = asyncio.run(race())
    assert sum(not result.duplicate for result in results) == 1
    assert stored_count() == 1


def test_a_collaborator_sees_only_their_own_commune_submissions(client, world) -> None:
    login(client, "collab_a")
    assert post(client, body_for()).status_code == 201
    client.post("/logout", headers=csrf_header(client))
    login(client, "collab_b")
    assert client.get("/api/submissions").json() == []
    assert "Phường Ba Đình" not in client.get("/my/submissions").text


def test_the_form_page_weighs_under_60_kb_compressed(client, world) -> None:
    """The page and everything it loads, gzip-compressed as served (no framework download)."""
    import gzip
    import re

    login(client, "collab_a")
    page = client.get("/my/forms/commune-annual/1", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert {"/static/form.js", "/static/validate.js", "/static/logic.js", "/static/app.css"} <= set(assets)
    total = len(gzip.compress(page.content))
    for path in assets:
        response = client.get(path)
        assert response.status_code == 200, path
        total += len(gzip.compress(response.content))
    assert total < 60 * 1024, f"{total} bytes"


def test_no_error_answer_of_the_api_shows_a_raw_placeholder(client, world) -> None:
    """Every refusal says its numbers and names: a '%(' left in a detail or message is a msgid shown unfilled."""
    import json

    login(client, "collab_a")
    huge = json.dumps(body_for("commune-annual")).replace('"c3_abused_children": ', '"c3_abused_children": 1' + "0" * 400 + ", \"x\": ", 1)
    answers = [
        post(client, body_for(form_version=99)),
        post(client, {**body_for(), "form_id": "no-such-form"}),
        post(client, body_for(answers={"respondent": "child", "age_band": "age_30_59", "overall": "satisfied"})),
        post(client, body_for(username="collab_b")),
        post(client, body_for(commune_code="00008")),
        client.post("/api/submissions", content=huge, headers={**csrf_header(client), "content-type": "application/json"}),
        client.put(f"/api/submissions/{uuid.uuid4()}/photos/photo.jpg", headers=csrf_header(client)),
        client.get("/api/forms/play-area/99"),
        client.post("/api/my/assessment/send", json={"version": 99}, headers=csrf_header(client)),
    ]
    login(client, "reviewer_x")
    answers.append(client.post(f"/review/{world['period'].id}/00004/action", headers=csrf_header(client),
                               data={"action": "extend", "extended_until": "2020-01-01", "reason": "x", "version": "0"}))
    for response in answers:
        assert 400 <= response.status_code < 500, (response.request.url, response.status_code, response.text[:300])
        assert "%(" not in response.text, (response.request.url, response.text[:500])
    unknown = answers[0].json()
    assert unknown["detail"] == "Không có biểu mẫu satisfaction phiên bản 99."
    too_big = answers[5].json()
    assert too_big["status"] == 422 and "Số quá lớn." in [e["message"] for e in too_big["errors"]], too_big


def test_an_activity_date_is_a_day_of_the_periods_span_that_has_already_happened(client, world) -> None:
    """The world's period is of 2026 and has no span of its own: dates from 01/01/2025 to today (Vietnam)."""
    from server.review.deadlines import today

    login(client, "collab_a")
    latest = today().strftime("%d/%m/%Y")
    for day in ["0001-01-01", "2099-12-31", "2024-12-31", (today() + timedelta(days=1)).isoformat()]:
        body = body_for("child-participation")
        body["answers"].update(activity_date=day, commune_answered=False)
        body["answers"].pop("answered_date", None)
        refused = post(client, body)
        assert refused.status_code == 422, (day, refused.text)
        assert refused.json()["errors"] == [{"field": "answers.activity_date", "code": "date_out_of_range",
                                             "message": f"Nhập một ngày từ 01/01/2025 đến {latest}."}], day
    body = body_for("child-participation")
    body["answers"].update(activity_date=today().isoformat(), commune_answered=False)
    body["answers"].pop("answered_date", None)
    assert post(client, body).status_code == 201
    assert stored_count() == 1
