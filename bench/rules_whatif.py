"""What-if and apply of a new rule set version over the whole legacy registry (10,035 communes).

Usage: .venv/bin/python bench/rules_whatif.py [--seed 2019]

In a temporary SQLite database, set up as bench/review_country.py does (the legacy registry, one synthetic
annual submission per commune, a vn-2019 period), the period is scored; then a version of vn-2019 whose
line 2.1 earns 45 instead of 40 points at 98–100 % and 20 instead of 25 at 95–98 % is entered by one
administrator, checked by a second and published, and the script measures
  1. `whatif.compute`: both scores of every commune and the criterion that makes the difference;
  2. `whatif.to_xlsx`: the preview spreadsheet of every commune;
  3. `whatif.apply`: moving the period to the version and re-scoring it in one audited transaction.
Targets: the preview of the whole country < 10 s, applying it < 15 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent)]
from review_country import PASSWORD, score_all, setup  # noqa: E402  (sets up the temporary database first)

from scoring import load_rules  # noqa: E402
from server.accounts.users import create_user  # noqa: E402
from server.rules import items, versions, whatif  # noqa: E402


async def new_version(admin, checker):
    document = items.document_of(load_rules("vn-2019"))
    bands = document["criteria"][1]["lines"][0]["bands"]  # 2.1: 98–100 % earns 45, 95–98 % earns 20
    bands[1]["points"], bands[2]["points"] = 45, 20
    report = await versions.create_draft(document, admin, origin="web", note="benchmark")
    await versions.check_item(report.row, "line:2.1", checker, versions.Source("06/QĐ-TTg", "2019-01-03", "12", ""))
    return await versions.publish(report.row, checker, report.row.revision)


async def run(seed: int) -> None:
    period, admin, _ = await setup(seed)
    checker = await create_user("admin2", PASSWORD, "admin")
    first = await score_all(period, admin)
    print(f"period scored under vn-2019 2019.1: {first.scored:,} communes, {first.certified:,} certified")
    version = await new_version(admin, checker)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")

    started = time.perf_counter()
    what = await whatif.compute(period, version)
    compute_s = time.perf_counter() - started
    counts = what.counts
    print(f"whatif.compute: {counts['communes']:,} communes, {counts['status_changed']:,} change result "
          f"({counts['now_recognised']:,} become recognised), {counts['total_changed']:,} change total: "
          f"{compute_s:.2f} s  (target < 10 s)")
    started = time.perf_counter()
    book = whatif.to_xlsx(what)
    print(f"whatif.to_xlsx: {len(book) / 2**20:.1f} MiB in {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    done = await whatif.apply(period, version, checker, "benchmark")
    print(f"whatif.apply (preview again + move + re-score {done['scored']:,} communes, one transaction): "
          f"{time.perf_counter() - started:.2f} s  (target < 15 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2019)
    asyncio.run(run(parser.parse_args().seed))


if __name__ == "__main__":
    main()
