"""Plausibility checks: values a reviewer must look at, as data (`server/review/checks/<rule set>.yaml`).

A check never refuses data: it flags a value that real communes rarely report (a ratio outside the
usual range, a count far from last period's, a rare 0 %, one number copied into several boxes),
with a short explanation. The reviewer marks the flag as checked with a comment, or corrects the
value; a flag is tied to the values it saw (`fingerprint`), so a later change of those values
raises it again. Pure: values in, flags out; the file is checked when loaded (pydantic).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from forms.indicators import INDICATORS

CHECKS_DIR = Path(__file__).parent / "checks"
Number = StrictInt | float


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)


class _Check(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Text  # what is checked, as a heading
    message: Text  # why it is flagged, with %(value)s etc.

    def keys(self) -> list[str]:
        return [value for name in ("numerator", "denominator", "input") if (value := getattr(self, name, None))] + \
            list(getattr(self, "inputs", []))


class RatioCheck(_Check):
    kind: Literal["ratio"]
    numerator: str
    denominator: str
    scale: Literal[100, 1000]
    at_least: Number | None = None
    at_most: Number | None = None
    min_denominator: StrictInt = 1


class CountCheck(_Check):
    kind: Literal["count"]
    input: str
    at_least: Number | None = None
    at_most: Number | None = None


class ExactlyCheck(_Check):
    kind: Literal["exactly"]
    input: str
    value: StrictInt
    denominator: str
    min_denominator: StrictInt


class ChangeCheck(_Check):
    kind: Literal["change"]
    input: str
    percent: Number
    min_previous: StrictInt = 1


class SameValueCheck(_Check):
    kind: Literal["same_value"]
    inputs: list[str] = Field(min_length=2)
    fields: StrictInt = Field(ge=2)
    min_value: StrictInt = 1


Check = Annotated[RatioCheck | CountCheck | ExactlyCheck | ChangeCheck | SameValueCheck, Field(discriminator="kind")]


class CheckSet(_Model):
    id: str
    version: str
    checks: list[Check] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_keys_and_unique_ids(self) -> CheckSet:
        ids = [check.id for check in self.checks]
        doubles = sorted({i for i in ids if ids.count(i) > 1})
        unknown = sorted({f"{check.id}: {key}" for check in self.checks
                          for key in check.keys() if key not in INDICATORS})  # noqa: SIM118 - a check, not a dict
        problems = ([f"check ids used twice: {doubles}"] if doubles else []) + \
            ([f"keys not in the data dictionary: {unknown}"] if unknown else [])
        if problems:
            raise ValueError("; ".join(problems))
        return self


@dataclass(frozen=True)
class Flag:
    """One value to look at: which check, which indicators, the explanation and its params."""

    check: str
    keys: tuple[str, ...]
    title: Text
    message: Text
    params: dict[str, Any] = field(hash=False)
    fingerprint: str  # of the check and the values it read: a change of them raises the flag again


@cache
def load(rule_set: str) -> CheckSet | None:
    """The checks of a rule set (None if it has no check file)."""
    path = CHECKS_DIR / f"{rule_set}.yaml"
    if not path.is_file():
        return None
    return CheckSet.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def run(checks: CheckSet | None, values: dict[str, Any], previous: dict[str, Any] | None = None) -> list[Flag]:
    """Every flag the values raise (`previous`: last period's values of the same commune, if any)."""
    if checks is None:
        return []
    flags = []
    for check in checks.checks:
        found = _RUNNERS[check.kind](check, values, previous or {})
        if found is not None:
            seen = {key: values.get(key) for key in check.keys()}  # noqa: SIM118 - a check, not a dict
            if check.kind == "change":
                seen["previous"] = (previous or {}).get(check.input)
            digest = hashlib.sha256(json.dumps([check.id, seen], sort_keys=True, default=str).encode()).hexdigest()
            flags.append(Flag(check.id, tuple(found[0]), check.title, check.message, found[1], digest[:16]))
    return flags


Found = tuple[list[str], dict[str, Any]] | None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _outside(value: Fraction | int, low: Number | None, high: Number | None) -> str | None:
    if low is not None and value < Fraction(str(low)):
        return "low"
    if high is not None and value > Fraction(str(high)):
        return "high"
    return None


def _ratio(check: RatioCheck, values: dict[str, Any], _: dict[str, Any]) -> Found:
    part, whole = _count(values.get(check.numerator)), _count(values.get(check.denominator))
    if part is None or whole is None or whole < max(1, check.min_denominator):
        return None
    measured = Fraction(part * check.scale, whole)
    side = _outside(measured, check.at_least, check.at_most)
    if side is None:
        return None
    return [check.numerator, check.denominator], {
        "numerator": part, "denominator": whole, "value": measured, "unit": "%" if check.scale == 100 else "‰",
        "limit": check.at_least if side == "low" else check.at_most}


def _count_check(check: CountCheck, values: dict[str, Any], _: dict[str, Any]) -> Found:
    value = _count(values.get(check.input))
    if value is None or _outside(value, check.at_least, check.at_most) is None:
        return None
    return [check.input], {"value": value}


def _exactly(check: ExactlyCheck, values: dict[str, Any], _: dict[str, Any]) -> Found:
    value, whole = _count(values.get(check.input)), _count(values.get(check.denominator))
    if value != check.value or whole is None or whole < check.min_denominator:
        return None
    return [check.input, check.denominator], {"value": value, "denominator": whole}


def _change(check: ChangeCheck, values: dict[str, Any], previous: dict[str, Any]) -> Found:
    value, before = _count(values.get(check.input)), _count(previous.get(check.input))
    if value is None or before is None or before < max(1, check.min_previous):
        return None
    change = Fraction(100 * (value - before), before)
    if abs(change) <= Fraction(str(check.percent)):
        return None
    return [check.input], {"value": value, "previous": before, "change": change, "unit": "%"}


def _same_value(check: SameValueCheck, values: dict[str, Any], _: dict[str, Any]) -> Found:
    by_value: dict[int, list[str]] = {}
    for key in check.inputs:
        value = _count(values.get(key))
        if value is not None and value >= check.min_value:
            by_value.setdefault(value, []).append(key)
    repeated = max(by_value.items(), key=lambda item: len(item[1]), default=None)
    if repeated is None or len(repeated[1]) < check.fields:
        return None
    return repeated[1], {"value": repeated[0], "count": len(repeated[1])}


_RUNNERS = {"ratio": _ratio, "count": _count_check, "exactly": _exactly, "change": _change,
            "same_value": _same_value}
