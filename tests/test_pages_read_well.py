"""Every page of the demo, read as a commune official reads it.

The demo is loaded once; a crawler follows every link a reviewer and an administrator can reach
(and, for numbers, the collaborator's and the public pages), in Vietnamese and in English. It fails
on a raw indicator key (`c7_under1_total`), an audit action code (`assessment_approve`), JSON on a
page, and on a number written the other language's way ("99.15" or "96,5%" on a Vietnamese page,
"1.007" on an English one).
"""

from __future__ import annotations

import asyncio
import re

import pytest
from page_text import crawl, read

from forms.indicators import INDICATORS
from server.core.tables import AuditLog
from server.demo import DEMO_PASSWORD

pytestmark = pytest.mark.slow  # the demo is loaded and every page rendered in two languages
REVIEW_PAGES = ("/review", "/admin", "/progress", "/registration")


@pytest.fixture(scope="module")
def demo(migrated_db: str) -> str:
    from server.core.testing import restore_snapshot
    from server.demo import load_demo

    restore_snapshot("empty")
    asyncio.run(load_demo(communes_with_data=12))
    return migrated_db


def _client(username: str | None, language: str):
    from litestar.testing import TestClient

    from server.app import create_app

    client = TestClient(app=create_app(), base_url="http://127.0.0.1:8000")
    client.__enter__()
    client.cookies.set("lang", language)
    if username:
        client.get("/login")
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD},
                               headers={"x-csrftoken": client.cookies.get("csrftoken")}, follow_redirects=False)
        assert response.status_code == 303
    return client


STARTS = {
    "tham.dinh": ["/review", "/progress", "/registration",
                  *(f"/review?state={s}" for s in ("submitted", "returned", "recognised", "not_recognised",
                                                   "collecting"))],
    "admin": ["/review", "/admin/periods", "/admin/audit", "/admin/odk", "/admin/boundaries", "/admin/users",
              "/admin/users/new", "/admin/users/import", "/admin/users?state=inactive",
              *(f"/review?state={s}" for s in ("submitted", "returned", "recognised"))],
    "cong.tac.vien": ["/my", "/my/assessment", "/my/submissions", "/registration"],
    None: ["/public"],
}
PREFIXES = {"tham.dinh": REVIEW_PAGES, "admin": REVIEW_PAGES, "cong.tac.vien": ("/my", "/registration"),
            None: ("/public",)}

_pages: dict[tuple[str | None, str], dict[str, str]] = {}


def pages(who: str | None, language: str) -> dict[str, str]:
    """Every page `who` reaches in `language` ({url: html}), crawled once per module."""
    if (who, language) not in _pages:
        client = _client(who, language)
        try:
            _pages[(who, language)] = crawl(client, STARTS[who], PREFIXES[who])
        finally:
            client.__exit__(None, None, None)
    return _pages[(who, language)]


# ---------------------------------------------------------------- no keys, codes or JSON

KEY = re.compile(r"\b(?:c\d+_[a-z0-9_]+|" + "|".join(sorted(INDICATORS, key=len, reverse=True)) + r")\b")
JSON = re.compile(r"[{\[]\s*\"\w+\"\s*:")


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("who", ["tham.dinh", "admin"])
def test_reviewer_and_admin_pages_show_no_raw_key_code_or_json(demo, who: str, language: str) -> None:
    crawled = pages(who, language)
    assert len(crawled) > 20 and any("/review/" in url and url.count("/") == 3 for url in crawled)
    actions = {row["action"] for row in AuditLog.select(AuditLog.action).distinct().run_sync()}
    assert {"assessment_approve", "assessment_send", "user_created"} <= actions
    code = re.compile(r"\b(?:" + "|".join(sorted(actions, key=len, reverse=True)) + r")\b")
    problems = []
    for url, html in crawled.items():
        text, _ = read(html)
        for pattern, what in ((KEY, "indicator key"), (code, "action code"), (JSON, "JSON")):
            found = pattern.search(text)
            if found:
                problems.append(f"{url}: {what} {found.group(0)!r} in …{text[max(0, found.start() - 60):found.end() + 20]!r}")
    assert not problems, "\n".join(problems[:30])


# ---------------------------------------------------------------- one way of writing numbers

# What a number written the other language's way looks like (prose only; dates use "/", times ":").
FOREIGN = {
    "vi": [(re.compile(r"(?<![\w.,])\d+\.\d{1,2}(?![\d.])"), "decimal point"),
           (re.compile(r"(?<![\w.,])[1-9]\d{0,2}(?:,\d{3})+(?![\d,])"), "thousands comma"),
           (re.compile(r"\d[%‰]"), "no space before % or ‰")],
    "en": [(re.compile(r"(?<![\w.,])[1-9]\d{0,2}(?:\.\d{3})+(?![\d.])"), "thousands point"),
           (re.compile(r"(?<![\w.,])\d+,\d{1,2}(?![\d,])"), "decimal comma"),
           (re.compile(r"\d\s[%‰]"), "space before % or ‰")],
}


OUTLINE_NUMBER = re.compile(r"^\d{1,2}\.\d{1,2}$")
"""A criterion line's number on its own ("1.3", "12.2" in a scoring record), not a decimal."""


def foreign_numbers(text: str, language: str) -> list[str]:
    text = "\n".join(line for line in text.split("\n") if not OUTLINE_NUMBER.match(line.strip()))
    out = []
    for pattern, what in FOREIGN[language]:
        for found in pattern.finditer(text):
            out.append(f"{what}: …{text[max(0, found.start() - 40):found.end() + 10]!r}")
    return out


def _page_language(html: str, asked: str) -> str:
    found = re.search(r'<html lang="(\w+)"', html)
    return found.group(1) if found else asked


def test_the_scan_catches_numbers_written_the_other_way() -> None:
    assert foreign_numbers("Tỷ lệ 99.15 % và 1,007 trẻ", "vi") and foreign_numbers("Đạt 96,5%", "vi")
    assert not foreign_numbers("Tỷ lệ 99,15\u00a0% của 1.007 trẻ, ngày 02/12/2026 18:48", "vi")
    assert foreign_numbers("1.007 children", "en") and foreign_numbers("96,5% of them", "en")
    assert not foreign_numbers("99.15% of 1,007 children, 2 Dec 2026, 18:48", "en")


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("who", ["tham.dinh", "admin", "cong.tac.vien", None])
def test_every_page_writes_numbers_the_way_of_its_language(demo, who: str | None, language: str) -> None:
    crawled = pages(who, language)
    assert crawled
    # A page is read in its own language (<html lang>): official documents are always in Vietnamese.
    problems = [f"{url}: {problem}" for url, html in crawled.items()
                for problem in foreign_numbers(read(html, typed=False)[0], _page_language(html, language))]
    assert not problems, "\n".join(problems[:30])
