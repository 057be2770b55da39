"""Benchmark of rounds over the years at the scale of the whole country: the merger crosswalk, ten rounds
imported from national spreadsheets, registrations, and the national progress page.

    .venv/bin/python bench/history_country.py            # target: each step within a few seconds

Ten rounds: eight legacy ones (2017–2024, 10,035 communes each, XLSX as provinces keep them: names with
their district and province, some without diacritics, "xã" in lower case) and two of the 2025 registry
(2025, 2026; 3,321 communes). Registrations for four years. Then `progress.build` for the country in
process (cold), and `/public/progress` with its chart over real HTTP (`phuhop serve` on 127.0.0.1):
first request (computes and draws) and repeats (remembered while the data is unchanged).

Runs on a temporary SQLite database (PHUHOP_BENCH_DATABASE_URL=postgresql://... for PostgreSQL,
which is dropped and rebuilt).
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TMP = Path(tempfile.mkdtemp(prefix="phuhop-bench-history-"))
os.environ["PHUHOP_DATA_DIR"] = str(TMP)
os.environ["PHUHOP_DATABASE_URL"] = os.environ.get("PHUHOP_BENCH_DATABASE_URL", f"sqlite:///{TMP / 'bench.db'}")
os.environ.setdefault("PHUHOP_SECRET_KEY", "bench-secret")
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from openpyxl import Workbook  # noqa: E402

from served import free_port, start_server  # noqa: E402
from server.core.tables import Unit  # noqa: E402
from server.registry.units import fold  # noqa: E402

LEGACY_YEARS = list(range(2017, 2025))
YEARS_2025 = [2025, 2026]
REGISTRATIONS = [("legacy", 2022), ("legacy", 2024), ("2025", 2025), ("2025", 2026)]


def timed(label: str, results: dict[str, float]):
    class Timer:
        def __enter__(self):
            self.start = time.perf_counter()

        def __exit__(self, *_):
            results[label] = time.perf_counter() - self.start
            print(f"  {label}: {results[label]:.2f} s", flush=True)

    return Timer()


def as_typed(name: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.1:
        return fold(name).title()
    if roll < 0.2 and name.startswith("Xã "):
        return "xã " + name[3:]
    return name


def round_xlsx(rows: list[dict], year: int, rng: random.Random, share: float) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"Năm {year}")
    sheet.append([f"KẾT QUẢ ĐÁNH GIÁ XÃ PHÙ HỢP VỚI TRẺ EM NĂM {year}"])
    sheet.append(["STT", "Tên xã, phường, thị trấn", "Huyện", "Tỉnh", "Tổng điểm", "Kết quả", "Số QĐ", "Ngày QĐ"])
    for number, row in enumerate(rows, start=1):
        passed = rng.random() < share
        sheet.append([number, as_typed(row["name"], rng), row["district"], row["province"],
                      rng.randint(855, 980) if passed else rng.randint(700, 900), "Đạt" if passed else "Không đạt",
                      f"{rng.randint(1, 999)}/QĐ-UBND", f"{rng.randint(10, 28)}/12/{year}"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def communes(unit_set: str) -> list[dict]:
    rows = await Unit.select(Unit.code, Unit.name, Unit.parent.name, Unit.parent.kind, Unit.parent.parent.name) \
        .where((Unit.unit_set == unit_set) & (Unit.kind == "commune")).order_by(Unit.path).run()
    return [{"code": r["code"], "name": r["name"],
             "district": r["parent.name"] if r["parent.kind"] == "district" else "",
             "province": r["parent.parent.name"] if r["parent.kind"] == "district" else r["parent.name"]}
            for r in rows]


async def main() -> dict[str, float]:
    from server.core.migrate import migrate_async
    from server.core.testing import drop_all_tables
    from server.history import crosswalk, imports, progress
    from server.registry.units import import_units

    if not os.environ["PHUHOP_DATABASE_URL"].startswith("sqlite"):
        await asyncio.to_thread(drop_all_tables)
    await migrate_async()
    results: dict[str, float] = {}
    print(f"database: {os.environ['PHUHOP_DATABASE_URL'].split('@')[-1]}", flush=True)
    with timed("registries legacy + 2025 (13,356 units, not part of the target)", results):
        await import_units("legacy")
        await import_units("2025")
    with timed("crosswalk (10,602 links)", results):
        summary = await crosswalk.import_links(by="bench")
    assert summary.inserted == 10_602, summary.line()
    rng = random.Random(2025)
    rows = {"legacy": await communes("legacy"), "2025": await communes("2025")}
    files = []
    for number, year in enumerate(LEGACY_YEARS):
        files.append(("legacy", year, round_xlsx(rows["legacy"], year, rng, 0.40 + 0.02 * number)))
    for year in YEARS_2025:
        files.append(("2025", year, round_xlsx(rows["2025"], year, rng, 0.58 + 0.03 * (year - 2025))))
    print(f"  {len(files)} national XLSX files generated "
          f"({sum(len(data) for *_, data in files) / len(files) / 1024:.0f} KiB on average)", flush=True)
    per_round, cpu_per_round = [], []
    held = 0
    for unit_set, year, data in files:
        started, cpu = time.perf_counter(), time.process_time()
        planned, outcome = await imports.import_file(data, f"{year}.xlsx", "results", year, unit_set, by="bench")
        per_round.append(time.perf_counter() - started)
        cpu_per_round.append(time.process_time() - cpu)
        held += sum(outcome.counts[s] for s in imports.HELD)
        print(f"    round {year} ({unit_set}): {len(planned.rows):,} rows in {per_round[-1]:.2f} s "
              f"(CPU of this process {cpu_per_round[-1]:.2f} s); {outcome.counts['matched']:,} matched, "
              f"{sum(outcome.counts[s] for s in imports.HELD):,} held", flush=True)
    legacy = [t for (unit_set, *_), t in zip(files, per_round) if unit_set == "legacy"]
    legacy_cpu = [t for (unit_set, *_), t in zip(files, cpu_per_round) if unit_set == "legacy"]
    results["import one national legacy round (median of 8)"] = statistics.median(legacy)
    results["… its CPU time in this process (median of 8)"] = statistics.median(legacy_cpu)
    results["import ten rounds (total)"] = sum(per_round)
    results["rows held for a person (of all rounds)"] = held
    print(f"  import one national legacy round (10,035 rows), median: {statistics.median(legacy):.2f} s "
          f"(max {max(legacy):.2f} s; CPU of this process {statistics.median(legacy_cpu):.2f} s); "
          f"ten rounds: {sum(per_round):.2f} s", flush=True)
    with timed("registrations, 4 years (CSV with codes)", results):
        for unit_set, year in REGISTRATIONS:
            chosen = [r for r in rows[unit_set] if rng.random() < 0.9]
            data = ("Mã xã\n" + "\n".join(r["code"] for r in chosen) + "\n").encode()
            await imports.import_file(data, f"dk{year}.csv", "registrations", year, unit_set, by="bench")
    with timed("national progress, computed in process (cold)", results):
        found = await progress.build(None, "2025")
    tracemalloc.start()  # a second pass for the memory only: tracing slows Python several times
    await progress.build(None, "2025")
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    results["national progress peak memory (MiB)"] = peak
    print(f"  national progress peak memory: {peak:.0f} MiB; {len(found.rows)} year rows, "
          f"{len(found.lost):,} losses, {len(found.closest):,} closest", flush=True)
    return results


def http(port: int, results: dict[str, float]) -> None:
    base = f"http://127.0.0.1:{port}"

    def get(path: str) -> float:
        started = time.perf_counter()
        with urllib.request.urlopen(base + path, timeout=120) as response:
            response.read()
        return time.perf_counter() - started

    results["GET /public/progress, first (compute)"] = get("/public/progress")
    results["GET chart phone PNG, first (draw)"] = get("/public/progress/chart/png?layout=phone")
    results["GET chart wide PNG, first (draw)"] = get("/public/progress/chart/png?layout=wide")
    repeats = [get("/public/progress") for _ in range(10)]
    results["GET /public/progress, repeat (median of 10)"] = statistics.median(repeats)
    charts = [get("/public/progress/chart/png?layout=phone") for _ in range(10)]
    results["GET chart PNG, cached (median of 10)"] = statistics.median(charts)
    results["GET /public/progress/export.xlsx"] = get("/public/progress/export.xlsx")
    for key in [k for k in results if k.startswith("GET")]:
        print(f"  {key}: {results[key] * 1000:.0f} ms", flush=True)


if __name__ == "__main__":
    print("bench/history_country.py: the whole country, ten rounds", flush=True)
    figures = asyncio.run(main())
    port = free_port()
    server = start_server(port, 1, TMP / "server.log")
    try:
        http(port, figures)
    finally:
        server.terminate()
        server.wait(timeout=20)
    print(f"load average during the run: {os.getloadavg()[0]:.1f} (2 vCPU, shared); wall times on a loaded machine "
          "are upper bounds, the CPU time is what the work itself takes")
