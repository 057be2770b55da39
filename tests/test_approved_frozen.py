"""Approved means frozen (issue 13, item 2): a submission that arrives after the approval is kept as
"received after approval" and changes nothing until a reviewer reopens; the period's closing date holds
for collaborators (JSON API, OpenRosa, "send for review"), and a reviewer may extend it for one commune."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, time, timedelta, timezone

from conftest import csrf_header, login
from test_openrosa import PLAY_AREA, download, fill, make_token, message_of, post
from test_review_workflow import FORMS, assessment, send_for_review, submit_forms

from server.collection.submissions import submit
from server.review import assessments
from server.collection import intake
from server.review.deadlines import VIETNAM, today
from server.core.tables import AuditLog, Period, Submission, User

ANNUAL = FORMS[0][2]


def _approved(client, world) -> dict:
    """Commune A sent its forms and reviewer_x approved them; the client is left logged in as reviewer_x."""
    login(client, "collab_a")
    submit_forms(client)
    send_for_review(client)
    client.cookies.clear()
    login(client, "reviewer_x")
    url = f"/api/review/assessments/{world['period'].id}/{world['commune_a'].code}"
    version = client.get(url).json()["version"]
    approved = client.post(f"{url}/actions", headers=csrf_header(client), json={"action": "approve", "version": version})
    assert approved.status_code == 200, approved.text
    return approved.json()


def _send(client, answers: dict, form_id: str = "commune-annual", known: uuid.UUID | None = None):
    return client.post("/api/submissions", headers=csrf_header(client),
                       json={"uuid": str(known or uuid.uuid4()), "form_id": form_id, "form_version": 1,
                             "answers": answers})


def _worse_year() -> dict:
    """The annual form again, with two abused children: it would zero criterion 3 if it counted."""
    return {**ANNUAL, "c3_abused_children": 2}


def _close_period(world, days_ago: int = 1) -> None:
    closes = (today() - timedelta(days=days_ago)).isoformat()
    asyncio.run(Period.update({Period.closes_on: closes}).where(Period.id == world["period"].id).run())


def test_a_submission_after_approval_changes_nothing_until_a_reopen(client, world) -> None:
    period, commune = world["period"], world["commune_a"]
    approved = _approved(client, world)
    client.cookies.clear()
    login(client, "collab_a")
    late = _send(client, _worse_year())
    assert late.status_code == 201 and late.json()["state"] == "after_approval"
    # OpenRosa alike: Collect is told it was received; it is kept aside the same way.
    token = make_token(world)
    instance = uuid.uuid4()
    odk = post(client, token, fill(download(client, token), PLAY_AREA, instance))
    assert odk.status_code == 201, odk.text
    states = asyncio.run(Submission.select(Submission.state).where(Submission.uuid == instance).run())
    assert states == [{"state": "after_approval"}]

    client.cookies.clear()
    login(client, "reviewer_x")
    now = assessment(client, period.id, commune.code)
    assert now["state"] == "approved" and now["version"] == approved["version"]
    assert (now["total"], now["values"], now["stored_score_id"]) == (
        approved["total"], approved["values"], approved["stored_score_id"])
    page = client.get(f"/review/{period.id}/{commune.code}").text
    assert 'id="after-approval"' in page and "Nhận sau khi đã phê duyệt (2)" in page
    assert 'id="action-reopen"' in page and 'value="rescore"' not in page  # no re-score of approved data
    rescore = client.post(f"/review/{period.id}/{commune.code}/action", headers=csrf_header(client),
                          data={"action": "rescore", "reason": "thử chấm lại", "version": str(now["version"])})
    assert rescore.status_code == 422

    # The reviewer reopens with a reason: the late forms are taken in and now count.
    url = f"/api/review/assessments/{period.id}/{commune.code}"
    reopened = client.post(f"{url}/actions", headers=csrf_header(client),
                           json={"action": "reopen", "comment": "Xã gửi bổ sung số liệu sau phê duyệt",
                                 "version": now["version"]})
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["state"] == "under_review"
    assert reopened.json()["values"]["c3_abused_children"] == 2 and reopened.json()["total"] < approved["total"]
    assert 'id="after-approval"' not in client.get(f"/review/{period.id}/{commune.code}").text
    audit = asyncio.run(AuditLog.select(AuditLog.after).where(AuditLog.action == "assessment_reopen")
                        .output(load_json=True).run())
    assert audit[-1]["after"]["submissions_taken_in"] == 2


def test_a_form_sent_while_the_reviewer_had_the_page_open_is_set_aside_by_the_approval(world) -> None:
    """The reviewer's page was built, then a form arrived, then the approval: the approval sets it aside."""
    async def scenario() -> tuple[str, int, int]:
        period, commune = world["period"], world["commune_a"]
        collab = await User.objects(User.unit).where(User.username == "collab_a").first()
        reviewer = await User.objects(User.unit).where(User.username == "reviewer_x").first()
        for form_id, version, answers in FORMS:
            await submit(collab, uuid=uuid.uuid4(), form_id=form_id, form_version=version, answers=answers)
        ctx = await assessments.load(period, commune, collab)
        await assessments.change_state(ctx, "send", collab, ctx.assessment.version)
        seen = await assessments.load(period, commune, reviewer)  # the page the reviewer reads
        late = await submit(collab, uuid=uuid.uuid4(), form_id="commune-annual", form_version=1, answers=_worse_year())
        await assessments.change_state(seen, "approve", reviewer, seen.assessment.version)
        row = await Submission.objects().where(Submission.id == late.submission.id).first()
        after = await assessments.load(period, commune, reviewer)
        return row.state, after.computed.values["c3_abused_children"], after.stored.total

    state, abused, _total = asyncio.run(scenario())
    assert state == "after_approval" and abused == ANNUAL["c3_abused_children"]


def test_the_closing_date_holds_for_collaborators_and_a_reviewer_can_extend_it(client, world) -> None:
    period, commune = world["period"], world["commune_a"]
    login(client, "collab_a")
    known = uuid.uuid4()
    assert _send(client, ANNUAL, known=known).status_code == 201
    _close_period(world)

    refused = _send(client, ANNUAL)
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert error["field"] == "period" and error["code"] == "period_closed"
    assert "Kỳ đánh giá đã hết hạn nhận phiếu" in error["message"] and "gia hạn" in error["message"]
    assert _send(client, ANNUAL, known=known).json()["duplicate"] is True  # a resend of what was stored is no loss
    token = make_token(world)
    odk = post(client, token, fill(download(client, token), PLAY_AREA, uuid.uuid4()))
    assert odk.status_code == 400 and "extend the closing date" in message_of(odk)
    mine = client.get("/api/my/assessment").json()
    send = client.post("/api/my/assessment/send", headers=csrf_header(client), json={"version": mine["version"]})
    assert send.status_code == 422 and send.json()["errors"][0]["code"] == "period_closed"
    page = client.get("/my/assessment").text
    assert 'id="closed"' in page and 'id="send-form"' not in page

    # Admins may still enter paper forms after the closing date.
    client.cookies.clear()
    login(client, "admin")
    late = client.post("/api/submissions", headers=csrf_header(client),
                       json={"uuid": str(uuid.uuid4()), "form_id": "satisfaction", "form_version": 1,
                             "commune_code": commune.code, "answers": FORMS[3][2]})
    assert late.status_code == 201, late.text

    # A reviewer of the area extends the date for commune A (reason required, audited); B stays closed.
    client.cookies.clear()
    login(client, "reviewer_y")
    page_url = f"/review/{period.id}/{commune.code}/action"
    extend = {"action": "extend", "extended_until": today().isoformat(), "reason": "Xã bị mất mạng do bão",
              "version": "0"}
    assert client.post(page_url, headers=csrf_header(client), data=extend).status_code == 403  # another province
    client.cookies.clear()
    login(client, "reviewer_x")
    past = client.post(page_url, headers=csrf_header(client), data={**extend, "extended_until": "2020-01-01"})
    assert past.status_code == 422 and 'data-field="extended_until"' in past.text
    endless = client.post(page_url, headers=csrf_header(client), data={**extend, "extended_until": "9999-12-31"})
    assert endless.status_code == 422 and "Chỉ được gia hạn đến ngày" in endless.text
    no_reason = client.post(page_url, headers=csrf_header(client), data={**extend, "reason": ""})
    assert no_reason.status_code == 422
    done = client.post(page_url, headers=csrf_header(client), data=extend, follow_redirects=False)
    assert done.status_code == 303, done.text
    logged = asyncio.run(AuditLog.select(AuditLog.reason, AuditLog.after).where(
        AuditLog.action == "closing_extended").output(load_json=True).run())
    assert logged == [{"reason": "Xã bị mất mạng do bão", "after": {"extended_until": today().isoformat()}}]

    client.cookies.clear()
    login(client, "collab_a")
    assert _send(client, ANNUAL).status_code == 201
    client.cookies.clear()
    login(client, "collab_b")
    assert _send(client, ANNUAL).status_code == 422


def test_a_form_that_arrives_while_the_reviewer_reads_the_page_holds_the_approval(client, world) -> None:
    """The approval counts only what the reviewer saw: a newer form makes it wait (409) until the page is reloaded."""
    import re

    period, commune = world["period"], world["commune_a"]
    login(client, "collab_a")
    submit_forms(client)
    send_for_review(client)
    client.cookies.clear()
    login(client, "reviewer_x")
    page_url = f"/review/{period.id}/{commune.code}"
    page = client.get(page_url).text
    seen = re.search(r'name="seen_submission" value="(\d+)"', page).group(1)
    version = re.search(r'id="action-approve">.*?name="version" value="(\d+)"', page, re.S).group(1)
    client.cookies.clear()
    login(client, "collab_a")
    assert _send(client, _worse_year()).status_code == 201  # while the reviewer reads
    client.cookies.clear()
    login(client, "reviewer_x")
    held = client.post(f"{page_url}/action", headers=csrf_header(client), follow_redirects=False,
                       data={"action": "approve", "version": version, "seen_submission": seen})
    assert held.status_code == 409 and "gửi thêm phiếu sau khi bạn mở trang này" in held.text
    url = f"/api/review/assessments/{period.id}/{commune.code}"
    now = client.get(url).json()
    assert now["state"] == "submitted" and now["values"]["c3_abused_children"] == 2
    by_api = client.post(f"{url}/actions", headers=csrf_header(client),
                         json={"action": "approve", "version": now["version"], "seen_submission": int(seen)})
    assert by_api.status_code == 409
    approved = client.post(f"{url}/actions", headers=csrf_header(client),
                           json={"action": "approve", "version": now["version"],
                                 "seen_submission": now["last_submission"]})
    assert approved.status_code == 200 and approved.json()["values"]["c3_abused_children"] == 2


def _send_completed(client, completed: datetime):
    return client.post("/api/submissions", headers=csrf_header(client),
                       json={"uuid": str(uuid.uuid4()), "form_id": "commune-annual", "form_version": 1,
                             "answers": ANNUAL, "client_created_at": completed.isoformat()})


def test_a_form_completed_on_the_phone_by_the_closing_date_is_taken_in_the_grace_days(client, world) -> None:
    """The commune did its work on time, the phone had no connection: taken within GRACE_DAYS, shown to the
    reviewer as arrived late; completed after the date, or arriving after the grace, it is refused in words."""
    period, commune = world["period"], world["commune_a"]
    login(client, "collab_a")
    _close_period(world, days_ago=2)
    closing = today() - timedelta(days=2)
    on_the_day = datetime.combine(closing, time(21, 30), tzinfo=VIETNAM)  # late in the evening, Vietnam time
    taken = _send_completed(client, on_the_day)
    assert taken.status_code == 201, taken.text

    next_day = _send_completed(client, on_the_day + timedelta(hours=3))
    assert next_day.status_code == 422
    refused = next_day.json()
    assert refused["detail"] == refused["errors"][0]["message"] and "%(" not in refused["detail"]
    assert "Kỳ đánh giá đã hết hạn nhận phiếu từ ngày" in refused["detail"]
    ahead = _send_completed(client, datetime.now(timezone.utc) + timedelta(days=3))  # a phone clock set ahead
    assert ahead.status_code == 422

    client.cookies.clear()
    login(client, "reviewer_x")
    page = client.get(f"/review/{period.id}/{commune.code}").text
    assert page.count('class="muted arrived-late"') == 1
    assert f"hoàn thành trên điện thoại ngày {closing.strftime('%d/%m/%Y')}" in page

    # After the grace days the period no longer takes it, and says why; a reviewer's extension still works.
    _close_period(world, days_ago=intake.GRACE_DAYS + 1)
    closing = today() - timedelta(days=intake.GRACE_DAYS + 1)
    client.cookies.clear()
    login(client, "collab_a")
    too_late = _send_completed(client, datetime.combine(closing, time(10), tzinfo=VIETNAM))
    assert too_late.status_code == 422
    detail = too_late.json()["detail"]
    assert f"hoàn thành ngày {closing.strftime('%d/%m/%Y')}" in detail and "7 ngày" in detail and "gia hạn" in detail
    client.cookies.clear()
    login(client, "reviewer_x")
    extend = {"action": "extend", "extended_until": today().isoformat(), "reason": "Xã mất mạng do bão",
              "version": "0"}
    done = client.post(f"/review/{period.id}/{commune.code}/action", headers=csrf_header(client), data=extend,
                       follow_redirects=False)
    assert done.status_code == 303, done.text
    client.cookies.clear()
    login(client, "collab_a")
    assert _send_completed(client, datetime.combine(closing, time(10), tzinfo=VIETNAM)).status_code == 201
