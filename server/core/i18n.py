"""Translations: gettext catalogs from `locales/` (vi default, en), chosen per request.

Litestar has no i18n plugin, so this module does what Flask-Babel does: the catalogs are
compiled in memory at start (no stale `.mo` files), a middleware puts the request's language
in a context variable, and gettext callables read it. Code outside a request (CLI, tests)
gets the default language unless it calls `use_language`.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import date, datetime
from functools import lru_cache
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


@lru_cache(maxsize=None)
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


def format_number(value: float | int | None, decimals: int | None = None) -> str:
    if value is None:
        return "–"
    fmt = None if decimals is None else "#,##0." + "0" * decimals if decimals else "#,##0"
    return numbers.format_decimal(value, format=fmt, locale=current_language())


def format_date(value: date | datetime | str | None) -> str:
    if not value:
        return "–"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return dates.format_date(value, format="medium", locale=current_language())


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return "–"
    return dates.format_datetime(value, format="short", locale=current_language(),
                                 tzinfo=TIMEZONE)


def language_name(language: str) -> str:
    return Locale.parse(language).get_display_name(language).capitalize()
