"""The national map of the 2025 registry (3,321 real communes), imported once for this module."""

from __future__ import annotations

import asyncio
import json

import pytest

from public_data import BAC_NINH, communes_of, count_colour, failing_indicators, image_size, make_list, make_period, \
    province, recognised_indicators
from server.core import i18n
from server.maps import geojson, legend, pictures, results
from server.core.testing import empty_all_tables

GREEN, ORANGE, GREY = (c.colour for c in legend.RESULTS)


@pytest.fixture(scope="module")
def national(migrated_db: str):
    from server.accounts.users import create_user
    from server.registry.units import import_units

    async def build() -> dict:
        await import_units("2025")
        admin = await create_user("admin", "mat-khau-quoc-gia", "admin")
        period = await make_period("Đánh giá năm 2026", 2026)
        area = await province("2025", BAC_NINH)
        communes = await communes_of("2025", BAC_NINH)
        await make_list(period, area, admin, [(c, recognised_indicators() if i % 4 else failing_indicators())
                                             for i, c in enumerate(communes)])
        return {"period": period, "communes": communes}

    empty_all_tables()
    yield asyncio.run(build())
    empty_all_tables()


def _run(coro):
    async def in_vietnamese():
        with i18n.use_language("vi"):
            return await coro
    return asyncio.run(in_vietnamese())


def test_national_map_png_and_svg(national: dict) -> None:
    period = national["period"]
    png = _run(pictures.results_map(period, None, "png"))
    assert png.media_type == "image/png" and image_size(png.content)[0] == 800
    green, orange, grey = (count_colour(png.content, c) for c in (GREEN, ORANGE, GREY))
    # 74 recognised and 25 not in Bắc Ninh; the other 3,222 communes are not on a final list.
    assert grey > green > orange > 0
    svg = _run(pictures.results_map(period, None, "svg"))
    assert svg.content.lstrip().startswith(b"<?xml") and svg.content.count(GREY.encode()) >= 1
    assert _run(pictures.results_map(period, None, "png")).cached


def test_national_geojson_has_every_commune_with_coordinates(national: dict) -> None:
    points = asyncio.run(results.result_points(national["period"], None))
    assert len(points) == 3321
    collection = json.loads(geojson.dumps(geojson.communes(points, {}, {})))
    located = [p for p in points if p.lat is not None and p.lon is not None]
    assert len(collection["features"]) == len(located) > 3300
    for feature in collection["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert 102 <= lon <= 118 and 6 <= lat <= 24, feature["properties"]["code"]
    assert sum(1 for f in collection["features"] if f["properties"]["category"] != "not_listed") == 99
