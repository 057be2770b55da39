"""Totals and verdicts at the speed of arithmetic: a rule set compiled to a flat table, no explanation.

`score()` explains every point (a LineResult per line with its inputs, exact ratio and band label);
a batch of 10,000 communes spent three quarters of its time building those explanations, which
nobody reads for a list of totals. `score_totals()` gives the same total, verdict, reasons and
provisional lines from the same rule set, and builds the explanation only when asked
(`Totals.explain()`). tests/test_scoring_totals.py checks that both paths agree on generated communes.

Inputs are untrusted either way: a commune whose every indicator is a plain, in-range value of its
declared type is checked here in one pass; anything else goes through `validate()`, so an invalid
input raises exactly the ScoringInputError that `score()` raises.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any, cast

from scoring.engine import _score
from scoring.inputs import Value, split_document, validate
from scoring.messages import N_
from scoring.result import BelowThreshold, CriterionZero, RulesRef, ScoreResult
from scoring.ruleset import BAND_KINDS, COMMUNE_TYPES, BandsLine, BooleanLine, RuleSet


@dataclass(frozen=True, slots=True)
class _Table:
    """One rule set as tuples of plain ints: what the loop below reads, nothing else."""

    rules: RulesRef
    checks: tuple[tuple[str, str, str | None], ...]  # (key, type, denominator) of every declared indicator
    lines: tuple[tuple[Any, ...], ...]  # see _compile_line
    criteria: int  # how many criteria (a line names its criterion by index)
    zero_reasons: tuple[CriterionZero, ...]  # the reason of each criterion at 0 points (frozen: shared)
    no_criterion_at_zero: bool
    total_max: int


@dataclass(slots=True)
class Totals:
    """What a batch needs of one commune's score; `explain()` builds the full ScoreResult."""

    rules: RulesRef
    commune_type: str
    total: int
    max: int
    threshold: int
    threshold_provisional: bool
    certified: bool
    reasons: tuple[CriterionZero | BelowThreshold, ...]  # ScoreResult.reasons
    provisional: tuple[str, ...]  # ids of the lines scored with PROVISIONAL values, as ScoreResult.provisional
    criteria: tuple[int, ...]  # points per criterion, in the rule set's order
    _ruleset: RuleSet = field(repr=False)
    _values: Mapping[str, Value] = field(repr=False)

    @property
    def uses_provisional(self) -> bool:
        return bool(self.provisional) or self.threshold_provisional

    def explain(self) -> ScoreResult:
        """The explained result, every point traced to its inputs and band (what `score()` returns)."""
        return _score(self._ruleset, self.commune_type, dict(self._values))


def score_totals(rules: RuleSet, commune_type: str, indicators: Mapping[str, object]) -> Totals:
    """Score one commune without explaining it; raises ScoringInputError as `score()` does."""
    table = _table(rules)
    values = _plain_values(table, commune_type, indicators)
    if values is None:
        values = validate(rules, commune_type, indicators)
    return _totals(table, rules, commune_type, values)


def score_document_totals(rules: RuleSet, document: object) -> Totals:
    """`score_totals` for the `{"commune_type": ..., "indicators": {...}}` shape (`phuhop score-batch`)."""
    commune_type, indicators, problems = split_document(document)
    if problems:  # validate() raises, adding every problem of the indicators to these
        validate(rules, commune_type, indicators, problems)
    return score_totals(rules, commune_type, indicators)  # type: ignore[arg-type]


def _totals(table: _Table, rules: RuleSet, commune_type: str, values: Mapping[str, Value]) -> Totals:
    points = [0] * table.criteria
    provisional: list[str] = []
    part: Value
    whole: Value
    for criterion, part_key, whole_key, bands, na_points, na_marked, line_id in table.lines:
        # One flat loop over tuples: this is the whole cost of a batch. A line compares part/whole
        # with the bands' tops in integers (see _compile_line); whole is 1 when nothing divides.
        if whole_key is None:
            part, whole = values[part_key], 1
        else:
            whole = values[whole_key]
            if whole == 0:
                points[criterion] += na_points
                if na_marked:
                    provisional.append(line_id)
                continue
            part = values[part_key]
        for factor, top, top_included, earned, marked in bands:  # noqa: B007 — the band found is used below
            measured, bound = part * factor, top * whole
            if measured < bound or (top_included and measured == bound):
                break
        points[criterion] += earned
        if marked:
            provisional.append(line_id)

    total = sum(points)
    threshold = rules.thresholds[commune_type]
    reasons: tuple[CriterionZero | BelowThreshold, ...] = ()
    if table.no_criterion_at_zero and 0 in points:
        reasons = tuple(table.zero_reasons[index] for index, earned in enumerate(points) if earned == 0)
    if total < threshold.points:
        reasons += (_below_threshold(total, threshold.points),)
    return Totals(table.rules, commune_type, total, table.total_max, threshold.points, threshold.provisional,
                  not reasons, reasons, tuple(provisional), tuple(points), rules, values)


@lru_cache(maxsize=4096)
def _below_threshold(total: int, threshold: int) -> BelowThreshold:
    """Reasons are frozen: one object per (total, threshold) serves every commune that has it."""
    return BelowThreshold.model_construct(
        code="below_threshold", total=total, threshold=threshold,
        message=N_("The total of %(total)s points is below the threshold of %(threshold)s."))


def _plain_values(table: _Table, commune_type: object, indicators: Mapping[str, object]) -> Mapping[str, Value] | None:
    """The values when every declared indicator is there and plainly valid (else None: `validate` decides).

    The common case in one pass: exactly the declared keys, counts `int` ≥ 0 and not above their
    denominator, yes/no `bool`. Percentages are converted as `validate` converts them.
    """
    if not isinstance(commune_type, str) or commune_type not in COMMUNE_TYPES \
            or not isinstance(indicators, Mapping) or len(indicators) != len(table.checks):
        return None
    converted: dict[str, Value] | None = None
    try:
        for key, kind, denominator in table.checks:
            raw = indicators[key]
            if kind == "count":
                if type(raw) is not int or raw < 0 \
                        or (denominator is not None and raw > cast(int, indicators[denominator])):
                    return None
            elif kind == "bool":
                if type(raw) is not bool:
                    return None
            else:
                if type(raw) is int:
                    exact = Fraction(raw)
                elif type(raw) is float and raw == raw and abs(raw) != float("inf"):
                    exact = Fraction(repr(raw))
                else:
                    return None
                if not 0 <= exact <= 100:
                    return None
                converted = converted if converted is not None else {}
                converted[key] = exact
    except (KeyError, TypeError):  # a declared key missing (so another one unknown), a bad denominator
        return None
    checked = cast("Mapping[str, Value]", indicators)  # every declared value checked above, and no other key
    return checked if converted is None else {**checked, **converted}


_tables: dict[int, _Table] = {}


def _table(rules: RuleSet) -> _Table:
    """The compiled table of a rule set, made once per RuleSet object (forgotten with it)."""
    found = _tables.get(id(rules))
    if found is None:
        found = _tables[id(rules)] = _compile(rules)
        weakref.finalize(rules, _tables.pop, id(rules), None)
    return found


def _compile(rules: RuleSet) -> _Table:
    lines = tuple(_compile_line(index, line) for index, criterion in enumerate(rules.criteria)
                  for line in criterion.lines)
    return _Table(
        rules=RulesRef.model_construct(id=rules.id, version=rules.version, sha256=rules.sha256),
        checks=tuple((key, indicator.type, indicator.denominator) for key, indicator in rules.indicators.items()),
        lines=lines, criteria=len(rules.criteria),
        zero_reasons=tuple(CriterionZero.model_construct(
            code="criterion_zero", criterion=criterion.id,
            message=N_("Criterion %(criterion)s scored 0 points; no criterion may score 0."))
            for criterion in rules.criteria),
        no_criterion_at_zero=rules.conditions.no_criterion_at_zero, total_max=rules.total_max)


def _compile_line(criterion: int, line: BooleanLine | BandsLine) -> tuple[Any, ...]:
    """(criterion index, part key, whole key or None, bands, points and mark when whole is 0, line id).

    A band is (factor, top, top included, points, provisional), in the order the bands tile the
    range, so that the first band with `part × factor < top × whole` (or `=`, top included) is the
    one the value falls in: the exact comparison of part/whole (× 100 for a percentage, × 1000 per
    mille) with the band's top, in integers. The last band has no top: (0, 1, False, …) always holds.
    A yes/no line is two bands: `≤ 0` (no) earns 0, anything above earns its points.
    """
    if isinstance(line, BooleanLine):
        bands: tuple[tuple[Any, ...], ...] = (
            (1, 0, True, 0, line.provisional), (0, 1, False, line.points, line.provisional))
        return (criterion, line.input, None, bands, 0, False, line.id)
    scale = BAND_KINDS[line.kind].scale if line.numerator is not None else 1
    assert scale is not None
    bands = tuple(
        (0, 1, False, band.points, band.provisional) if band.high is None
        else (scale * band.high.denominator, band.high.numerator, band.high_closed, band.points, band.provisional)
        for band in sorted(line.intervals, key=lambda band: (band.low, not band.low_closed)))
    if line.numerator is None:
        return (criterion, line.input, None, bands, 0, False, line.id)
    assert line.not_applicable is not None
    return (criterion, line.numerator, line.denominator, bands, line.na_points, line.not_applicable.provisional,
            line.id)
