"""One reviewer's correction and approval in headless Chromium, through the real pages of a live server."""

from __future__ import annotations

import asyncio
import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import CHROMIUM, PASSWORD
from test_review_workflow import FORMS, expected_indicators

from scoring import load_rules, score
from server.collection import submissions
from server.review import assessments
from server.core.tables import Assessment, Correction, User

pytestmark = pytest.mark.browser


@pytest.fixture()
def sent(world: dict) -> dict:
    """collab_a's forms, stored and sent for review by the same services the HTTP handlers call.

    Runs before the browser starts: Playwright's sync API keeps an event loop running in this thread.
    """
    async def run() -> None:
        user = await User.objects(User.unit).where(User.username == "collab_a").first().run()
        for form_id, version, answers in FORMS:
            await submissions.submit(user, uuid=uuid.uuid4(), form_id=form_id, form_version=version, answers=answers)
        period = await assessments.get_period(world["period"].id)
        ctx = await assessments.load(period, user.unit, user)
        await assessments.change_state(ctx, "send", user, ctx.assessment.version)
    asyncio.run(run())
    return world


def _in_thread(coroutine_function):
    """Run a database check outside the thread whose event loop Playwright occupies."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(coroutine_function())).result()


@pytest.fixture()
def desk(live_server: str):
    """Chromium at a reviewer's desktop width."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN", base_url=live_server)
        page = context.new_page()
        yield page
        context.close()
        browser.close()


def test_a_reviewer_corrects_a_value_and_approves_in_the_browser(sent, desk) -> None:
    world = sent
    reported = expected_indicators()
    corrected = score(load_rules("vn-2019"), "other", {**reported, "c1_budget_allocated": True})
    assert reported["c1_budget_allocated"] is False

    page = desk
    page.goto("/login")
    page.fill("#username", "reviewer_x")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.goto("/review")
    page.click(f"text={world['commune_a'].name}")
    page.wait_for_selector("#correct-form")

    page.select_option("#indicator", "c1_budget_allocated")
    page.fill("#value", "yes")
    page.fill("#reason", "Có quyết định phân bổ kinh phí số 12/QĐ-UBND")
    page.click("#correct-form button[type=submit]")
    page.wait_for_selector("#corrections")
    assert page.inner_text("#total").replace(".", "").replace(",", "") == str(corrected.total)
    history = page.inner_text("#corrections")
    assert "Có quyết định phân bổ kinh phí số 12/QĐ-UBND" in history and "reviewer_x" in history

    before_approval = page.inner_text("#state")
    page.click("#action-approve button[type=submit]")
    page.wait_for_url("**done=approve")
    assert page.inner_text("#state") != before_approval
    assert not page.query_selector("#correct-form")  # approved data needs a reopen first

    async def stored() -> tuple[str, int]:
        row = await Assessment.objects().where(Assessment.commune == world["commune_a"].id).first().run()
        return row.state, await Correction.count().run()
    assert _in_thread(stored) == ("approved", 1)
