"""Public figures never identify a child: small counts of sensitive facts are shown as "< 5".

A commune is small: "1 child abused" or "2 children offending" points at a family. Every count of
a sensitive indicator (abuse, law-breaking or drugs, accidents and injuries, children in special
circumstances and their severe cases, malnutrition) below `THRESHOLD` — zero included, so that
"< 5" never tells 0 from 1 — is replaced by "< 5" on every public page, image and download.
Shares built from such counts (ratios like "1/240") are dropped for the same reason; the points a
line earned are the published result and stay.
"""

from __future__ import annotations

from typing import Any

THRESHOLD = 5
SUPPRESSED = "< 5"
# The data dictionary's keys (../shared/domain/indicators.md) whose small counts could identify a child.
SENSITIVE_KEYS = frozenset({
    "c3_abused_children",
    "c4_children_offending",
    "c5_accident_deaths",
    "c5_injured_children",
    "c6_special_total",
    "c6_special_supported",
    "c6_severe_cases",
    "c6_severe_cases_with_plan",
    "c8_under5_underweight",
    "c8_under5_stunted",
})


def is_sensitive(key: str) -> bool:
    return key in SENSITIVE_KEYS


def public_count(key: str, value: Any) -> Any:
    """The value as the public may see it: "< 5" for a small count of a sensitive indicator."""
    if is_sensitive(key) and isinstance(value, int) and not isinstance(value, bool) and value < THRESHOLD:
        return SUPPRESSED
    return value


def public_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    return {key: public_count(key, value) for key, value in inputs.items()}


def public_line(line: dict[str, Any]) -> dict[str, Any]:
    """A scored line (ScoreResult JSON) with its sensitive inputs suppressed where small."""
    inputs = public_inputs(line.get("inputs") or {})
    suppressed = any(value == SUPPRESSED for value in inputs.values())
    return {**line, "inputs": inputs,
            "ratio": None if suppressed else line.get("ratio"),
            "value": None if suppressed else line.get("value"),
            "suppressed": suppressed}
