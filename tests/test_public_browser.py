"""The public pages in real Chromium at a phone's size: children's words (issue 13 item 9) and charts and
maps whose text a phone can read (item 10)."""

from __future__ import annotations

import asyncio
import re

import pytest

from public_data import build_scenario
from server.maps import outline
from server.maps.fonts import MIN_TEXT_PT, PHONE_WIDTH_IN


@pytest.fixture()
def scenario(world: dict) -> dict:
    return build_scenario(world, recognised=2, failing=1)


def test_a_child_reads_what_the_commune_achieved(scenario: dict, phone) -> None:
    period, failing = scenario["period"], scenario["failing"][0]
    phone.goto(f"/public/{period.id}/communes/{failing.code}")
    achieved = phone.locator("#achieved").inner_text()
    to_reach = phone.locator("#to-reach").inner_text()
    assert "Những điều xã đã làm được cho trẻ em" in achieved
    assert "Xã có người và kinh phí dành cho việc bảo vệ trẻ em" in achieved
    assert "Trẻ em dưới 1 tuổi được tiêm chủng đầy đủ" in achieved
    assert "Không có trẻ em bị xâm hại, vi phạm pháp luật hay tử vong do tai nạn" in to_reach
    body = phone.locator("main").inner_text()
    assert "Trẻ em bị xâm hại" not in body and "Trẻ em bị tai nạn" not in body  # never a harm as praise
    assert not re.search(r"\d+ (trên|/) \d+ điểm", body)  # no points
    # In English too.
    phone.locator("footer button[value=en]").click()
    phone.wait_for_load_state()
    assert "What our commune achieved for children" in phone.locator("#achieved").inner_text()
    assert "No child was abused, broke the law or died in an accident" in phone.locator("#to-reach").inner_text()


def test_chart_and_map_text_is_at_least_12_css_px_on_a_phone(scenario: dict, phone) -> None:
    period, commune = scenario["period"], scenario["recognised"][0]
    checked = 0
    for url in (f"/public/{period.id}/communes/{commune.code}", f"/public/{period.id}/lists/{scenario['final'].id}"):
        phone.goto(url)
        for image in phone.locator(".public-figure img").all():
            image.scroll_into_view_if_needed()
            phone.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle())
            shown, natural = image.evaluate("(img) => [img.getBoundingClientRect().width, img.naturalWidth]")
            assert natural == 800, image.get_attribute("src")  # PHONE_WIDTH_IN inches at 200 dpi
            # The smallest text is MIN_TEXT_PT points of a figure PHONE_WIDTH_IN inches wide, shown `shown` px wide.
            smallest_css_px = MIN_TEXT_PT / 72 * shown / PHONE_WIDTH_IN
            assert smallest_css_px >= 12, (image.get_attribute("src"), shown, smallest_css_px)
            checked += 1
    assert checked == 5  # two on the commune page, three on the list page


def _smallest_text(figure) -> float:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    FigureCanvasAgg(figure).draw()  # tick labels exist once drawn
    sizes = [t.get_fontsize() for t in figure.findobj(Text) if t.get_text().strip() and t.get_visible()]
    assert sizes
    return min(sizes)


def test_every_text_of_every_public_figure_is_at_least_the_minimum() -> None:
    """Measured on each kind of public figure as drawn (maps, the goals checklist, histories, area charts)."""
    from server.maps import charts, mapping
    from server.maps.legend import RESULTS

    shape = outline.load("2025")
    background = mapping.Background(
        provinces=[(p.code, mapping.rings(p.geometry)) for p in shape.provinces],
        archipelagos=[(a.name, list(a.islands)) for a in shape.archipelagos],
        places=[mapping.Place(lon=a.islands[0][0], lat=a.islands[0][1], name=a.name, bold=True)
                for a in shape.archipelagos], national=True)
    frame = charts.Frame(title="Mục tiêu vì trẻ em: Xã Bảo Đài", subtitle="Đánh giá năm 2026", source="Nguồn: phuhop",
                         provisional_note="TẠM TÍNH: tính theo các giá trị tạm thời của bộ tiêu chí")
    figures = [
        mapping.draw_map(mapping.MapSpec(
            title="Bản đồ", subtitle="2026", source="Nguồn", categories={c.key: (c.label, c.colour) for c in RESULTS},
            points=[mapping.MapPoint(lon=105.8, lat=21.0, category="recognised")], background=background)),
        charts.draw_goals(charts.GoalsSpec(frame, [charts.GoalRow("Trẻ em được khám sức khỏe định kỳ", True)] * 11,
                                           "Đã đạt", "Đang cố gắng")),
        charts.draw_history(charts.HistorySpec(frame, [charts.HistoryPoint("Đánh giá năm 2024", 9, 11, False),
                                                       charts.HistoryPoint("Đánh giá năm 2026", 11, 11, True)],
                                               "Mục tiêu đã đạt", "Đạt chuẩn", "Không được công nhận")),
        charts.draw_share(charts.ShareSpec(frame, ["2024", "2026"], [3, 15], [12, 20], "Đạt chuẩn")),
        charts.draw_area_goals(charts.AreaGoalsSpec(frame, [charts.GoalShare("Trẻ em được đến trường", 15, 20)] * 11)),
    ]
    for figure in figures:
        assert figure.get_size_inches()[0] == PHONE_WIDTH_IN
        assert _smallest_text(figure) >= MIN_TEXT_PT


def test_national_map_shows_and_names_hoang_sa_and_truong_sa(client, scenario: dict) -> None:
    """The archipelagos are drawn (their islands' pixels) and named as Vietnam's on the national map."""
    import io

    import numpy
    from PIL import Image

    from server.maps import mapping, pictures
    from server.core import i18n

    with i18n.use_language("vi"):
        background = asyncio.run(pictures.background("2025", None, set()))
    names = [place.name for place in background.places]
    assert "Quần đảo Hoàng Sa (Đà Nẵng, Việt Nam)" in names and "Quần đảo Trường Sa (Khánh Hòa, Việt Nam)" in names
    png = client.get(f"/public/{scenario['period'].id}/map/png").content
    pixels = numpy.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    island = numpy.array([int(mapping.LAND_EDGE[i:i + 2], 16) for i in (1, 3, 5)])
    width = pixels.shape[1]
    # The islands lie east of 110.5° E: on the map's right ~40 %, where the mainland is not.
    east = pixels[:, int(width * 0.62):]
    assert numpy.all(east == island, axis=-1).sum() > 50
    for key in ("hoang_sa", "truong_sa"):
        islands = outline.ARCHIPELAGOS[key]["islands"]
        assert all(mapping.NATIONAL_EXTENT[0] < lon < mapping.NATIONAL_EXTENT[1]
                   and mapping.NATIONAL_EXTENT[2] < lat < mapping.NATIONAL_EXTENT[3] for lat, lon in islands)


def test_the_shipped_outlines_have_every_province() -> None:
    assert len(outline.load("2025").provinces) == 34 and len(outline.load("legacy").provinces) == 63
    assert {a.key for a in outline.load("2025").archipelagos} == {"hoang_sa", "truong_sa"}


@pytest.mark.parametrize(("code", "name"), [("48", "Quần đảo Hoàng Sa (Đà Nẵng, Việt Nam)"),
                                            ("56", "Quần đảo Trường Sa (Khánh Hòa, Việt Nam)")])
def test_a_province_map_shows_its_archipelago_below_the_mainland(code: str, name: str) -> None:
    """Đà Nẵng's and Khánh Hòa's maps are framed on the mainland: their archipelago gets its own named box."""
    from matplotlib.text import Text

    from server.core import i18n
    from server.core.tables import Unit
    from server.maps import mapping, pictures
    from server.maps.legend import RESULTS

    province = outline.load("2025").province(code)
    assert province is not None
    area = Unit(code=code, name=province.name, kind="province", path=f"/{code}", unit_set="2025")
    with i18n.use_language("vi"):
        background = asyncio.run(pictures.background("2025", area))
        other = asyncio.run(pictures.background("2025", Unit(code="01", name="Hà Nội", kind="province", path="/01",
                                                             unit_set="2025")))
    assert [inset for inset, _ in background.insets] == [name] and other.insets == []
    figure = mapping.draw_map(mapping.MapSpec(
        title=province.name, subtitle="2026", source="Nguồn", categories={c.key: (c.label, c.colour) for c in RESULTS},
        points=[mapping.MapPoint(lon=province.label[0], lat=province.label[1], category="recognised")],
        background=background))
    main, box = figure.axes
    _x0, x1 = main.get_xlim()
    islands = outline.ARCHIPELAGOS["hoang_sa" if code == "48" else "truong_sa"]["islands"]
    assert all(lon > x1 for _, lon in islands)  # the frame leaves them out...
    assert len(box.collections[0].get_offsets()) == len(islands)  # ...the box draws every island
    texts = " ".join(t.get_text() for t in box.findobj(Text)).replace("\n", " ")
    assert name in texts
    assert box.get_position().y1 < main.get_position().y0  # below the map, over no land
    assert _smallest_text(figure) >= MIN_TEXT_PT
