"""Property-based tests of scoring: any input, every packaged rule set.

- Anything at all → a result or ScoringInputError, never another exception.
- Any valid input → totals and every criterion and line within 0..max, total = sum of criteria,
  certified exactly when there is no reason against it.
- Monotonic where the decision is: a better figure never lowers the points. The direction of each
  indicator below is the domain's (indicators.md), not read from the rule files, so a band typed
  the wrong way round in a rule file fails here.
"""

from __future__ import annotations


import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import RuleSet, ScoringInputError, list_rules, load_rules, score

RULES = {rule_id: load_rules(rule_id) for rule_id in list_rules()}
QUICK = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: conftest's profile

# Counts where more is better (a numerator over its total, or a number of activities) …
MORE_IS_BETTER = {
    "c2_births_registered", "c6_special_supported", "c6_severe_cases_with_plan", "c7_under1_immunised",
    "c9_checkup_done", "c10_age5_in_preschool", "c10_age6_14_in_school", "c11_decisions_consulted",
    "c12_activities", "c12_pupils_swim_taught", "c13_satisfied", "v2014_school_attendance_percent",
    "v2014_lower_secondary_graduation_percent",
}
# … and where fewer is better (harm done to children).
FEWER_IS_BETTER = {
    "c3_abused_children", "c4_children_offending", "c5_accident_deaths", "c5_injured_children",
    "c8_under5_underweight", "c8_under5_stunted", "v2014_child_labour_percent",
}


def test_every_scored_indicator_has_a_direction_or_is_a_total_or_yes_no() -> None:
    """A new indicator must be added to one of the sets above (or be a denominator / yes-no)."""
    for rules in RULES.values():
        denominators = {ind.denominator for ind in rules.indicators.values() if ind.denominator}
        for key, indicator in rules.indicators.items():
            if indicator.type == "bool" or key in denominators:
                continue
            assert key in MORE_IS_BETTER | FEWER_IS_BETTER, f"{rules.id}: give {key} a direction"


@st.composite
def valid_indicators(draw: st.DrawFn, rules: RuleSet) -> dict[str, object]:
    """Every declared indicator, of its type, each numerator at most its denominator."""
    values: dict[str, object] = {}
    for key, indicator in rules.indicators.items():
        if indicator.type == "bool":
            values[key] = draw(st.booleans())
        elif indicator.type == "percent":
            values[key] = draw(st.one_of(st.integers(0, 100), st.decimals(0, 100, places=2).map(float)))
        elif indicator.denominator is None:
            values[key] = draw(st.one_of(st.integers(0, 30), st.integers(0, 100_000)))
    for key, indicator in rules.indicators.items():
        if indicator.type == "count" and indicator.denominator is not None:
            values[key] = draw(st.integers(0, values[indicator.denominator]))
    return values


def rules_and_input(rule_id: str):
    rules = RULES[rule_id]
    return st.tuples(st.just(rules), st.sampled_from(sorted(rules.thresholds)), valid_indicators(rules))


ANY_VALID = st.sampled_from(sorted(RULES)).flatmap(rules_and_input)

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats() | st.text(max_size=20)
    | st.decimals(allow_nan=False).map(str),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def hostile_input(draw: st.DrawFn) -> tuple[RuleSet, object, object]:
    """A valid input with some keys dropped, retyped or added, or something that is not a dict at all."""
    rules, commune_type, values = draw(ANY_VALID)
    keys = sorted(values)
    for key in draw(st.lists(st.sampled_from(keys), max_size=5)):
        values[key] = draw(JSONISH)
    for key in draw(st.lists(st.sampled_from(keys), max_size=3)):
        values.pop(key, None)
    values.update(draw(st.dictionaries(st.text(max_size=10), JSONISH, max_size=3)))
    indicators = draw(st.one_of(st.just(values), JSONISH))
    commune_type = draw(st.one_of(st.just(commune_type), JSONISH))
    return rules, commune_type, indicators


@QUICK
@given(hostile_input())
def test_any_input_gives_a_result_or_a_scoring_input_error(case: tuple[RuleSet, object, object]) -> None:
    rules, commune_type, indicators = case
    try:
        result = score(rules, commune_type, indicators)
    except ScoringInputError as refused:
        assert refused.problems, "a refusal must say why"
        return
    assert 0 <= result.total <= result.max


@QUICK
@given(ANY_VALID)
def test_valid_input_scores_within_bounds(case: tuple[RuleSet, str, dict]) -> None:
    rules, commune_type, indicators = case
    result = score(rules, commune_type, indicators)
    assert 0 <= result.total <= rules.total_max == result.max
    assert result.total == sum(criterion.points for criterion in result.criteria)
    for criterion in result.criteria:
        assert 0 <= criterion.points <= criterion.max
        assert criterion.points == sum(line.points for line in criterion.lines)
        for line in criterion.lines:
            assert 0 <= line.points <= line.max
    assert result.certified == (not result.reasons)
    assert result.certified == (result.total >= result.threshold and all(c.points > 0 for c in result.criteria)
                                if rules.conditions.no_criterion_at_zero else result.total >= result.threshold)


def _points(rules: RuleSet, commune_type: str, values: dict) -> tuple[int, dict[int, int]]:
    result = score(rules, commune_type, values)
    return result.total, {criterion.id: criterion.points for criterion in result.criteria}


def _at_least(better: tuple[int, dict[int, int]], worse: tuple[int, dict[int, int]]) -> bool:
    return better[0] >= worse[0] and all(better[1][c] >= worse[1][c] for c in worse[1])


@QUICK
@given(ANY_VALID, st.data())
def test_yes_instead_of_no_never_lowers_points(case: tuple[RuleSet, str, dict], data: st.DataObject) -> None:
    rules, commune_type, values = case
    key = data.draw(st.sampled_from(sorted(k for k, i in rules.indicators.items() if i.type == "bool")))
    yes, no = {**values, key: True}, {**values, key: False}
    assert _at_least(_points(rules, commune_type, yes), _points(rules, commune_type, no)), key


def _upper_bound(rules: RuleSet, values: dict, key: str) -> int | None:
    """How high `key` may go: its denominator, 100 for a percent, no limit for a plain count …"""
    indicator = rules.indicators[key]
    if indicator.denominator:
        return values[indicator.denominator]
    return 100 if indicator.type == "percent" else None


def _others_bounded_by(rules: RuleSet, key: str) -> list[str]:
    """… and the numerators that `key` is the denominator of (a total cannot drop below them)."""
    return [k for k, i in rules.indicators.items() if i.denominator == key]


def _near_or_anywhere(low: int, high: int) -> st.SearchStrategy[int]:
    """Small steps find the edges of count bands (0, 1, 2 cases); wide ones the percent bands."""
    return st.one_of(st.integers(low, min(high, low + 3)), st.integers(low, high))


@QUICK
@given(ANY_VALID, st.data())
def test_a_better_figure_never_lowers_points(case: tuple[RuleSet, str, dict], data: st.DataObject) -> None:
    """More children immunised (same total), fewer abuse cases, … never cost points."""
    rules, commune_type, values = case
    directed = sorted(k for k in rules.indicators if k in MORE_IS_BETTER | FEWER_IS_BETTER)
    key = data.draw(st.sampled_from(directed))
    low_floor = max([values[k] for k in _others_bounded_by(rules, key)], default=0)
    high = _upper_bound(rules, values, key)
    low_value = data.draw(_near_or_anywhere(low_floor, high if high is not None else low_floor + 10_000))
    high_value = data.draw(_near_or_anywhere(low_value, high if high is not None else low_value + 10_000))
    low_case, high_case = {**values, key: low_value}, {**values, key: high_value}
    better, worse = (high_case, low_case) if key in MORE_IS_BETTER else (low_case, high_case)
    assert _at_least(_points(rules, commune_type, better), _points(rules, commune_type, worse)), \
        (key, low_value, high_value)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_the_examples_of_the_brief_hold(rule_id: str) -> None:
    """Named cases, so that a failure reads as the rule it breaks."""
    rules = RULES[rule_id]
    base = {key: (True if i.type == "bool" else 0 if i.denominator else 100 if i.type == "count" else 50)
            for key, i in rules.indicators.items()}
    if "c7_under1_immunised" in base:
        total = {**base, "c7_under1_total": 200}
        assert _points(rules, "other", {**total, "c7_under1_immunised": 199})[0] >= \
            _points(rules, "other", {**total, "c7_under1_immunised": 150})[0]
    if "c3_abused_children" in base:
        assert _points(rules, "other", {**base, "c3_abused_children": 0})[0] >= \
            _points(rules, "other", {**base, "c3_abused_children": 4})[0]
