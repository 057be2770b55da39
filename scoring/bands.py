"""Bands: intervals of a line's value that earn points, and the check that they tile the range.

A band is written with the decision's own words (`at_least` ≥, `above` >, `below` <, `at_most` ≤)
so that a reader can check it against the text; bounds are exact (Fraction) so that 98 % is 98 %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise

from pydantic import BaseModel, ConfigDict, StrictInt, model_validator

Number = StrictInt | float


def exact(number: Number) -> Fraction:
    """A YAML number as written (0.1 is one tenth, not the nearest float)."""
    return Fraction(str(number))


class Band(BaseModel):
    """One band of a line as written in the rule file."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    at_least: Number | None = None
    above: Number | None = None
    below: Number | None = None
    at_most: Number | None = None
    points: StrictInt
    provisional: bool = False

    @model_validator(mode="after")
    def _one_bound_per_side(self) -> Band:
        if self.at_least is not None and self.above is not None:
            raise ValueError("a band has at most one lower bound: at_least or above")
        if self.below is not None and self.at_most is not None:
            raise ValueError("a band has at most one upper bound: below or at_most")
        if self.points < 0:
            raise ValueError("points must not be negative")
        return self

    def interval(self) -> Interval:
        """The band as an exact interval (a missing lower bound is 0, a missing upper one open)."""
        low = self.at_least if self.at_least is not None else self.above
        high = self.below if self.below is not None else self.at_most
        return Interval(
            low=exact(low) if low is not None else Fraction(0),
            low_closed=self.above is None,
            high=exact(high) if high is not None else None,
            high_closed=self.below is None,
            points=self.points,
            provisional=self.provisional,
        )


@dataclass(frozen=True, slots=True)
class Interval:
    """A band ready to match: exact bounds and whether each bound belongs to the band."""

    low: Fraction
    low_closed: bool
    high: Fraction | None  # None: no upper limit
    high_closed: bool
    points: int
    provisional: bool

    def contains(self, numerator: int, denominator: int) -> bool:
        """Whether numerator/denominator (denominator > 0) is in the band, in integers: exact and fast."""
        value, bound = numerator * self.low.denominator, self.low.numerator * denominator
        if value < bound or (value == bound and not self.low_closed):
            return False
        if self.high is None:
            return True
        value, bound = numerator * self.high.denominator, self.high.numerator * denominator
        return value < bound or (value == bound and self.high_closed)

    def label(self, unit: str) -> str:
        """How a person reads the band: "≥ 90 %, < 95 %", "≤ 5 ‰", "= 1"."""
        suffix = f" {unit}" if unit else ""
        if self.high is not None and self.low == self.high:
            return f"= {_plain(self.low)}{suffix}"
        parts = []
        if self.low != 0 or not self.low_closed:
            parts.append(f"{'≥' if self.low_closed else '>'} {_plain(self.low)}{suffix}")
        if self.high is not None:
            parts.append(f"{'≤' if self.high_closed else '<'} {_plain(self.high)}{suffix}")
        return ", ".join(parts) or f"≥ 0{suffix}"


def _plain(value: Fraction) -> str:
    """A band bound as written in the file: 95, 2.5."""
    if value.denominator == 1:
        return str(value.numerator)
    return format(float(value), "g")


def coverage_problems(bands: list[Band], top: Fraction | None, integers: bool) -> list[tuple[int, str]]:
    """Gaps and overlaps of a line's bands over [0, top] (top None: no limit), as (band index, why).

    With `integers` (counts) the bands tile the whole numbers, so "≤ 1" followed by "≥ 2" is
    adjacent; otherwise they must meet at one bound that exactly one of them includes.
    """
    problems: list[tuple[int, str]] = []
    spans = sorted(
        ((index, _as_integers(band.interval()) if integers else band.interval()) for index, band in enumerate(bands)),
        key=lambda item: (item[1].low, not item[1].low_closed),
    )
    first_index, first = spans[0]
    if first.low != 0 or not first.low_closed:
        problems.append((first_index, "gap: no band covers 0"))
    for (_, lower), (index, upper) in pairwise(spans):
        if lower.high is None:
            problems.append((index, "overlap: the band starts inside a band with no upper limit"))
            continue
        if integers:
            touching, overlapping = upper.low == lower.high + 1, upper.low <= lower.high
        else:
            touching = upper.low == lower.high and lower.high_closed != upper.low_closed
            overlapping = upper.low < lower.high or (upper.low == lower.high and lower.high_closed and upper.low_closed)
        if overlapping:
            problems.append((index, f"overlap with the band ending at {_plain(lower.high)}"))
        elif not touching:
            problems.append((index, f"gap between {_plain(lower.high)} and {_plain(upper.low)}"))
    last_index, last = spans[-1]
    for index, span in spans:
        if span.high is not None and span.high < span.low:
            problems.append((index, "empty band: its upper bound is below its lower bound"))
    if top is None:
        if last.high is not None:
            problems.append((last_index, f"gap: nothing covers values above {_plain(last.high)}"))
    else:
        if any(span.low > top for _, span in spans):
            problems.append((last_index, f"a band starts above {_plain(top)}"))
        elif last.high is not None and (last.high < top or (last.high == top and not last.high_closed)):
            problems.append((last_index, f"gap: {_plain(top)} is not covered"))
    return problems


def _as_integers(span: Interval) -> Interval:
    """The same band as a closed range of whole numbers (for counts)."""
    low = math.ceil(span.low) if span.low_closed else math.floor(span.low) + 1
    high = None
    if span.high is not None:
        high = Fraction(math.floor(span.high) if span.high_closed else math.ceil(span.high) - 1)
    return Interval(Fraction(low), True, high, True, span.points, span.provisional)
