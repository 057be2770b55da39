"""Two administrators enter, check, preview and apply the official table in headless Chromium at 1366×900,
through the real pages of a live server; the first cannot check their own draft."""

from __future__ import annotations

import asyncio
import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import CHROMIUM, PASSWORD
from test_review_workflow import FORMS
from test_rules_versions import edited_table

from server.accounts.users import create_user
from server.collection import submissions
from server.core.tables import Period, RuleVersion, Score, User
from server.review import assessments

pytestmark = pytest.mark.browser
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture()
def ready(world: dict, tmp_path) -> dict:
    """A second admin, and commune A's forms sent for review (840 points: criterion 13 at 0)."""
    async def run() -> None:
        await create_user("admin2", PASSWORD, "admin", display_name="Trần Thị Kiểm")
        user = await User.objects(User.unit).where(User.username == "collab_a").first().run()
        for form_id, version, answers in FORMS:
            await submissions.submit(user, uuid=uuid.uuid4(), form_id=form_id, form_version=version, answers=answers)
        period = await assessments.get_period(world["period"].id)
        ctx = await assessments.load(period, user.unit, user)
        await assessments.change_state(ctx, "send", user, ctx.assessment.version)
    asyncio.run(run())
    world["table"] = edited_table(tmp_path, **{"13_1:3": 10})  # the lowest band of 13.1 earns 10, not 0
    return world


def _in_thread(query):
    """A database read outside the thread whose event loop Playwright occupies."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(query.run())).result()


@pytest.fixture()
def browser(live_server: str):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield lambda: launched.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN",
                                           base_url=live_server).new_page()
        launched.close()


def _login(page, username: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/review**")


def test_enter_then_a_second_admin_checks_previews_and_applies(ready, browser, tmp_path) -> None:
    period_id = ready["period"].id
    first = browser()
    _login(first, "admin")
    first.goto("/admin/rules")
    first.set_input_files("#file", str(ready["table"]))
    first.fill("#note", "Phụ lục Quyết định 06/QĐ-TTg, bản giấy của Sở")
    first.click("#upload-form button[type=submit]")
    first.wait_for_url("**/admin/rules/*?done=created")
    draft_url = first.url.split("?")[0]
    first.screenshot(path=str(tmp_path / "1-draft-entered.png"), full_page=True)
    assert "13.1" in first.inner_text("#changes")
    assert first.locator("#changes form.check-form").count() == 0  # its author is not offered the check
    refused = first.request.post(f"{draft_url}/check", form={
        "item": "line:13.1", "document_number": "06/QĐ-TTg", "document_date": "2019-01-03", "page": "12"},
        headers={"x-csrftoken": next(c["value"] for c in first.context.cookies() if c["name"] == "csrftoken")})
    assert refused.status == 403

    second = browser()
    _login(second, "admin2")
    second.goto(draft_url)
    row = second.locator("tr[id='item-line:13.1']")
    row.locator("input[name=document_number]").fill("06/QĐ-TTg")
    row.locator("input[name=document_date]").fill("2019-01-03")
    row.locator("input[name=page]").fill("12")
    row.locator("button[type=submit]").click()
    second.wait_for_url("**done=checked*")
    assert "Trần Thị Kiểm" in second.inner_text("tr[id='item-line:13.1']")
    second.screenshot(path=str(tmp_path / "2-checked.png"), full_page=True)
    second.click("#publish-form button")
    second.wait_for_url("**done=published")
    assert second.inner_text("#state") == "Đã ban hành"

    second.click(f"#periods a[href$='/whatif/{period_id}']")
    second.wait_for_selector("#whatif")
    second.screenshot(path=str(tmp_path / "3-preview.png"), full_page=True)
    changed = second.locator("#whatif tr.changed-status")
    assert changed.count() == 1 and "00004" in changed.get_attribute("data-code")
    assert "13: 0 → 10" in changed.inner_text() and "Tiêu chí 13" in changed.inner_text()
    with second.expect_download() as download:
        second.click("#whatif-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")

    second.fill("#reason", "Áp dụng biểu điểm chính thức")
    second.click("#apply-form button")
    second.wait_for_selector("#applied")
    second.screenshot(path=str(tmp_path / "4-applied.png"), full_page=True)
    version = _in_thread(RuleVersion.objects().where(RuleVersion.state == "published").order_by(
        RuleVersion.id, ascending=False).first())
    assert _in_thread(Period.objects().where(Period.id == period_id).first()).rule_version == version.version
    latest = _in_thread(Score.objects().order_by(Score.id, ascending=False).first())
    assert (latest.rules_version, latest.total, latest.certified) == (version.version, 850, True)
    for shot in ("1-draft-entered", "2-checked", "3-preview", "4-applied"):
        assert (tmp_path / f"{shot}.png").stat().st_size > 10_000
