"""The fast path (`score_totals`) and the explained path (`score`) give identical results.

Both read the same rule sets; the fast one compiles them to tables of integers and builds no
explanation. They are compared on generated communes (any valid input, hostile input), and on
every value next to a band's edge for small and large denominators, where an off-by-one or a
rounding would show.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from test_properties_scoring import ANY_VALID, QUICK, RULES, hostile_input

from scoring import (ScoreResult, ScoringInputError, Totals, score, score_document, score_document_totals,
                     score_totals)
from scoring.ruleset import BAND_KINDS, BandsLine, RuleSet


def valid_base(rules: RuleSet) -> dict[str, object]:
    """A valid commune of any rule set: yes everywhere, 100 of every total, 50 of every part, 50 %."""
    return {key: True if indicator.type == "bool" else 50 if indicator.type == "percent" or indicator.denominator
            else 100 for key, indicator in rules.indicators.items()}


def same(full: ScoreResult, fast: Totals) -> None:
    assert (fast.rules, fast.commune_type, fast.total, fast.max, fast.threshold, fast.threshold_provisional,
            fast.certified, list(fast.reasons), list(fast.provisional), fast.uses_provisional) == \
           (full.rules, full.commune_type, full.total, full.max, full.threshold, full.threshold_provisional,
            full.certified, full.reasons, full.provisional, full.uses_provisional)
    assert list(fast.criteria) == [criterion.points for criterion in full.criteria]


def both(rules: RuleSet, commune_type: object, indicators: object) -> None:
    """Both paths score it the same, or both refuse it with the same problems."""
    try:
        full = score(rules, commune_type, indicators)  # type: ignore[arg-type]
    except ScoringInputError as refused:
        with pytest.raises(ScoringInputError) as also:
            score_totals(rules, commune_type, indicators)  # type: ignore[arg-type]
        assert also.value.problems == refused.problems
        return
    fast = score_totals(rules, commune_type, indicators)  # type: ignore[arg-type]
    same(full, fast)
    assert fast.explain() == full


@QUICK
@given(ANY_VALID)
def test_both_paths_agree_on_any_valid_commune(case: tuple[RuleSet, str, dict]) -> None:
    both(*case)


@QUICK
@given(hostile_input())
def test_both_paths_refuse_the_same_input_with_the_same_problems(case: tuple[RuleSet, object, object]) -> None:
    both(*case)


def _edges(line: BandsLine, whole: int) -> set[int]:
    """Numerators at and beside each band's bounds for this denominator (0..whole)."""
    scale = BAND_KINDS[line.kind].scale or 1
    parts = {0, whole}
    for band in line.intervals:
        for bound in (band.low, band.high):
            if bound is not None:
                exact = bound * whole / scale
                for near in (math.floor(exact) - 1, math.floor(exact), math.ceil(exact), math.ceil(exact) + 1):
                    parts.add(min(max(near, 0), whole))
    return parts


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_both_paths_agree_at_every_band_edge(rule_id: str) -> None:
    rules = RULES[rule_id]
    base = valid_base(rules)
    checked = 0
    for criterion in rules.criteria:
        for line in criterion.lines:
            if not isinstance(line, BandsLine):
                for answer in (True, False):
                    both(rules, "other", {**base, line.input: answer})
                continue
            if line.numerator is not None:
                for whole in (0, 1, 2, 3, 7, 19, 20, 99, 100, 101, 997, 1000, 1001, 123_457):
                    for part in _edges(line, whole):
                        both(rules, "other", {**base, line.numerator: part, line.denominator: whole})
                        checked += 1
            elif rules.indicators[line.input].type == "count":
                for value in range(2 + max(int(b.high or b.low) for b in line.intervals)):
                    both(rules, "other", {**base, line.input: value})
                    checked += 1
            else:  # a percentage sent as a number: exact at the edge, and a hair either side
                for band in line.intervals:
                    for bound in (band.low, band.high):
                        if bound is None:
                            continue
                        for value in (bound, bound - Fraction(1, 100), bound + Fraction(1, 100)):
                            if 0 <= value <= 100:
                                both(rules, "other", {**base, line.input: float(value)})
                                both(rules, "other", {**base, line.input: int(value)})
                                checked += 1
    assert checked > 100


def test_a_document_is_scored_or_refused_the_same_way() -> None:
    rules = RULES["vn-2019"]
    document = {"commune_type": "other", "indicators": valid_base(rules)}
    same(score_document(rules, document), score_document_totals(rules, document))
    for broken in ({"indicators": {}}, {**document, "extra": 1}, [], {"commune_type": "other", "indicators": 3}):
        with pytest.raises(ScoringInputError) as full:
            score_document(rules, broken)
        with pytest.raises(ScoringInputError) as fast:
            score_document_totals(rules, broken)
        assert fast.value.problems == full.value.problems
