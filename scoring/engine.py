"""The engine: validated indicators + a rule set → an explained ScoreResult. Generic over rule sets.

Values are exact (integer numerator and denominator) and a band is chosen before any rounding, so a commune at exactly a
band edge gets the band the decision gives it. A zero denominator never divides: the line is
"not applicable" and earns what its rule file says.
"""

from __future__ import annotations

from decimal import Decimal
from math import gcd
from typing import cast

from scoring.inputs import Value, split_document, validate
from scoring.messages import N_
from scoring.result import (
    BelowThreshold,
    CriterionResult,
    CriterionZero,
    LineResult,
    NotApplicable,
    RulesRef,
    ScoreResult,
)
from scoring.ruleset import BAND_KINDS, BandsLine, BooleanLine, RuleSet


def score(rules: RuleSet, commune_type: str, indicators: dict[str, object]) -> ScoreResult:
    """Score one commune; raises ScoringInputError listing every input problem."""
    return _score(rules, commune_type, validate(rules, commune_type, indicators))


def score_document(rules: RuleSet, document: object) -> ScoreResult:
    """Score the JSON shape `{"commune_type": ..., "indicators": {...}}` (the `phuhop score` input)."""
    commune_type, indicators, problems = split_document(document)
    values = validate(rules, commune_type, indicators, problems)
    return _score(rules, str(commune_type), values)


def _score(rules: RuleSet, commune_type: str, values: dict[str, Value]) -> ScoreResult:
    criteria: list[CriterionResult] = []
    provisional: list[str] = []
    reasons: list[CriterionZero | BelowThreshold] = []
    total = 0
    for criterion in rules.criteria:
        lines: list[LineResult] = []
        points, any_provisional = 0, criterion.provisional
        for line in criterion.lines:  # plain loops: this runs 10,000s of times in a batch
            result = _boolean(line, values) if line.kind == "boolean" else _bands(line, values)
            lines.append(result)
            points += result.points
            if result.provisional:
                provisional.append(result.id)
                any_provisional = True
        criteria.append(CriterionResult(id=criterion.id, title=criterion.title, points=points, max=criterion.max,
                                        provisional=any_provisional, lines=lines))
        total += points
        if points == 0 and rules.conditions.no_criterion_at_zero:
            reasons.append(CriterionZero.model_construct(
                code="criterion_zero", criterion=criterion.id,
                message=N_("Criterion %(criterion)s scored 0 points; no criterion may score 0.")))
    threshold = rules.thresholds[commune_type]
    if total < threshold.points:
        reasons.append(BelowThreshold.model_construct(
            code="below_threshold", total=total, threshold=threshold.points,
            message=N_("The total of %(total)s points is below the threshold of %(threshold)s.")))
    return ScoreResult.model_construct(
        rules=RulesRef.model_construct(id=rules.id, version=rules.version, sha256=rules.sha256),
        commune_type=commune_type, total=total, max=rules.total_max, threshold=threshold.points,
        threshold_provisional=threshold.provisional, certified=not reasons, reasons=reasons,
        provisional=provisional, criteria=criteria)


def _boolean(line: BooleanLine, values: dict[str, Value]) -> LineResult:
    yes = cast(bool, values[line.input])  # validated: a yes/no input is a bool
    return LineResult(
        id=line.id, label=line.label, kind=line.kind, inputs={line.input: yes}, ratio=None, value=None, unit="",
        band="yes" if yes else "no", points=line.points if yes else 0, max=line.points,
        provisional=line.provisional, not_applicable=None)


def _bands(line: BandsLine, values: dict[str, Value]) -> LineResult:
    """The measured value is kept as an exact numerator/denominator pair of integers."""
    kind = BAND_KINDS[line.kind]
    ratio: str | None = None
    inputs: dict[str, bool | int | str]
    if line.numerator is not None:
        # The loader requires a denominator and a scale with a numerator; validation made both counts.
        assert line.denominator is not None and kind.scale is not None
        part, whole = cast(int, values[line.numerator]), cast(int, values[line.denominator])
        inputs = {line.numerator: part, line.denominator: whole}
        if whole == 0:
            return _not_applicable(line, inputs)
        common = gcd(part, whole)
        ratio = f"{part // common}/{whole // common}"
        numerator, denominator = part * kind.scale, whole
        shown = _decimal(numerator, denominator)
    else:
        assert line.input is not None  # the loader requires an input without a numerator
        measured = values[line.input]  # a count (int) or a percent sent as a decimal number (Fraction)
        if isinstance(measured, int):
            numerator, denominator, shown = measured, 1, str(measured)
            inputs = {line.input: measured}
        else:
            numerator, denominator = measured.numerator, measured.denominator
            shown = _decimal(numerator, denominator)
            inputs = {line.input: str(Decimal(numerator) / Decimal(denominator))}
    for index, band in enumerate(line.intervals):  # noqa: B007 — the loader checked that exactly one band matches
        if band.contains(numerator, denominator):
            break
    return LineResult(
        id=line.id, label=line.label, kind=line.kind, inputs=inputs, ratio=ratio, value=shown,
        unit=kind.unit, band=line.band_labels[index], points=band.points, max=line.max,
        provisional=band.provisional, not_applicable=None)


def _not_applicable(line: BandsLine, inputs: dict[str, bool | int | str]) -> LineResult:
    rule = line.not_applicable
    assert rule is not None and line.denominator is not None  # the loader requires it on every line with a denominator
    points = line.na_points
    return LineResult(
        id=line.id, label=line.label, kind=line.kind, inputs=inputs, ratio=None, value=None,
        unit=BAND_KINDS[line.kind].unit, band=None, points=points, max=line.max, provisional=rule.provisional,
        not_applicable=NotApplicable(
            code="denominator_zero", key=line.denominator, points=points,
            message=N_("Not applicable: %(key)s is 0, so there is nothing to measure; the line earns "
                       "%(points)s points.")))


def _decimal(numerator: int, denominator: int) -> str:
    """Two decimal places, half up, for display only (the band was chosen on the exact value)."""
    hundredths = (numerator * 200 + denominator) // (2 * denominator)
    return f"{hundredths // 100}.{hundredths % 100:02d}"
