"""What tells one submission from another to a person: a place's name and kind, an activity's date and
kind, a respondent's group… (never a person's name: the forms hold none).

The rule, the same for every form version: the first two short text, date or single-choice questions
of the form's first screen; a form whose first screen has none (the annual figures) is told by its
first number ("Năm đánh giá: 2026"). The phone receives the chosen keys (`identifying_keys`) with the
form, so that a submission waiting on it reads the same as one stored on the server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from forms.model import FormField, FormVersion

_NAMING_TYPES = ("text", "date", "select_one")


def _names(field: FormField) -> bool:
    return field.type in _NAMING_TYPES and not (field.type == "text" and field.max_length > 200)


def identifying_keys(form: FormVersion) -> list[str]:
    first = form.groups[0].fields
    keys = [field.key for field in first if _names(field)][:2]
    return keys or [field.key for field in first if field.type in ("integer", "decimal")][:1]


def describe(form: FormVersion, answers: dict[str, Any], language: str,
             format_date: Callable[[str], str], format_number: Callable[[Any], str]) -> str:
    """"Sân chơi thôn 3 · Sân chơi, khu vui chơi", "12 thg 3, 2026 · Diễn đàn trẻ em", "Năm đánh giá: 2026"."""
    parts = []
    for key in identifying_keys(form):
        field, value = form.field_map[key], answers.get(key)
        if value is None or value == "":
            continue
        if field.type == "select_one":
            choice = next((c for c in field.choices if c.key == value), None)
            parts.append(_text(choice.label, language) if choice else str(value))
        elif field.type == "date":
            parts.append(format_date(value))
        elif field.type in ("integer", "decimal"):
            parts.append(f"{_text(field.label, language)}: {format_number(value)}")
        else:
            parts.append(str(value))
    return " · ".join(parts)


def _text(texts: dict[str, str], language: str) -> str:
    return texts.get(language) or texts.get("vi") or next(iter(texts.values()), "")
