"""Input validation: the rule file's declared indicators decide what a commune must send.

Everything wrong is reported at once (a collaborator fixes a form in one go), each problem by
key, with a stable `code` and an English msgid the server translates.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from scoring.messages import N_
from scoring.ruleset import COMMUNE_TYPES, RuleSet

Value = bool | int | Fraction
"""A validated indicator: yes/no, a count, or an exact percentage."""

_EXPECTED = {"bool": N_("true or false"), "count": N_("a whole number"), "percent": N_("a number from 0 to 100")}


@dataclass(frozen=True)
class InputProblem:
    key: str
    code: str
    message: str  # msgid with %(name)s params
    params: dict[str, object] = field(default_factory=dict)

    def text(self) -> str:
        """The English message, params filled in (the CLI's wording; pages translate `message`)."""
        return self.message % {"key": self.key, **self.params}

    def to_dict(self) -> dict[str, object]:
        return {"key": self.key, "code": self.code, "message": self.message, "params": self.params}


class ScoringInputError(ValueError):
    """The input cannot be scored; `problems` lists every reason, in a stable order."""

    def __init__(self, problems: list[InputProblem]):
        self.problems = problems
        super().__init__("; ".join(f"{problem.key}: {problem.text()}" for problem in problems))


def split_document(document: object) -> tuple[object, object, list[InputProblem]]:
    """The `{"commune_type": ..., "indicators": {...}}` shape of `phuhop score` input."""
    if not isinstance(document, Mapping):
        raise ScoringInputError([InputProblem("(input)", "wrong_type", N_("The input must be a JSON object."))])
    problems = [InputProblem(str(key), "unknown_key", N_("%(key)s is not a field of the score input."))
                for key in sorted(map(str, document)) if key not in ("commune_type", "indicators")]
    for key in ("commune_type", "indicators"):
        if key not in document:
            problems.append(InputProblem(key, "missing_key", N_("%(key)s is missing.")))
    return document.get("commune_type"), document.get("indicators", {}), problems


def validate(rules: RuleSet, commune_type: object, indicators: object,
             problems: list[InputProblem] | None = None) -> dict[str, Value]:
    """The indicators converted to exact values, or ScoringInputError with every problem."""
    problems = list(problems or [])
    if commune_type not in COMMUNE_TYPES and not any(problem.key == "commune_type" for problem in problems):
        problems.append(InputProblem("commune_type", "unknown_commune_type",
                                     N_("Unknown commune type %(value)s; expected one of %(expected)s."),
                                     {"value": _show(commune_type), "expected": ", ".join(COMMUNE_TYPES)}))
    if not isinstance(indicators, Mapping):
        problems.append(InputProblem("indicators", "wrong_type", N_("%(key)s must be an object of indicator values.")))
        raise ScoringInputError(problems)

    declared = rules.indicators
    for key in sorted(map(str, indicators)):
        if key not in declared:
            problems.append(InputProblem(key, "unknown_key", N_("%(key)s is not an indicator of rule set %(rules)s."),
                                         {"rules": rules.id}))
    values: dict[str, Value] = {}
    for key, indicator in declared.items():
        if key not in indicators:
            problems.append(InputProblem(key, "missing_key", N_("%(key)s is missing.")))
            continue
        raw = indicators[key]
        value = _typed(indicator.type, raw)
        if value is None:
            problems.append(InputProblem(key, "wrong_type", N_("%(key)s must be %(expected)s, not %(value)s."),
                                         {"expected": _EXPECTED[indicator.type], "value": _show(raw)}))
        elif indicator.type != "bool" and value < 0:
            problems.append(InputProblem(key, "negative", N_("%(key)s must not be negative (got %(value)s)."),
                                         {"value": _show(raw)}))
        elif indicator.type == "percent" and value > 100:
            problems.append(InputProblem(key, "percent_above_100", N_("%(key)s is %(value)s %%, more than 100 %%."),
                                         {"value": _show(raw)}))
        else:
            values[key] = value
    for key, indicator in declared.items():
        denominator = indicator.denominator
        if key in values and denominator in values and values[key] > values[denominator]:
            problems.append(InputProblem(key, "above_denominator",
                                         N_("%(key)s (%(value)s) is greater than %(denominator)s (%(total)s)."),
                                         {"value": values[key], "denominator": denominator,
                                          "total": values[denominator]}))
    if problems:
        raise ScoringInputError(problems)
    return values


def _typed(kind: str, raw: object) -> Value | None:
    """The value if it has the declared type, else None. A bool is never a count (Python's True == 1)."""
    if kind == "bool":
        return raw if isinstance(raw, bool) else None
    if isinstance(raw, bool):
        return None
    if kind == "count":
        return raw if isinstance(raw, int) else None
    if isinstance(raw, int):
        return Fraction(raw)
    if isinstance(raw, float) and math.isfinite(raw):
        return Fraction(repr(raw))  # as written in the JSON: 97.3 is 973/10
    return None


def _show(value: object) -> str:
    """A short JSON rendering of what was sent, for messages."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:39] + "…"
