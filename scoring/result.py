"""The explained result of scoring one commune: every point traceable to an input and a band.

Messages (`message`) are English msgids marked with `N_`; the model's other fields are their
`%(name)s` params, so whoever shows a reason translates it: `_(reason.message) % reason.model_dump()`.
Lines and criteria are plain slotted dataclasses (pydantic serialises and validates them as
fields of ScoreResult) and the engine builds the models with `model_construct`: its values are
already checked, and a pydantic model per line made a batch of 10,000 communes 3× slower. They
are not `frozen` only because a frozen dataclass is 6× slower to build; treat results as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from scoring.ruleset import Text


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class RulesRef(_Result):
    """Which rule file, exactly, the score was computed with."""

    id: str
    version: str
    sha256: str


@dataclass(slots=True)
class NotApplicable:
    """Why a line was not measured (its denominator is 0) and what it earned instead."""

    code: Literal["denominator_zero"]
    key: str
    points: int
    message: str


@dataclass(slots=True)
class LineResult:
    id: str
    label: Text
    kind: str
    inputs: dict[str, bool | int | str]
    ratio: str | None  # exact share, e.g. "197/200" (percent lines) or "1/240" (rates)
    value: str | None  # decimal rendering of the measured value (2 places), e.g. "98.50"
    unit: str  # "%", "‰" or "" (counts, yes/no)
    band: str | None  # the band hit, e.g. "≥ 95 %", "yes"; chosen on the exact value
    points: int
    max: int
    provisional: bool
    not_applicable: NotApplicable | None


@dataclass(slots=True)
class CriterionResult:
    id: int
    title: Text
    points: int
    max: int
    provisional: bool  # its maximum or any of its lines' points is PROVISIONAL
    lines: list[LineResult]


class CriterionZero(_Result):
    code: Literal["criterion_zero"] = "criterion_zero"
    criterion: int
    message: str


class BelowThreshold(_Result):
    code: Literal["below_threshold"] = "below_threshold"
    total: int
    threshold: int
    message: str


Reason = Annotated[CriterionZero | BelowThreshold, Field(discriminator="code")]


class ScoreResult(_Result):
    """One commune scored under one rule set. `provisional` empty means every point is official."""

    rules: RulesRef
    commune_type: str
    total: int
    max: int
    threshold: int
    threshold_provisional: bool
    certified: bool
    reasons: list[Reason]  # why not certified; empty when certified
    provisional: list[str]  # ids of the lines scored with PROVISIONAL values
    criteria: list[CriterionResult]

    @property
    def uses_provisional(self) -> bool:
        """Whether any figure of this result (a line's points or the threshold) is PROVISIONAL."""
        return bool(self.provisional) or self.threshold_provisional
