"""Batch scoring speed: 10,000 synthetic communes scored with vn-2019. Target: under 1 s.

Usage: python bench/score_batch.py [--communes 10000] [--seed 2019]   (or `make bench`)

Generates the communes (deterministic seed) into a temporary JSONL file, then measures
  1. in process: scoring only (rows already read), and read + score + write JSONL,
     with peak memory of the scoring (tracemalloc, in a second pass so that tracing does not
     distort the times);
  2. end to end: the real `phuhop score-batch` command (includes interpreter start and imports).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from contextlib import redirect_stdout
from pathlib import Path

from scoring import load_rules
from server.cli.score import read_rows, score_rows

BIN = Path(sys.executable).parent


def synthetic_commune(rng: random.Random, code: int) -> dict:
    """A plausible commune: hundreds to thousands of children, mostly good coverage, some cases."""
    children = rng.randint(400, 6000)

    def share(total: int, low: float) -> int:
        return min(total, round(total * rng.uniform(low, 1.0)))

    births, under1, under5 = (max(0, round(children * f)) for f in (0.05, 0.05, 0.3))
    under5 = max(1, under5)
    age5, age6_14, special = round(children * 0.06), round(children * 0.55), rng.randint(0, 80)
    severe = rng.choice([0, 0, 0, 1, 2])
    due, pupils, decisions, respondents = round(children * 0.8), round(children * 0.6), rng.randint(0, 12), rng.randint(50, 400)
    indicators = {
        "c1_protection_officer": rng.random() < 0.97, "c1_village_collaborators": rng.random() < 0.9,
        "c1_board_meets_regularly": rng.random() < 0.9, "c1_budget_allocated": rng.random() < 0.95,
        "c2_births_total": births, "c2_births_registered": share(births, 0.97),
        "c3_abused_children": rng.choice([0] * 12 + [1, 2]), "c4_children_offending": rng.choice([0] * 6 + [1, 2]),
        "c5_accident_deaths": rng.choice([0] * 9 + [1]), "c5_injured_children": rng.randint(0, children // 120),
        "children_total": children,
        "c6_special_total": special, "c6_special_supported": share(special, 0.92),
        "c6_severe_cases": severe, "c6_severe_cases_with_plan": share(severe, 0.5),
        "c7_under1_total": under1, "c7_under1_immunised": share(under1, 0.95),
        "c8_under5_total": under5, "c8_under5_underweight": round(under5 * rng.uniform(0, 0.11)),
        "c8_under5_stunted": round(under5 * rng.uniform(0, 0.14)),
        "c9_checkup_due": due, "c9_checkup_done": share(due, 0.85),
        "c10_age5_total": age5, "c10_age5_in_preschool": share(age5, 0.95),
        "c10_age6_14_total": age6_14, "c10_age6_14_in_school": share(age6_14, 0.96),
        "c11_forum_held": rng.random() < 0.85, "c11_decisions_total": decisions,
        "c11_decisions_consulted": share(decisions, 0.7), "c11_children_club_active": rng.random() < 0.8,
        "c12_safe_play_area": rng.random() < 0.85, "c12_activities": rng.randint(0, 8),
        "c12_pupils_total": pupils, "c12_pupils_swim_taught": share(pupils, 0.6),
        "c13_respondents": respondents, "c13_satisfied": share(respondents, 0.8),
    }
    commune_type = rng.choice(["urban_ward", "mountain_island_difficult", "other", "other"])
    return {"commune_code": f"{code:05d}", "commune_type": commune_type, "indicators": indicators}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2019)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    rules = load_rules("vn-2019")
    with tempfile.TemporaryDirectory(prefix="phuhop-bench-") as tmp:
        source = Path(tmp) / "communes.jsonl"
        source.write_text("".join(json.dumps(synthetic_commune(rng, code)) + "\n" for code in range(args.communes)))

        rows = read_rows(source, rules)
        started = time.perf_counter()
        records = list(score_rows(rules, rows))
        scoring = time.perf_counter() - started

        started = time.perf_counter()
        with redirect_stdout(io.StringIO()) as out:
            for record in score_rows(rules, read_rows(source, rules)):
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        in_process = time.perf_counter() - started

        tracemalloc.start()
        list(score_rows(rules, rows))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()

        target = Path(tmp) / "results.jsonl"
        started = time.perf_counter()
        done = subprocess.run([str(BIN / "phuhop"), "score-batch", "--rules", "vn-2019", str(source), "-o", str(target)],
                              capture_output=True, text=True, env={**os.environ})
        end_to_end = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"phuhop score-batch failed ({done.returncode}): {done.stderr}")

    certified = sum(record.get("certified", False) for record in records)
    invalid = sum(record["status"] == "invalid" for record in records)
    print(f"communes: {args.communes} (seed {args.seed}); certified {certified}, invalid {invalid}")
    print(f"scoring only, in process:        {scoring:.3f} s  ({scoring / args.communes * 1e6:.0f} µs/commune)")
    print(f"read + score + write, in process: {in_process:.3f} s")
    print(f"peak memory while scoring:       {peak / 2**20:.1f} MiB (tracemalloc)")
    print(f"`phuhop score-batch` end to end: {end_to_end:.3f} s (interpreter start and imports included)")
    print(f"target < 1 s for 10,000 communes (scoring): {'met' if scoring < 1 else 'MISSED'}")


if __name__ == "__main__":
    main()
