"""A collaborator on a phone: headless Chromium at 360 px against a real `phuhop serve`."""

from __future__ import annotations

import pytest

from conftest import PASSWORD
from server.core.tables import Submission

pytestmark = pytest.mark.browser


def log_in(page, username: str = "collab_a") -> None:
    page.goto("/")
    assert page.get_by_role("heading", name="Đăng nhập").is_visible()
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/my")


def fill_satisfaction(page) -> None:
    """Answer the satisfaction survey screen by screen, as a person taps through it."""
    page.locator("label[for='f-respondent-0']").click()  # a child
    page.locator("label[for='f-age_band-1']").click()
    page.locator("button.nav", has_text="›").click()
    page.locator("label[for='f-safety-1']").click()
    page.locator("button.nav", has_text="›").click()
    page.locator("label[for='f-overall-0']").click()


def test_a_collaborator_fills_a_form_in_vietnamese_and_sees_it_stored(phone, world) -> None:
    log_in(phone)
    assert phone.get_by_role("heading", name="Phường Ba Đình").is_visible()
    phone.get_by_role("link", name="Khảo sát sự hài lòng").click()
    phone.wait_for_selector("#survey fieldset")
    phone.locator("#submit").click()  # nothing answered yet: the phone says what is missing
    assert "Câu hỏi này cần được trả lời." in phone.locator("[data-key='respondent'] .field-error").inner_text()
    assert Submission.count().run_sync() == 0

    fill_satisfaction(phone)
    phone.locator("#submit").click()
    phone.wait_for_selector("#outbox li[data-status='stored']", timeout=10_000)
    assert "Đã lưu trên máy chủ" in phone.locator("#outbox li").first.inner_text()
    assert Submission.count().run_sync() == 1
    row = Submission.objects().first().output(load_json=True).run_sync()
    assert row.form_id == "satisfaction" and row.answers["respondent"] == "child" and row.source == "api"

    phone.goto("/my/submissions")
    assert "Khảo sát sự hài lòng" in phone.locator("main").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling


def test_a_form_sent_offline_survives_a_reload_and_is_stored_once(phone, server, world) -> None:
    log_in(phone)
    phone.goto("/my/forms/satisfaction/1")
    phone.evaluate("navigator.serviceWorker.ready.then(() => true)")
    phone.reload()  # now served through the service worker, which keeps a copy of the page
    phone.wait_for_selector("#survey fieldset")
    go_offline(phone, server)
    fill_satisfaction(phone)
    phone.locator("#submit").click()
    phone.wait_for_selector("#outbox li[data-status='queued']")
    assert "Phiếu sẽ được gửi ngay khi có kết nối mạng" in phone.locator("#connection").inner_text()
    assert phone.evaluate("document.body.classList.contains('offline')")

    phone.reload()  # offline: the page comes from the phone, the answers from its outbox
    phone.wait_for_selector("#outbox li[data-status='queued']")
    assert "Mất kết nối mạng" in phone.locator("#connection").inner_text()
    assert Submission.count().run_sync() == 0

    server.start()
    phone.context.set_offline(False)
    phone.wait_for_selector("#outbox li[data-status='stored']", timeout=15_000)
    phone.evaluate("Promise.all([PhuhopOutbox.flush(), PhuhopOutbox.flush()])")  # a double send changes nothing
    uuids = phone.evaluate("PhuhopOutbox.items().map(item => item.uuid)")
    assert len(uuids) == 1
    assert [str(row["uuid"]) for row in Submission.select(Submission.uuid).run_sync()] == uuids


def go_offline(page, server) -> None:
    """The phone loses its network: the browser says so to the page, and the server is really out of reach
    (Chromium's emulated offline mode lets the service worker's own requests through)."""
    page.context.set_offline(True)
    server.stop()


def test_a_draft_survives_closing_the_browser_tab(phone, world) -> None:
    log_in(phone)
    phone.goto("/my/forms/satisfaction/1")
    phone.locator("label[for='f-respondent-1']").click()  # an adult
    phone.close()
    again = phone.context.new_page()
    again.goto("/my/forms/satisfaction/1")
    again.wait_for_selector("#survey fieldset")
    assert again.locator("#f-respondent-1").is_checked()
    assert not again.locator("#f-respondent-0").is_checked()
