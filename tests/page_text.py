"""What a person reads on a rendered page, and a crawler that renders every page a role can reach.

Used by the tests that read pages as a commune official would (no raw keys, codes or JSON; numbers
written one way per language). Text inside <script>, <style>, <code> and elements marked
`translate="no"` (identifiers: codes, versions, hashes) is not prose and is left out; so is, when
asked (`typed=False`), what people typed (class "typed": comments, reasons, remarks), which is written
the way its author wrote it.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

SKIPPED = {"script", "style", "code", "kbd", "samp", "template"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Reader(HTMLParser):
    def __init__(self, typed: bool = True) -> None:
        super().__init__(convert_charrefs=True)
        self.typed = typed
        self.stack: list[bool] = []  # per open element: whether its text is skipped
        self.texts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        for name in ("title", "placeholder", "aria-label", "alt"):
            if values.get(name) and not self._skipping():
                self.texts.append(values[name] or "")
        if tag in VOID:
            return
        self.stack.append(self._skipping() or tag in SKIPPED or values.get("translate") == "no"
                          or (not self.typed and "typed" in (values.get("class") or "").split()))

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self._skipping() and data.strip():
            self.texts.append(data)

    def _skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1]


def read(html: str, typed: bool = True) -> tuple[str, list[str]]:
    """The page's prose (one text per line) and its links; `typed=False` leaves out what people typed."""
    reader = _Reader(typed)
    reader.feed(html)
    return "\n".join(" ".join(text.split()) for text in reader.texts), reader.links


def shape(url: str) -> str:
    """A URL with its numbers folded, so that a crawl visits a few pages of each kind."""
    parts = urlsplit(url)
    query = "&".join(sorted(re.sub(r"=.*", "", item) for item in parts.query.split("&") if item))
    return re.sub(r"\d+", "N", parts.path) + "?" + query


def crawl(client, starts: list[str], prefixes: tuple[str, ...], *, per_shape: int = 6, limit: int = 400,
          skip: re.Pattern[str] = re.compile(r"/(export|download)/|[./](csv|xlsx|png|svg|geojson|jpg|jpeg|webp)(\?|$)"),
          ) -> dict[str, str]:
    """Follow links from `starts` inside `prefixes`, GET only; {url: html} of every page that answered 200."""
    seen: set[str] = set()
    per: Counter[str] = Counter()
    queue = list(starts)
    pages: dict[str, str] = {}
    while queue and len(pages) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        kind = shape(url)
        if per[kind] >= per_shape:
            continue
        per[kind] += 1
        response = client.get(url)
        assert response.status_code < 500, f"{url}: {response.status_code}"
        if response.status_code != 200 or "html" not in response.headers.get("content-type", ""):
            continue
        pages[url] = response.text
        for link in read(response.text)[1]:
            target = urljoin(url, link).removeprefix("http://127.0.0.1:8000")
            target = target.split("#")[0]
            if target.startswith(prefixes) and not skip.search(target) and target not in seen:
                queue.append(target)
    return pages
