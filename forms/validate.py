"""Checking a whole submission against its form version; `static/validate.js` mirrors this on the phone.

Rules, the same in both (a parity test runs one table of cases through both):

- Every problem of the submission is returned, at most one per field (the first of: wrong
  type, range/choice/length, constraint), unknown keys first (sorted), then fields in form order.
- Fields are walked in form order; `relevant` and `constraint` see the earlier answers that are
  relevant and valid (an invalid or skipped answer counts as missing), plus computed percents.
- A value sent for a field that is not relevant is dropped, not an error: the phone keeps
  the answer to a question that a later change hid, and the collaborator cannot see it to fix
  it. `clean` leaves it out, so it is never stored.
- Missing (see `forms.logic`) and required → `required`; missing and optional → fine.
- A value sent for a computed (percent) or display-only (note) field → `read_only`.
- Integers: JSON numbers without a fraction (`3.0` is 3; `true` is not a number, nor is "3"); anything
  else says "enter a whole number, using only the digits 0–9" (the phone says the same of "²", "1e3",
  "１２" or "0x10" typed in the box). Decimals: JSON numbers. A number beyond 2**53 - 1 (the largest whole
  number the phone's JavaScript holds exactly; 10**5000 typed on the phone is Infinity there) is "too large".
- Text: trimmed, then at most the field's `max_length` characters (default 500); photo: a file name or id of
  letters, digits, `.`, `_`, `-`, at most its `max_length` (200) characters.
- Dates: `YYYY-MM-DD`, a real calendar date, within `dates` (earliest, latest; ISO): the caller gives the
  span (the server: from the start of what the period's figures describe to today — every date a form
  asks is of something that already happened; the phone the same with its own today), by default
  2000-01-01 to 2099-12-31. Out of it: "enter a date between dd/mm/yyyy and dd/mm/yyyy".
- Geopoints: `{lat, lon, accuracy?}` in range, then inside the field's bounds (by default a box around Vietnam).

Messages are English msgids (`MESSAGES`, marked with `N_`) with `%(name)s` params, translated
where they are shown; constraint messages come from the form file in both languages.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from forms.logic import evaluate, is_missing, is_number
from forms.model import (DateField, DecimalField, FormField, FormVersion, GeopointField, IntegerField, PhotoField,
                         SelectManyField, SelectOneField, TextField, YesNoField)
from forms.texts import N_

MESSAGES: dict[str, str] = {
    "unknown_field": N_("This question is not part of this form version."),
    "wrong_type": N_("This answer has the wrong type."),
    "not_a_number": N_("Enter a number, using only the digits 0–9 (and a comma before the decimals)."),
    "not_integer": N_("Enter a whole number, using only the digits 0–9."),
    "too_large": N_("This number is too large."),
    "required": N_("This question needs an answer."),
    "read_only": N_("This value is computed or only shown; it cannot be answered."),
    "below_min": N_("The value must be at least %(min)s."),
    "above_max": N_("The value must be at most %(max)s."),
    "not_a_choice": N_("This choice is not in the list."),
    "exclusive_choice": N_("This choice cannot be ticked together with other choices."),
    "too_long": N_("The text is too long: at most %(max_length)s characters."),
    "bad_date": N_("Enter a real date as YYYY-MM-DD."),
    "date_out_of_range": N_("Enter a date between %(earliest)s and %(latest)s."),
    "bad_geopoint": N_("The location is not valid: latitude from -90 to 90, longitude from -180 to 180."),
    "outside_area": N_("This location is outside Vietnam. Check the coordinates."),
    "bad_photo": N_("This is not a valid photo reference."),
    "constraint": N_("This answer does not fit with the other answers."),
}
"""Problem code → msgid; the page receives them translated, keyed by code."""

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
LARGEST = 2**53 - 1  # Number.MAX_SAFE_INTEGER on the phone
ANY_DATE = ("2000-01-01", "2099-12-31")  # 0001-01-01 and 9999-12-31 are dates, not answers here
_PHOTO = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_GEOPOINT_KEYS = {"lat", "lon", "accuracy"}


@dataclass(frozen=True)
class Problem:
    """One problem with one answer: `message` is an English msgid, `texts` the form's own {vi, en}."""

    field: str
    code: str
    message: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    texts: dict[str, str] | None = None

    def render(self, gettext: Callable[[str], str], language: str) -> str:
        """The message for a person: the form's text in `language`, or the translated msgid with params."""
        if self.texts:
            return self.texts.get(language) or self.texts["vi"]
        text = gettext(self.message)
        return text % self.params if self.params else text


class InvalidAnswers(ValueError):
    """`clean` was given answers that do not pass `validate`."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(", ".join(f"{p.field}: {p.code}" for p in problems))
        self.problems = problems


def validate(form: FormVersion, answers: dict[str, Any], dates: tuple[str, str] = ANY_DATE) -> list[Problem]:
    """Every problem of a whole submission (empty when it may be stored); `dates`: the span a date may be in."""
    return _walk(form, answers, dates)[0]


def clean(form: FormVersion, answers: dict[str, Any], dates: tuple[str, str] = ANY_DATE) -> dict[str, Any]:
    """The answers as stored: relevant and given only, ints as ints, text trimmed, percents computed.

    Percents are rounded to 2 decimals for display; scoring recomputes from the counts.
    """
    problems, cleaned = _walk(form, answers, dates)
    if problems:
        raise InvalidAnswers(problems)
    return {key: round(value, 2) if form.field_map[key].type == "percent" else value
            for key, value in cleaned.items()}


def _problem(key: str, code: str, params: dict[str, Any] | None = None, texts: dict[str, str] | None = None) -> Problem:
    return Problem(key, code, MESSAGES[code], params or {}, texts)


def _walk(form: FormVersion, answers: dict[str, Any], dates: tuple[str, str]) -> tuple[list[Problem], dict[str, Any]]:
    fields = form.field_map
    problems = [_problem(key, "unknown_field") for key in sorted(answers) if key not in fields]
    seen: dict[str, Any] = {}
    for field in form.fields:
        if field.relevant is not None and evaluate(field.relevant, seen) is not True:
            continue
        value = answers.get(field.key)
        if field.type in ("percent", "note"):
            if not is_missing(value):
                problems.append(_problem(field.key, "read_only"))
            elif field.type == "percent":
                numerator, denominator = seen.get(field.numerator), seen.get(field.denominator)
                if numerator is not None and denominator:
                    seen[field.key] = 100 * numerator / denominator
            continue
        if is_missing(value):
            if field.required:
                problems.append(_problem(field.key, "required"))
            continue
        normalised, code, params = _check(field, value, dates)
        if code is None and field.constraint is not None \
                and evaluate(field.constraint, {**seen, field.key: normalised}) is False:
            code, params = "constraint", {}
        if code is not None:
            texts = field.constraint_message if code == "constraint" else None
            problems.append(_problem(field.key, code, params, texts))
            continue
        seen[field.key] = normalised
    return problems, seen


def _plain(number: float) -> int | float:
    """2.0 → 2, so that messages and JSON read the same as on the phone."""
    return int(number) if isinstance(number, float) and number.is_integer() else number


def _check(field: FormField, value: Any, dates: tuple[str, str]) -> tuple[Any, str | None, dict[str, Any]]:
    """The normalised value, or the problem code and params of one present answer."""
    if isinstance(field, IntegerField | DecimalField):
        integer = isinstance(field, IntegerField)
        if _is_huge(value):
            return value, "too_large", {}
        if not is_number(value):
            return value, "not_integer" if integer else "not_a_number", {}
        if integer and not float(value).is_integer():
            return value, "not_integer", {}
        number = int(value) if integer else float(value)
        if field.min is not None and number < field.min:
            return value, "below_min", {"min": _plain(field.min)}
        if field.max is not None and number > field.max:
            return value, "above_max", {"max": _plain(field.max)}
        return number, None, {}
    if isinstance(field, YesNoField):
        return value, None if isinstance(value, bool) else "wrong_type", {}
    if isinstance(field, SelectOneField):
        if not isinstance(value, str):
            return value, "wrong_type", {}
        return value, None if value in {c.key for c in field.choices} else "not_a_choice", {}
    if isinstance(field, SelectManyField):
        return _check_many(field, value)
    if isinstance(field, TextField):
        if not isinstance(value, str):
            return value, "wrong_type", {}
        text = value.strip()
        if len(text) > field.max_length:
            return value, "too_long", {"max_length": field.max_length}
        return text, None, {}
    if isinstance(field, DateField):
        if not _is_date(value):
            return value, "bad_date", {}
        if not dates[0] <= value <= dates[1]:
            return value, "date_out_of_range", {"earliest": _day(dates[0]), "latest": _day(dates[1])}
        return value, None, {}
    if isinstance(field, GeopointField):
        return _check_geopoint(field, value)
    if isinstance(field, PhotoField):
        ok = isinstance(value, str) and len(value) <= field.max_length and _PHOTO.fullmatch(value)
        return value, None if ok else "bad_photo", {}
    raise TypeError(f"no check for a {field.type} field")  # percent and note answers are refused before


def _is_huge(value: Any) -> bool:
    """A number (an int of any size, or an infinite float) beyond what the phone holds exactly."""
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value and abs(value) > LARGEST


def _check_many(field: SelectManyField, value: Any) -> tuple[Any, str | None, dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return value, "wrong_type", {}
    choices = {choice.key: choice for choice in field.choices}
    if any(item not in choices for item in value):
        return value, "not_a_choice", {}
    chosen = list(dict.fromkeys(value))
    if len(chosen) > 1 and any(choices[item].exclusive for item in chosen):
        return value, "exclusive_choice", {}
    return chosen, None, {}


def _day(iso: str) -> str:
    """2026-12-02 → 02/12/2026, as Vietnam writes a date (the phone writes it the same way)."""
    return f"{iso[8:10]}/{iso[5:7]}/{iso[0:4]}"


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _check_geopoint(field: GeopointField, value: Any) -> tuple[Any, str | None, dict[str, Any]]:
    if not isinstance(value, dict) or not {"lat", "lon"} <= set(value) <= _GEOPOINT_KEYS \
            or not all(is_number(part) for part in value.values()):
        return value, "bad_geopoint", {}
    lat, lon, accuracy = value["lat"], value["lon"], value.get("accuracy", 0)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180 and accuracy >= 0):
        return value, "bad_geopoint", {}
    box = field.bounds
    if not (box.lat_min <= lat <= box.lat_max and box.lon_min <= lon <= box.lon_max):
        return value, "outside_area", {}
    return {key: float(part) for key, part in value.items()}, None, {}
