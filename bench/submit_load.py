"""Submission throughput: many concurrent phones POST to a real server process on 127.0.0.1.

Usage: python bench/submit_load.py [--clients 32] [--seconds 10] [--workers 2]
       (PHUHOP_DATABASE_URL selects the engine, as for the server; default a fresh SQLite file.)

Each client logs in as its own collaborator, then submits play-area forms back to back; one in
ten submissions is sent twice (a retry) to check that duplicates are stored once. Prints
submissions/s, p50/p99 latency, and the stored-versus-acknowledged check.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def prepare(clients: int) -> None:
    """Migrate a fresh database and make one collaborator per client, each in its own commune."""
    from server.migrate import migrate
    from server.testing import drop_all_tables, make_load_world

    drop_all_tables()
    migrate()
    make_load_world(clients, password="bench-password")


def start_server(port: int, workers: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port), "--workers", str(workers), "--no-migrate"],
        env=os.environ.copy(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    import urllib.request

    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=1)
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("server did not start")


async def phone(base: str, index: int, until: float, latencies: list[float], acked: set[str]) -> int:
    import httpx

    from server.testing import sample_answers

    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        await http.get("/login")
        token = http.cookies["csrftoken"]
        response = await http.post("/login", data={"username": f"load{index}", "password": "bench-password"},
                                   headers={"x-csrftoken": token})
        assert response.status_code in (303, 200), response.status_code
        sent = 0
        while time.monotonic() < until:
            body = {"uuid": str(uuid.uuid4()), "form_id": "play-area", "form_version": 1,
                    "answers": sample_answers("play-area", sent)}
            for attempt in range(2 if sent % 10 == 0 else 1):
                start = time.perf_counter()
                response = await http.post("/api/submissions", json=body, headers={"x-csrftoken": token})
                latencies.append(time.perf_counter() - start)
                if response.status_code not in (200, 201):
                    raise SystemExit(f"unexpected {response.status_code}: {response.text[:300]}")
                acked.add(body["uuid"])
            sent += 1
        return sent


async def drive(base: str, clients: int, seconds: float) -> tuple[int, list[float], set[str], float]:
    latencies: list[float] = []
    acked: set[str] = set()
    start = time.monotonic()
    counts = await asyncio.gather(*(phone(base, i, start + seconds, latencies, acked) for i in range(clients)))
    return sum(counts), latencies, acked, time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="phuhop-bench-"))
    os.environ.setdefault("PHUHOP_DATA_DIR", str(data_dir))
    os.environ.setdefault("PHUHOP_DATABASE_URL", f"sqlite:///{data_dir / 'bench.db'}")
    os.environ.setdefault("PHUHOP_SECRET_KEY", "bench-secret")
    sys.path.insert(0, str(ROOT))
    prepare(args.clients)
    server = start_server(args.port, args.workers)
    try:
        sent, latencies, acked, elapsed = asyncio.run(drive(f"http://127.0.0.1:{args.port}", args.clients, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=10)
    from server.tables import Submission

    stored = Submission.count().run_sync()
    distinct = len({str(row["uuid"]) for row in Submission.select(Submission.uuid).run_sync()})
    latencies.sort()
    engine = "postgres" if os.environ["PHUHOP_DATABASE_URL"].startswith("postgres") else "sqlite"
    print(f"engine={engine} workers={args.workers} clients={args.clients} seconds={elapsed:.1f}")
    print(f"submissions: {sent} new + {len(latencies) - sent} retries in {elapsed:.1f} s "
          f"= {sent / elapsed:.0f} new submissions/s ({len(latencies) / elapsed:.0f} requests/s)")
    print(f"latency p50={statistics.median(latencies) * 1000:.1f} ms "
          f"p99={latencies[int(len(latencies) * 0.99) - 1] * 1000:.1f} ms max={latencies[-1] * 1000:.1f} ms")
    print(f"acknowledged={len(acked)} stored={stored} distinct={distinct} "
          f"lost={len(acked - {str(r['uuid']) for r in Submission.select(Submission.uuid).run_sync()})} "
          f"duplicates={stored - distinct}")


if __name__ == "__main__":
    main()
