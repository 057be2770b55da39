"""A reviewer sees what the commune sent: every submission of the period grouped by form, each one
read-only with the form's labels, its point on a small map, its photo and its remarks; and each
scored line links to where its value came from. Photos and maps are for the area's reviewers only."""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import CHROMIUM, PASSWORD, login
from page_text import read
from photo_files import photo_bytes
from test_forms_derive import PLACE_V1
from test_forms_validate import ANNUAL_OK

from forms.indicators import INDICATORS
from server.collection import photos, submissions
from server.core.tables import User

PLACE = {**PLACE_V1, "place_name": "Sân chơi nhà văn hóa thôn 3", "photo": "san-choi-thon-3.png",
         "remarks": "Cầu trượt bị gãy tay vịn.\nĐã báo trưởng thôn."}


PHOTO = photo_bytes(kind="PNG")


def send(world: dict, forms: list[tuple[str, int, dict]], with_photos: bool = True) -> list[str]:
    """collab_a's submissions through the real services, oldest first, each play area's photo kept by the
    photos service as the phone's upload would be."""
    async def run() -> list[str]:
        user = await User.objects(User.unit).where(User.username == "collab_a").first().run()
        made = []
        for form_id, version, answers in forms:
            stored = await submissions.submit(user, uuid=uuid.uuid4(), form_id=form_id, form_version=version,
                                              answers=answers)
            if answers.get("photo") and with_photos:
                await photos.keep(stored.submission, [photos.check(answers["photo"], "IMG_0042.png", PHOTO)],
                                  user=user, source="web")
            made.append(str(stored.submission.uuid))
        return made
    return asyncio.run(run())


@pytest.fixture()
def sent(world: dict) -> dict:
    keys = send(world, [("commune-annual", 1, {**ANNUAL_OK, "c2_births_total": 100}),
                        ("commune-annual", 1, ANNUAL_OK), ("play-area", 1, PLACE)])
    return {**world, "old_annual": keys[0], "annual": keys[1], "place": keys[2]}


def test_the_commune_page_lists_what_was_sent_and_links_each_scored_line_to_its_source(client, sent) -> None:
    login(client, "reviewer_x")
    page = client.get(f"/review/{sent['period'].id}/00004").text
    prose = read(page)[0]
    assert "Phiếu xã đã gửi" in prose and "Số liệu hằng năm của xã" in prose
    assert "Sân chơi nhà văn hóa thôn 3 · Sân chơi, khu vui chơi" in prose  # what identifies a play area
    assert "Được thay thế bằng phiếu số liệu năm gửi sau: không được tính" in prose  # the older annual form
    # Line 2.1 (births registered) comes from the latest annual form, at its field; 12.1 from the play area.
    assert f'href="/review/submissions/{sent["annual"]}#f-c2_births_total"' in page
    assert f'href="/review/submissions/{sent["annual"]}#f-c2_births_registered"' in page
    assert f'href="/review/submissions/{sent["place"]}"' in page
    assert f'/review/submissions/{sent["old_annual"]}#' not in page  # replaced: not a source


def test_a_submission_reads_as_the_form_asks_it_with_map_photo_and_remarks(client, sent) -> None:
    login(client, "reviewer_x")
    url = f"/review/submissions/{sent['place']}"
    page = client.get(url)
    assert page.status_code == 200
    prose = read(page.text)[0]
    for text in ("Điểm vui chơi cho trẻ em", "Tên điểm vui chơi", "Sân chơi nhà văn hóa thôn 3",
                 "Gần điểm vui chơi có nguy cơ nào?", "Ao, hồ, sông, suối, kênh mương",  # a choice's label
                 "Cũ, xuống cấp nhưng dùng được", "16 giờ – 19 giờ", "21,590000, 105,840000",
                 "Cầu trượt bị gãy tay vịn. Đã báo trưởng thôn.", "Ghi chú thêm", "Phường Ba Đình"):
        assert text in prose, text
    assert not re.search(r"\b(open_water|worn|playground|every_day|place_name)\b", prose)  # no keys
    assert not any(key in prose for key in INDICATORS) and '{"' not in prose
    photo_url = f"/api/submissions/{sent['place']}/photos/san-choi-thon-3.png"  # the photos API shows it
    assert f'src="{photo_url}"' in page.text
    assert f'src="/review/submissions/{sent["place"]}/map.png"' in page.text

    photo = client.get(photo_url)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"
    assert photo.content == PHOTO and photo.headers["cache-control"].startswith("private")
    picture = client.get(f"{url}/map.png")
    assert picture.status_code == 200 and picture.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert picture.headers["cache-control"].startswith("private")
    annual = client.get(f"/review/submissions/{sent['annual']}").text
    assert 'id="f-c2_births_total"' in annual and "Năm đánh giá" in annual and "2025" in read(annual)[0]
    assert "2.025" not in read(annual)[0]  # a year is not a number with a thousands separator


@pytest.mark.parametrize(("who", "photo"), [("reviewer_y", 403), ("collab_a", 200), ("collab_b", 403)])
def test_other_areas_and_collaborators_see_neither_page_nor_map(client, sent, who: str, photo: int) -> None:
    login(client, who)
    for suffix in ("", "/map.png"):
        assert client.get(f"/review/submissions/{sent['place']}{suffix}").status_code == 403, suffix
    assert client.get(f"/api/submissions/{sent['place']}/photos/san-choi-thon-3.png").status_code == photo
    client.cookies.clear()
    assert client.get(f"/api/submissions/{sent['place']}/photos/san-choi-thon-3.png",
                      follow_redirects=False).status_code in (302, 401)


def test_a_photo_not_yet_received_says_so_and_odd_addresses_find_nothing(client, world) -> None:
    keys = send(world, [("play-area", 1, PLACE)], with_photos=False)  # the phone has not sent it yet
    login(client, "reviewer_x")
    page = read(client.get(f"/review/submissions/{keys[0]}").text)[0]
    assert "Phiếu có ghi ảnh nhưng ảnh chưa được gửi lên máy chủ." in page
    assert client.get(f"/review/submissions/{uuid.uuid4()}").status_code == 404
    assert client.get("/review/submissions/not-a-uuid").status_code in (400, 404)
    assert client.get(f"/review/submissions/{keys[0]}/map.png").status_code == 200
    assert client.get(f"/review/submissions/{send(world, [('commune-annual', 1, ANNUAL_OK)])[0]}/map.png"
                      ).status_code == 404  # the annual form has no location


# ---------------------------------------------------------------- in the browser

@pytest.fixture()
def desk(live_server: str):
    """Chromium at a province reviewer's laptop size."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                                            "--disable-background-networking", "--disable-component-update",
                                            "--disable-sync"])
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN", base_url=live_server)
        yield context.new_page()
        context.close()
        browser.close()


@pytest.fixture()
def sent_before_browser(world: dict) -> dict:
    """The submissions, stored before Chromium starts (Playwright's sync API holds this thread's event loop)."""
    with ThreadPoolExecutor(1) as pool:
        keys = pool.submit(send, world, [("commune-annual", 1, ANNUAL_OK), ("play-area", 1, PLACE)]).result()
    return {**world, "annual": keys[0], "place": keys[1]}


@pytest.mark.browser
def test_a_reviewer_opens_a_play_area_and_follows_a_scored_line_to_its_source(sent_before_browser, desk) -> None:
    page = desk
    page.goto("/login")
    page.fill("#username", "reviewer_x")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"/review/{sent_before_browser['period'].id}/00004")
    page.click("text=Sân chơi nhà văn hóa thôn 3")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/review/submissions/{sent_before_browser['place']}")
    assert page.locator("h1").inner_text().startswith("Điểm vui chơi cho trẻ em")
    assert page.locator("#f-hazards dd").inner_text() == "Ao, hồ, sông, suối, kênh mương"
    assert "Cầu trượt bị gãy tay vịn." in page.locator("#f-remarks dd").inner_text()
    for image in ("#map img", "#f-photo img"):  # both really drawn by the browser, not broken images
        assert page.locator(image).evaluate("img => img.complete && img.naturalWidth > 0"), image

    page.go_back()
    link = page.locator(f'a[href="/review/submissions/{sent_before_browser["annual"]}#f-c7_under1_immunised"]')
    link.first.click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("#f-c7_under1_immunised")
    target = page.locator("#f-c7_under1_immunised")
    assert "tiêm chủng" in target.inner_text() and target.is_visible()
    assert page.evaluate("document.querySelector(':target').id") == "f-c7_under1_immunised"
