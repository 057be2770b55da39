"""The official table on the web, end to end over real HTTP: an administrator uploads it, a second one checks the
changed line against the paper (the first cannot), it is published, previewed on the period (per commune: both
totals and results, the criterion that makes the difference; on screen and as XLSX), then applied: the period is
re-scored under the new version (audited) and a final list keeps the version it was made with."""

from __future__ import annotations

import asyncio
import io
import re

import list_steps
import openpyxl
import pytest
from conftest import PASSWORD, csrf_header, login
from test_review_workflow import FORMS, assessment, submit_forms
from test_rules_versions import edited_table

from server.core.tables import AuditLog, CertificationEntry, Period, RuleCheck, RuleVersion, Score

SATISFIED = [("satisfaction", 1, {"respondent": "adult", "age_band": "age_30_59", "overall": "satisfied"})] * 4
FORMS_B = [form for form in FORMS if form[0] != "satisfaction"] + SATISFIED


def run(coro):
    return asyncio.run(coro)


def post(client, url: str, data: dict | None = None, files: dict | None = None):
    return client.post(url, headers=csrf_header(client), data=data or {}, files=files, follow_redirects=False)


def send(client) -> dict:
    mine = client.get("/api/my/assessment").json()
    response = client.post("/api/my/assessment/send", headers=csrf_header(client), json={"version": mine["version"]})
    assert response.status_code == 200, response.text
    return response.json()


def as_user(client, username: str) -> None:
    client.cookies.clear()
    login(client, username)


@pytest.fixture()
def second_admin(world):
    from server.accounts.users import create_user

    return run(create_user("admin2", PASSWORD, "admin", display_name="Trần Thị Kiểm"))


def seen_content(page: str, key: str) -> str:
    """The sha256 of an item's numbers as its checking form carries them (what the checker saw)."""
    return re.search(r'name="content" value="([0-9a-f]{64})"', page.split(f'id="item-{key}"')[1]).group(1)


def latest_scores() -> dict[int, dict]:
    rows = Score.select(Score.id, Score.assessment.commune.code.as_alias("code"), Score.rules_version, Score.total,
                        Score.certified).order_by(Score.id).run_sync()
    return {row["code"]: row for row in rows}


def test_enter_check_publish_preview_apply(client, world, second_admin, tmp_path):
    period = world["period"]
    as_user(client, "collab_a")
    submit_forms(client, FORMS)
    assert send(client)["total"] == 840  # criterion 13 at 0 (2 of 3 satisfied): not recognised
    as_user(client, "collab_b")
    submit_forms(client, FORMS_B)
    assert send(client)["total"] == 890

    # commune B approved and put on a list made final under the version in force (2019.1)
    as_user(client, "reviewer_x")
    current = assessment(client, period.id, "00008")
    assert post(client, f"/review/{period.id}/00008/action", {"action": "approve", "version": current["version"]}
                ).status_code == 303
    made = post(client, f"/review/{period.id}/lists", {"note": "Đợt 1"})
    list_url = made.headers["location"]
    assert list_steps.post(client, list_url).status_code == 303
    assert list_steps.finalise(client, list_url).status_code == 303
    listed = {row["score"] for row in CertificationEntry.select(CertificationEntry.score).run_sync()}

    # 1. the first administrator uploads the official table: line 13.1's lowest band earns 10 points
    as_user(client, "admin")
    table = edited_table(tmp_path, **{"13_1:3": 10}).read_bytes()
    uploaded = post(client, "/admin/rules/upload", {"note": "Phụ lục QĐ 06, bản giấy"},
                    files={"file": ("bieu-diem.xlsx", table, "application/octet-stream")})
    assert uploaded.status_code == 303, uploaded.text
    draft_url = uploaded.headers["location"].split("?")[0]
    draft_id = int(draft_url.rsplit("/", 1)[1])
    page = client.get(draft_url).text
    assert 'Chỉ tiêu <span translate="no">13.1</span>' in page and "&lt; 70 % → 10 điểm" in page and "&lt; 70 % → 0 điểm" in page
    refused = post(client, f"{draft_url}/check", {"item": "line:13.1", "document_number": "06/QĐ-TTg",
                                                  "document_date": "2019-01-03", "page": "12"})
    assert refused.status_code == 403  # the one who entered it cannot check it
    assert post(client, f"{draft_url}/publish", {"revision": "1"}).status_code == 422

    # 2. a second administrator checks the changed line against the paper, then publishes
    as_user(client, "admin2")
    bad = post(client, f"{draft_url}/check", {"item": "line:13.1", "document_number": "", "document_date": "2099-01-01",
                                              "page": "mười hai"})
    assert bad.status_code == 422
    for field in ("document_number", "document_date", "page"):
        assert f'data-field="{field}"' in bad.text
    checked = post(client, f"{draft_url}/check", {"item": "line:13.1", "document_number": "06/QĐ-TTg",
                                                  "document_date": "2019-01-03", "page": "12",
                                                  "content": seen_content(client.get(draft_url).text, "line:13.1")})
    assert checked.status_code == 303, checked.text
    page = client.get(draft_url).text
    assert "Trần Thị Kiểm" in page and 'id="publish-form"' in page
    assert post(client, f"{draft_url}/publish", {"revision": "1"}).status_code == 303
    version = RuleVersion.objects().where(RuleVersion.id == draft_id).first().output(load_json=True).run_sync()
    assert (version.state, version.version) == ("published", "2019.1.1")
    line = version.document["criteria"][12]["lines"][0]
    assert not any(band.get("provisional") for band in line["bands"])  # checked: no longer provisional

    # 3. the preview: A changes result because of criterion 13, B does not
    stored = Score.count().run_sync()
    preview = client.get(f"/admin/rules/{draft_id}/whatif/{period.id}")
    assert preview.status_code == 200
    text = preview.text
    assert "13: 0 → 10" in text and "Tiêu chí 13" in text
    rows = {row.split('data-code="')[1][:5]: row for row in text.split("<tr")[2:] if 'data-code="' in row}
    assert "changed-status" in rows["00004"] and "changed-status" not in rows["00008"]
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"/admin/rules/{draft_id}/whatif/{period.id}/preview.xlsx")
                                              .content)).active
    cells = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(cells) if row[0] == "Mã xã")
    body = {row[0]: row for row in cells[header + 1:] if row[0]}
    assert body["00004"][5:] == (840, "Chưa đạt chuẩn", 850, "Đạt chuẩn", "Có", "13: 0 → 10", 13)
    assert body["00008"][5:10] == (890, "Đạt chuẩn", 890, "Đạt chuẩn", "Không")
    assert Score.count().run_sync() == stored  # a preview writes nothing

    # 4. apply: the period moves to 2019.1.1 and its communes are re-scored, audited
    assert post(client, f"/admin/rules/{draft_id}/apply/{period.id}", {"reason": ""}).status_code == 422
    applied = post(client, f"/admin/rules/{draft_id}/apply/{period.id}", {"reason": "Biểu điểm chính thức"})
    assert applied.status_code == 303, applied.text
    assert Period.objects().where(Period.id == period.id).first().run_sync().rule_version == "2019.1.1"
    scores = latest_scores()
    assert (scores["00004"]["rules_version"], scores["00004"]["total"], scores["00004"]["certified"]) == (
        "2019.1.1", 850, True)
    assert scores["00008"]["rules_version"] == "2019.1.1"
    entry = AuditLog.objects().where(AuditLog.action == "rules_applied").first().output(load_json=True).run_sync()
    assert entry.username == "admin2" and entry.reason == "Biểu điểm chính thức"
    assert (entry.after["rule_version"], entry.after["status_changed"], entry.after["now_recognised"]) == (
        "2019.1.1", 1, 1)
    assert AuditLog.count().where(AuditLog.action == "period_scored").run_sync() == 1
    # the final list keeps the scores (and the version) it was made with
    assert {row["score"] for row in CertificationEntry.select(CertificationEntry.score).run_sync()} == listed
    assert "vn-2019 2019.1<" in client.get(list_url).text.replace("</span>", "<")
    assert post(client, f"/admin/rules/{draft_id}/apply/{period.id}", {"reason": "lần nữa"}).status_code == 422
    # every step reads as people say it in the audit log
    log = client.get("/admin/audit").text
    for action in ("Nhập bản nháp bộ tiêu chí", "Đối chiếu dòng với văn bản gốc", "Ban hành phiên bản bộ tiêu chí",
                   "Áp dụng phiên bản bộ tiêu chí cho kỳ đánh giá"):
        assert action in log, action
    assert f'href="/admin/rules/{draft_id}"' in log
    # the reviewer's page names the version of the stored score
    as_user(client, "reviewer_x")
    assert "vn-2019 2019.1.1" in client.get(f"/review/{period.id}/00004").text


def test_two_admins_applying_at_once_apply_it_once(client, world, second_admin, tmp_path):
    """The second of two simultaneous applications finds the period already using the version: one re-scoring,
    one audit entry saying from which version to which."""
    from server.rules import versions, whatif

    admin = world["users"]["admin"]
    _, report = run(versions.draft_from_workbook(edited_table(tmp_path, **{"13_1:3": 10}).read_bytes(), admin,
                                                 source_name="x.xlsx"))
    run(versions.check_item(report.row, "line:13.1", second_admin, versions.Source("06/QĐ-TTg", "2019-01-03", "12", "")))
    version = run(versions.publish(run(versions.get(report.row.id)), second_admin, report.row.revision))
    period = world["period"]

    async def both():
        return await asyncio.gather(whatif.apply(period, version, admin, "Áp dụng biểu điểm chính thức"),
                                    whatif.apply(period, version, second_admin, "Áp dụng biểu điểm chính thức"),
                                    return_exceptions=True)

    outcomes = run(both())
    refused = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert len(refused) == 1 and [error.code for error in refused[0].errors] == ["already"], outcomes
    assert Period.objects().where(Period.id == period.id).first().run_sync().rule_version == version.version
    applied = AuditLog.select(AuditLog.before, AuditLog.after).where(AuditLog.action == "rules_applied").output(
        load_json=True).run_sync()
    assert [(row["before"]["rule_version"], row["after"]["rule_version"]) for row in applied] == [
        ("2019.1", version.version)]


def test_edit_numbers_on_the_web_then_only_another_admin_checks(client, world, second_admin):
    login(client, "admin")
    made = post(client, "/admin/rules/new", {"rule_set": "vn-2019", "note": "Công văn hướng dẫn số 12"})
    assert made.status_code == 303
    edit_url = made.headers["location"]
    form = client.get(edit_url).text
    assert 'name="l:2.1:1:points" id="f-l:2.1:1:points" value="40"' in form
    wrong = post(client, edit_url, {"revision": "1", "l:2.1:1:points": "²", "l:2.1:2:from": "96"})
    assert wrong.status_code == 422
    assert 'data-field="l:2.1:1:points"' in wrong.text and 'data-field="l:2.1:2:from"' in wrong.text
    gap = post(client, edit_url, {"revision": "1", "l:2.1:2:from": "≥ 96"})
    assert gap.status_code == 422 and 'data-field="l:2.1:2:from"' in gap.text and "95" in gap.text
    total = post(client, edit_url, {"revision": "1", "c:2:max": "60"})
    assert total.status_code == 422 and 'data-field="c:2:max"' in total.text
    saved = post(client, edit_url, {"revision": "1", "l:2.1:1:points": "45"})
    assert saved.status_code == 303, saved.text
    draft_url = edit_url.removesuffix("/edit")
    assert post(client, edit_url, {"revision": "1", "l:2.1:1:points": "44"}).status_code == 409  # a stale page
    as_user(client, "admin2")
    assert client.get(edit_url).status_code == 403
    assert post(client, edit_url, {"revision": "2", "l:2.1:1:points": "44"}).status_code == 403
    page = client.get(draft_url).text
    assert "≥ 98 %, &lt; 100 % → 45 điểm" in page and 'name="document_number"' in page

    # A check confirms the numbers its checker saw: the author changing them meanwhile makes it refused (409).
    source = {"item": "line:2.1", "document_number": "06/QĐ-TTg", "document_date": "2019-01-03", "page": "12"}
    seen = seen_content(page, "line:2.1")
    as_user(client, "admin")
    assert post(client, edit_url, {"revision": "2", "l:2.1:1:points": "44"}).status_code == 303
    as_user(client, "admin2")
    stale = post(client, f"{draft_url}/check", {**source, "content": seen})
    assert stale.status_code == 409 and "Người nhập đã sửa dòng này sau khi anh/chị mở trang" in stale.text
    assert "≥ 98 %, &lt; 100 % → 44 điểm" in stale.text  # the new numbers, to check again
    assert post(client, f"{draft_url}/check", source).status_code == 409  # a form without it confirms nothing either
    assert RuleCheck.count().run_sync() == 0
    assert post(client, f"{draft_url}/check", {**source, "content": seen_content(client.get(draft_url).text, "line:2.1")}
                ).status_code == 303
    assert RuleCheck.count().run_sync() == 1
