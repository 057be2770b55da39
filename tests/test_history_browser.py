"""The progress page in real Chromium through a live server, at a phone's 360 × 740 and a laptop's 1366 × 900:
the chart made for the width is chosen, its smallest text is at least 12 CSS px, nothing overflows sideways,
and a reviewer follows a commune from the list to its history across the merger."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import CHROMIUM, PASSWORD
from test_history_pages import bac_ninh  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(os.environ.get("PHUHOP_SCREENSHOTS", "/tmp/phuhop-screenshots"))
SMALLEST_TEXT_POINTS = 12
DPI = {"phone": 150, "wide": 100}


@pytest.fixture()
def browser(bac_ninh, live_server: str):  # noqa: F811
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's `chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield chromium, live_server
        chromium.close()


def chart_facts(page) -> dict:
    return page.evaluate("""() => {
        const img = document.querySelector('.progress-figure img');
        return {src: img.currentSrc, natural: img.naturalWidth, shown: img.clientWidth,
                overflow: document.documentElement.scrollWidth - window.innerWidth};
    }""")


@pytest.mark.parametrize("size, layout", [((360, 740), "phone"), ((1366, 900), "wide")])
def test_progress_page_is_readable_at_the_users_screen_size(browser, size, layout) -> None:
    chromium, base = browser
    context = chromium.new_context(viewport={"width": size[0], "height": size[1]}, locale="vi-VN", base_url=base,
                                   is_mobile=size[0] < 500, has_touch=size[0] < 500)
    page = context.new_page()
    page.goto("/public/progress?area=24")
    page.wait_for_function("document.querySelector('.progress-figure img').complete "
                           "&& document.querySelector('.progress-figure img').naturalWidth > 0")
    facts = chart_facts(page)
    assert f"layout={layout}" in facts["src"]
    assert facts["overflow"] <= 0, facts
    smallest_css_px = SMALLEST_TEXT_POINTS * DPI[layout] / 72 * facts["shown"] / facts["natural"]
    assert smallest_css_px >= 12, facts
    assert page.get_by_role("heading", level=1).inner_text().startswith(("Tiến độ", "Progress"))
    assert page.locator("table.progress-table").get_by_text("2026").first.is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"progress-{size[0]}x{size[1]}.png"), full_page=True)
    context.close()


def test_a_reviewer_follows_a_commune_from_the_progress_page_to_its_history(browser, bac_ninh) -> None:  # noqa: F811
    chromium, base = browser
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN", base_url=base)
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto("/progress?area=24&set=2025")
    failing = bac_ninh["failing"][0]
    page.click(f'a[href="/progress/communes/2025/{failing.code}"]')
    assert page.get_by_role("heading", level=1).inner_text() == failing.name
    assert page.locator("h2").first.inner_text()  # former communes or successors
    page.screenshot(path=str(SCREENSHOTS / "commune-history-1366x900.png"), full_page=True)
    context.close()
