"""Which values of a sensitive count are consistent with what the public sees (for the privacy property test).

The reader knows the rule set and everything phuhop publishes about a commune: its
`privacy.PublicResult` in one or more revisions of a list (recognised or not, PROVISIONAL or not, each
goal reached or not). A value v of a sensitive indicator k is *consistent* when some complete input
with k = v, equal in every sensitive count across the revisions, gives exactly the published views.

Search, with the real scoring engine throughout:
1. Each criterion's lines are split into groups that share no indicator; every group is scored over a
   grid of values (counts 0–12 and larger, denominators up to 5,000, numerators near each band edge),
   which gives, per group, the points it can earn and with which values of each key.
2. For k = v, every vector of points of the protected criteria (those reading a sensitive key) with
   k's group earning what it can earn with k = v is tried; each revision must then be reachable with
   the other criteria chosen freely within what its view says (reached → maximum; not reached → below
   it; recognised → total ≥ threshold and no criterion at 0; not recognised → the opposite).
3. A candidate is only accepted once a witness — a complete input assembled from the grid — is scored
   by the engine and gives, in every revision, exactly the published view. So every value reported
   consistent really is (the grid may miss some; that only makes the test stricter).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from scoring import RuleSet, load_rules, score
from server.maps import privacy

CANDIDATES = range(13)
COUNTS = list(range(13)) + [20, 50, 200]
DENOMINATORS = list(range(13)) + [15, 20, 30, 40, 50, 60, 80, 100, 150, 200, 300, 500, 600, 800,
                1000, 2000, 5000]
PERCENTS = [0, 1, 2, 5, 10, 15, 50, 70, 80, 85, 90, 95, 98, 99, 100]
EDGES = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)


def _numerators(denominator: int) -> list[int]:
    near = set(range(13)) | {denominator - 2, denominator - 1, denominator}
    near |= {int(denominator * edge) + delta for edge in EDGES for delta in (-1, 0, 1)}
    return sorted(n for n in near if 0 <= n <= denominator)


@dataclass
class Group:
    """Lines of one criterion that share indicators, and what they can earn."""

    criterion: int
    keys: tuple[str, ...]
    # points → one assignment earning them; (points, key, value) → one assignment with key = value
    any_of: dict[int, dict[str, Any]] = field(default_factory=dict)
    with_value: dict[tuple[int, str, Any], dict[str, Any]] = field(default_factory=dict)


def _keys_of(line: Any) -> list[str]:
    keys = [getattr(line, name, None) for name in ("input", "numerator", "denominator")]
    return [key for key in keys if key]


def _values(rules: RuleSet, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """The grid of assignments of these keys (numerators never above their denominators)."""
    indicators = rules.indicators
    free = [k for k in keys if not (indicators[k].denominator and indicators[k].denominator in keys)]
    choices: list[list[Any]] = []
    for key in free:
        kind = indicators[key].type
        is_denominator = any(indicators[o].denominator == key for o in keys)
        choices.append([False, True] if kind == "bool" else PERCENTS if kind == "percent"
                       else DENOMINATORS if is_denominator else COUNTS)
    out = []
    for combo in itertools.product(*choices):
        base = dict(zip(free, combo))
        dependent = [k for k in keys if k not in base]
        for numerators in itertools.product(*[_numerators(base[indicators[k].denominator]) for k in dependent]):
            out.append({**base, **dict(zip(dependent, numerators))})
    return out


@cache
def groups(rule_id: str) -> tuple[Group, ...]:
    rules = load_rules(rule_id)
    base = base_input(rule_id)
    found: list[Group] = []
    for criterion in rules.criteria:
        parts: list[tuple[set[str], list[str]]] = []  # (keys, line ids)
        for line in criterion.lines:
            keys = set(_keys_of(line))
            joined = [part for part in parts if part[0] & keys]
            for part in joined:
                parts.remove(part)
                keys |= part[0]
            parts.append((keys, [line.id] + [i for part in joined for i in part[1]]))
        for keys, line_ids in parts:
            group = Group(criterion=criterion.id, keys=tuple(sorted(keys)))
            for assignment in _values(rules, group.keys):
                result = score(rules, "other", {**base, **assignment})
                points = sum(line.points for c in result.criteria if c.id == criterion.id for line in c.lines
                             if line.id in line_ids)
                group.any_of.setdefault(points, assignment)
                for key, value in assignment.items():
                    group.with_value.setdefault((points, key, value), assignment)
            found.append(group)
    return tuple(found)


@cache
def base_input(rule_id: str) -> dict[str, Any]:
    """A valid input of the rule set (every group's keys are overwritten in a witness)."""
    rules = load_rules(rule_id)
    values: dict[str, Any] = {}
    for key, indicator in rules.indicators.items():
        values[key] = False if indicator.type == "bool" else 0
    return values


def protected(rule_id: str) -> set[int]:
    return {g.criterion for g in groups(rule_id) if set(g.keys) & privacy.SENSITIVE_KEYS}


def _criterion_options(rule_id: str, fixed: dict[int, set[int]] | None = None) -> dict[int, dict[int, tuple]]:
    """Criterion id → {points: (points per group)}; `fixed` limits a group (by index) to some points."""
    by_criterion: dict[int, list[int]] = {}
    for index, group in enumerate(groups(rule_id)):
        by_criterion.setdefault(group.criterion, []).append(index)
    out: dict[int, dict[int, tuple]] = {}
    for criterion, indexes in by_criterion.items():
        sets = [sorted((fixed or {}).get(i, groups(rule_id)[i].any_of)) for i in indexes]
        options: dict[int, tuple] = {}
        for combo in itertools.product(*sets):
            options.setdefault(sum(combo), tuple(zip(indexes, combo)))
        out[criterion] = options
    return out


@dataclass(frozen=True)
class Revision:
    """One published view of the commune, and the input it came from (for its non-sensitive values)."""

    view: privacy.PublicResult
    commune_type: str
    indicators: dict[str, Any]


def consistent_values(rule_id: str, key: str, revisions: list[Revision],
                      together: tuple[tuple[int, ...], ...] | None = None) -> set[int]:
    """The values in CANDIDATES of `key` for which a witness gives exactly every revision's view."""
    return {value for value in CANDIDATES if _witness(rule_id, key, value, revisions, together) is not None}


def _witness(rule_id: str, key: str, value: int, revisions: list[Revision],
             together: tuple[tuple[int, ...], ...] | None) -> list[dict[str, Any]] | None:
    rules = load_rules(rule_id)
    all_groups = groups(rule_id)
    home = next(i for i, g in enumerate(all_groups) if key in g.keys)
    allowed = {p for (p, k, v) in all_groups[home].with_value if k == key and v == value}
    if not allowed:
        return None
    maxima = {c.id: c.max for c in rules.criteria}
    shielded = protected(rule_id)
    options = _criterion_options(rule_id, {home: allowed})
    shared = sorted(shielded)
    full = {c for r in revisions for g in r.view.goals if g.reached for c in g.criteria}  # at their maximum
    choices = [([maxima[c]] if maxima[c] in options[c] else []) if c in full else sorted(options[c], reverse=True)
               for c in shared]
    for vector in itertools.product(*choices):
        chosen = dict(zip(shared, vector))
        plans = []
        for revision in revisions:
            plan = _open_plan(revision, chosen, maxima, options, rules)
            if plan is None:
                break
            plans.append(plan)
        else:
            witnesses = []
            for revision, plan in zip(revisions, plans):
                inputs = dict(revision.indicators)
                for criterion, points in {**chosen, **plan}.items():
                    for index, group_points in options[criterion][points]:
                        group = all_groups[index]
                        pick = group.with_value[(group_points, key, value)] if index == home else \
                            group.any_of[group_points]
                        inputs.update(pick)
                result = score(rules, revision.commune_type, inputs).model_dump(mode="json")
                if privacy.public_result(result, together) != revision.view:
                    break
                witnesses.append(inputs)
            else:
                return witnesses
    return None


def _open_plan(revision: Revision, chosen: dict[int, int], maxima: dict[int, int],
               options: dict[int, dict[int, tuple]], rules: RuleSet) -> dict[int, int] | None:
    """Points of the other criteria that make this revision's view, given the protected ones (or None)."""
    view = revision.view
    reached = {c: goal.reached for goal in view.goals for c in goal.criteria}
    for goal in view.goals:  # protected criteria: their goals must read as published
        if all(c in chosen for c in goal.criteria) and goal.reached != all(chosen[c] >= maxima[c] for c in goal.criteria):
            return None
    plan: dict[int, int] = {}
    free = [c for c in maxima if c not in chosen]
    for criterion in free:
        below = [p for p in options[criterion] if p < maxima[criterion]]
        if reached.get(criterion, True):
            if maxima[criterion] not in options[criterion]:
                return None
            plan[criterion] = maxima[criterion]
        elif not below:
            return None
        else:
            nonzero = [p for p in below if p > 0]
            plan[criterion] = (max(nonzero) if nonzero else -1) if view.certified else min(below)
    if view.certified:
        if any(p <= 0 for p in plan.values()) or any(p <= 0 for p in chosen.values()):
            return None
        return plan if sum(plan.values()) + sum(chosen.values()) >= rules.thresholds[revision.commune_type].points \
            else None
    has_zero = any(p == 0 for p in plan.values()) or any(p == 0 for p in chosen.values())
    below_threshold = sum(plan.values()) + sum(chosen.values()) < rules.thresholds[revision.commune_type].points
    return plan if has_zero or below_threshold else None


def reveals(values: set[int]) -> bool:
    """A reader learns a count between 1 and 4: every consistent value lies in 1..4."""
    return bool(values) and values <= set(privacy.SMALL)
