"""Logins under attack: 100 parallel wrong passwords for one name while a phone reads /api/forms, and the
time of a wrong password for a real user against an unknown one.

Usage: python bench/login_flood.py [--guesses 100] [--workers 1] [--samples 20]

A real `phuhop serve` on 127.0.0.1 (SQLite in a temporary directory, or PHUHOP_DATABASE_URL). Prints:
the statuses of the guesses (how many were checked, how many told to wait); the latency of
GET /api/forms polled every 20 ms during the flood (p50 / p99 / max: argon2 off the event loop keeps
it low); and the median time of a wrong login for an existing user and for an unknown one (the same
work both ways, so the time tells nothing), each from its own address so that no throttle interferes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import submit_load as load
from served import free_port, start_server


async def flood(base: str, guesses: int) -> tuple[list[int], list[float], float]:
    async with httpx.AsyncClient(base_url=base, timeout=600, limits=httpx.Limits(max_connections=guesses + 5)) as http:
        await http.get("/login")
        token = http.cookies["csrftoken"]
        done = asyncio.Event()
        latencies: list[float] = []

        async def poll() -> None:
            while not done.is_set():
                started = time.perf_counter()
                await http.get("/api/forms")
                latencies.append(time.perf_counter() - started)
                await asyncio.sleep(0.02)

        async def guess() -> int:
            response = await http.post("/login", data={"username": "load0", "password": "wrong-guess-1"},
                                       headers={"x-csrftoken": token, "x-forwarded-for": "203.0.113.7"})
            return response.status_code

        poller = asyncio.create_task(poll())
        await asyncio.sleep(0.5)  # a few quiet samples first
        started = time.perf_counter()
        statuses = await asyncio.gather(*(guess() for _ in range(guesses)))
        elapsed = time.perf_counter() - started
        done.set()
        await poller
        return statuses, latencies, elapsed


async def wrong_login_times(base: str, username: str, samples: int, first_address: int) -> list[float]:
    times = []
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        await http.get("/login")
        token = http.cookies["csrftoken"]
        for number in range(samples):
            started = time.perf_counter()
            response = await http.post("/login", data={"username": username, "password": "wrong-guess-2"},
                                       headers={"x-csrftoken": token,
                                                "x-forwarded-for": f"198.51.{first_address}.{number + 1}"})
            times.append(time.perf_counter() - started)
            assert response.status_code == 401, response.status_code
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guesses", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    data_dir = load.configure()
    load.prepare(2, 0)
    port = free_port()
    server = start_server(port, args.workers, data_dir / "server.log")
    base = f"http://127.0.0.1:{port}"
    try:
        statuses, latencies, elapsed = asyncio.run(flood(base, args.guesses))
        ordered = sorted(latencies)
        counts = {status: statuses.count(status) for status in sorted(set(statuses))}
        print(f"engine={load.engine_name()} workers={args.workers} guesses={args.guesses} in {elapsed:.1f} s: "
              f"{counts} (401 = checked and wrong, 429 = told to wait)")
        print(f"GET /api/forms during the flood: n={len(ordered)} p50={statistics.median(ordered) * 1000:.1f} ms "
              f"p99={ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000:.1f} ms "
              f"max={ordered[-1] * 1000:.1f} ms")
        known = asyncio.run(wrong_login_times(base, "load1", args.samples, 100))
        unknown = asyncio.run(wrong_login_times(base, "no-such-user", args.samples, 101))
        print(f"wrong password, existing user: median {statistics.median(known) * 1000:.1f} ms; "
              f"unknown user: median {statistics.median(unknown) * 1000:.1f} ms (n={args.samples} each)")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
