"""Lists follow the procedure (issue 13, items 1, 3 and 4): a final list tells the truth about its communes,
is made final after its comment period (or with an explicit, audited override), with its comments answered
and the signed decision recorded; the recognised communes and the others are separate lists with true titles."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import list_steps
from conftest import csrf_header, login
from litestar.testing import TestClient
from test_review_workflow import assessment, send_for_review, submit_forms

from server.review.deadlines import today
from server.core.tables import AuditLog, CertificationList, ListComment


def _approve_both(client, world) -> None:
    """Communes A and B sent their forms and reviewer_x approved both (client left logged in as reviewer_x)."""
    for who in ("collab_a", "collab_b"):
        client.cookies.clear()
        login(client, who)
        submit_forms(client)
        send_for_review(client)
    client.cookies.clear()
    login(client, "reviewer_x")
    for commune in (world["commune_a"], world["commune_b"]):
        _act(client, world, commune, "approve")


def _act(client, world, commune, action: str, comment: str = "", **extra):
    url = f"/api/review/assessments/{world['period'].id}/{commune.code}"
    version = client.get(url).json()["version"]
    response = client.post(f"{url}/actions", headers=csrf_header(client),
                           json={"action": action, "comment": comment, "version": version, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def _new_list(client, world) -> str:
    response = client.post(f"/review/{world['period'].id}/lists", headers=csrf_header(client), data={},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def _public_ids(world) -> list[int]:
    return [row["id"] for row in asyncio.run(CertificationList.select(CertificationList.id).where(
        CertificationList.state == "final").run())]


def test_a_list_whose_communes_changed_after_posting_cannot_be_made_final(client, world) -> None:
    period, a, b = world["period"], world["commune_a"], world["commune_b"]
    _approve_both(client, world)
    first = _new_list(client, world)
    assert list_steps.post(client, first).status_code == 303
    listed_total = assessment(client, period.id, a.code)["total"]

    # Reopen A, correct it and approve again; reopen B and leave it under review.
    reopened = _act(client, world, a, "reopen", "Khiếu nại trong thời gian niêm yết")
    url = f"/api/review/assessments/{period.id}/{a.code}/corrections"
    corrected = client.post(url, headers=csrf_header(client), json={
        "indicator": "c1_protection_officer", "value": False, "reason": "Chưa có quyết định phân công",
        "version": reopened["version"]})
    assert corrected.status_code == 201, corrected.text
    _act(client, world, a, "approve")
    _act(client, world, b, "reopen", "Cần kiểm tra lại số liệu tiêm chủng")
    new_total = assessment(client, period.id, a.code)["total"]
    assert new_total < listed_total

    refused = list_steps.finalise(client, first)
    assert refused.status_code == 409, refused.text
    text = refused.text
    assert "Danh sách không còn khớp với hồ sơ của các xã" in text
    assert f"{b.name}: đã được mở lại sau khi lập danh sách; hiện ở trạng thái “Đang thẩm định”" in text
    assert f"{a.name}: đã được mở lại sau khi lập danh sách; hiện ở trạng thái “Đã phê duyệt”" in text
    assert _public_ids(world) == []  # nothing became public
    assert 'id="stale"' in client.get(first).text  # the list page says so before anyone tries

    # The way forward: a new revision takes the current scores; B (under review) is not on it.
    second = _new_list(client, world)
    assert list_steps.post(client, second).status_code == 303
    assert list_steps.finalise(client, second).status_code == 303
    state_a = assessment(client, period.id, a.code)["state"]
    assert state_a in ("recognised", "not_recognised") and assessment(client, period.id, b.code)["state"] == "under_review"
    public = client.get(f"/public/{period.id}/lists/{second.rsplit('/', 1)[1]}").text
    assert a.name in public and b.name not in public
    # It carries the current score: reviewers see the new total; the public sees no points (README, "Privacy").
    total = f"{new_total:,}".replace(",", ".")
    assert total in client.get(second).text and total not in public


def test_posting_refuses_a_draft_whose_commune_was_reopened(client, world) -> None:
    _approve_both(client, world)
    draft = _new_list(client, world)
    _act(client, world, world["commune_b"], "reopen", "Sai số liệu")
    refused = list_steps.post(client, draft)
    assert refused.status_code == 409 and world["commune_b"].name in refused.text


def test_no_final_inside_the_comment_period_without_an_override_and_its_reason(client, world) -> None:
    period = world["period"]
    _approve_both(client, world)
    url = _new_list(client, world)
    assert list_steps.post(client, url, start=list_steps.days_ago(1), end=today().isoformat()).status_code == 303
    page = client.get(url).text
    assert 'id="early-box"' in page
    refused = list_steps.finalise(client, url, day=today().isoformat())
    assert refused.status_code == 422 and "chỉ phê duyệt chính thức được sau ngày đó" in refused.text
    short = list_steps.finalise(client, url, day=today().isoformat(), early="1", reason="gấp")
    assert short.status_code == 422 and "ít nhất 10 ký tự" in short.text
    reason = "UBND tỉnh họp phiên cuối năm, cần ký trước ngày nghỉ lễ"
    done = list_steps.finalise(client, url, day=today().isoformat(), early="1", reason=reason)
    assert done.status_code == 303, done.text
    row = asyncio.run(CertificationList.objects().where(CertificationList.id == int(url.rsplit("/", 1)[1])).first().run())
    assert row.state == "final" and row.early_reason == reason
    logged = asyncio.run(AuditLog.select(AuditLog.reason, AuditLog.after).where(
        AuditLog.action == "list_finalised").output(load_json=True).run())[0]
    assert logged["reason"] == reason and logged["after"]["before_end_of_comment_period"] is True
    assert 'id="early"' in client.get(url).text and reason in client.get(url).text
    public = client.get(f"/public/{period.id}/lists/{row.id}").text
    assert reason in public and "15/QĐ-UBND" in public


def test_a_posting_has_dates_it_can_really_have_and_the_public_list_shows_them(client, world) -> None:
    """01/01/0001 would skip the posting step; 9999 or a year-long period is a typing mistake."""
    period = world["period"]
    _approve_both(client, world)
    url = _new_list(client, world)
    for start, end, field, words in [("0001-01-01", "0001-01-02", "comment_from", "trước kỳ đánh giá"),
                                     ("9999-12-01", "9999-12-31", "comment_from", "phải bắt đầu chậm nhất"),
                                     (today().isoformat(), "9999-12-31", "comment_to", "dài hơn 90 ngày")]:
        refused = list_steps.post(client, url, start=start, end=end)
        assert refused.status_code == 422 and field in refused.text and words in refused.text, (start, refused.text)
    assert asyncio.run(CertificationList.select(CertificationList.state).where(
        CertificationList.id == int(url.rsplit("/", 1)[1])).first().run())["state"] == "draft"
    assert list_steps.post(client, url).status_code == 303  # a posting done at the office 30 to 16 days ago
    assert list_steps.finalise(client, url).status_code == 303
    public = client.get(f"/public/{period.id}/lists/{url.rsplit('/', 1)[1]}").text
    start, end = (today() - timedelta(days=30)), (today() - timedelta(days=16))
    assert f"Đã niêm yết công khai để lấy ý kiến từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}." in public


def test_final_needs_the_signed_decision_and_a_real_pdf(client, world) -> None:
    _approve_both(client, world)
    url = _new_list(client, world)
    list_steps.post(client, url)
    nothing = list_steps.finalise(client, url, number="", day="x", signer="", pdf=b"")
    assert nothing.status_code == 422
    for field in ("decision_number", "decision_date", "decision_signer"):
        assert f'id="{field}"' in nothing.text
    assert "Nhập số và ký hiệu của quyết định" in nothing.text and "Hãy tải lên bản quét quyết định" in nothing.text
    assert "Nhập người ký quyết định" in nothing.text and "Nhập ngày ký quyết định" in nothing.text
    png = list_steps.finalise(client, url, pdf=b"\x89PNG\r\n\x1a\n" + b"0" * 100, filename="scan.pdf")
    assert png.status_code == 422 and "không phải là một tệp PDF đầy đủ" in png.text
    cut = list_steps.finalise(client, url, pdf=list_steps.scan()[:-200])
    assert cut.status_code == 422 and "không phải là một tệp PDF đầy đủ" in cut.text
    huge = list_steps.finalise(client, url, pdf=b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024) + b"\n%%EOF\n")
    assert huge.status_code == 422 and "tối đa 10 MB" in huge.text
    future = list_steps.finalise(client, url, day="2999-01-01")
    assert future.status_code == 422 and "không được sau ngày hôm nay" in future.text
    assert _public_ids(world) == []

    done = list_steps.finalise(client, url)
    assert done.status_code == 303
    pdf = client.get(f"{url}/documents/signed-decision.pdf")
    assert pdf.status_code == 200 and pdf.content == list_steps.scan()
    assert pdf.headers["content-type"] == "application/pdf"
    assert list_steps.finalise(client, url).status_code == 422  # a replayed post: already final
    client.cookies.clear()
    login(client, "reviewer_y")
    assert client.get(f"{url}/documents/signed-decision.pdf").status_code == 403


def test_two_tabs_make_final_at_once_and_only_one_wins(client, world) -> None:
    _approve_both(client, world)
    url = _new_list(client, world)
    list_steps.post(client, url)
    from server.app import create_app

    statuses: list[int] = []

    def tab() -> None:
        with TestClient(app=create_app(), base_url="http://127.0.0.1:8000") as other:
            login(other, "reviewer_x")
            statuses.append(list_steps.finalise(other, url).status_code)

    threads = [threading.Thread(target=tab) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses)[0] == 303 and statuses.count(303) == 1, statuses
    assert len(asyncio.run(AuditLog.select().where(AuditLog.action == "list_finalised").run())) == 1


def test_comments_received_while_posted_are_recorded_and_answered_before_final(client, world) -> None:
    period = world["period"]
    _approve_both(client, world)
    url = _new_list(client, world)
    early = client.post(f"{url}/comment", headers=csrf_header(client),
                        data={"received_on": today().isoformat(), "sender": "Ông A", "text": "Góp ý"})
    assert early.status_code == 422  # a draft is not posted: no comments yet
    list_steps.post(client, url)
    comment = {"received_on": list_steps.days_ago(25), "sender": "Hội Liên hiệp Phụ nữ phường",
               "text": "Đề nghị xem lại số trẻ em được học bơi."}
    before_period = client.post(f"{url}/comment", headers=csrf_header(client),
                                data={**comment, "received_on": list_steps.days_ago(60)})
    assert before_period.status_code == 422 and 'id="received_on"' in before_period.text
    assert client.post(f"{url}/comment", headers=csrf_header(client), data={**comment, "sender": ""}).status_code == 422
    recorded = client.post(f"{url}/comment", headers=csrf_header(client), data=comment, follow_redirects=False)
    assert recorded.status_code == 303, recorded.text
    again = client.post(f"{url}/comment", headers=csrf_header(client), data=comment, follow_redirects=False)
    assert again.status_code == 303  # the same comment sent twice (a double click) is recorded once
    assert asyncio.run(ListComment.count().run()) == 1
    odd = client.post(f"{url}/comment", headers=csrf_header(client), data={"comment_id": "²", "answer": "Đã xem"})
    assert odd.status_code == 422
    unanswered = list_steps.finalise(client, url)
    assert unanswered.status_code == 422 and "chưa được trả lời" in unanswered.text

    comment_id = asyncio.run(ListComment.select(ListComment.id).first().run())["id"]
    answer = "Đã kiểm tra sổ theo dõi của trường: số liệu đúng."
    answered = client.post(f"{url}/comment", headers=csrf_header(client),
                           data={"comment_id": str(comment_id), "answer": answer}, follow_redirects=False)
    assert answered.status_code == 303
    page = client.get(url).text
    assert "Hội Liên hiệp Phụ nữ phường" in page and answer in page
    assert list_steps.finalise(client, url).status_code == 303
    late = client.post(f"{url}/comment", headers=csrf_header(client), data=comment)
    assert late.status_code == 422  # final: the record is closed
    assert [row["action"] for row in asyncio.run(AuditLog.select(AuditLog.action).where(
        AuditLog.action.like("list_comment_%")).order_by(AuditLog.id).run())] == [
        "list_comment_recorded", "list_comment_answered"]
    client.cookies.clear()
    login(client, "reviewer_y")
    assert client.post(f"{url}/comment", headers=csrf_header(client), data=comment).status_code == 403
    assert client.get(f"/review/{period.id}/lists").status_code == 200


def test_the_print_page_keeps_recognised_and_other_communes_in_separate_true_lists(client, world) -> None:
    from public_data import failing_indicators, make_list, recognised_indicators

    period, area, admin = world["period"], world["province"], world["users"]["admin"]
    a, b = world["commune_a"], world["commune_b"]
    for state in ("posted", "final"):
        row = asyncio.run(make_list(period, area, admin, [(a, recognised_indicators()), (b, failing_indicators())],
                                    state=state, revision=1 if state == "posted" else 2))
        login(client, "reviewer_x")
        page = client.get(f"/review/lists/{row.id}/export/html").text
        titles = {"posted": "Danh sách xã, phường, thị trấn đề nghị công nhận đạt chuẩn phù hợp với trẻ em",
                  "final": "Danh sách xã, phường, thị trấn được công nhận đạt chuẩn phù hợp với trẻ em"}
        first, second = page.split('<section class="annex-section">')[1:3]
        assert titles[state] in first and a.name in first and b.name not in first
        assert "Danh sách xã, phường, thị trấn chưa đạt chuẩn phù hợp với trẻ em" in second
        assert b.name in second and a.name not in second
        assert "Chưa đạt chuẩn" not in first
    assert "được công nhận" not in client.get(f"/review/lists/{row.id - 1}/export/html").text.split(
        '<section class="annex-section">')[1]


def test_a_double_click_makes_one_draft_and_a_replaced_list_takes_no_comments(client, world) -> None:
    """Three "new list" clicks at once: one draft. A posted list replaced by a newer revision: comments go there."""
    from server.app import create_app

    period = world["period"]
    _approve_both(client, world)
    made: list[str] = []

    def tab() -> None:
        with TestClient(app=create_app(), base_url="http://127.0.0.1:8000") as other:
            login(other, "reviewer_x")
            made.append(_new_list(other, world))

    threads = [threading.Thread(target=tab) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(made)) == 1 and asyncio.run(CertificationList.count().run()) == 1
    first = made[0]
    list_steps.post(client, first)
    _act(client, world, world["commune_a"], "reopen", "Khiếu nại về số liệu")
    _act(client, world, world["commune_a"], "approve")
    second = _new_list(client, world)
    assert second != first
    refused = client.post(f"{first}/comment", headers=csrf_header(client),
                          data={"received_on": today().isoformat(), "sender": "Ông A", "text": "Góp ý"})
    assert refused.status_code == 422 and "bản sửa đổi mới hơn" in refused.text
    assert asyncio.run(ListComment.count().run()) == 0
    assert period.id
