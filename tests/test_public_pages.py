"""The public side, without login: only final lists; pages, summaries, downloads, GeoJSON."""

from __future__ import annotations

import asyncio
import csv
import io
import json

import pytest
from openpyxl import load_workbook

from public_data import BAC_NINH, build_scenario, make_period
from server.core import i18n
from server.maps.public_pages import name_order


@pytest.fixture()
def scenario(world: dict) -> dict:
    return build_scenario(world)


def _vi(msgid: str) -> str:
    with i18n.use_language("vi"):
        return i18n.gettext(msgid)


def test_index_lists_only_periods_with_a_final_list(client, scenario: dict) -> None:
    asyncio.run(make_period("Kỳ chưa công bố", 2027))
    page = client.get("/public")
    assert page.status_code == 200
    assert "Đánh giá năm 2026" in page.text and "Đánh giá năm 2024" in page.text
    assert "Kỳ chưa công bố" not in page.text


def test_period_and_list_pages(client, scenario: dict) -> None:
    period, final = scenario["period"], scenario["final"]
    page = client.get(f"/public/{period.id}")
    assert page.status_code == 200 and "Tỉnh Bắc Ninh" in page.text
    assert f"/public/{period.id}/lists/{final.id}" in page.text
    assert f"/public/{period.id}/lists/{scenario['posted'].id}" not in page.text
    listing = client.get(f"/public/{period.id}/lists/{final.id}")
    assert listing.status_code == 200
    for commune in scenario["listed"]:
        assert commune.name in listing.text
    assert _vi("PROVISIONAL") in listing.text  # vn-2019 results still use PROVISIONAL values


@pytest.mark.parametrize("state", ["draft", "posted"])
def test_lists_that_are_not_final_are_not_public(client, world: dict, scenario: dict, state: str) -> None:
    from public_data import make_list, recognised_indicators

    lonely = asyncio.run(make_period("Chỉ có bản nháp", 2028))
    draft = asyncio.run(make_list(lonely, scenario["area"], world["users"]["admin"],
                                  [(scenario["communes"][0], recognised_indicators())], state=state))
    commune = scenario["communes"][0]
    for url in (f"/public/{lonely.id}", f"/public/{lonely.id}/lists/{draft.id}", f"/public/{lonely.id}/map/png",
                f"/public/{lonely.id}/map/geojson", f"/public/{lonely.id}/communes/{commune.code}",
                f"/public/{lonely.id}/communes/{commune.code}/share.png",
                f"/public/{lonely.id}/lists/{draft.id}/download/list.csv"):
        assert client.get(url).status_code == 404, url
    # Hà Nội's list of the public period is only posted: neither it nor its commune is shown.
    period = scenario["period"]
    assert client.get(f"/public/{period.id}/lists/{scenario['posted'].id}").status_code == 404
    assert client.get(f"/public/{period.id}/communes/{world['commune_a'].code}").status_code == 404
    assert client.get(f"/public/{period.id}/communes/{world['commune_a'].code}/criteria/png").status_code == 404


def test_commune_summary_says_what_goes_well_and_what_is_missing(client, scenario: dict) -> None:
    period, failing = scenario["period"], scenario["failing"][0]
    page = client.get(f"/public/{period.id}/communes/{failing.code}")
    assert page.status_code == 200 and failing.name in page.text
    achieved, to_reach = page.text.split('id="to-reach"')
    assert "Xã có người và kinh phí dành cho việc bảo vệ trẻ em" in achieved  # criterion 1 at its maximum
    # Two abused children: the joined goal of criteria 3–5 is still to reach, said as the goal, never the harm.
    assert "Không có trẻ em bị xâm hại, vi phạm pháp luật hay tử vong do tai nạn" in to_reach
    assert "Trẻ em bị xâm hại" not in page.text and "điểm." not in achieved
    assert _vi("PROVISIONAL") in page.text
    assert f"/public/{period.id}/communes/{failing.code}/share.png" in page.text
    large = client.get(f"/public/{period.id}/communes/{failing.code}", params={"view": "large"})
    assert large.status_code == 200 and "large-print" in large.text and "large-print" not in page.text


def test_list_downloads_csv_and_xlsx(client, scenario: dict) -> None:
    period, final = scenario["period"], scenario["final"]
    base = f"/public/{period.id}/lists/{final.id}/download"
    listing = client.get(f"{base}/list.csv")
    assert listing.status_code == 200 and listing.headers["content-type"].startswith("text/csv")
    assert listing.headers["content-disposition"] == 'attachment; filename="danh-sach-cong-nhan_tinh-bac-ninh_2026_lan-1.csv"'
    rows = list(csv.reader(io.StringIO(listing.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + len(scenario["listed"])
    assert len(rows[0]) == 6 + 11  # 6 columns and the 11 public goals of vn-2019 (criteria 3–5 are one)
    by_code = {row[0]: row for row in rows[1:]}
    assert set(by_code) == {c.code for c in scenario["listed"]}
    assert all(row[4] == _vi("PROVISIONAL") for row in rows[1:])
    assert [row[1] for row in rows[1:]] == sorted((row[1] for row in rows[1:]), key=lambda n: name_order(n))
    book = load_workbook(io.BytesIO(client.get(f"{base}/list.xlsx").content))
    assert len(book.sheetnames) == 2
    sheet = book[book.sheetnames[0]]
    assert _vi("PROVISIONAL") in str(sheet.cell(row=1, column=1).value)
    assert sheet.max_row == 2 + len(scenario["listed"])
    figures = client.get(f"{base}/figures.csv")
    assert figures.status_code == 200 and len(figures.content.decode("utf-8-sig").splitlines()) == 1 + 30 * 11


def test_geojson_of_the_results_map_is_valid(client, scenario: dict) -> None:
    response = client.get(f"/public/{scenario['period'].id}/map/geojson", params={"area": BAC_NINH})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/geo+json")
    collection = json.loads(response.content)
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == len(scenario["communes"]) == 99
    categories: dict[str, int] = {}
    for feature in collection["features"]:
        assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert 105 < lon < 107.5 and 20.5 < lat < 22  # Bắc Ninh, longitude first (RFC 7946)
        categories[feature["properties"]["category"]] = categories.get(feature["properties"]["category"], 0) + 1
    assert categories == {"recognised": 20, "not_recognised": 10, "not_listed": 69}


def test_unknown_formats_and_areas_are_404(client, scenario: dict) -> None:
    period = scenario["period"]
    assert client.get(f"/public/{period.id}/map/gif").status_code == 404
    assert client.get(f"/public/{period.id}/map/png", params={"area": "99999"}).status_code == 404
    assert client.get(f"/public/{period.id}/lists/{scenario['final'].id}/download/all.zip").status_code == 404
