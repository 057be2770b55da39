"""Translations: gettext catalogs from `locales/` (vi default, en), chosen per request.

Litestar has no i18n plugin, so this module does what Flask-Babel does: the catalogs are
compiled in memory at start (no stale `.mo` files), a middleware puts the request's language
in a context variable, and gettext callables read it. Code outside a request (CLI, tests)
gets the default language unless it calls `use_language`.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal, localcontext
from functools import lru_cache, cache
from pathlib import Path

from babel import Locale, dates, numbers
from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ("vi", "en")
TIMEZONE = dates.get_timezone("Asia/Ho_Chi_Minh")
"""Times are shown, and stamped into file names, in Vietnam's time."""
DEFAULT_LANGUAGE = "vi"
LOCALES_DIR = Path(__file__).resolve().parent.parent.parent / "locales"

_current: ContextVar[str] = ContextVar("phuhop_language", default=DEFAULT_LANGUAGE)


@cache
def translations(language: str) -> Translations:
    """The catalog of one language, compiled from its `.po` file in memory."""
    po_path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer)


def has_message(msgid: str) -> bool:
    """Whether the catalog knows this msgid (so that it is ours, not a library's English)."""
    return msgid in translations(DEFAULT_LANGUAGE)._catalog


def current_language() -> str:
    return _current.get()


@contextlib.contextmanager
def use_language(language: str) -> Iterator[None]:
    token = _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def set_language(language: str) -> None:
    """Set the language for the rest of the current task (the request)."""
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def gettext(message: str, **params: object) -> str:
    text = translations(current_language()).gettext(message)
    return text % params if params else text


def message_text(msgid: str, params: dict[str, object]) -> str:
    """A stored message (a msgid with its params, as scoring/ returns reasons) in the page's language,
    its whole numbers formatted like every other number of the page."""
    shown = {key: format_number(value) if isinstance(value, int) and not isinstance(value, bool) else value
             for key, value in params.items()}
    return gettext(msgid, **shown)


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(current_language()).ngettext(singular, plural, n)
    return text % {"num": n, **params}


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where it is shown."""
    return message


def best_language(accept_language: str | None) -> str:
    """The best of our languages for an Accept-Language header, else the default (vi)."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    weighted: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        if tag:
            weighted.append((weight, tag.strip().replace("-", "_")))
    preferred = [tag for _, tag in sorted(weighted, key=lambda pair: -pair[0])]
    return negotiate_locale(preferred, list(LANGUAGES), sep="_") or DEFAULT_LANGUAGE


# ---------------------------------------------------------------- the one formatting path
# Every number, percentage, per-mille, date and time shown to people (pages, exports, charts, images)
# goes through these functions, in the language of the page: vi "1.007", "99,15 %", "02/12/2026";
# en "1,007", "99.15%", "2 Dec 2026". tests/test_number_format.py scans rendered pages for strays.

_UNIT_SIGN = {"vi": {"%": "\u00a0%", "‰": "\u00a0‰"}, "en": {"%": "%", "‰": "‰"}}
"""How a unit follows its number: Vietnamese writes a (no-break) space before it, English none."""
_DATE_PATTERNS = {"vi": "dd/MM/y", "en": "d MMM y"}
_DATETIME_PATTERNS = {"vi": "dd/MM/y HH:mm", "en": "d MMM y, HH:mm"}
_NUMBER_IN_TEXT = re.compile(r"(\d+(?:\.\d+)?)(?: ?([%‰]))?")


def _decimal(value: float | int | str | Decimal) -> Decimal:
    """A number as written ("98.50" stays 98.50; a float goes through its shortest repr, not binary noise)."""
    if isinstance(value, (Decimal, int)):
        return Decimal(value)
    return Decimal(str(value))


def _babel_decimal(value: float | int | str | Decimal, fmt: str | None) -> str:
    language = current_language()
    if isinstance(value, int):  # bool included
        if -_MEMO_BOUND < value < _MEMO_BOUND:
            return _memo_decimal(str(int(value)), fmt, language)
    elif len(text := str(value)) <= 40:
        # By the number as written: Decimal("98.50") equals Decimal("98.5") but is shown with its zero.
        return _memo_decimal(text, fmt, language)
    return _format_decimal(_decimal(value), fmt, language)  # absurd input: not worth keeping


_MEMO_BOUND = 10**30


@lru_cache(maxsize=8192)
def _memo_decimal(text: str, fmt: str | None, language: str) -> str:
    """Babel's formatting costs ~40 µs a number and a review page shows hundreds (a third of its CPU),
    mostly the same few: memoised by the number as written."""
    return _format_decimal(Decimal(text), fmt, language)


def _format_decimal(number: Decimal, fmt: str | None, language: str) -> str:
    with localcontext() as context:  # enough digits for any integer (Babel rounds in the current context)
        context.prec = max(28, len(number.as_tuple().digits) + 8, number.adjusted() + 16)  # and 1e30 with decimals
        return numbers.format_decimal(number, format=fmt, locale=language)


def format_number(value: float | int | str | Decimal | None, decimals: int | None = None) -> str:
    """1007 → "1.007" (vi) / "1,007" (en); `decimals` fixes the places shown."""
    if value is None:
        return "–"
    fmt = None if decimals is None else "#,##0." + "0" * decimals if decimals else "#,##0"
    return _babel_decimal(value, fmt)


def format_unit(value: float | int | str | Decimal | None, unit: str, decimals: int = 2) -> str:
    """A measured value with its unit ("%", "‰" or ""), at most `decimals` places: "99,15 %", "3,5 ‰"."""
    if value is None or value == "":
        return "–"
    shown = _babel_decimal(value, "#,##0." + "#" * decimals if decimals else "#,##0")
    return shown + unit_sign(unit)


def unit_sign(unit: str) -> str:
    """What follows a number for `unit` in the page's language ("\u00a0%" in vi, "%" in en)."""
    return _UNIT_SIGN.get(current_language(), _UNIT_SIGN["en"]).get(unit, f" {unit}" if unit else "")


def format_percent(value: float | int | str | Decimal | None, decimals: int = 1) -> str:
    """A percentage given as a number of hundredths' units (99.15 → "99,15 %" / "99.15%")."""
    return format_unit(value, "%", decimals)


def format_permille(value: float | int | str | Decimal | None, decimals: int = 2) -> str:
    """A rate per thousand (3.5 → "3,5 ‰" / "3.5‰")."""
    return format_unit(value, "‰", decimals)


def format_numbers_in(text: str | None) -> str:
    """Numbers written the machine's way inside a short text ("≥ 2.5 ‰", "197/1007") in the page's style."""
    if not text:
        return ""
    return _NUMBER_IN_TEXT.sub(lambda m: format_unit(m.group(1), m.group(2) or "", decimals=4), text)


def format_date(value: date | datetime | str | None) -> str:
    if not value:
        return "–"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.astimezone(TIMEZONE).date() if value.tzinfo else value.date()
    language = current_language()
    return dates.format_date(value, format=_DATE_PATTERNS.get(language, "medium"), locale=language)


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return "–"
    language = current_language()
    return dates.format_datetime(value, format=_DATETIME_PATTERNS.get(language, "medium"), locale=language,
                                 tzinfo=TIMEZONE)


def language_name(language: str) -> str:
    return Locale.parse(language).get_display_name(language).capitalize()
