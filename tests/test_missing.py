"""What an assessment still lacks, by form and in people's words: the collaborator's send page and the
reviewer's commune page read the same module (server/review/missing.py)."""

from __future__ import annotations

import re

from conftest import csrf_header, login
from test_forms_derive import PARTICIPATION_OK, PLACE_V1
from test_forms_validate import ANNUAL_OK
from test_review_workflow import FORMS, submit_forms

from forms import registry
from forms.validate import clean
from scoring import load_rules
from server.core.i18n import use_language
from server.core.tables import AuditLog, ReviewComment
from server.review.indicators import derive
from server.review.missing import what_is_missing
from server.review.scoring_service import compute

RAW_KEY = re.compile(r"\bc\d+_[a-z0-9_]+")


def missing_for(forms: list[tuple[str, int, dict]], language: str = "vi") -> list:
    reported = derive([{"form_id": f, "form_version": v, "answers": clean(registry.get_form(f, v), a)}
                       for f, v, a in forms])
    computed = compute(load_rules("vn-2019"), "other", reported.values, reported.form_versions)
    with use_language(language):
        return what_is_missing(reported, computed.problems)


def as_text(groups: list) -> dict[str, list[str]]:
    return {group.form_id: group.lines for group in groups}


def test_one_play_area_and_no_yearly_figures_lacks_the_annual_form_and_the_other_forms() -> None:
    found = as_text(missing_for([("play-area", 1, PLACE_V1)]))
    assert found == {
        "commune-annual": ["Xã chưa gửi phiếu «Số liệu hằng năm của xã»."],
        "child-participation": ["Chưa có phiếu «Hoạt động có trẻ em tham gia» nào."],
        "satisfaction": ["Chưa có phiếu «Khảo sát sự hài lòng của trẻ em và người dân» nào."],
    }


def test_a_detailed_form_can_be_replaced_by_the_annual_forms_questions_and_it_says_which() -> None:
    annual = {key: value for key, value in ANNUAL_OK.items() if not key.startswith("c13_")}
    [group] = missing_for([("commune-annual", 1, annual), ("play-area", 1, PLACE_V1),
                           ("child-participation", 1, PARTICIPATION_OK)])
    assert group.form_id == "satisfaction" and group.fill_url == "/my/forms/satisfaction/1"
    assert group.lines == [
        "Chưa có phiếu «Khảo sát sự hài lòng của trẻ em và người dân» nào.",
        "Hoặc trả lời các câu sau của phiếu «Số liệu hằng năm của xã»: «Số trẻ em và người dân được khảo sát»; "
        "«Trong đó: số người hài lòng».",
    ]


def test_impossible_values_are_said_with_the_questions_people_answered() -> None:
    participation = {**PARTICIPATION_OK, "about_commune_decision": True, "decision_title": "Kế hoạch hè"}
    annual = {**ANNUAL_OK, "c11_decisions_total": 0, "c11_decisions_consulted": 0}
    others = [form for form in FORMS if form[0] not in ("commune-annual", "child-participation")]
    [group] = missing_for([("commune-annual", 1, annual), ("child-participation", 1, participation), *others])
    assert group.form_id == "child-participation"
    [line] = group.lines
    assert line.startswith("«Trong đó: số quyết định có lấy ý kiến trẻ em» (1) lớn hơn «Số quyết định")
    assert not RAW_KEY.search(line)


def test_english_reads_as_english() -> None:
    found = as_text(missing_for([("play-area", 1, PLACE_V1)], language="en"))
    assert found["commune-annual"] == ["The commune has not sent the form «Commune annual figures» yet."]


def test_a_complete_commune_lacks_nothing() -> None:
    assert missing_for(FORMS) == []


# ---------------------------------------------------------------- the two pages

def test_the_collaborator_sees_what_is_missing_and_sends_only_with_an_explicit_confirmation(client, world) -> None:
    login(client, "collab_a")
    submit_forms(client, [("play-area", 1, PLACE_V1)])
    page = client.get("/my/assessment")
    assert "Xã chưa gửi phiếu «Số liệu hằng năm của xã»." in page.text
    assert 'href="/my/forms/commune-annual/1"' in page.text
    assert not RAW_KEY.search(page.text.split('id="completeness"')[1])
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)

    refused = client.post("/my/assessment/send", data={"version": version}, headers=csrf_header(client))
    assert refused.status_code == 422
    assert "Hồ sơ chưa đủ" in refused.text
    assert ReviewComment.count().run_sync() == 0

    sent = client.post("/my/assessment/send", data={"version": version, "confirm_incomplete": "1",
                                                     "comment": "Còn thiếu số liệu năm"},
                       headers=csrf_header(client), follow_redirects=False)
    assert sent.status_code == 303
    [comment] = ReviewComment.select(ReviewComment.action, ReviewComment.text).run_sync()
    assert comment == {"action": "send_incomplete", "text": "Còn thiếu số liệu năm"}
    [logged] = AuditLog.select(AuditLog.after).where(AuditLog.action == "assessment_send").output(
        load_json=True).run_sync()
    assert "c1_protection_officer" in logged["after"]["incomplete"]

    client.post("/logout", headers=csrf_header(client))
    login(client, "reviewer_x")
    review = client.get(f"/review/{world['period'].id}/00004")
    assert review.status_code == 200
    assert "Đã gửi dù hồ sơ còn thiếu" in review.text and "Còn thiếu số liệu năm" in review.text
    assert "Xã chưa gửi phiếu «Số liệu hằng năm của xã»." in review.text
    assert "Thiếu c1_protection_officer" not in review.text


def test_a_complete_commune_is_sent_without_confirmation(client, world) -> None:
    login(client, "collab_a")
    submit_forms(client)
    page = client.get("/my/assessment")
    assert 'id="complete"' in page.text and "confirm_incomplete" not in page.text
    mine = client.get("/api/my/assessment").json()
    response = client.post("/api/my/assessment/send", json={"version": mine["version"]}, headers=csrf_header(client))
    assert response.status_code == 200 and response.json()["state"] == "submitted"


def test_the_api_refuses_an_incomplete_send_without_confirmation(client, world) -> None:
    login(client, "collab_a")
    submit_forms(client, [("play-area", 1, PLACE_V1)])
    mine = client.get("/api/my/assessment").json()
    refused = client.post("/api/my/assessment/send", json={"version": mine["version"]}, headers=csrf_header(client))
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "confirm_incomplete"
    sent = client.post("/api/my/assessment/send", json={"version": mine["version"], "confirm_incomplete": True},
                       headers=csrf_header(client))
    assert sent.status_code == 200 and sent.json()["state"] == "submitted"
