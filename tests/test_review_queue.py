"""The queue: Vietnamese alphabetical order, search without diacritics, filters and counts per state."""

from __future__ import annotations

import asyncio

import pytest
from conftest import login
from test_review_workflow import send_for_review, submit_forms

from server.registry.units import fold
from server.review.collation import sort_key
from server.core.tables import Unit

NAMES = ["Phường Hoàn Kiếm", "Xã Đông Anh", "Xã Dương Xá", "Phường Ô Chợ Dừa", "Phường Ông Ích Khiêm",
         "Xã An Khánh", "Xã Ân Thi", "Phường Hàng Bạc", "Phường Hà Đông", "Phường Hạ Đình"]


def test_vietnamese_order_puts_each_letter_after_its_base_and_tones_second() -> None:
    words = ["Đa", "Dz", "Ăn", "An", "Âm", "Bé", "Be", "Bè", "Bẻ", "Bẽ", "Bẹ", "Ơi", "Ôi", "Oi", "Ưa", "Ua"]
    assert sorted(words, key=sort_key) == ["An", "Ăn", "Âm", "Be", "Bè", "Bẻ", "Bẽ", "Bé", "Bẹ", "Dz", "Đa", "Oi",
                                           "Ôi", "Ơi", "Ua", "Ưa"]
    # Letters decide before tones: "ha đinh" < "ha đong", so the tone of "Hạ" does not matter here.
    assert sorted(["Hà Đông", "Hạ Đình"], key=sort_key) == ["Hạ Đình", "Hà Đông"]
    assert sort_key("Hà") < sort_key("Hạ") and sort_key("Ha Tien") < sort_key("Hà Tiên")


@pytest.fixture()
def many(world: dict) -> dict:
    async def add() -> None:
        province = world["province"]
        for index, name in enumerate(NAMES):
            code = f"9{index:04d}"
            await Unit(key=f"2025:{code}", unit_set="2025", code=code, name=name, name_ascii=fold(name), kind="commune",
                       level=2, parent=province.id, path=f"/01/{code}", commune_type="other").save().run()
    asyncio.run(add())
    return world


def _names(client, **params) -> list[str]:
    response = client.get("/api/review/queue", params=params)
    assert response.status_code == 200, response.text
    return [row["name"] for row in response.json()["rows"]]


def test_the_queue_is_sorted_in_vietnamese_order(client, many) -> None:
    login(client, "reviewer_x")
    names = _names(client, sort="name")
    expected = sorted(NAMES + [many["commune_a"].name, many["commune_b"].name], key=sort_key)
    assert names == expected
    assert names.index("Xã Dương Xá") < names.index("Xã Đông Anh")  # d before đ, whatever follows
    assert names.index("Phường Ô Chợ Dừa") < names.index("Phường Ông Ích Khiêm")
    assert names.index("Phường Hạ Đình") < names.index("Phường Hà Đông") < names.index("Phường Hàng Bạc")
    assert names != sorted(names, key=fold)  # plain folding would put "Đông Anh" before "Dương Xá"
    assert _names(client, sort="name", desc=1) == list(reversed(expected))


def test_search_needs_no_diacritics(client, many) -> None:
    login(client, "reviewer_x")
    assert _names(client, q="hoan kiem") == ["Phường Hoàn Kiếm"]
    assert _names(client, q="HOÀN KIẾM") == ["Phường Hoàn Kiếm"]
    assert _names(client, q="dong") == ["Phường Hà Đông", "Xã Đông Anh"]
    assert _names(client, q="ha dong") == ["Phường Hà Đông"]
    assert _names(client, q="xyz khong co") == []
    page = client.get("/review", params={"q": "hoan kiem"}).text
    assert "Phường Hoàn Kiếm" in page and "Xã Đông Anh" not in page


def test_filter_by_state_and_counts_per_state(client, many) -> None:
    login(client, "collab_a")
    submit_forms(client)
    send_for_review(client)
    client.cookies.clear()
    login(client, "collab_b")
    submit_forms(client)
    client.cookies.clear()
    login(client, "reviewer_x")
    body = client.get("/api/review/queue").json()
    assert body["counts"]["submitted"] == 1 and body["counts"]["collecting"] == 1
    assert body["counts"]["not_started"] == len(NAMES)
    assert sum(body["counts"].values()) == len(NAMES) + 2
    assert _names(client, state="submitted") == [many["commune_a"].name]
    assert _names(client, state="collecting") == [many["commune_b"].name]
    by_state = _names(client, sort="state")
    assert by_state[:2] == sorted(NAMES, key=sort_key)[:2]  # not started first, then collecting, then submitted
    assert by_state[-2:] == [many["commune_b"].name, many["commune_a"].name]
    totals = client.get("/api/review/queue", params={"sort": "total"}).json()["rows"]
    assert totals[0]["name"] == many["commune_a"].name and totals[0]["total"] is not None
    page = client.get("/review", params={"state": "submitted"}).text
    assert many["commune_a"].name in page and many["commune_b"].name not in page


def test_communes_never_changed_or_never_scored_go_last_in_either_direction(client, many) -> None:
    login(client, "collab_a")
    submit_forms(client)
    send_for_review(client)
    client.cookies.clear()
    login(client, "collab_b")
    submit_forms(client)
    send_for_review(client)
    client.cookies.clear()
    login(client, "reviewer_x")
    sent = [many["commune_a"].name, many["commune_b"].name]  # a sent first, then b
    never = sorted(NAMES, key=sort_key)
    assert _names(client, sort="updated") == sent + never
    assert _names(client, sort="updated", desc=1) == sent[::-1] + never
    scored = _names(client, sort="total")
    assert scored[2:] == never and _names(client, sort="total", desc=1)[2:] == never
