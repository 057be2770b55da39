"""One strict way to read a number (or a date) that came from outside: a path, a query, a form, XML, the CLI.

`int()` takes more than anyone types as a number here: '²' passes `str.isdigit()` and then makes
`int()` raise, '٣' (an Arabic-Indic digit) becomes 3, '1_000' becomes 1000, and a string of more
than 4,300 digits raises ValueError only after the work. Every number from outside is read here
instead: ASCII digits only (an optional minus sign where negative numbers are allowed), at most
MAX_DIGITS digits, within the caller's bounds. Anything else is "not a number" (None), which the
caller answers with a 4xx naming the field.

Litestar's own `{name:int}` path parameters are read with `path_int` too (installed by the app),
and its typed query parameters carry explicit bounds.
"""

from __future__ import annotations

import math
import re
from datetime import date

MAX_DIGITS = 18  # fits a 64-bit database integer
DATABASE_MAX = 2**63 - 1
MAX_PAGE = 1_000_000  # a page number of a listing (typed query parameters are bounded, never open-ended)
MAX_FORM_VERSION = 100_000
_INTEGER = re.compile(rf"-?[0-9]{{1,{MAX_DIGITS}}}")
_DECIMAL = re.compile(rf"-?[0-9]{{1,{MAX_DIGITS}}}(?:\.[0-9]{{1,{MAX_DIGITS}}})?")


def parse_int(text: object, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """The whole number `text` says, or None when it is not one (or outside [minimum, maximum]).

    Surrounding spaces are allowed; a minus sign only when `minimum` is negative or None.
    """
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not _INTEGER.fullmatch(text) or (text.startswith("-") and minimum is not None and minimum >= 0):
        return None
    number = int(text)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        return None
    return number


def parse_decimal(text: object) -> float | None:
    """A decimal number written with ASCII digits and a point ('12.5', '-3'), or None; finite by construction."""
    if not isinstance(text, str) or not _DECIMAL.fullmatch(text.strip()):
        return None
    number = float(text)
    return number if math.isfinite(number) else None


def path_int(text: str) -> int:
    """Litestar's parser for `{name:int}` path parameters: a ValueError makes the router answer 404."""
    number = parse_int(text, minimum=0, maximum=DATABASE_MAX)
    if number is None:
        raise ValueError(f"not a whole number: {text[:20]!r}")
    return number


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(text: object, *, earliest: date, latest: date) -> date | None:
    """A calendar date written YYYY-MM-DD within [earliest, latest], or None (0001-01-01 and 9999-12-31
    are dates to `date.fromisoformat`, never dates of an assessment)."""
    if not isinstance(text, str) or not _DATE.fullmatch(text.strip()):
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return None
    return day if earliest <= day <= latest else None
