"""Plausible, valid answers for any form version: the demo data and the load benchmarks use them.

Answers are built field by field in form order, as a person fills the form: a field that is not
relevant is skipped, and a value is kept only when the field's constraint holds for the answers so
far. Candidates for a constrained number come first from the numbers it is compared with (a
count of registered births near the births total; girls = children − boys), so cross-field checks
pass without knowing their meaning.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from forms.logic import evaluate, variables
from forms.model import FormField, FormVersion
from forms.validate import validate

# Events that the criteria want at zero (abuse, offending, deaths): most communes report none.
USUALLY_ZERO = ("c3_abused_children", "c4_children_offending", "c5_accident_deaths")
WORDS = ("sân chơi", "nhà văn hóa", "thôn", "tổ dân phố", "trẻ em", "câu lạc bộ", "bể bơi", "an toàn",
         "diễn đàn", "ý kiến", "đề xuất", "chiếu sáng", "cây xanh", "ghế đá")


class SampleError(RuntimeError):
    """No valid answer could be made for a field (a form whose constraints cannot be met)."""


def sample_answers(form: FormVersion, rng: random.Random, *, near: tuple[float, float] | None = None,
                   year: int = 2026, optional_share: float = 0.8) -> dict[str, Any]:
    """A complete, valid set of answers to `form` (checked with `forms.validate`)."""
    answers: dict[str, Any] = {}
    for field in form.fields:
        if field.type in ("percent", "note", "photo"):
            continue
        if field.relevant is not None and evaluate(field.relevant, answers) is not True:
            continue
        if not field.required and rng.random() > optional_share:
            continue
        answers[field.key] = _value(field, answers, rng, near, year)
    problems = validate(form, answers)
    if problems:
        raise SampleError(f"{form.form_id} v{form.version}: " + ", ".join(f"{p.field}: {p.code}" for p in problems))
    return answers


def _value(field: FormField, answers: dict[str, Any], rng: random.Random, near: tuple[float, float] | None,
           year: int) -> Any:
    for candidate in _candidates(field, answers, rng, near, year):
        if field.constraint is None or evaluate(field.constraint, {**answers, field.key: candidate}) is not False:
            return candidate
    raise SampleError(f"no value satisfies the constraint of {field.key}")


def _candidates(field: FormField, answers: dict[str, Any], rng: random.Random,
                near: tuple[float, float] | None, year: int) -> list[Any]:
    kind = field.type
    if kind == "integer":
        return _numbers(field, answers, rng)
    if kind == "decimal":
        low, high = field.min if field.min is not None else 0.0, field.max if field.max is not None else 100.0
        return [round(rng.uniform(low, high), 2) for _ in range(20)]
    if kind == "yes_no":
        first = rng.random() < 0.85
        return [first, not first]
    if kind == "select_one":
        return rng.sample([c.key for c in field.choices], len(field.choices))
    if kind == "select_many":
        plain = [c.key for c in field.choices if not c.exclusive]
        picks = [sorted(rng.sample(plain, rng.randint(1, len(plain)))) for _ in range(10)] if plain else []
        return picks + [[c.key] for c in field.choices]
    if kind == "text":
        text = " ".join(rng.sample(WORDS, 3)).capitalize()
        return [text[: field.max_length]]
    if kind == "date":  # days that have already happened (a form's dates are of past events)
        start = date(year, 1, 1)
        days = max(1, min(330, (date.today() - start).days - 31))
        dates = [(start + timedelta(days=rng.randrange(0, days))).isoformat() for _ in range(10)]
        related = [answers[key] for key in sorted(variables(field.constraint)) if isinstance(answers.get(key), str)]
        later = [(date.fromisoformat(d) + timedelta(days=rng.randint(1, 30))).isoformat() for d in related]
        return dates + later + related
    if kind == "geopoint":
        lat, lon = near or (21.03, 105.85)
        return [{"lat": round(lat + rng.uniform(-0.01, 0.01), 6), "lon": round(lon + rng.uniform(-0.01, 0.01), 6),
                 "accuracy": round(rng.uniform(3, 25), 1)}]
    raise SampleError(f"no sample for field type {kind}")


def _numbers(field: FormField, answers: dict[str, Any], rng: random.Random) -> list[int]:
    low = field.min if field.min is not None else 0
    high = field.max if field.max is not None else max(low, 2_000)
    if field.indicator in USUALLY_ZERO or field.key in USUALLY_ZERO:
        first = [0] if rng.random() < 0.9 else [rng.randint(1, 3)]
    else:
        first = []
    related = [answers[key] for key in sorted(variables(field.constraint)) if isinstance(answers.get(key), int)]
    near_values = [round(v * rng.uniform(0.9, 1.0)) for v in related] + related
    differences = [a - b for a in related for b in related if a > b]
    spread = [rng.randint(low, high) for _ in range(20)]
    small = [rng.randint(low, min(high, low + 20)) for _ in range(5)]
    return [n for n in first + near_values + differences + spread + small + [low] if low <= n <= high]
