"""Batch scoring speed: 10,000 synthetic communes scored with vn-2019, three ways, interleaved.

Usage: python bench/score_batch.py [--communes 10000] [--seed 2019] [--runs 7]   (or `make bench`)

Generates the communes (deterministic seed) into a temporary JSONL file, then measures, in turns so
that a busy machine slows each path alike (CPU time of this process, `time.process_time`):
  1. `score()`: the explained result (every line with its inputs, exact ratio and band);
  2. `score_totals()`: totals, verdicts, reasons and provisional lines without the explanation
     (what `phuhop score-batch` runs), validation included;
  3. a table-driven loop: the arithmetic alone on values already known to be valid, float bounds,
     the floor any Python implementation sits on.
Targets: 2. under 1 s, and at most 4 × 3. It also prints read + score + write in process, the peak
memory of a scoring pass, and the real `phuhop score-batch` end to end (interpreter start included).
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from contextlib import redirect_stdout
from pathlib import Path
from collections.abc import Callable

from scoring import RuleSet, load_rules, score, score_totals
from scoring.ruleset import BAND_KINDS, BooleanLine
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


def table_loop(rules: RuleSet, communes: list[dict]) -> list[tuple[int, bool]]:
    """The arithmetic alone, as one would hand-write it: a table of (criterion, keys, scale, band tops as
    floats), values trusted, no explanation, no exactness at band edges. The yardstick for `score_totals`."""
    table = []
    for index, criterion in enumerate(rules.criteria):
        for line in criterion.lines:
            if isinstance(line, BooleanLine):
                table.append((index, line.input, None, 0, ((float("inf"), True, line.points),), 0))
                continue
            bands = sorted(line.intervals, key=lambda band: (band.low, not band.low_closed))
            tops = tuple((float(band.high) if band.high is not None else float("inf"), band.high_closed, band.points)
                         for band in bands)
            table.append((index, line.numerator or line.input, line.denominator, BAND_KINDS[line.kind].scale or 1,
                          tops, line.na_points if line.denominator else 0))
    thresholds = {name: threshold.points for name, threshold in rules.thresholds.items()}
    verdicts = []
    for commune in communes:
        values = commune["indicators"]
        points = [0] * len(rules.criteria)
        for criterion, key, denominator, scale, tops, not_applicable in table:
            if denominator is None:
                if scale == 0:
                    points[criterion] += tops[0][2] if values[key] else 0
                    continue
                measured = values[key]
            else:
                whole = values[denominator]
                if whole == 0:
                    points[criterion] += not_applicable
                    continue
                measured = values[key] * scale / whole
            for top, closed, earned in tops:  # noqa: B007 - the band found is the one the loop stops on
                if measured < top or (closed and measured == top):
                    break
            points[criterion] += earned
        total = sum(points)
        verdicts.append((total, total >= thresholds[commune["commune_type"]] and 0 not in points))
    return verdicts


def cpu_seconds(run: Callable[[], object]) -> float:
    gc.collect()  # every path starts from the same heap
    started = time.process_time()
    run()
    return time.process_time() - started


def spread(times: list[float]) -> str:
    return f"{min(times):.3f} / {statistics.median(times):.3f} / {max(times):.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--runs", type=int, default=7, help="interleaved runs of each path")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    rules = load_rules("vn-2019")
    communes = [synthetic_commune(rng, code) for code in range(args.communes)]
    def each(scorer: Callable) -> Callable[[], None]:
        def run() -> None:  # results are used and dropped, as a batch that writes them out does
            for commune in communes:
                scorer(rules, commune["commune_type"], commune["indicators"])
        return run

    paths: dict[str, Callable[[], object]] = {
        "explained": each(score), "totals": each(score_totals), "table": lambda: table_loop(rules, communes)}
    fast = [score_totals(rules, c["commune_type"], c["indicators"]) for c in communes]
    assert [(t.total, t.certified) for t in fast] == table_loop(rules, communes), "the yardstick disagrees"
    times: dict[str, list[float]] = {name: [] for name in paths}
    ratios: dict[str, list[float]] = {"explained": [], "totals": []}
    for _ in range(args.runs):
        turn = {name: cpu_seconds(run) for name, run in paths.items()}
        for name in paths:
            times[name].append(turn[name])
        for name in ratios:
            ratios[name].append(turn[name] / turn["table"])

    with tempfile.TemporaryDirectory(prefix="phuhop-bench-") as tmp:
        source = Path(tmp) / "communes.jsonl"
        source.write_text("".join(json.dumps(commune) + "\n" for commune in communes))
        rows = read_rows(source, rules)
        records = list(score_rows(rules, rows))

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
    ratio = statistics.median(ratios["totals"])
    print(f"communes: {args.communes} (seed {args.seed}); certified {certified}, invalid {invalid}; "
          f"{args.runs} interleaved runs, CPU time, min / median / max")
    print(f"score() (explained):             {spread(times['explained'])}")
    print(f"score_totals() (batch path):      {spread(times['totals'])}")
    print(f"table-driven loop (yardstick):    {spread(times['table'])}")
    print("ratio to the table loop, min / median / max: explained "
          + " / ".join(f"{r:.1f}" for r in (min(ratios["explained"]), statistics.median(ratios["explained"]),
                                             max(ratios["explained"])))
          + " ×; totals " + " / ".join(f"{r:.1f}" for r in (min(ratios["totals"]), ratio, max(ratios["totals"]))) + " ×")
    print(f"read + score + write, in process: {in_process:.3f} s (wall)")
    print(f"peak memory while scoring:       {peak / 2**20:.1f} MiB (tracemalloc)")
    print(f"`phuhop score-batch` end to end: {end_to_end:.3f} s (wall; interpreter start and imports included)")
    print(f"target: totals < 1 s for 10,000 communes: {'met' if statistics.median(times['totals']) < 1 else 'MISSED'}; "
          f"totals ≤ 4 × the table loop: {'met' if ratio <= 4 else 'MISSED'} (median {ratio:.1f} ×)")


if __name__ == "__main__":
    main()
