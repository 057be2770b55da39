"""Cached pictures: served again from disk, keyed by language, invalidated when results change;
renders hold one lock and run off the event loop."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from matplotlib.figure import Figure

from public_data import BAC_NINH, build_scenario, count_colour, failing_indicators, make_list
from server.maps import cache, legend, render


@pytest.fixture()
def scenario(world: dict) -> dict:
    return build_scenario(world)


def test_a_map_is_served_again_from_the_cache(client, scenario: dict) -> None:
    url = f"/public/{scenario['period'].id}/map/png"
    first = client.get(url, params={"area": BAC_NINH})
    second = client.get(url, params={"area": BAC_NINH})
    assert first.headers["x-phuhop-cache"] == "miss" and second.headers["x-phuhop-cache"] == "hit"
    assert first.content == second.content
    assert len(list((cache.cache_dir() / "results-map").glob("*.png"))) >= 1
    # A browser that has it gets 304 without a body.
    again = client.get(url, params={"area": BAC_NINH}, headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_the_cache_is_per_language(client, scenario: dict) -> None:
    url = f"/public/{scenario['period'].id}/goals/png"
    client.cookies.set("lang", "vi")
    assert client.get(url).headers["x-phuhop-cache"] == "miss"
    client.cookies.set("lang", "en")
    assert client.get(url).headers["x-phuhop-cache"] == "miss"
    assert client.get(url).headers["x-phuhop-cache"] == "hit"


def test_a_new_final_revision_invalidates_the_map(client, world: dict, scenario: dict) -> None:
    url = f"/public/{scenario['period'].id}/map/png"
    before = client.get(url, params={"area": BAC_NINH})
    assert client.get(url, params={"area": BAC_NINH}).headers["x-phuhop-cache"] == "hit"
    # Revision 2 of the list: every listed commune now fails.
    asyncio.run(make_list(scenario["period"], scenario["area"], world["users"]["admin"],
                          [(c, failing_indicators()) for c in scenario["listed"]], revision=2))
    after = client.get(url, params={"area": BAC_NINH})
    assert after.headers["x-phuhop-cache"] == "miss" and after.content != before.content
    assert after.headers["etag"] != before.headers["etag"]
    green = legend.RESULTS[0].colour
    assert count_colour(before.content, green) > 0 and count_colour(after.content, green) == 0
    assert client.get(url, params={"area": BAC_NINH}).headers["x-phuhop-cache"] == "hit"


def test_a_draft_list_changes_nothing_public(client, world: dict, scenario: dict) -> None:
    url = f"/public/{scenario['period'].id}/map/png"
    client.get(url, params={"area": BAC_NINH})
    asyncio.run(make_list(scenario["period"], scenario["area"], world["users"]["admin"],
                          [(c, failing_indicators()) for c in scenario["listed"]], revision=3, state="draft"))
    assert client.get(url, params={"area": BAC_NINH}).headers["x-phuhop-cache"] == "hit"


def _slow_figure(delay: float, label: str) -> Figure:
    time.sleep(delay)
    figure = Figure(figsize=(2, 1))
    figure.text(0.1, 0.5, label)
    return figure


def test_renders_are_serialised_and_leave_the_event_loop_free() -> None:
    inside = 0
    overlap = []
    lock = threading.Lock()

    def draw() -> Figure:
        nonlocal inside
        with lock:
            inside += 1
            overlap.append(inside)
        figure = _slow_figure(0.15, "Phường Ngọc Hà")
        with lock:
            inside -= 1
        return figure

    async def main() -> tuple[list[bytes], int]:
        ticks = 0
        done = False

        async def ticker() -> None:
            nonlocal ticks
            while not done:
                ticks += 1
                await asyncio.sleep(0.01)

        tick_task = asyncio.create_task(ticker())
        images = await asyncio.gather(*[render.render(draw, "png") for _ in range(4)])
        done = True
        await tick_task
        return list(images), ticks

    images, ticks = asyncio.run(main())
    assert max(overlap) == 1  # never two renders at once
    assert len(set(images)) == 1  # and the same input gives the same bytes
    assert ticks >= 20  # the loop kept running during 4 × 0.15 s of rendering
