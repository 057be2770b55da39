"""Admin pages: opening and editing periods (rule set, form versions, dates), browsing and exporting the audit log."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re

from conftest import csrf_header, login
from page_text import read
from test_review_workflow import assessment, send_for_review, submit_forms

from scoring import list_rules
from server.core.tables import AuditLog, Period


def _periods() -> list[dict]:
    return asyncio.run(Period.select().order_by(Period.id).output(load_json=True).run())


def test_an_admin_opens_a_period_with_its_rule_set_and_form_versions(client, world) -> None:
    login(client, "admin")
    form = client.get("/admin/periods/new").text
    for rule_set in list_rules():
        assert f'value="{rule_set}"' in form
    response = client.post("/admin/periods", headers=csrf_header(client), follow_redirects=False, data={
        "name": "Đánh giá theo tiêu chuẩn 2014", "year": "2019", "rule_set": "vn-2014", "unit_set": "legacy",
        "form_versions": ["play-area:1", "commune-annual:1"], "opens_on": "2019-01-01", "closes_on": "2019-11-30",
        "active": "1"})
    assert response.status_code == 303, response.text
    created = _periods()[-1]
    assert (created["rule_set"], created["unit_set"], created["year"]) == ("vn-2014", "legacy", 2019)
    assert created["form_versions"] == {"commune-annual": [1], "play-area": [1]}
    assert (created["opens_on"], created["closes_on"], created["active"]) == ("2019-01-01", "2019-11-30", True)
    assert "Đánh giá theo tiêu chuẩn 2014" in client.get("/admin/periods").text

    response = client.post(f"/admin/periods/{created['id']}", headers=csrf_header(client), follow_redirects=False,
                           data={"name": "Đánh giá 2019 (đã đóng)", "year": "2019", "rule_set": "vn-2014",
                                 "unit_set": "legacy", "opens_on": "2019-01-01", "closes_on": "2019-11-30"})
    assert response.status_code == 303
    edited = _periods()[-1]
    assert edited["name"] == "Đánh giá 2019 (đã đóng)" and edited["active"] is False and edited["form_versions"] == {}
    log = asyncio.run(AuditLog.select().where(AuditLog.action == "period_saved").output(load_json=True).run())
    assert log[0]["before"]["active"] is True and log[0]["after"]["active"] is False


def test_bad_period_input_comes_back_on_the_page_field_by_field(client, world) -> None:
    login(client, "admin")
    before = len(_periods())
    response = client.post("/admin/periods", headers=csrf_header(client), data={
        "name": "x", "year": "20x", "rule_set": "vn-1999", "unit_set": "other", "form_versions": ["nope:9"],
        "opens_on": "2026-05-01", "closes_on": "2026-04-01"})
    assert response.status_code == 422
    for field in ("name", "year", "rule_set", "unit_set", "form_versions", "closes_on"):
        assert f'data-field="{field}"' in response.text
    assert len(_periods()) == before


def test_the_rule_set_of_a_period_with_assessments_cannot_change(client, world) -> None:
    login(client, "collab_a")
    submit_forms(client)
    send_for_review(client)
    client.cookies.clear()
    login(client, "admin")
    period = world["period"]
    response = client.post(f"/admin/periods/{period.id}", headers=csrf_header(client), data={
        "name": period.name, "year": str(period.year), "rule_set": "vn-2014", "unit_set": "2025", "active": "1"})
    assert response.status_code == 422 and 'data-field="rule_set"' in response.text
    assert _periods()[0]["rule_set"] == "vn-2019"


def test_only_admins_reach_the_admin_pages(client, world) -> None:
    for username in ("reviewer_x", "collab_a"):
        login(client, username)
        assert client.get("/admin/periods").status_code == 403
        assert client.get("/admin/audit").status_code == 403
        assert client.get("/admin/audit.csv").status_code == 403
        client.cookies.clear()


def test_the_audit_log_is_browsed_filtered_and_exported_and_the_export_is_logged(client, world) -> None:
    login(client, "collab_a")
    submit_forms(client)
    send_for_review(client)
    client.cookies.clear()
    login(client, "admin")
    page = client.get("/admin/audit", params={"action": "assessment_send"})
    assert page.status_code == 200 and "collab_a" in page.text and "<strong>Nhận phiếu</strong>" not in page.text
    assert "<strong>Gửi thẩm định</strong>" in page.text and "Hồ sơ của Phường Ba Đình, kỳ Đánh giá năm 2026" in page.text
    response = client.get("/admin/audit.csv", params={"username": "collab_a"})
    assert response.headers["content-type"] == "text/csv; charset=utf-8"  # the parameter once (RFC 6838)
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows and {row["Tên đăng nhập"] for row in rows} == {"collab_a"}
    assert {"login", "submission_stored", "assessment_send"} <= {row["Mã thao tác"] for row in rows}
    assert {"Đăng nhập", "Nhận phiếu", "Gửi thẩm định"} <= {row["Thao tác"] for row in rows}  # the page's words too
    sent = next(row for row in rows if row["Mã thao tác"] == "assessment_send")
    assert sent["Đối tượng"] == "Hồ sơ của Phường Ba Đình, kỳ Đánh giá năm 2026"
    assert "Trạng thái: Đang thu thập → Đã gửi" in sent["Thay đổi"] and json.loads(sent["Sau (JSON)"])["state"] == "submitted"
    exported = asyncio.run(AuditLog.select().where(AuditLog.action == "exported").output(load_json=True).run())
    assert len(exported) == 1 and exported[0]["entity"] == "audit_log" and exported[0]["after"]["rows"] == len(rows)


def test_a_correction_reads_as_a_labelled_before_and_after(client, world) -> None:
    login(client, "collab_a")
    submit_forms(client)
    send_for_review(client)
    client.cookies.clear()
    login(client, "reviewer_x")
    period, code = world["period"].id, world["commune_a"].code
    version = assessment(client, period, code)["version"]
    corrected = client.post(f"/api/review/assessments/{period}/{code}/corrections", headers=csrf_header(client),
                            json={"indicator": "c5_injured_children", "value": 4, "reason": "Số liệu của trạm y tế",
                                  "version": version})
    assert corrected.status_code == 201, corrected.text
    client.cookies.clear()
    login(client, "admin")
    page = client.get("/admin/audit", params={"action": "value_corrected"}).text
    assert "<strong>Điều chỉnh số liệu</strong>" in page and "Số liệu của trạm y tế" in page
    assert "Số trẻ em bị tai nạn, thương tích" in page  # the indicator as the form asks it
    assert re.search(r"Giá trị:\s*\d+ → <strong>4</strong>", page)
    prose = read(page)[0]  # what a person reads (the filter's <option value=…> is not prose)
    assert "value_corrected" not in prose and "c5_injured_children" not in prose and '{"' not in prose


def test_every_audit_action_and_object_of_the_code_has_a_name_for_people() -> None:
    """An action written to the log without a name in server/review/audit_view.py would show its code."""
    from pathlib import Path

    from server.review.audit_view import ACTIONS, ENTITIES
    from server.review.states import TRANSITIONS

    root = Path(__file__).resolve().parent.parent / "server"
    written = re.findall(r'audit\.(?:record|entry)\(\s*"([a-z_]+)"(?: if [^)]*? else "([a-z_]+)")?,\s*"([a-z_]+)"',
                         "\n".join(path.read_text() for path in root.rglob("*.py")))
    actions = {name for found in written for name in found[:2] if name} | {f"assessment_{a}" for a in TRANSITIONS}
    entities = {found[2] for found in written}
    assert len(actions) > 20 and actions - set(ACTIONS) == set(), "add a name in server/review/audit_view.py ACTIONS"
    assert entities - set(ENTITIES) == set(), "add a name in server/review/audit_view.py ENTITIES"


def test_an_absurd_audit_page_number_is_refused_not_a_server_error(client, world) -> None:
    login(client, "admin")
    assert client.get("/admin/audit", params={"page": 10**22}).status_code == 400
    assert client.get("/admin/audit", params={"page": 1_000_000}).status_code == 200  # past the end: empty
