"""A reviewer's corrections are bounded, and can be withdrawn (with a reason, kept in the history).

A huge value (12345678901234567891 through the API, 4,000 digits through the page, '²') is a 422
naming the field, and nothing is stored. A value stored before the bounds existed (a float, Infinity)
no longer breaks the assessment: it is shown as text, ignored when scoring, and can be withdrawn.
"""

from __future__ import annotations

import json

import pytest

from conftest import ENGINE, csrf_header, login
from server.core.tables import AuditLog, Correction, Score
from test_review_workflow import assessment, send_for_review, submit_forms

INDICATOR = "c2_births_total"


@pytest.fixture()
def sent(client, world: dict) -> dict:
    """Commune A's forms sent for review; the reviewer of its province logged in."""
    login(client, "collab_a")
    submit_forms(client)
    send_for_review(client)
    login(client, "reviewer_x")
    return {"period": world["period"].id, "url": f"/api/review/assessments/{world['period'].id}/00004"}


def test_huge_or_odd_values_are_refused_naming_the_field(client, sent: dict) -> None:
    version = assessment(client, sent["period"], "00004")["version"]
    for value in (12345678901234567891, 10 ** 400, -1, 10_000_001):
        response = client.post(f"{sent['url']}/corrections", headers=csrf_header(client),
                               json={"indicator": INDICATOR, "value": value, "reason": "kiểm tra", "version": version})
        assert response.status_code == 422, (value, response.status_code, response.text[:200])
        assert [error["field"] for error in response.json()["errors"]] == ["value"]
    for value in ("4" * 4000, "²", "١٢", "1e3", "12.5", " "):
        page = client.post(f"/review/{sent['period']}/00004/correct", headers=csrf_header(client),
                           data={"indicator": INDICATOR, "value": value, "reason": "kiểm tra", "version": str(version)})
        assert page.status_code == 422, (value[:10], page.status_code)
        assert 'data-field="value"' in page.text
    assert Correction.count().run_sync() == 0


def test_a_correction_is_withdrawn_with_a_reason_and_the_score_follows(client, sent: dict) -> None:
    before = assessment(client, sent["period"], "00004")
    reported = before["values"][INDICATOR]
    corrected = client.post(f"{sent['url']}/corrections", headers=csrf_header(client), json={
        "indicator": INDICATOR, "value": reported + 7, "reason": "sổ hộ tịch", "version": before["version"]})
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["values"][INDICATOR] == reported + 7
    scores = Score.count().run_sync()
    refused = client.post(f"{sent['url']}/withdrawals", headers=csrf_header(client), json={
        "indicator": INDICATOR, "reason": "", "version": corrected.json()["version"]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "reason"
    withdrawn = client.post(f"{sent['url']}/withdrawals", headers=csrf_header(client), json={
        "indicator": INDICATOR, "reason": "nhầm sổ", "version": corrected.json()["version"]})
    assert withdrawn.status_code == 201, withdrawn.text
    body = withdrawn.json()
    assert body["values"][INDICATOR] == reported
    assert [(c["after"], c["withdrawn"], c["reason"]) for c in body["corrections"]] == [
        (reported + 7, False, "sổ hộ tịch"), (None, True, "nhầm sổ")]
    assert Score.count().run_sync() == scores + 1
    entry = AuditLog.objects().where(AuditLog.action == "correction_withdrawn").first().output(load_json=True).run_sync()
    assert entry.reason == "nhầm sổ" and entry.after["value"] == reported and entry.before["value"] == reported + 7
    again = client.post(f"{sent['url']}/withdrawals", headers=csrf_header(client), json={
        "indicator": INDICATOR, "reason": "lần nữa", "version": body["version"]})
    assert again.status_code == 422 and again.json()["errors"][0]["code"] == "not_corrected"
    page = client.get(f"/review/{sent['period']}/00004")
    assert page.status_code == 200 and "nhầm sổ" in page.text and 'class="withdrawn"' in page.text


def test_a_value_stored_before_the_bounds_no_longer_breaks_the_assessment(client, sent: dict, world: dict) -> None:
    from server.core.tables import Assessment

    row = Assessment.objects().where(Assessment.key == f"{world['period'].id}:{world['commune_a'].id}").first().run_sync()
    broken_values = ["1.2345678901234567e+19"] + (["Infinity"] if ENGINE == "sqlite" else [])  # PostgreSQL's JSON refuses it
    for broken in broken_values:
        Correction(assessment=row.id, indicator=INDICATOR, before=json.dumps(10), after=broken, reason="cũ",
                   author=world["users"]["reviewer_x"].id).save().run_sync()
    shown = assessment(client, sent["period"], "00004")
    assert isinstance(shown["values"][INDICATOR], int)  # the reported value: the broken ones are ignored
    assert [c["after"] for c in shown["corrections"]] == ["1.2345678901234567e+19", "inf"][:len(broken_values)]
    page = client.get(f"/review/{sent['period']}/00004")
    assert page.status_code == 200 and "không hợp lệ" in page.text
    withdrawn = client.post(f"{sent['url']}/withdrawals", headers=csrf_header(client), json={
        "indicator": INDICATOR, "reason": "giá trị hỏng", "version": shown["version"]})
    assert withdrawn.status_code == 201, withdrawn.text
    assert withdrawn.json()["corrections"][-1]["withdrawn"] is True
