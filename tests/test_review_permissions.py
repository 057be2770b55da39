"""Who may do what: a reviewer only in their area, a collaborator never approves, stale pages get 409."""

from __future__ import annotations

import asyncio

from conftest import csrf_header, login
from test_review_workflow import assessment, send_for_review, submit_forms

from server.core.tables import AuditLog, Correction


def _submitted(client, world) -> int:
    """Commune A has sent its forms for review; returns the assessment's version."""
    login(client, "collab_a")
    submit_forms(client)
    version = send_for_review(client)["version"]
    client.cookies.clear()
    return version


def _correct(client, world, version: int, value: int = 5, reason: str = "Theo biên bản kiểm tra"):
    period, commune = world["period"], world["commune_a"]
    return client.post(f"/api/review/assessments/{period.id}/{commune.code}/corrections", headers=csrf_header(client),
                       json={"indicator": "c3_abused_children", "value": value, "reason": reason, "version": version})


def test_a_reviewer_of_another_area_is_refused_everywhere(client, world) -> None:
    version = _submitted(client, world)
    period, commune = world["period"], world["commune_a"]
    login(client, "reviewer_y")
    assert client.get(f"/review/{period.id}/{commune.code}").status_code == 403
    assert client.get(f"/api/review/assessments/{period.id}/{commune.code}").status_code == 403
    assert _correct(client, world, version).status_code == 403
    response = client.post(f"/review/{period.id}/{commune.code}/action", headers=csrf_header(client),
                           data={"action": "approve", "version": str(version)})
    assert response.status_code == 403
    queue = client.get("/api/review/queue").json()
    assert [row["code"] for row in queue["rows"]] == [world["commune_c"].code]
    assert asyncio.run(Correction.count().run()) == 0


def test_a_collaborator_cannot_approve_or_correct(client, world) -> None:
    version = _submitted(client, world)
    period, commune = world["period"], world["commune_a"]
    login(client, "collab_a")
    response = client.post(f"/api/review/assessments/{period.id}/{commune.code}/actions", headers=csrf_header(client),
                           json={"action": "approve", "version": version})
    assert response.status_code == 403
    assert client.post(f"/review/{period.id}/{commune.code}/action", headers=csrf_header(client),
                       data={"action": "approve", "version": str(version)}).status_code == 403
    assert _correct(client, world, version).status_code == 403
    assert client.get("/review").status_code == 403
    assert client.get("/api/my/assessment").json()["state"] == "submitted"


def test_a_collaborator_of_another_commune_sees_only_their_own(client, world) -> None:
    _submitted(client, world)
    login(client, "collab_b")
    mine = client.get("/api/my/assessment").json()
    assert mine["commune_code"] == world["commune_b"].code and mine["state"] == "not_started"
    refused = client.post("/api/my/assessment/send", headers=csrf_header(client), json={"version": mine["version"]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["code"] == "no_data"


def test_a_stale_version_is_a_conflict_not_an_overwrite(client, world) -> None:
    version = _submitted(client, world)
    period, commune = world["period"], world["commune_a"]
    login(client, "reviewer_x")
    first = _correct(client, world, version, value=5)
    assert first.status_code == 201, first.text
    second = _correct(client, world, version, value=7)  # made from the same, now stale, page
    assert second.status_code == 409
    body = second.json()
    assert body["errors"][0]["field"] == "version" and body["errors"][0]["code"] == "stale"
    assert "Reload" in body["detail"] or "Tải lại" in body["detail"] or "tải lại" in body["detail"]
    assert assessment(client, period.id, commune.code)["values"]["c3_abused_children"] == 5
    page = client.post(f"/review/{period.id}/{commune.code}/action", headers=csrf_header(client),
                       data={"action": "approve", "version": str(version)})
    assert page.status_code == 409 and 'data-field="version"' in page.text
    assert assessment(client, period.id, commune.code)["state"] == "under_review"


def test_a_correction_needs_a_reason_and_a_valid_value(client, world) -> None:
    version = _submitted(client, world)
    period, commune = world["period"], world["commune_a"]
    login(client, "reviewer_x")
    assert _correct(client, world, version, reason=" ").json()["errors"][0]["field"] == "reason"
    page = client.post(f"/review/{period.id}/{commune.code}/correct", headers=csrf_header(client),
                       data={"indicator": "c3_abused_children", "value": "-3", "reason": "Sai số", "version": version})
    assert page.status_code == 422 and 'data-field="value"' in page.text
    page = client.post(f"/review/{period.id}/{commune.code}/correct", headers=csrf_header(client),
                       data={"indicator": "no_such_key", "value": "3", "reason": "Sai số", "version": version})
    assert page.status_code == 422 and 'data-field="indicator"' in page.text
    assert asyncio.run(Correction.count().run()) == 0


def test_approved_data_needs_a_logged_reopen_before_any_correction(client, world) -> None:
    version = _submitted(client, world)
    period, commune = world["period"], world["commune_a"]
    login(client, "reviewer_x")
    url = f"/api/review/assessments/{period.id}/{commune.code}/actions"
    approved = client.post(url, headers=csrf_header(client), json={"action": "approve", "version": version}).json()
    assert approved["state"] == "approved"
    assert _correct(client, world, approved["version"]).status_code == 422
    no_reason = client.post(url, headers=csrf_header(client), json={"action": "reopen", "version": approved["version"]})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "comment"
    reopened = client.post(url, headers=csrf_header(client),
                           json={"action": "reopen", "comment": "Phát hiện sai sót khi niêm yết",
                                 "version": approved["version"]}).json()
    assert reopened["state"] == "under_review"
    log = asyncio.run(AuditLog.select().where(AuditLog.action == "assessment_reopen").output(load_json=True).run())
    assert len(log) == 1 and log[0]["username"] == "reviewer_x" and log[0]["reason"] == "Phát hiện sai sót khi niêm yết"
    assert log[0]["before"]["state"] == "approved" and log[0]["after"]["state"] == "under_review"
    assert _correct(client, world, reopened["version"]).status_code == 201


def test_nothing_can_be_corrected_before_the_commune_sends_it(client, world) -> None:
    period, commune = world["period"], world["commune_a"]
    login(client, "collab_a")
    submit_forms(client)
    client.cookies.clear()
    login(client, "reviewer_x")
    current = assessment(client, period.id, commune.code)
    assert current["state"] == "collecting"
    refused = _correct(client, world, current["version"])
    assert refused.status_code == 422 and refused.json()["errors"][0]["code"] == "wrong_state"
