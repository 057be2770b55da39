"""The stored form of a score is exactly ScoreResult.model_dump(mode="json"), built faster."""

from __future__ import annotations

import random
import sys
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from score_batch import synthetic_commune

from scoring import load_rules, score
from server.review.scoring_service import result_json


def test_the_fast_dump_equals_pydantic_for_varied_communes() -> None:
    rules = load_rules("vn-2019")
    rng = random.Random(7)
    seen_na = seen_reasons = False
    for code in range(300):
        commune = synthetic_commune(rng, code)
        if code % 10 == 0:  # nothing to measure on some lines: "not applicable" results
            commune["indicators"].update(c6_severe_cases=0, c6_severe_cases_with_plan=0, c11_decisions_total=0,
                                         c11_decisions_consulted=0)
        result = score(rules, commune["commune_type"], commune["indicators"])
        seen_na |= any(line.not_applicable for c in result.criteria for line in c.lines)
        seen_reasons |= bool(result.reasons)
        assert result_json(result) == result.model_dump(mode="json")
    assert seen_na and seen_reasons
