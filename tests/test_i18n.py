"""Catalogs: complete in vi and en, really loaded, and in step with the code and templates."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from server.core import i18n

ROOT = Path(__file__).resolve().parent.parent


def _catalog(language: str):
    with (ROOT / "locales" / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


def _extracted_msgids(tmp_path: Path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", "babel.cfg", "-k", "N_",
                    "-o", str(pot), "server", "forms", "scoring"], cwd=ROOT, check=True)
    with pot.open("rb") as handle:
        return {m.id for m in read_po(handle) if m.id}


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_message_in_the_code_is_translated(language: str, tmp_path: Path) -> None:
    catalog = _catalog(language)
    missing = []
    for msgid in sorted(_extracted_msgids(tmp_path), key=str):
        message = catalog.get(msgid)
        if message is None or not message.string or message.fuzzy:
            missing.append(msgid)
    assert not missing, f"untranslated in {language} (run `make catalogs`, then translate): {missing}"


def test_vietnamese_catalog_really_loads() -> None:
    with i18n.use_language("vi"):
        assert i18n.gettext("Log in") == "Đăng nhập"
    with i18n.use_language("en"):
        assert i18n.gettext("Log in") == "Log in"


def test_numbers_and_dates_follow_the_language() -> None:
    from datetime import datetime, timezone

    at = datetime(2026, 12, 2, 11, 48, tzinfo=timezone.utc)  # 18:48 in Vietnam
    with i18n.use_language("vi"):
        assert i18n.format_number(1234567.5, 1) == "1.234.567,5"
        assert i18n.format_number(1007) == "1.007"
        assert i18n.format_percent("99.15", 2) == "99,15\u00a0%" and i18n.format_percent(96.5) == "96,5\u00a0%"
        assert i18n.format_permille("994.87") == "994,87\u00a0‰"
        assert i18n.format_numbers_in("≥ 2.5 ‰, < 95 %") == "≥ 2,5\u00a0‰, < 95\u00a0%"
        assert i18n.format_date("2026-03-05") == "05/03/2026"
        assert i18n.format_datetime(at) == "02/12/2026 18:48"
    with i18n.use_language("en"):
        assert i18n.format_number(1234567.5, 1) == "1,234,567.5"
        assert i18n.format_number(1007) == "1,007"
        assert i18n.format_percent("99.15", 2) == "99.15%" and i18n.format_permille("994.87") == "994.87‰"
        assert i18n.format_date("2026-03-05") == "5 Mar 2026"
        assert i18n.format_datetime(at) == "2 Dec 2026, 18:48"
    assert len(i18n.format_number(10**5000)) > 5000  # no exception for absurd input


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, "vi"), ("en-US,en;q=0.9", "en"), ("fr-FR", "vi"), ("fr;q=1, en;q=0.5", "en"), ("vi-VN,en;q=0.5", "vi"),
     ("garbage;q=x", "vi")],
)
def test_language_from_accept_language(header: str | None, expected: str) -> None:
    assert i18n.best_language(header) == expected


def test_huge_numbers_are_written_not_crashed_on() -> None:
    """A value of 10**30 (a typing mistake that got stored) must still show, with decimals and units too."""
    from server.core.i18n import format_number, format_unit, use_language

    with use_language("vi"):
        assert format_number(1e30, 2) == "1.000.000.000.000.000.000.000.000.000.000,00"
        assert format_unit(2e31, "‰").startswith("20.000.000.000.000.000.000.000.000.000.000")
        assert format_unit("1e+30", "%").startswith("1.000.000.000.000.000.000.000.000.000.000")
