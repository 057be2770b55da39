"""Texts: every text a person reads exists in Vietnamese and English, and msgids are marked.

Form files carry their own {vi, en} texts (they are data, reviewed with the form); messages
from code are English msgids marked with `N_`, extracted by Babel (`make catalogs`) and
translated where they are shown, never here.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

LANGUAGES = ("vi", "en")


def N_(message: str) -> str:
    """Mark a msgid for extraction; it is translated later, by whoever shows it."""
    return message


def _vi_and_en(texts: dict[str, str]) -> dict[str, str]:
    if set(texts) != set(LANGUAGES):
        raise ValueError(f"needs exactly the languages {list(LANGUAGES)}, got {sorted(texts)}")
    empty = [language for language, text in texts.items() if not text.strip()]
    if empty:
        raise ValueError(f"empty text in {empty}")
    return texts


LocalText = Annotated[dict[str, str], AfterValidator(_vi_and_en)]
"""A text in both languages: `{"vi": "...", "en": "..."}`, neither empty."""
