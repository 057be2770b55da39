"""End to end through HTTP: a commune submits and sends, a reviewer corrects, approves, lists, exports."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from typing import Any

import list_steps
import openpyxl
from conftest import csrf_header, login
from test_forms_derive import PLACE_V1, PARTICIPATION_OK
from test_forms_validate import ANNUAL_OK

from forms import registry
from forms.compat import normalise
from forms.derive import indicators_for_period
from forms.validate import clean
from scoring import load_rules, score
from server.core.i18n import gettext, use_language
from server.review import exports
from server.core.tables import AuditLog, Correction, Score

SURVEYS = [{"respondent": "child", "age_band": "age_11_15", "overall": "very_satisfied"},
           {"respondent": "adult", "age_band": "age_30_59", "overall": "satisfied"},
           {"respondent": "adult", "age_band": "age_16_29", "overall": "neutral"}]
FORMS: list[tuple[str, int, dict[str, Any]]] = [
    ("commune-annual", 1, ANNUAL_OK), ("play-area", 1, PLACE_V1), ("child-participation", 1, PARTICIPATION_OK),
    *[("satisfaction", 1, survey) for survey in SURVEYS]]


def expected_indicators(forms: list[tuple[str, int, dict[str, Any]]] = FORMS) -> dict[str, Any]:
    """What the commune's forms say, derived independently of the review code."""
    def norm(form_id: str, version: int, answers: dict[str, Any]) -> dict[str, Any]:
        form = registry.get_form(form_id, version)
        return normalise(form, clean(form, answers))
    by = {form_id: [norm(f, v, a) for f, v, a in forms if f == form_id]
          for form_id in ("commune-annual", "play-area", "child-participation", "satisfaction")}
    return indicators_for_period(by["commune-annual"][-1] if by["commune-annual"] else None, by["play-area"],
                                 by["child-participation"], by["satisfaction"])


def submit_forms(client, forms: list[tuple[str, int, dict[str, Any]]] = FORMS) -> None:
    for form_id, version, answers in forms:
        response = client.post("/api/submissions", headers=csrf_header(client),
                               json={"uuid": str(uuid.uuid4()), "form_id": form_id, "form_version": version,
                                     "answers": answers})
        assert response.status_code == 201, response.text


def assessment(client, period_id: int, code: str) -> dict[str, Any]:
    response = client.get(f"/api/review/assessments/{period_id}/{code}")
    assert response.status_code == 200, response.text
    return response.json()


def send_for_review(client) -> dict[str, Any]:
    """The collaborator's page shows the button; the JSON send is what the page's form does."""
    mine = client.get("/api/my/assessment").json()
    response = client.post("/api/my/assessment/send", headers=csrf_header(client),
                           json={"version": mine["version"], "comment": "Gửi hồ sơ tự đánh giá"})
    assert response.status_code == 200, response.text
    return response.json()


def run(coro):
    return asyncio.run(coro)


def test_submit_send_correct_approve_list_post_finalise_export(client, world) -> None:
    period, commune = world["period"], world["commune_a"]
    login(client, "collab_a")
    submit_forms(client)
    page = client.get("/my/assessment")
    assert page.status_code == 200 and 'id="send-form"' in page.text
    sent = send_for_review(client)
    assert sent["state"] == "submitted"
    rules = load_rules("vn-2019")
    reported = expected_indicators()
    assert sent["values"] == reported
    assert sent["total"] == score(rules, "other", reported).total

    client.cookies.clear()
    login(client, "reviewer_x")
    queue = client.get("/review").text
    assert commune.name in queue and world["commune_b"].name in queue
    before = assessment(client, period.id, commune.code)
    assert before["state"] == "submitted" and before["stored_score_id"] is not None

    # Correct one value through the page form, with a reason: the score follows the corrected value.
    new_value = reported["c3_abused_children"] + 2
    response = client.post(f"/review/{period.id}/{commune.code}/correct", headers=csrf_header(client),
                           data={"indicator": "c3_abused_children", "value": str(new_value),
                                 "reason": "Biên bản của công an xã ghi 2 vụ", "version": before["version"]},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    after = assessment(client, period.id, commune.code)
    corrected = {**reported, "c3_abused_children": new_value}
    expected = score(rules, "other", corrected)
    assert after["state"] == "under_review" and after["values"] == corrected
    assert after["total"] == expected.total != before["total"]
    assert after["stored_score_id"] != before["stored_score_id"]
    stored = run(Score.objects().where(Score.id == after["stored_score_id"]).first().output(load_json=True).run())
    assert (stored.rules_id, stored.rules_version, stored.rules_sha256) == (rules.id, rules.version, rules.sha256)
    assert stored.form_versions == {"child-participation": [1], "commune-annual": [1], "play-area": [1],
                                    "satisfaction": [1]}
    assert stored.result == expected.model_dump(mode="json")
    corrections = run(Correction.select().run())
    def plain(value: Any) -> Any:  # JSON text (PostgreSQL), or a number after SQLite's numeric affinity
        return json.loads(value) if isinstance(value, str) else value
    assert [(c["indicator"], plain(c["before"]), plain(c["after"])) for c in corrections] == [
        ("c3_abused_children", reported["c3_abused_children"], new_value)]

    # The page shows the correction's history (who, what, why) and the reported value next to the current one.
    page = client.get(f"/review/{period.id}/{commune.code}").text
    assert "Biên bản của công an xã ghi 2 vụ" in page and "reviewer_x" in page
    assert f'id="total">{expected.total}<' in page

    response = client.post(f"/review/{period.id}/{commune.code}/action", headers=csrf_header(client),
                           data={"action": "approve", "version": after["version"], "comment": ""},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    assert assessment(client, period.id, commune.code)["state"] == "approved"

    # Approved data cannot be corrected without reopening.
    approved = assessment(client, period.id, commune.code)
    refused = client.post(f"/api/review/assessments/{period.id}/{commune.code}/corrections",
                          headers=csrf_header(client),
                          json={"indicator": "c3_abused_children", "value": 0, "reason": "thử", "version": approved["version"]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["code"] == "approved"

    response = client.post(f"/review/{period.id}/lists", headers=csrf_header(client), data={"note": "Đợt 1"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    list_url = response.headers["location"]
    list_id = int(list_url.rsplit("/", 1)[1])
    response = client.post(f"{list_url}/post", headers=csrf_header(client),
                           data={"comment_from": "2026-06-01", "comment_to": "2026-06-15"}, follow_redirects=False)
    assert response.status_code == 303
    assert assessment(client, period.id, commune.code)["state"] == "posted"
    response = list_steps.finalise(client, list_url)
    assert response.status_code == 303, response.text
    final = assessment(client, period.id, commune.code)
    assert final["state"] == ("recognised" if expected.certified else "not_recognised")
    assert 'id="list-state"' in client.get(list_url).text

    with use_language("vi"):
        result_text = gettext("Meets the standard" if expected.certified else "Does not meet the standard")
    rows = list(csv.reader(io.StringIO(client.get(f"{list_url}/export/csv").content.decode("utf-8-sig"))))
    assert rows[0] == exports.headers()
    assert len(rows) == 2 and rows[1][1:3] == [commune.code, commune.name]
    assert rows[1][5:8] == [str(expected.total), str(expected.threshold), result_text]
    assert rows[1][8] == (gettext("PROVISIONAL") if expected.uses_provisional else "")

    response = client.get(f"{list_url}/export/xlsx")
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    with use_language("vi"):  # those that meet the standard and the others are separate lists
        sheet = book[gettext("Meets the standard" if expected.certified else "Does not meet the standard")]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    header_row = values.index(exports.headers())
    data = values[header_row + 1:]
    assert len(data) == 1 and data[0][1:3] == [commune.code, commune.name]
    assert data[0][5] == expected.total and data[0][6] == expected.threshold and data[0][7] == result_text
    assert sheet.cell(row=header_row + 2, column=6).number_format == "#,##0"
    if expected.uses_provisional:
        assert values[2][0] == gettext(exports.PROVISIONAL_NOTE)

    printable = client.get(f"{list_url}/export/html")
    assert printable.status_code == 200 and "review_print.css" in printable.text and commune.name in printable.text

    # A final list is public: its exports are not logged; the draft's and posted's would be. Every write is.
    actions = [row["action"] for row in run(AuditLog.select(AuditLog.action).order_by(AuditLog.id).run())]
    for action in ("submission_stored", "assessment_send", "value_corrected", "assessment_approve", "list_created",
                   "list_posted", "list_finalised"):
        assert action in actions
    assert list_id > 0


def test_history_and_comment_reach_the_collaborator(client, world) -> None:
    period, commune = world["period"], world["commune_a"]
    login(client, "collab_a")
    submit_forms(client)
    send_for_review(client)
    client.cookies.clear()
    login(client, "reviewer_x")
    version = assessment(client, period.id, commune.code)["version"]
    response = client.post(f"/api/review/assessments/{period.id}/{commune.code}/actions", headers=csrf_header(client),
                           json={"action": "return", "comment": "Bổ sung số liệu tiêm chủng", "version": version})
    assert response.status_code == 200 and response.json()["state"] == "returned"
    client.cookies.clear()
    login(client, "collab_a")
    page = client.get("/my/assessment").text
    assert "Bổ sung số liệu tiêm chủng" in page and 'id="send-form"' in page
    assert send_for_review(client)["state"] == "submitted"
