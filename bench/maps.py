"""Benchmark of the national maps: render time of the legacy set (10,035 communes) and of the 2025
set (3,321), every commune on a final list; then serving the cached map over real HTTP.

    .venv/bin/python bench/maps.py            # targets: render < 3 s each, cached map < 100 ms

Runs on a temporary SQLite database (PHUHOP_BENCH_DATABASE_URL=postgresql://... for PostgreSQL)
and starts `phuhop serve` on 127.0.0.1 for the HTTP part.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TMP = Path(tempfile.mkdtemp(prefix="phuhop-bench-maps-"))
os.environ["PHUHOP_DATA_DIR"] = str(TMP)
os.environ["PHUHOP_DATABASE_URL"] = os.environ.get("PHUHOP_BENCH_DATABASE_URL", f"sqlite:///{TMP / 'bench.db'}")
os.environ.setdefault("PHUHOP_SECRET_KEY", "bench-secret")
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from scoring import load_rules, score  # noqa: E402
from server.core import i18n  # noqa: E402
from served import free_port, start_server  # noqa: E402
from server.core.db import write_transaction  # noqa: E402
from server.maps import cache, pictures  # noqa: E402
from server.core.tables import Assessment, CertificationEntry, CertificationList, Period, Score, Unit  # noqa: E402

INDICATORS = __import__("json").loads((ROOT / "examples" / "xa-other.json").read_text())["indicators"]
BATCH = 500


async def final_lists(period: Period, admin_id: int) -> int:
    """Every commune of the period's set on a final list of its province (every 3rd one failing)."""
    rules = load_rules(period.rule_set)
    passing = score(rules, "other", INDICATORS)
    failing = score(rules, "other", {**INDICATORS, "c3_abused_children": 2})
    provinces = await Unit.select(Unit.id, Unit.path).where((Unit.unit_set == period.unit_set) & (Unit.level == 1))
    communes = await Unit.select(Unit.id, Unit.path).where((Unit.unit_set == period.unit_set) & (Unit.kind == "commune"))
    count = 0
    for province in provinces:
        mine = [c for c in communes if c["path"].startswith(province["path"] + "/")]
        async with write_transaction():
            listed = CertificationList(key=f"{period.id}:{province['id']}:1", period=period.id, area=province["id"],
                                       state="final", created_by=admin_id)
            await listed.save()
            for start in range(0, len(mine), BATCH):
                chunk = mine[start:start + BATCH]
                results = [failing if (count + i) % 3 == 0 else passing for i in range(len(chunk))]
                assessments = await Assessment.insert(*[
                    Assessment(key=f"{period.id}:{c['id']}", period=period.id, commune=c["id"],
                               state="recognised" if r.certified else "not_recognised")
                    for c, r in zip(chunk, results)]).returning(Assessment.id)
                scores = await Score.insert(*[
                    Score(assessment=a["id"], rules_id=r.rules.id, rules_version=r.rules.version,
                          rules_sha256=r.rules.sha256, indicators=INDICATORS, result=r.model_dump(mode="json"),
                          total=r.total, certified=r.certified, provisional=r.uses_provisional)
                    for a, r in zip(assessments, results)]).returning(Score.id)
                await CertificationEntry.insert(*[
                    CertificationEntry(certification_list=listed.id, commune=c["id"], score=s["id"],
                                       commune_type="other", total=r.total, threshold=r.threshold,
                                       certified=r.certified, provisional=r.uses_provisional)
                    for c, s, r in zip(chunk, scores, results)])
                count += len(chunk)
    return count


async def setup() -> dict[str, Period]:
    from server.accounts.users import create_user
    from server.registry.units import import_units

    await import_units("legacy")
    await import_units("2025")
    admin = await create_user("admin", "bench-password", "admin")
    periods = {}
    for unit_set, year in (("legacy", 2024), ("2025", 2026)):
        period = Period(name=f"Đánh giá năm {year}", year=year, rule_set="vn-2019", unit_set=unit_set, form_versions={})
        await period.save()
        listed = await final_lists(period, admin.id)
        print(f"  {unit_set}: {listed:,} communes on final lists")
        periods[unit_set] = period
    return periods


async def render_times(period: Period, fmt: str, runs: int = 3) -> list[float]:
    """Uncached renders (the cache file is removed between runs), query time included."""
    times = []
    with i18n.use_language("vi"):
        for _ in range(runs):
            for path in (cache.cache_dir() / "results-map").glob(f"*.{fmt}"):
                path.unlink()
            started = time.perf_counter()
            picture = await pictures.results_map(period, None, fmt)
            times.append(time.perf_counter() - started)
            assert not picture.cached
    return times


def serve_times(period_ids: dict[str, int], runs: int = 30) -> dict[str, list[float]]:
    port = free_port()
    server = start_server(port, 1, TMP / "server.log")
    base = f"http://127.0.0.1:{port}"
    try:
        out = {}
        for unit_set, period_id in period_ids.items():
            url = f"{base}/public/{period_id}/map/png"
            request = urllib.request.Request(url, headers={"Cookie": "lang=vi"})
            with urllib.request.urlopen(request) as first:  # fills the cache if needed
                first.read()
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                with urllib.request.urlopen(request) as response:
                    body = response.read()
                    assert response.headers["x-phuhop-cache"] == "hit" and len(body) > 1000
                times.append(time.perf_counter() - started)
            out[unit_set] = times
        return out
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    from server.core.migrate import migrate

    migrate()
    print(f"database: {os.environ['PHUHOP_DATABASE_URL']}")
    print("setting up (registry import, final lists)…")
    started = time.perf_counter()
    periods = asyncio.run(setup())
    print(f"  set-up took {time.perf_counter() - started:.1f} s")
    for unit_set, period in periods.items():
        for fmt in ("png", "svg"):
            times = asyncio.run(render_times(period, fmt))
            print(f"render national map, {unit_set} set, {fmt}: median {statistics.median(times):.2f} s "
                  f"(runs: {', '.join(f'{t:.2f}' for t in times)}) — target < 3 s")
    served = serve_times({unit_set: period.id for unit_set, period in periods.items()})
    for unit_set, times in served.items():
        times.sort()
        print(f"serve cached national map over HTTP, {unit_set} set: median {statistics.median(times) * 1000:.1f} ms, "
              f"p95 {times[int(len(times) * 0.95) - 1] * 1000:.1f} ms — target < 100 ms")


if __name__ == "__main__":
    main()
