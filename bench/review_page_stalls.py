"""How long a commune's review page holds the event loop: rendered in the page thread, or on the loop.

Usage: python bench/review_page_stalls.py [--rounds 5]   (or `make bench`; SQLite in a temporary folder)

The world of `bench/submit_load.py` (20 communes, each with one submission of every published form) in
one process: the app is called through httpx's ASGI transport on this event loop while a probe task
sleeps 1 ms at a time and records how late it wakes. A reviewer opens the 20 commune pages in turn,
once with the pages rendered by `templating.render_off_loop` (a worker thread) and once rendered on the
loop, alternately, `--rounds` times. Printed: the probe's p99 and worst delay per round (min / median /
max over the rounds). A phone's submission waits as long as the probe does.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time
import uuid

import httpx

import submit_load


async def _rendered_on_the_loop(request, page):
    """What `render_off_loop` replaced: the template rendered on the event loop."""
    from litestar import Response
    from litestar.enums import MediaType

    body = request.app.template_engine.get_template(page.template_name).render(**page.create_template_context(request))
    return Response(body, status_code=page.status_code, media_type=MediaType.HTML)


async def _login(http: httpx.AsyncClient, username: str) -> None:
    await http.get("/login")
    response = await http.post("/login", data={"username": username, "password": submit_load.PASSWORD},
                               headers={"x-csrftoken": http.cookies.get("csrftoken")})
    assert response.status_code in (302, 303), response.status_code


async def _probe(stop: asyncio.Event, delays: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.001)
        delays.append(time.perf_counter() - started - 0.001)


async def measure(world: dict, rounds: int) -> dict[str, list[tuple[float, float]]]:
    import server.review.pages as review_pages
    from server.app import create_app
    from server.core import templating
    from server.core.db import close_pool, open_pool

    app = create_app()
    await open_pool()
    transport = httpx.ASGITransport(app=app)
    try:
        for index, _ in enumerate(world["communes"]):
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                await _login(http, f"load{index}")
                for form, answers in submit_load.answer_pool(index, per_form=1):
                    sent = await http.post("/api/submissions", headers={"x-csrftoken": http.cookies.get("csrftoken")},
                                           json={"uuid": str(uuid.uuid4()), "form_id": form.form_id,
                                                 "form_version": form.version, "answers": answers})
                    assert sent.status_code == 201, sent.text
        pages = [f"/review/{world['period']}/{code}" for code in world["communes"]]
        modes = {"thread": templating.render_off_loop, "loop": _rendered_on_the_loop}
        results: dict[str, list[tuple[float, float]]] = {mode: [] for mode in modes}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            await _login(http, "review0")
            for url in pages:  # warm the template and the caches
                await http.get(url)
            for _ in range(rounds):
                for mode, render in modes.items():
                    review_pages.render_off_loop = render
                    delays: list[float] = []
                    stop = asyncio.Event()
                    probe = asyncio.create_task(_probe(stop, delays))
                    for url in pages:
                        assert (await http.get(url)).status_code == 200
                    stop.set()
                    await probe
                    delays.sort()
                    results[mode].append((1000 * delays[int(0.99 * len(delays))], 1000 * delays[-1]))
        review_pages.render_off_loop = templating.render_off_loop
        return results
    finally:
        await close_pool()


def spread(values: list[float]) -> str:
    return " / ".join(f"{value:.1f}" for value in (min(values), statistics.median(values), max(values)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    submit_load.configure()
    world = submit_load.prepare(20, 1)
    results = asyncio.run(measure(world, args.rounds))
    print(f"event-loop delay while a reviewer opens 20 commune pages, {args.rounds} alternating rounds "
          "(min / median / max over the rounds)")
    for mode, label in (("thread", "rendered in the page thread"), ("loop", "rendered on the event loop")):
        print(f"{label:30} p99 {spread([p99 for p99, _ in results[mode]])} ms, "
              f"worst {spread([worst for _, worst in results[mode]])} ms")


if __name__ == "__main__":
    main()
