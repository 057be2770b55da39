"""What the public may learn of a commune's result: whether it was recognised, and which goals it reached.

A commune is small: "one child abused" points at a family. The rule (README, "Privacy"): nothing
public lets a reader work out that a count of a sensitive indicator (`SENSITIVE_KEYS`) was between
1 and 4 — not the points, not the total minus the other criteria, not the recognition, not the
difference between two revisions of a list.

So the public sees, per commune, only `PublicResult`: recognised or not, PROVISIONAL or not, and
per *goal* whether it was reached in full. A goal is one criterion, except the criteria that
`PUBLISHED_TOGETHER` joins into one goal. No points, totals, bands, measured values or reasons are
public; every page, download, map and picture is drawn from `PublicResult` alone.

Why criteria 3, 4 and 5 of vn-2019 are one goal: a recognised commune has no criterion at 0 points,
so criterion 3 (0 abused → 100, 1 → 50, 2 or more → 0) short of its maximum would say "exactly one
abused child", and criterion 4 the same of law-breaking. Joined with criterion 5, whose best result
below the maximum (no death, an injury rate between 5 and 10 per 1,000) is consistent with no abuse
and no law-breaking at all, "goal not reached" never pins a count: whatever the recognition and the
other goals allow, "no case of abuse" and "no case of law-breaking" stay possible. Criteria 6 and 8
(shares of children) are goals of their own: every band of theirs is reached with counts of 0 or of
5 and more when the denominators are not published (they are not). `tests/test_privacy_property.py`
enumerates the counts consistent with what is shown, for the demo and for generated communes, also
across two revisions of a list, and fails if any set of consistent counts lies inside 1..4.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
SMALL = range(1, 5)  # the counts that must never be worked out
# Per rule set: criteria published only together, as one goal (see the module docstring).
PUBLISHED_TOGETHER: dict[str, tuple[tuple[int, ...], ...]] = {"vn-2019": ((3, 4, 5),)}


@dataclass(frozen=True)
class Goal:
    key: str  # "1", "3-5": the criteria it stands for
    criteria: tuple[int, ...]
    reached: bool


@dataclass(frozen=True)
class PublicResult:
    """Everything the public learns of one commune's result (nothing else is shown)."""

    rules: str
    certified: bool
    provisional: bool
    goals: tuple[Goal, ...]

    @property
    def reached(self) -> int:
        return sum(1 for goal in self.goals if goal.reached)


def goal_key(criteria: tuple[int, ...]) -> str:
    return str(criteria[0]) if len(criteria) == 1 else f"{criteria[0]}-{criteria[-1]}"


def public_result(result: dict[str, Any], together: tuple[tuple[int, ...], ...] | None = None) -> PublicResult:
    """The public view of a stored ScoreResult (JSON). `together` overrides the rule set's groups (tests)."""
    rules = str((result.get("rules") or {}).get("id", ""))
    groups = PUBLISHED_TOGETHER.get(rules, ()) if together is None else together
    grouped = {criterion: group for group in groups for criterion in group}
    full = {c["id"]: c["points"] >= c["max"] for c in result.get("criteria", [])}
    goals: list[Goal] = []
    for criterion in result.get("criteria", []):
        group = grouped.get(criterion["id"], (criterion["id"],))
        if criterion["id"] != group[0]:
            continue  # a later member of a group already counted
        goals.append(Goal(key=goal_key(group), criteria=group, reached=all(full.get(c, False) for c in group)))
    provisional = bool(result.get("provisional")) or bool(result.get("threshold_provisional"))
    return PublicResult(rules=rules, certified=bool(result.get("certified")), provisional=provisional,
                        goals=tuple(goals))
