"""Periods as the decision says: a rule set per province, the 2014 rules usable end to end, the
reviewing level a setting of the period, and a period that is not a calendar year. Real HTTP."""

from __future__ import annotations

import asyncio
import io

import openpyxl
import pytest
from conftest import PASSWORD, csrf_header, login
from test_review_workflow import FORMS, assessment, submit_forms
from test_forms_validate import ANNUAL_OK

from scoring import load_rules, score
from server.core.tables import AuditLog, Period, PeriodArea, Score

ANSWERS_2014 = {"v2014_c1_leadership": True, "v2014_child_labour_percent": 1.5,
                "v2014_school_attendance_percent": 96, "v2014_lower_secondary_graduation_percent": 98.5,
                **{f"v2014_c{n}_met": True for n in range(9, 16)}}


def run(coro):
    return asyncio.run(coro)


def post(client, url: str, data: dict) -> object:
    return client.post(url, headers=csrf_header(client), data=data, follow_redirects=False)


@pytest.fixture()
def collab_c(world):
    from server.accounts.users import create_user

    return run(create_user("collab_c", PASSWORD, "collaborator", unit_code="26734"))


def send(client) -> dict:
    mine = client.get("/api/my/assessment").json()
    response = client.post("/api/my/assessment/send", headers=csrf_header(client),
                           json={"version": mine["version"], "comment": "Gửi hồ sơ"})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_province_assessed_under_the_2014_rules_while_the_period_uses_2019(client, world, collab_c):
    period = world["period"]
    login(client, "admin")
    response = post(client, f"/admin/periods/{period.id}/areas", {"unit_code": "79", "rule_set": "vn-2014"})
    assert response.status_code == 303, response.text
    page = client.get(f"/admin/periods/{period.id}").text
    assert "Thành phố Hồ Chí Minh" in page and "vn-2014 2014.1" in page
    area = PeriodArea.objects().first().run_sync()
    assert (area.rule_set, area.rule_version) == ("vn-2014", "2014.1")
    audit = AuditLog.objects().where(AuditLog.action == "period_area_saved").first().output(load_json=True).run_sync()
    assert audit.after == {"area": "79", "rule_set": "vn-2014", "rule_version": "2014.1", "review_level": None}

    # The collaborator in province 79 is asked for the 2014 figures; the one in province 01 is not.
    client.cookies.clear()
    login(client, "collab_c")
    assert "/my/forms/commune-2014/1" in client.get("/my").text
    submit_forms(client, [("commune-annual", 1, ANNUAL_OK), ("commune-2014", 1, ANSWERS_2014)])
    sent_c = send(client)
    client.cookies.clear()
    login(client, "collab_a")
    assert "/my/forms/commune-2014/1" not in client.get("/my").text
    submit_forms(client, FORMS)
    send(client)

    scores = {row["rules_id"]: row for row in Score.select(Score.rules_id, Score.rules_version, Score.total,
                                                           Score.indicators).output(load_json=True).run_sync()}
    assert sorted(scores) == ["vn-2014", "vn-2019"]
    expected = score(load_rules("vn-2014"), "other", {key: scores["vn-2014"]["indicators"][key]
                                                      for key in load_rules("vn-2014").indicators})
    assert scores["vn-2014"]["total"] == expected.total == sent_c["total"]
    assert scores["vn-2014"]["indicators"]["v2014_child_labour_percent"] == 1.5

    # The reviewer's page, the approval, the list and its exports all name the 2014 rules.
    client.cookies.clear()
    login(client, "admin")
    page = client.get(f"/review/{period.id}/26734").text
    assert "vn-2014 2014.1" in page and "Tỷ lệ trẻ em lao động trái quy định của pháp luật (%)" in page
    current = assessment(client, period.id, "26734")
    response = post(client, f"/review/{period.id}/26734/action", {"action": "approve", "version": current["version"]})
    assert response.status_code == 303, response.text
    response = post(client, f"/review/{period.id}/lists", {"area": "79"})
    assert response.status_code == 303, response.text
    list_url = response.headers["location"]
    assert "vn-2014 2014.1" in client.get(list_url).text
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{list_url}/export/xlsx").content))
    assert "vn-2014 2014.1" in book.active["A2"].value
    for paper in ("submission", "decision"):  # they cite the 2014 decision, not the period's 2019 one
        text = client.get(f"{list_url}/documents/{paper}.html").text
        assert "Căn cứ Quyết định 34/2014/QĐ-TTg" in text and "06/QĐ-TTg" not in text, paper
    assert "vn-2014 2014.1" in client.get(f"{list_url}/documents/submission.html").text

    # Province 79 has scores under vn-2014 now: its rule set can no longer change in this period.
    response = post(client, f"/admin/periods/{period.id}/areas", {"unit_code": "79", "rule_set": "vn-2019"})
    assert response.status_code == 422 and "không thể đổi bộ tiêu chí của địa bàn" in response.text
    response = post(client, f"/admin/periods/{period.id}/areas/{area.id}/remove", {})
    assert response.status_code == 422
    assert PeriodArea.count().run_sync() == 1


def test_area_settings_are_checked_field_by_field(client, world):
    period = world["period"]
    login(client, "admin")
    for data, field in (({"unit_code": "00004", "rule_set": "vn-2014"}, "unit_code"),  # a commune, not a province
                        ({"unit_code": "79", "rule_set": "vn-1999"}, "rule_set"),
                        ({"unit_code": "79", "review_level": "district"}, "review_level"),  # no districts after 2025
                        ({"unit_code": "79"}, "rule_set")):
        response = post(client, f"/admin/periods/{period.id}/areas", data)
        assert response.status_code == 422 and f'data-field="{field}"' in response.text, (data, response.text[-500:])
    assert PeriodArea.count().run_sync() == 0


def test_the_reviewing_level_decides_who_decides(client, world):
    """A province that leaves the review to the commune's own people's committee: the province reviewer still sees
    the commune but cannot decide; a reviewer of the commune itself can."""
    from server.accounts.users import create_user

    period = world["period"]
    run(create_user("ubnd_a", PASSWORD, "reviewer", unit_code="00004"))
    login(client, "admin")
    assert post(client, f"/admin/periods/{period.id}/areas",
                {"unit_code": "01", "review_level": "commune"}).status_code == 303
    client.cookies.clear()
    login(client, "collab_a")
    submit_forms(client, FORMS)
    send(client)

    client.cookies.clear()
    login(client, "reviewer_x")
    page = client.get(f"/review/{period.id}/00004")
    assert page.status_code == 200 and 'id="correct-form"' not in page.text
    current = assessment(client, period.id, "00004")
    refused = post(client, f"/review/{period.id}/00004/action", {"action": "start_review", "version": current["version"]})
    assert refused.status_code == 403
    client.cookies.clear()
    login(client, "ubnd_a")
    assert client.get(f"/review/{period.id}/00008").status_code == 403  # another commune: outside their area
    done = post(client, f"/review/{period.id}/00004/action", {"action": "start_review", "version": current["version"]})
    assert done.status_code == 303, done.text
    assert assessment(client, period.id, "00004")["state"] == "under_review"


def test_a_period_spans_its_own_dates_and_names_its_reviewing_level(client, world):
    login(client, "admin")
    form = client.get("/admin/periods/new").text
    assert 'name="covers_from"' in form and 'name="review_level"' in form
    response = post(client, "/admin/periods", {
        "name": "Đánh giá giữa kỳ kế hoạch 2026–2030", "year": "2027", "rule_set": "vn-2019", "unit_set": "2025",
        "review_level": "commune", "covers_from": "2026-01-01", "covers_to": "2027-12-31", "active": "1"})
    assert response.status_code == 303, response.text
    created = Period.objects().where(Period.year == 2027).first().run_sync()
    assert (created.covers_from, created.covers_to, created.review_level, created.rule_version) == (
        "2026-01-01", "2027-12-31", "commune", "2019.1")
    response = post(client, "/admin/periods", {
        "name": "Sai", "year": "2027", "rule_set": "vn-2019", "unit_set": "2025", "review_level": "district",
        "covers_from": "2027-12-31", "covers_to": "2026-01-01"})
    assert response.status_code == 422
    assert 'data-field="covers_to"' in response.text and 'data-field="review_level"' in response.text
