"""What a collaborator's phone downloads and keeps to work offline, measured in real Chromium.

A fresh demo (temporary data directory), a real `phuhop serve`, headless Chromium at 360 × 740 with a fresh
profile: log in as the demo collaborator and wait until the service worker says the phone is ready. Then:

- every URL in the phone's caches, with the size it takes there (bodies as stored, uncompressed) and the
  size it costs over the network (fetched again with gzip, as the server sends it);
- the browser's own count of the origin's storage (`navigator.storage.estimate()`, overhead included);
- each form page with everything it loads, gzip-compressed (the budget is 60 KB).

    .venv/bin/python bench/phone_cache.py
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from served import ROOT, free_port, start_server

CHROMIUM = os.environ.get("PHUHOP_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
CACHED = """async () => {
  const out = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const body = await (await cache.match(request)).arrayBuffer();
      out.push({cache: name, url: request.url, bytes: body.byteLength});
    }
  }
  const estimate = await navigator.storage.estimate();
  return {entries: out, usage: estimate.usage};
}"""


def kb(n: float) -> str:
    return f"{n / 1024:.1f} KB"


def main() -> None:
    data = Path(tempfile.mkdtemp(prefix="phuhop-bench-phone-"))
    os.environ["PHUHOP_DATA_DIR"] = str(data)
    os.environ.pop("PHUHOP_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "server.cli", "demo", "--no-serve"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(port, 1, data / "server.log")
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN", base_url=base,
                                          is_mobile=True, has_touch=True)
            page = context.new_page()
            page.goto("/")
            page.fill("#username", "cong.tac.vien")
            page.fill("#password", "phuhop-demo")
            page.click("button.primary")
            page.wait_for_url("**/my")
            page.wait_for_selector("html[data-offline-ready]", timeout=60_000)
            kept = page.evaluate(CACHED)
            cookies = {c["name"]: c["value"] for c in context.cookies()}
            browser.close()
        report(base, kept, cookies)
    finally:
        server.terminate()
        server.wait(timeout=10)


def report(base: str, kept: dict, cookies: dict[str, str]) -> None:
    http = httpx.Client(base_url=base, cookies=cookies, headers={"Accept-Encoding": "gzip"})
    rows, stored_total, wire_total = [], 0, 0
    for entry in kept["entries"]:
        path = entry["url"].removeprefix(base)
        if path.startswith("/__state/"):
            wire = 0  # the worker's own notes (who is logged in, versions): never downloaded
        else:
            response = http.get(path, headers={"Accept-Encoding": "gzip"})
            wire = len(response.content) if response.headers.get("content-encoding") != "gzip" else \
                response.num_bytes_downloaded
        rows.append((entry["cache"], path, entry["bytes"], wire))
        stored_total += entry["bytes"]
        wire_total += wire
    print(f"{'cache':<36} {'url':<38} {'kept':>9} {'download':>9}")
    for cache, path, stored, wire in sorted(rows):
        print(f"{cache:<36} {path:<38} {kb(stored):>9} {kb(wire):>9}")
    print(f"\n{len(rows)} entries: kept {kb(stored_total)} (bodies, uncompressed); downloaded {kb(wire_total)} (gzip)")
    print(f"navigator.storage.estimate().usage: {kb(kept['usage'])} (Cache Storage and IndexedDB with their overhead)")

    print("\nEach form page with everything it loads, gzip-compressed as served (budget 60 KB):")
    for path in sorted(p for _, p, _, _ in rows if p.startswith("/my/forms/")):
        page = http.get(path)
        total = len(gzip.compress(page.content))
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+|/favicon.ico)"', page.text):
            total += len(gzip.compress(http.get(asset).content))
        print(f"  {path:<36} {kb(total)}")


if __name__ == "__main__":
    main()
