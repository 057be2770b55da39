"""The whole country through the review service: score ~10,000 communes, list them, render pages.

Usage: .venv/bin/python bench/review_country.py [--seed 2019] [--runs 5]

In a temporary SQLite database: imports the legacy registry (server.registry.import_units), stores one
synthetic annual submission per commune, then measures
  1. `scoring_service.score_period`: load (one query + derive), score in memory in one pass, store
     every Score row in one transaction — each phase timed, peak memory by tracemalloc (second run);
  2. one certification list per province from the approved assessments (lists.create);
  3. through real HTTP against `phuhop serve` on 127.0.0.1: one district's review queue page
     (reviewer of that district) and the national certification list (admin); median of --runs.
Targets: scoring all communes < 2 s; one district's queue page < 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

TMP = Path(tempfile.mkdtemp(prefix="phuhop-bench-review-"))
os.environ["PHUHOP_DATA_DIR"] = str(TMP)
os.environ["PHUHOP_DATABASE_URL"] = f"sqlite:///{TMP / 'bench.db'}"
os.environ.setdefault("PHUHOP_SECRET_KEY", "bench-secret-not-for-production")
ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import httpx  # noqa: E402
from score_batch import synthetic_commune  # noqa: E402

from served import free_port, start_server  # noqa: E402
from server.accounts.users import create_user  # noqa: E402
from server.core.migrate import migrate_async  # noqa: E402
from server.registry.units import import_units  # noqa: E402
from scoring import load_rules, score  # noqa: E402
from server.review import lists, scoring_service  # noqa: E402
from server.review.indicators import reported_many  # noqa: E402
from server.core.tables import Assessment, Period, Submission, Unit, User  # noqa: E402

PASSWORD = "bench-password-1"


async def setup(seed: int) -> tuple[Period, User, str]:
    await migrate_async()
    summary = await import_units("legacy")
    print(f"registry: {summary.line()} in {summary.seconds:.1f} s")
    admin = await create_user("admin", PASSWORD, "admin")
    period = Period(name="Đánh giá toàn quốc", year=2024, rule_set="vn-2019", unit_set="legacy", form_versions={})
    await period.save().run()
    communes = await Unit.select(Unit.id, Unit.code).where((Unit.unit_set == "legacy") & (Unit.kind == "commune")).run()
    rng = random.Random(seed)
    rows = []
    for commune in communes:
        synthetic = synthetic_commune(rng, 0)
        rows.append(Submission(uuid=uuid.uuid4(), form_id="commune-annual", form_version=1, commune=commune["id"],
                               period=period.id, author=admin.id, answers={"period_year": 2024, **synthetic["indicators"]},
                               source="api"))
    for start in range(0, len(rows), 1000):
        await Submission.insert(*rows[start:start + 1000]).run()
    district = await Unit.objects().where((Unit.unit_set == "legacy") & (Unit.kind == "district")
                                          & (Unit.code == "001")).first().run()
    await create_user("reviewer", PASSWORD, "reviewer", unit_set="legacy", unit_code=district.code)
    print(f"synthetic data: {len(rows):,} annual submissions; district {district.code} {district.name}")
    return period, admin, district.name


async def score_all(period: Period, admin: User) -> scoring_service.BatchReport:
    return await scoring_service.score_period(period, admin, "benchmark")


async def engine_only(period: Period) -> float:
    """The same communes through scoring.score alone: what the service adds on top of the engine."""
    reported = await reported_many(period.id)
    types = {row["id"]: row["commune_type"] for row in await Unit.select(Unit.id, Unit.commune_type).run()}
    rules = load_rules(period.rule_set)
    started = time.perf_counter()
    for commune_id, data in reported.items():
        score(rules, types[commune_id], data.values)
    return time.perf_counter() - started


async def list_all(period: Period, admin: User) -> tuple[int, float]:
    await Assessment.update({Assessment.state: "approved"}).where(Assessment.period == period.id).run()
    provinces = await Unit.objects().where((Unit.unit_set == "legacy") & (Unit.level == 1)).run()
    started = time.perf_counter()
    for province in provinces:
        await lists.create(period, province, admin)
    return len(provinces), time.perf_counter() - started


def timed_get(base: str, username: str, path: str, runs: int) -> tuple[float, int, int]:
    """Median wall time of GET `path` (after one warm-up), its status and size."""
    with httpx.Client(base_url=base, timeout=60) as client:
        client.get("/login")
        token = client.cookies.get("csrftoken")
        login = client.post("/login", data={"username": username, "password": PASSWORD},
                            headers={"x-csrftoken": token})
        assert login.status_code in (200, 303), login.status_code
        response = client.get(path)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - started)
        return statistics.median(times), response.status_code, len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    period, admin, district_name = asyncio.run(setup(args.seed))
    print(f"load average before scoring: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    report = asyncio.run(score_all(period, admin))
    print(f"score_period: {report.scored:,} scored ({report.certified:,} certified, {report.not_scorable} not scorable)")
    print(f"  load + derive (1 query): {report.load_seconds:.2f} s")
    print(f"  scoring in memory, one pass: {report.score_seconds:.2f} s  (target < 2 s)")
    print(f"  storing {report.scored:,} Score rows, one transaction: {report.store_seconds:.2f} s")
    print(f"  (scoring.score alone on the same communes: {asyncio.run(engine_only(period)):.2f} s)")
    tracemalloc.start()
    again = asyncio.run(score_all(period, admin))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  second run under tracemalloc: peak {peak / 2**20:.0f} MiB (times distorted by tracing: "
          f"{again.load_seconds + again.score_seconds + again.store_seconds:.1f} s)")
    count, seconds = asyncio.run(list_all(period, admin))
    print(f"certification lists: {count} provinces in {seconds:.2f} s")

    port = free_port()
    process = start_server(port, 1, TMP / "server.log")
    base = f"http://127.0.0.1:{port}"
    try:
        queue_s, status, size = timed_get(base, "reviewer", f"/review?period={period.id}", args.runs)
        print(f"district review queue page ({district_name}), HTTP: {queue_s * 1000:.0f} ms median, "
              f"status {status}, {size / 1024:.0f} KiB  (target < 300 ms)")
        national_s, status, size = timed_get(base, "admin", f"/review/{period.id}/national", max(1, args.runs // 2))
        print(f"national certification list page, HTTP: {national_s:.2f} s median, status {status}, "
              f"{size / 2**20:.1f} MiB")
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
