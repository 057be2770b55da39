"""Certification lists: revisions, immutable final lists, audited exports, the national page, the dashboard."""

from __future__ import annotations

import asyncio
import csv
import io

import list_steps
from conftest import csrf_header, login
from test_review_workflow import assessment, send_for_review, submit_forms

from server.review import dashboard
from server.review.assessments import get_period
from server.core.tables import AuditLog, CertificationEntry, CertificationList, Period, Unit


def _approved(client, world, who: str = "collab_a", commune_key: str = "commune_a") -> None:
    """The commune has sent its data and reviewer_x approved it (the client is left logged in as reviewer_x)."""
    login(client, who)
    submit_forms(client)
    send_for_review(client)
    client.cookies.clear()
    login(client, "reviewer_x")
    period, commune = world["period"], world[commune_key]
    version = assessment(client, period.id, commune.code)["version"]
    response = client.post(f"/api/review/assessments/{period.id}/{commune.code}/actions", headers=csrf_header(client),
                           json={"action": "approve", "version": version})
    assert response.status_code == 200, response.text


def _make_list(client, world) -> str:
    response = client.post(f"/review/{world['period'].id}/lists", headers=csrf_header(client), data={},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def _exports_logged() -> int:
    return asyncio.run(AuditLog.count().where(AuditLog.action == "exported").run())


def test_a_final_list_never_changes_and_a_correction_is_a_new_revision(client, world) -> None:
    period, commune = world["period"], world["commune_a"]
    _approved(client, world)
    first = _make_list(client, world)
    draft = client.get(f"{first}/export/csv")
    assert _exports_logged() == 1  # a draft is not public: exporting it is logged
    # Named for people: what, where, when, which revision, and that it is only a draft.
    assert draft.headers["content-disposition"] == (
        'attachment; filename="danh-sach-cong-nhan_thanh-pho-ha-noi_2026_lan-1_du-thao.csv"')
    assert client.post(f"{first}/finalise", headers=csrf_header(client)).status_code == 422  # not posted yet
    bad = client.post(f"{first}/post", headers=csrf_header(client),
                      data={"comment_from": "2026-06-15", "comment_to": "2026-06-01"})
    assert bad.status_code == 422 and "comment_to" in bad.text
    client.post(f"{first}/post", headers=csrf_header(client), data={"comment_from": "2026-06-01", "comment_to": "2026-06-15"})
    assert list_steps.finalise(client, first).status_code == 303
    final = client.get(f"{first}/export/xlsx")
    assert _exports_logged() == 1  # a final list is public
    assert final.headers["content-disposition"] == 'attachment; filename="danh-sach-cong-nhan_thanh-pho-ha-noi_2026_lan-1.xlsx"'

    assert client.post(f"{first}/post", headers=csrf_header(client),
                       data={"comment_from": "2026-07-01", "comment_to": "2026-07-02"}).status_code == 422
    recognised = assessment(client, period.id, commune.code)
    assert recognised["state"] in ("recognised", "not_recognised")

    # A mistake found after the decision: reopen (logged), correct, approve again, make revision 2.
    url = f"/api/review/assessments/{period.id}/{commune.code}"
    page = client.get(f"/review/{period.id}/{commune.code}").text  # before reopening: what a reopen cannot undo
    assert "Theo Quyết định số 15/QĐ-UBND" in page and "Mở lại hồ sơ không làm thay đổi quyết định đã ký" in page
    reopened = client.post(f"{url}/actions", headers=csrf_header(client),
                           json={"action": "reopen", "comment": "Khiếu nại sau niêm yết", "version": recognised["version"]}).json()
    # Reopened: its state is "under review" again while the signed decision still stands, and every view says both.
    result = "được công nhận" if recognised["state"] == "recognised" else "chưa được công nhận"
    page = client.get(f"/review/{period.id}/{commune.code}").text
    assert f"(danh sách lần 1), xã {result} phù hợp với trẻ em. Sau đó hồ sơ đã được mở lại" in page
    board = client.get(f"/review/{period.id}/dashboard").text
    assert 'id="reopened"' in board and commune.name in board.split('id="reopened"')[1]
    client.cookies.clear()
    login(client, "collab_a")
    assert "Sau đó hồ sơ đã được mở lại" in client.get("/my").text
    client.cookies.clear()
    login(client, "reviewer_x")
    corrected = client.post(f"{url}/corrections", headers=csrf_header(client),
                            json={"indicator": "c1_budget_allocated", "value": True, "reason": "Có quyết định cấp kinh phí",
                                  "version": reopened["version"]}).json()
    client.post(f"{url}/actions", headers=csrf_header(client), json={"action": "approve", "version": corrected["version"]})
    second = _make_list(client, world)
    assert second != first

    lists = asyncio.run(CertificationList.select().order_by(CertificationList.revision).run())
    assert [(row["revision"], row["state"]) for row in lists] == [(1, "final"), (2, "draft")]
    entries = asyncio.run(CertificationEntry.select().order_by(CertificationEntry.id).run())
    assert [e["certification_list"] for e in entries] == [lists[0]["id"], lists[1]["id"]]
    assert entries[1]["total"] == corrected["total"] != entries[0]["total"]
    assert "Bản này đã được thay thế bằng bản lần 2." in client.get(first).text
    assert client.post(f"{first}/finalise", headers=csrf_header(client)).status_code == 422


def test_only_approved_communes_are_listed_and_a_list_is_made_inside_the_area(client, world) -> None:
    _approved(client, world)
    client.cookies.clear()
    login(client, "collab_b")
    submit_forms(client)
    send_for_review(client)  # submitted, not approved: not on the list
    client.cookies.clear()
    login(client, "reviewer_x")
    url = _make_list(client, world)
    rows = list(csv.reader(io.StringIO(client.get(f"{url}/export/csv").content.decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == [world["commune_a"].code]
    client.cookies.clear()
    login(client, "reviewer_y")
    assert client.get(url).status_code == 403
    assert client.get(f"{url}/export/csv").status_code == 403
    empty = client.post(f"/review/{world['period'].id}/lists", headers=csrf_header(client), data={})
    assert empty.status_code == 422  # nothing approved in province 79


def test_the_national_page_and_the_dashboard(client, world) -> None:
    async def previous() -> Period:
        row = Period(name="Đánh giá năm 2024", year=2024, rule_set="vn-2019", unit_set="2025", form_versions={},
                     active=False)
        await row.save().run()
        return row
    asyncio.run(previous())
    _approved(client, world)
    url = _make_list(client, world)
    client.post(f"{url}/post", headers=csrf_header(client), data={"comment_from": "2026-06-01", "comment_to": "2026-06-15"})
    assert list_steps.finalise(client, url).status_code == 303
    state = assessment(client, world["period"].id, world["commune_a"].code)["state"]

    board = client.get(f"/review/{world['period'].id}/dashboard")
    assert board.status_code == 200 and "Đánh giá năm 2024" in board.text
    client.cookies.clear()
    login(client, "admin")
    national = client.get(f"/review/{world['period'].id}/national", params={"final": 1})
    assert national.status_code == 200 and world["commune_a"].name in national.text
    assert client.get(f"/review/{world['period'].id}/dashboard", params={"area": "79"}).status_code == 200

    async def stats():
        period = await get_period(world["period"].id)
        area = await Unit.objects().where(Unit.key == "2025:01").first().run()
        return await dashboard.build(period, area), await dashboard.build(period, None)
    province, country = asyncio.run(stats())
    assert province.total.communes == 2 and province.total.counts[state] == 1
    assert province.previous is not None and province.total.previous_recognised == 0
    assert country.total.communes == 3 and [p.communes for p in country.parts] == [2, 1]
    assert province.total.percent(state) == 50.0
