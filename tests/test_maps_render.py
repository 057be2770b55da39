"""Every map and chart drawn from a real database (Bắc Ninh's real communes and coordinates),
checked as images: size, colours of the legend and of the communes, SVG well-formed, the shipped
font drawing Vietnamese without a missing glyph."""

from __future__ import annotations

import logging
import warnings

import pytest
from defusedxml import ElementTree
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont

from public_data import BAC_NINH, build_scenario, count_colour, image_size
from server.maps import fonts, legend, render

GREEN, ORANGE, GREY = (c.colour for c in legend.RESULTS)


@pytest.fixture()
def scenario(world: dict) -> dict:
    return build_scenario(world)


def _text_figure(text: str) -> Figure:
    figure = Figure(figsize=(6, 1))
    figure.text(0.02, 0.5, text, va="center", fontproperties=fonts.font(20))
    return figure


def _render_recording(text: str, caplog: pytest.LogCaptureFixture) -> tuple[bytes, list[str]]:
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.DEBUG, logger="matplotlib"):
        warnings.simplefilter("always")
        content = render.figure_bytes(lambda: _text_figure(text), "png")
    messages = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    return content, [m for m in messages if "missing from font" in m or "Glyph" in m]


def test_the_shipped_font_is_dejavu_sans_from_matplotlib() -> None:
    assert fonts.FONT_PATH.is_file()
    assert fonts.family() == "DejaVu Sans"
    assert findfont(FontProperties(family=fonts.family())) == str(fonts.FONT_PATH)
    assert fonts.font().get_file() == str(fonts.FONT_PATH)


def test_a_vietnamese_label_renders_with_no_missing_glyph(caplog: pytest.LogCaptureFixture) -> None:
    label = "Phường Ngọc Hà · Đặc khu Trường Sa · Tỉnh Bắc Ninh · Xã Ỹ Lự ữ"
    content, missing = _render_recording(label, caplog)
    assert missing == []
    # The check can fail: a glyph DejaVu Sans lacks is reported.
    _, control = _render_recording("儿童", caplog)
    assert control, "a missing glyph must be reported"
    # And the diacritics are drawn: the same word without them gives another image.
    bare, _ = _render_recording("Phuong Ngoc Ha · Dac khu Truong Sa · Tinh Bac Ninh · Xa Y Lu u", caplog)
    assert content != bare


def test_results_map_of_a_province_shows_each_result_in_its_colour(client, scenario: dict) -> None:
    period = scenario["period"]
    response = client.get(f"/public/{period.id}/map/png", params={"area": BAC_NINH})
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    png = response.content
    assert image_size(png)[0] == 800  # 4 inches at 200 dpi: made for a phone
    green, orange, grey = (count_colour(png, c) for c in (GREEN, ORANGE, GREY))
    # 20 recognised, 10 not, 69 not on the list: every colour is there, in that order of size.
    assert green > 0 and orange > 0 and grey > 0
    assert grey > green > orange


def test_a_list_posted_for_comment_does_not_colour_the_map(client, scenario: dict) -> None:
    """Hà Nội's list is only posted: its communes are "not on a final list" (grey), none green."""
    png = client.get(f"/public/{scenario['period'].id}/map/png", params={"area": "01"}).content
    assert count_colour(png, GREY) > 0
    assert count_colour(png, GREEN) == 0 and count_colour(png, ORANGE) == 0


def test_svg_map_is_well_formed(client, scenario: dict) -> None:
    response = client.get(f"/public/{scenario['period'].id}/map/svg", params={"area": BAC_NINH})
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert GREEN in response.text and ORANGE in response.text


def test_goals_chart_of_a_commune_ticks_the_goals_reached(client, scenario: dict) -> None:
    period = scenario["period"]
    failing, recognised = scenario["failing"][0], scenario["recognised"][0]
    bad = client.get(f"/public/{period.id}/communes/{failing.code}/criteria/png").content
    good = client.get(f"/public/{period.id}/communes/{recognised.code}/criteria/png").content
    assert image_size(bad)[0] == 800 and image_size(bad)[1] > 800
    assert count_colour(bad, ORANGE) > 50  # goal 3-5 (two abused children) still to reach
    assert count_colour(good, GREEN) > count_colour(good, ORANGE)
    svg = client.get(f"/public/{period.id}/communes/{failing.code}/criteria/svg")
    ElementTree.fromstring(svg.content)


def test_history_chart_shows_each_period(client, scenario: dict) -> None:
    period = scenario["period"]
    # The first commune was recognised in both periods; the second failed in 2024 and passed in 2026.
    first = client.get(f"/public/{period.id}/communes/{scenario['communes'][0].code}/history/png").content
    second = client.get(f"/public/{period.id}/communes/{scenario['communes'][1].code}/history/png").content
    assert image_size(first)[0] == 800
    assert count_colour(first, GREEN) > 1000
    assert count_colour(second, GREEN) > 1000 and count_colour(second, ORANGE) > 1000


def test_area_charts_share_recognised_and_goals(client, scenario: dict) -> None:
    period = scenario["period"]
    share = client.get(f"/public/{period.id}/recognised/png", params={"area": BAC_NINH}).content
    goals = client.get(f"/public/{period.id}/goals/png", params={"area": BAC_NINH}).content
    assert image_size(share)[0] == 800 and image_size(goals)[0] == 800
    assert count_colour(share, GREEN) > 1000  # two periods' bars
    assert count_colour(goals, GREEN) > 1000  # the share of communes reaching each goal
    for path in ("recognised", "goals"):
        ElementTree.fromstring(client.get(f"/public/{period.id}/{path}/svg").content)


def test_share_image_is_exactly_1200_by_630(client, scenario: dict) -> None:
    period = scenario["period"]
    good = client.get(f"/public/{period.id}/communes/{scenario['recognised'][0].code}/share.png")
    bad = client.get(f"/public/{period.id}/communes/{scenario['failing'][0].code}/share.png")
    assert good.status_code == 200 and good.headers["content-type"] == "image/png"
    assert image_size(good.content) == (1200, 630) and image_size(bad.content) == (1200, 630)
    # The verdict band (1200 × 126 px) in the result's colour; the red PROVISIONAL band on both.
    assert count_colour(good.content, GREEN) > 100_000 and count_colour(good.content, ORANGE) < 20_000  # goal boxes
    assert count_colour(bad.content, ORANGE) > 100_000
    assert count_colour(good.content, legend.PROVISIONAL) > 50_000


def test_reviewers_see_a_map_of_assessment_states_that_the_public_does_not(client, scenario: dict) -> None:
    from conftest import login

    period = scenario["period"]
    url = f"/review/{period.id}/map/png"
    assert client.get(url, params={"area": BAC_NINH}, follow_redirects=False).status_code == 302  # log in first
    login(client, "admin")
    response = client.get(url, params={"area": BAC_NINH})
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"].startswith("private")
    states = {c.key: c.colour for c in legend.STATES}
    recognised, not_recognised, not_started = (count_colour(response.content, states[key])
                                               for key in ("recognised", "not_recognised", "not_started"))
    assert recognised > not_recognised > 0 and not_started > 0
    assert client.get(f"/review/{period.id}/map/gif").status_code == 404
