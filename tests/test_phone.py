"""A collaborator on a cheap phone: headless Chromium at 360 × 740 (a fresh profile per test) against a real
`phuhop serve`, with the network really taken away: the server process stopped, or frozen with SIGSTOP (the
port still accepts connections and nothing answers, as on a 2G link that stalls).

No sleeps: every wait is for a condition (an element, a state in the page, a row in the database)."""

from __future__ import annotations

import io
import time
from datetime import datetime, time as clock_time, timedelta, timezone

import pytest
from PIL import Image
from piccolo.utils.sync import run_sync
from playwright.sync_api import expect

from conftest import PASSWORD
from photo_files import GPS_IFD, photo_bytes
from server.core.tables import Assessment, Period, Submission, SubmissionPhoto
from server.review.assessments import get_or_create
from server.review.deadlines import VIETNAM, today

FORMS = ["/my/forms/child-participation/1", "/my/forms/commune-annual/1", "/my/forms/play-area/1",
         "/my/forms/satisfaction/1"]
PAGES = ["/my", "/my/submissions", "/my/assessment", *FORMS]
DEADLINE_MS = 5000  # the promise: a collection page shows within 5 s whatever the network does

pytestmark = pytest.mark.browser


def log_in(page, username: str = "collab_a") -> None:
    """Log in through the form, then wait until the phone keeps this user's pages for offline use."""
    page.goto("/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/my")
    page.wait_for_selector("html[data-offline-ready]", timeout=30_000)


def fill_satisfaction(page) -> None:
    """Answer the satisfaction survey screen by screen, as a person taps through it."""
    page.wait_for_selector("#survey fieldset:not([hidden])")
    page.locator("label[for='f-respondent-0']").click()  # a child
    page.locator("label[for='f-age_band-1']").click()
    page.get_by_role("button", name="Tiếp theo").click()
    page.locator("label[for='f-safety-1']").click()
    page.get_by_role("button", name="Tiếp theo").click()
    page.locator("label[for='f-overall-0']").click()


def outbox(page) -> list[dict]:
    return page.evaluate("PhuhopOutbox.items()")


def stored() -> list[dict]:
    return Submission.select(Submission.uuid, Submission.form_id, Submission.author.username.as_alias("author"),
                             Submission.commune.code.as_alias("commune"), Submission.answers).output(
        load_json=True).run_sync()


def wait_for_rows(count: int, timeout: float = 30) -> list[dict]:
    """The phone sends when it finds the server again: poll the database until it has `count` rows."""
    deadline = time.monotonic() + timeout
    while True:
        rows = stored()
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def wait_until(page, condition: str, timeout: float = 30) -> None:
    """Poll a condition in the page (a promise is awaited) until it holds. Playwright's own wait_for_function
    evaluates its predicate with eval, which the pages' Content-Security-Policy forbids."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(condition):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {condition}"
        time.sleep(0.1)


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


# ---------------------------------------------------------------- offline from the first login

def test_every_collection_page_of_the_user_opens_with_the_server_stopped(phone, server, world, tmp_path) -> None:
    log_in(phone)
    server.stop()
    for path in PAGES:  # none of the forms was opened before: the login alone put them on the phone
        phone.goto(path, timeout=DEADLINE_MS)
        assert phone.locator("main h1").first.is_visible(), path
        assert "Không liên lạc được với máy chủ" not in phone.locator("main h1").first.inner_text(), path
        if path in FORMS:
            phone.wait_for_selector("#survey fieldset:not([hidden])", timeout=DEADLINE_MS)
    phone.goto("/my/forms/play-area/1")
    phone.wait_for_selector("#connection[data-server='lost']")
    assert "Không liên lạc được với máy chủ" in phone.locator("#connection").inner_text()
    phone.screenshot(path=str(tmp_path / "offline-play-area.png"), full_page=True)
    phone.goto("/review", timeout=DEADLINE_MS)  # not a collection page: said plainly, not the browser's error
    assert phone.get_by_role("heading", name="Không liên lạc được với máy chủ").is_visible()


def test_a_visited_form_shows_within_5_s_when_the_server_is_frozen(phone, server, world, tmp_path) -> None:
    log_in(phone)
    phone.goto("/my/forms/satisfaction/1")
    phone.wait_for_selector("#connection[data-server='ok']")
    server.freeze()
    for path in ["/my/forms/satisfaction/1", "/my/forms/play-area/1", "/my"]:
        phone.goto(path, timeout=DEADLINE_MS)
        assert phone.locator("main h1").first.is_visible(), path
    phone.goto("/my/forms/satisfaction/1", timeout=DEADLINE_MS)
    phone.wait_for_selector("#survey fieldset:not([hidden])", timeout=DEADLINE_MS)
    # The status line tells the truth: the phone has "a network", but the server does not answer.
    phone.wait_for_selector("#connection[data-server='lost']", timeout=20_000)
    assert phone.evaluate("navigator.onLine")
    phone.screenshot(path=str(tmp_path / "frozen-satisfaction.png"))
    # A page the phone does not keep: after the service worker's patience, a plain answer, not a spinning tab.
    phone.goto("/registration", timeout=30_000)
    assert phone.get_by_role("heading", name="Không liên lạc được với máy chủ").is_visible()
    assert phone.get_by_role("link", name="Thử lại").is_visible()


def test_a_form_sent_offline_survives_a_reload_and_is_stored_once(phone, server, world) -> None:
    log_in(phone)
    server.stop()
    phone.goto("/my/forms/satisfaction/1")
    fill_satisfaction(phone)
    phone.get_by_role("button", name="Gửi phiếu").click()
    phone.wait_for_selector("#outbox li[data-status='queued']")
    assert "sẽ được gửi ngay khi máy chủ trả lời" in phone.locator("#form-status").inner_text()
    phone.reload()  # offline: the page comes from the phone, the form from its outbox
    phone.wait_for_selector("#outbox li[data-status='queued']")
    assert stored() == []

    server.start()
    phone.get_by_role("button", name="Thử gửi lại ngay").click()
    phone.wait_for_selector("#stored li[data-status='stored']", timeout=30_000)
    phone.evaluate("Promise.all([PhuhopOutbox.flush(), PhuhopOutbox.flush()])")  # a double send changes nothing
    items = outbox(phone)
    assert [(item["status"], item["user"], item["commune_code"]) for item in items] == [("stored", "collab_a", "00004")]
    rows = stored()
    assert [(str(row["uuid"]), row["author"], row["commune"]) for row in rows] == [(items[0]["uuid"], "collab_a", "00004")]


def test_a_draft_survives_closing_the_browser_tab_and_says_it_is_a_draft(phone, world) -> None:
    log_in(phone)
    phone.goto("/my/forms/satisfaction/1")
    phone.locator("label[for='f-respondent-1']").click()  # an adult
    phone.locator("label[for='f-age_band-3']").click()
    phone.get_by_role("button", name="Tiếp theo").click()
    wait_until(phone, "PhuhopStore.all('drafts').then(d => d.length === 1 && d[0].step === 1)")
    phone.close()
    again = phone.context.new_page()
    again.goto("/my/forms/satisfaction/1")
    again.wait_for_selector("#draft-notice:not([hidden])")
    assert "Bạn đang điền tiếp phiếu nháp đã lưu lúc" in again.locator("#draft-notice").inner_text()
    assert again.locator("#step").inner_text() == "Bước 2 trên 3"  # back where it was left
    again.get_by_role("button", name="Quay lại").click()
    assert again.locator("#f-respondent-1").is_checked() and not again.locator("#f-respondent-0").is_checked()
    again.once("dialog", lambda dialog: dialog.accept())
    again.get_by_role("button", name="Làm lại từ đầu").click()
    again.wait_for_selector("#draft-notice", state="hidden")
    assert not again.locator("#f-respondent-1").is_checked()
    assert again.evaluate("PhuhopStore.all('drafts')") == []


# ---------------------------------------------------------------- a shared phone

def test_a_shared_phone_never_sends_a_form_in_another_users_session(phone, server, world, tmp_path) -> None:
    """A queues a form while the server cannot be reached and logs out; B (another commune) logs in on the
    same phone: A's form is neither sent in B's session nor filed under B's commune; it goes when A is back."""
    phone.clock.install()  # the page's timers run in real time until the test pauses them
    log_in(phone, "collab_a")
    server.stop()
    phone.goto("/my/forms/satisfaction/1")
    fill_satisfaction(phone)
    phone.get_by_role("button", name="Gửi phiếu").click()
    phone.wait_for_selector("#outbox li[data-status='queued']")
    # From here A's page makes no new try on its own (its timers are held still): when the server answers
    # again, A logs out before the outbox would have found it, as happens when A leaves in a hurry.
    phone.clock.pause_at(int(time.time() * 1000) + 50)
    phone.get_by_role("button", name="Đăng xuất").click()
    phone.wait_for_selector("#logout-warning")
    assert "Còn 1 phiếu chưa gửi" in phone.locator("#logout-warning").inner_text()
    phone.screenshot(path=str(tmp_path / "logout-warning.png"))
    phone.get_by_role("button", name="Ở lại").click()
    assert phone.locator("#logout-warning").count() == 0

    server.start()
    phone.get_by_role("button", name="Đăng xuất").click()
    phone.get_by_role("button", name="Vẫn đăng xuất").click()
    phone.wait_for_selector("#username")
    phone.clock.resume()

    phone.fill("#username", "collab_b")
    phone.fill("#password", PASSWORD)
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.wait_for_url("**/my")
    assert phone.get_by_role("heading", name="Phường Ngọc Hà").is_visible()
    phone.wait_for_selector("html[data-offline-ready]", timeout=30_000)
    phone.wait_for_selector("#others-waiting:not([hidden])")
    assert "1 phiếu của người dùng khác" in phone.locator("#others-waiting").inner_text()
    assert "Không có phiếu nào đang chờ gửi" in phone.locator("#outbox").inner_text()  # B never sees A's form
    phone.evaluate("PhuhopOutbox.flush()")
    server.stop()
    phone.goto("/my/forms/satisfaction/1")  # offline, B gets B's pages, never A's copies
    assert "Phường Ngọc Hà" in phone.locator("main").inner_text()
    server.start()
    phone.evaluate("PhuhopOutbox.flush()")
    assert stored() == []
    assert [item["status"] for item in outbox(phone)] == ["queued"]

    phone.request.post("/logout", headers={"x-csrftoken": next(
        c["value"] for c in phone.context.cookies() if c["name"] == "csrftoken")})
    log_in(phone, "collab_a")
    rows = wait_for_rows(1)
    assert [(row["author"], row["commune"]) for row in rows] == [("collab_a", "00004")]



def test_logging_out_offline_works_at_once_and_the_server_is_told_before_anything_else(
        phone, server, world, tmp_path) -> None:
    """A logs out while the server is down: the phone forgets A's pages at once and says so; when the server
    answers again, the logout reaches it before any other request, so the next person gets the login page
    (not A's commune, not A's session). A's unsent form stays on the phone, for A."""
    log_in(phone, "collab_a")
    server.stop()
    phone.goto("/my/forms/satisfaction/1")
    fill_satisfaction(phone)
    phone.get_by_role("button", name="Gửi phiếu").click()
    phone.wait_for_selector("#outbox li[data-status='queued']")
    phone.goto("/my", timeout=DEADLINE_MS)
    assert phone.get_by_role("heading", name="Phường Ba Đình").is_visible()
    phone.get_by_role("button", name="Đăng xuất").click()
    phone.get_by_role("button", name="Vẫn đăng xuất").click()
    phone.wait_for_selector("#logged-out-offline", timeout=DEADLINE_MS + 2000)
    said = phone.locator("main").inner_text()
    assert "Bạn đã đăng xuất trên điện thoại này" in said and "ngay khi máy chủ trả lời lại" in said
    phone.screenshot(path=str(tmp_path / "logged-out-offline.png"), full_page=True)
    no_sideways_scroll(phone)
    assert phone.evaluate("caches.keys()").count("phuhop-pages-collab_a") == 0
    phone.go_back()  # the page A left: not shown again
    assert "Phường Ba Đình" not in phone.locator("body").inner_text()
    for path in ["/my", "/my/forms/satisfaction/1"]:  # the next person, still offline: none of A's pages
        phone.goto(path, timeout=DEADLINE_MS)
        assert "Phường Ba Đình" not in phone.locator("body").inner_text(), path
        assert phone.get_by_role("heading", name="Không liên lạc được với máy chủ").is_visible(), path

    server.start()
    phone.goto("/")  # the first request once the server is back: the logout goes before it
    phone.wait_for_selector("#username")
    assert "Phường Ba Đình" not in phone.locator("body").inner_text()
    assert phone.evaluate("fetch('/api/me').then(r => r.status)") == 401
    phone.fill("#username", "collab_b")
    phone.fill("#password", PASSWORD)
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.wait_for_url("**/my")
    assert phone.get_by_role("heading", name="Phường Ngọc Hà").is_visible()
    phone.wait_for_selector("#others-waiting:not([hidden])")  # A's form waits for A, and only for A
    assert [(item["user"], item["status"]) for item in outbox(phone)] == [("collab_a", "queued")]
    assert stored() == []


# ---------------------------------------------------------------- photos

def test_a_photo_taken_offline_arrives_once_with_its_submission_small_and_without_location(
        phone, server, world, tmp_path) -> None:
    camera = tmp_path / "IMG_20260301_101500.jpg"
    camera.write_bytes(photo_bytes(3000, 2000, gps=True, noise=True))
    assert len(camera.read_bytes()) > 1_000_000
    phone.context.grant_permissions(["geolocation"])
    phone.context.set_geolocation({"latitude": 21.0333, "longitude": 105.8333, "accuracy": 8})
    log_in(phone)
    server.stop()
    phone.goto("/my/forms/play-area/1")
    phone.wait_for_selector("#survey fieldset:not([hidden])")
    phone.fill("#f-place_name", "Sân chơi nhà văn hóa thôn 3")
    phone.locator("label[for='f-kind-0']").click()
    phone.get_by_role("button", name="Dùng vị trí của tôi").click()
    expect(phone.locator("#f-location")).not_to_have_value("")
    phone.get_by_role("button", name="Tiếp theo").click()
    phone.locator("label[for='f-opening-0']").click()
    phone.locator("label[for='f-adult_present-0']").click()
    phone.get_by_role("button", name="Tiếp theo").click()
    for choice in ("equipment_condition-0", "hazards-4", "fenced-0", "shade-0", "toilets-0", "disability_access-0"):
        phone.locator(f"label[for='f-{choice}']").click()
    phone.get_by_role("button", name="Tiếp theo").click()
    phone.set_input_files("#f-photo", str(camera))
    phone.wait_for_selector("#f-photo-preview:not([hidden])", timeout=30_000)
    assert "Ảnh đã được lưu trên điện thoại (1600 × 1067" in phone.locator("#f-photo-info").inner_text()
    phone.screenshot(path=str(tmp_path / "photo-offline.png"), full_page=True)
    phone.get_by_role("button", name="Gửi phiếu").click()
    phone.wait_for_selector("#outbox li[data-status='queued']")
    [kept] = phone.evaluate("PhuhopStore.all('photos').then(p => p.map(x => ({name: x.name, size: x.blob.size})))")
    assert kept["name"] == "photo.jpg" and kept["size"] <= 300 * 1024

    server.start()
    phone.get_by_role("button", name="Thử gửi lại ngay").click()
    phone.wait_for_selector("#stored li[data-status='stored']", timeout=60_000)
    phone.evaluate("PhuhopOutbox.flush()")
    [row] = stored()
    assert row["answers"]["photo"] == "photo.jpg" and row["answers"]["location"]["lat"] == pytest.approx(21.0333)
    [photo] = SubmissionPhoto.select().run_sync()
    assert photo["original_name"] == camera.name and photo["size"] <= 300 * 1024
    assert (photo["width"], photo["height"], photo["content_type"]) == (1600, 1067, "image/jpeg")
    from server.collection.photos import folder_of

    picture = Image.open(io.BytesIO((folder_of(row["uuid"]) / photo["stored_name"]).read_bytes()))
    exif = picture.getexif()
    assert not exif.get_ifd(GPS_IFD) and 0x0110 not in exif  # no location, no camera model
    assert phone.evaluate("PhuhopStore.all('photos')") == []  # the phone let go of the file once it was stored


# ---------------------------------------------------------------- the form guides

def test_the_form_guides_in_words_and_clears_a_message_once_the_answer_is_right(phone, world) -> None:
    phone.context.grant_permissions(["geolocation"])
    phone.context.set_geolocation({"latitude": 21.0333, "longitude": 105.8333, "accuracy": 8})
    log_in(phone)
    phone.goto("/my/forms/play-area/1")
    phone.wait_for_selector("#survey fieldset:not([hidden])")
    assert phone.get_by_role("button", name="Tiếp theo").is_visible()
    assert not phone.get_by_role("button", name="Quay lại").is_visible()  # nothing before the first step
    assert phone.locator("#f-location").get_attribute("placeholder") == "Vĩ độ"
    assert phone.locator("#f-location-lon").get_attribute("placeholder") == "Kinh độ"
    hint = phone.locator("[data-key='location'] .hint").inner_text()
    assert "«Dùng vị trí của tôi»" in hint and phone.get_by_role("button", name="Dùng vị trí của tôi").is_visible()

    phone.get_by_role("button", name="Tiếp theo").click()  # nothing answered: the messages stay on this step
    error = phone.locator("[data-key='location'] .field-error")
    assert error.inner_text() == "Câu hỏi này cần được trả lời."
    assert phone.locator("#form-status").inner_text() == "Vui lòng sửa các câu trả lời được đánh dấu màu đỏ."
    phone.get_by_role("button", name="Dùng vị trí của tôi").click()
    expect(phone.locator("[data-key='location'] .field-error")).to_have_text("")
    phone.fill("#f-area_m2", "abc")
    assert phone.locator("[data-key='area_m2'] .field-error").inner_text() == ""  # only shown ones are rechecked
    phone.fill("#f-area_m2", "350,5")
    phone.fill("#f-place_name", "Sân chơi thôn 3")
    phone.locator("label[for='f-kind-0']").click()
    assert phone.locator("#form-status").inner_text() == ""  # every message is gone, so is the summary
    phone.get_by_role("button", name="Tiếp theo").click()
    assert phone.locator("#step").inner_text() == "Bước 2 trên 4"
    phone.get_by_role("button", name="Tiếp theo").click()
    assert phone.locator("#form-status").inner_text() != ""
    phone.get_by_role("button", name="Quay lại").click()  # another step: the summary does not follow
    assert phone.locator("#form-status").inner_text() == ""
    phone.get_by_role("button", name="Tiếp theo").click()
    phone.locator("label[for='f-opening-0']").click()
    phone.locator("label[for='f-adult_present-0']").click()
    phone.get_by_role("button", name="Tiếp theo").click()
    assert phone.locator("#step").inner_text() == "Bước 3 trên 4"
    no_sideways_scroll(phone)

    # A whole number: 3.5 says so in words; "1.559" is one thousand five hundred and fifty-nine.
    phone.goto("/my/forms/commune-annual/1")
    phone.wait_for_selector("#survey fieldset:not([hidden])")
    phone.fill("#f-period_year", "2026")
    phone.fill("#f-children_total", "3,5")
    phone.get_by_role("button", name="Tiếp theo").click()
    whole = "Nhập một số nguyên, chỉ dùng các chữ số 0–9."
    assert phone.locator("[data-key='children_total'] .field-error").inner_text() == whole
    # A filled box is never "needs an answer": what it holds is said, the same way the server says it.
    for typed in ["²", "1e3", "１２", "0x10"]:
        phone.fill("#f-children_total", typed)
        assert phone.locator("[data-key='children_total'] .field-error").inner_text() == whole, typed
    phone.fill("#f-children_total", "1" + "0" * 5000)
    assert phone.locator("[data-key='children_total'] .field-error").inner_text() == "Số quá lớn."
    phone.fill("#f-children_total", "1.559")
    assert phone.locator("[data-key='children_total'] .field-error").inner_text() == ""
    assert phone.evaluate("PhuhopStore.get('drafts', 'collab_a:commune-annual:1')")["answers"]["children_total"] == 1559

    # A date is of the period's span and has already happened: the phone says so as the server would.
    phone.goto("/my/forms/child-participation/1")
    phone.wait_for_selector("#survey fieldset:not([hidden])")
    today_here = phone.evaluate("new Date().toLocaleDateString('en-GB')")  # the phone's own today, dd/mm/yyyy
    for day in ["0001-01-01", "2099-12-31"]:
        phone.fill("#f-activity_date", day)
        phone.get_by_role("button", name="Tiếp theo").click()
        assert phone.locator("[data-key='activity_date'] .field-error").inner_text() == \
            f"Nhập một ngày từ 01/01/2025 đến {today_here}.", day
    assert phone.locator("#f-activity_date").get_attribute("max") == phone.evaluate(
        "new Date().toLocaleDateString('sv')")  # the date picker stops at today

    # The last step has no dead "next": it sends.
    phone.goto("/my/forms/satisfaction/1")
    fill_satisfaction(phone)
    assert not phone.get_by_role("button", name="Tiếp theo").is_visible()
    assert phone.get_by_role("button", name="Gửi phiếu").is_visible()


def test_a_refused_submission_is_corrected_in_the_form_and_accepted(phone, world) -> None:
    """A form queued by an older copy of the page, that the server refuses: it opens back in the form with
    the message beside its field, in the form's own words; once corrected it is accepted."""
    log_in(phone)
    phone.goto("/my/forms/satisfaction/1")
    phone.wait_for_selector("#survey fieldset:not([hidden])")
    phone.evaluate("""PhuhopOutbox.enqueue({form_id: "satisfaction", form_version: 1, title: "Khảo sát sự hài lòng",
        label: "", photos: [], answers: {respondent: "child", age_band: "age_30_59", overall: "satisfied"}})""")
    phone.wait_for_selector("#outbox li[data-status='rejected']", timeout=30_000)
    refused = phone.locator("#outbox li[data-status='rejected']").inner_text()
    assert "answers." not in refused and "age_band" not in refused  # no raw keys
    phone.get_by_role("link", name="Sửa phiếu").click()
    phone.wait_for_selector("[data-key='age_band'].invalid")
    assert phone.locator("[data-key='age_band'] .field-error").inner_text().startswith("Độ tuổi không khớp với người trả lời")
    assert "Máy chủ không nhận phiếu này" in phone.locator("#form-status").inner_text()
    phone.locator("label[for='f-age_band-1']").click()
    assert phone.locator("[data-key='age_band'] .field-error").inner_text() == ""
    phone.get_by_role("button", name="Tiếp theo").click()
    phone.get_by_role("button", name="Tiếp theo").click()
    phone.get_by_role("button", name="Gửi phiếu").click()
    phone.wait_for_selector("#stored li[data-status='stored']", timeout=30_000)
    [row] = stored()
    assert row["answers"]["age_band"] == "age_11_15"
    assert [item["status"] for item in outbox(phone)] == ["stored"]



def test_a_refusal_not_about_the_answers_says_why_and_the_form_goes_again_once_resolved(
        phone, server, world, tmp_path) -> None:
    """The period closed two days ago. A form completed on the phone on the closing day (its clock) that
    reaches the server now is taken (the grace days); one completed today is refused: the list says why in
    the server's words, offers to send it again (not to correct answers that are fine), and it goes once the
    reviewer gave the commune more time."""
    closing = today() - timedelta(days=2)
    Period.update({Period.closes_on: closing.isoformat()}).where(Period.id == world["period"].id).run_sync()
    phone.clock.install(time=datetime.combine(closing, clock_time(20), tzinfo=VIETNAM))
    log_in(phone)
    phone.goto("/my/forms/satisfaction/1")
    fill_satisfaction(phone)
    phone.get_by_role("button", name="Gửi phiếu").click()
    phone.wait_for_selector("#stored li[data-status='stored']", timeout=30_000)

    phone.clock.set_system_time(datetime.now(timezone.utc))
    phone.goto("/my/forms/satisfaction/1")
    fill_satisfaction(phone)
    phone.get_by_role("button", name="Gửi phiếu").click()
    phone.wait_for_selector("#outbox li[data-status='rejected']", timeout=30_000)
    phone.goto("/my/submissions")
    refused = phone.locator("#outbox li[data-status='rejected']")
    said = refused.inner_text()
    assert f"Kỳ đánh giá đã hết hạn nhận phiếu từ ngày {closing.strftime('%d/%m/%Y')}" in said, said
    assert "gia hạn cho xã" in said and "Dữ liệu gửi lên có lỗi" not in said
    assert refused.get_by_role("link", name="Sửa phiếu").count() == 0
    phone.screenshot(path=str(tmp_path / "refused-period-closed.png"), full_page=True)
    no_sideways_scroll(phone)
    uuid = refused.get_attribute("data-uuid")
    phone.goto(f"/my/forms/satisfaction/1?edit={uuid}")  # opened anyway: no red fields to look for
    phone.wait_for_selector("#survey fieldset:not([hidden])")
    said = phone.locator("#form-status").inner_text()
    assert "Kỳ đánh giá đã hết hạn" in said and "Không cần sửa câu trả lời nào" in said
    assert "đánh dấu" not in said and phone.locator(".field.invalid").count() == 0

    extended = (today() + timedelta(days=3)).isoformat()  # what a reviewer's extension writes
    row = run_sync(get_or_create(world["period"], world["commune_a"]))  # Playwright's loop runs in this thread
    Assessment.update({Assessment.extended_until: extended}).where(Assessment.id == row.id).run_sync()
    phone.goto("/my/submissions")
    phone.get_by_role("button", name="Gửi lại").click()
    phone.wait_for_selector("#outbox li[data-status]", state="detached", timeout=30_000)  # nothing waits
    assert sorted(item["status"] for item in outbox(phone)) == ["stored", "stored"]
    assert len(stored()) == 2


# ---------------------------------------------------------------- lists, favicon, layout

def test_my_submissions_keeps_waiting_and_stored_apart_and_says_what_each_one_is(phone, server, world, tmp_path) -> None:
    log_in(phone)
    response = phone.request.get("/favicon.ico")
    assert response.status == 200 and response.headers["content-type"] == "image/x-icon"
    phone.goto("/my/forms/satisfaction/1")
    fill_satisfaction(phone)
    phone.get_by_role("button", name="Gửi phiếu").click()
    phone.wait_for_selector("#stored li[data-status='stored']", timeout=30_000)
    server.stop()
    phone.goto("/my/forms/satisfaction/1")
    fill_satisfaction(phone)
    phone.get_by_role("button", name="Gửi phiếu").click()
    phone.wait_for_selector("#outbox li[data-status='queued']")
    phone.goto("/my/submissions")
    phone.wait_for_selector("#outbox li[data-status='queued']")  # the lists are drawn from IndexedDB after load
    waiting = phone.locator("#outbox li[data-status='queued']")
    done = phone.locator("#stored li[data-status='stored']")
    assert waiting.count() == 1 and done.count() == 1
    assert "Trẻ em (dưới 16 tuổi) · 11–15 tuổi" in waiting.inner_text()
    assert "Trẻ em (dưới 16 tuổi) · 11–15 tuổi" in done.inner_text() and "Đã lưu trên máy chủ" in done.inner_text()
    phone.screenshot(path=str(tmp_path / "my-submissions.png"), full_page=True)
    for path in [*PAGES, "/offline", "/public"]:
        phone.goto(path)
        no_sideways_scroll(phone)


def test_a_new_form_version_reaches_the_phone_at_its_next_online_visit(phone, server, world, tmp_path,
                                                                        monkeypatch) -> None:
    """A release that publishes play-area v2: at the next online visit the phone keeps v2 (and no longer v1),
    and the previous release's caches are gone."""
    import shutil

    from forms.hashes import publish_hashes
    from forms.loader import DEFINITIONS_DIR

    log_in(phone)
    first = phone.evaluate("caches.keys()")
    server.stop()
    definitions = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS_DIR, definitions)
    draft = definitions / "play-area" / "v2.yaml"
    draft.write_text(draft.read_text().replace("status: draft", "status: published", 1))
    publish_hashes(definitions)
    monkeypatch.setenv("PHUHOP_FORMS_DIR", str(definitions))
    server.start()
    phone.goto("/my")
    wait_until(phone, "caches.match('/my/forms/play-area/2').then(hit => !!hit)")
    wait_until(phone, "caches.match('/my/forms/play-area/1').then(hit => !hit)")
    assert phone.get_by_role("link", name="Điểm vui chơi cho trẻ em").get_attribute("href") == "/my/forms/play-area/2"
    wait_until(phone, f"caches.keys().then(names => !names.includes({next(n for n in first if 'static' in n)!r}))")
    server.stop()
    phone.goto("/my/forms/play-area/2", timeout=DEADLINE_MS)
    phone.wait_for_selector("#survey fieldset:not([hidden])")
    assert "phiên bản 2" in phone.locator("main").inner_text()


def test_sending_the_assessment_without_the_server_keeps_the_page_and_says_nothing_was_sent(phone, server, world) -> None:
    """The send is a question for the server: without it the page stays, with the message typed, and says so."""
    from server.core.tables import Assessment

    log_in(phone)
    phone.goto("/my/forms/satisfaction/1")
    fill_satisfaction(phone)
    phone.get_by_role("button", name="Gửi phiếu").click()
    phone.wait_for_selector("#stored li[data-status='stored']", timeout=30_000)
    phone.goto("/my/assessment")
    phone.fill("#comment", "Xã đã gửi phiếu khảo sát, phiếu số liệu năm gửi sau")
    if phone.locator("#confirm_incomplete").count():
        phone.locator("label[for='confirm_incomplete']").click()
    server.stop()
    phone.locator("#send-form button[type='submit']").click()
    phone.wait_for_selector("#send-form .not-sent", timeout=DEADLINE_MS * 3)
    assert "hồ sơ chưa được gửi" in phone.locator("#send-form .not-sent").inner_text()
    assert phone.url.endswith("/my/assessment")
    assert phone.input_value("#comment") == "Xã đã gửi phiếu khảo sát, phiếu số liệu năm gửi sau"
    server.start()
    phone.locator("#send-form button[type='submit']").click()
    phone.wait_for_load_state()
    deadline = time.monotonic() + 30
    mine = Assessment.commune == world["commune_a"].id
    while Assessment.select(Assessment.state).where(mine).first().run_sync()["state"] != "submitted":
        assert time.monotonic() < deadline
        time.sleep(0.2)
