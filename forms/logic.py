"""A small, safe JSON-Logic subset for skip logic (`relevant`) and checks (`constraint`).

Expressions are data in the form files, so the server (here) and the phone
(`static/logic.js`, same semantics, checked by a parity test) evaluate the same rules.
Nothing is ever `eval`-ed: only the operators below exist.

Operators: `var`, `==`, `!=`, `<`, `<=`, `>`, `>=`, `and`, `or`, `!`, `in`, `if`, `+`, `-`.
A list is evaluated item by item (a list literal, e.g. the haystack of `in`).

Missing values, defined once for both evaluators:

- An answer is *missing* when it is absent, null, a string of only spaces, or an empty list;
  `{"var": key}` then gives null.
- Every operator gives null ("unknown") when an operand it needs is null or of the wrong
  type: comparisons compare two numbers or two strings (ISO dates compare as strings),
  never a number with a string; `+`/`-` need numbers; booleans are not numbers.
- `==`/`!=` compare two scalars strictly (no coercion: `true` is not `1`); different types
  are simply not equal; a null operand gives null.
- `and`, `or`, `!`, `if` use three-valued (Kleene) logic: only `true` and `false` are truth
  values, anything else is unknown. `and` is false if any operand is false, else unknown if
  any is unknown; `or` is true if any operand is true, else unknown if any is unknown.
- Callers decide what unknown means: a field is relevant only when `relevant` is exactly
  true; a constraint is violated only when it is exactly false (a check on a missing value
  is skipped, the `required` rule reports the missing value).
"""

from __future__ import annotations

import math
from typing import Any

ARITY: dict[str, tuple[int, int | None]] = {
    "var": (1, 1), "==": (2, 2), "!=": (2, 2), "<": (2, 2), "<=": (2, 2), ">": (2, 2), ">=": (2, 2),
    "and": (1, None), "or": (1, None), "!": (1, 1), "in": (2, 2), "if": (3, 3), "+": (2, None), "-": (2, 2),
}


def is_missing(value: Any) -> bool:
    """No answer: absent, null, blank text or an empty selection."""
    return (value is None or (isinstance(value, str) and not value.strip())
            or (isinstance(value, list) and not value))


def is_number(value: Any) -> bool:
    """A JSON number (booleans are not numbers, even though Python says so). An int of any size is one:
    `math.isfinite` raises OverflowError on ints beyond a float (10**400 in a JSON body)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


def strict_equal(left: Any, right: Any) -> bool:
    """Equality without coercion between two scalars (no `True == 1`)."""
    kind = _kind(left)
    return kind is not None and kind == _kind(right) and left == right


def _operator(expr: dict[str, Any]) -> tuple[str, list[Any]]:
    ((op, raw),) = expr.items()
    return op, raw if isinstance(raw, list) else [raw]


def check(expr: Any) -> Any:
    """Refuse anything but a well-formed expression of known operators (at load time)."""
    if isinstance(expr, list):
        for item in expr:
            check(item)
    elif isinstance(expr, dict):
        if len(expr) != 1:
            raise ValueError(f"an operation has exactly one operator, got {sorted(expr)}")
        op, args = _operator(expr)
        if op not in ARITY:
            raise ValueError(f"unknown operator {op!r} (known: {', '.join(ARITY)})")
        low, high = ARITY[op]
        if len(args) < low or (high is not None and len(args) > high):
            raise ValueError(f"operator {op!r} takes {low}{'' if high == low else '+' if high is None else f'-{high}'}"
                             f" operands, got {len(args)}")
        if op == "var" and not isinstance(args[0], str):
            raise ValueError(f"'var' takes a field key, got {args[0]!r}")
        for arg in args:
            check(arg)
    elif not (expr is None or isinstance(expr, (str, bool)) or is_number(expr)):
        raise ValueError(f"not an expression: {expr!r}")
    return expr


def variables(expr: Any) -> set[str]:
    """The field keys an expression reads (to check that they come earlier in the form)."""
    if isinstance(expr, list):
        return set().union(*(variables(item) for item in expr))
    if isinstance(expr, dict):
        op, args = _operator(expr)
        return {args[0]} if op == "var" else variables(args)
    return set()


def _truth(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _compare(op: str, left: Any, right: Any) -> bool | None:
    kind = _kind(left)
    if kind not in ("number", "string") or kind != _kind(right):
        return None
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def evaluate(expr: Any, answers: dict[str, Any]) -> Any:
    """The value of `expr` for these answers; null means unknown (see the module docstring)."""
    if isinstance(expr, list):
        return [evaluate(item, answers) for item in expr]
    if not isinstance(expr, dict):
        return expr
    op, args = _operator(expr)
    if op == "var":
        value = answers.get(args[0])
        return None if is_missing(value) else value
    values = [evaluate(arg, answers) for arg in args]
    if op in ("and", "or"):
        truths = [_truth(value) for value in values]
        decisive = op == "or"
        if decisive in truths:
            return decisive
        return None if None in truths else not decisive
    if op == "!":
        truth = _truth(values[0])
        return None if truth is None else not truth
    if op == "if":
        truth = _truth(values[0])
        return None if truth is None else values[1] if truth else values[2]
    if op in ("==", "!="):
        left, right = values
        if _kind(left) is None or _kind(right) is None:
            return None
        return strict_equal(left, right) == (op == "==")
    if op in ("<", "<=", ">", ">="):
        return _compare(op, *values)
    if op == "in":
        needle, haystack = values
        if _kind(needle) is None:
            return None
        if isinstance(haystack, list):
            return any(strict_equal(needle, item) for item in haystack)
        if isinstance(haystack, str) and isinstance(needle, str):
            return needle in haystack
        return None
    if not all(is_number(value) for value in values):
        return None
    if op == "+":
        return sum(values)
    return values[0] - values[1]
