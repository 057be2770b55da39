"""Load: many phones submitting, reviewers browsing and the public reading, against a real server.

Usage: python bench/submit_load.py [--phones 64] [--reviewers 4] [--public 4] [--seconds 20] [--workers 2]
                                  [--rate SUBMISSIONS_PER_SECOND]
       PHUHOP_DATABASE_URL selects the engine, as for the server (default: a fresh SQLite file in a
       temporary directory; a PostgreSQL database named there is DROPPED and rebuilt).

`phuhop serve --workers N` (uvicorn) runs on 127.0.0.1 in its own processes. Each phone is an
aiohttp client logged in as the collaborator of its own commune; it posts valid answers
(`server.samples.sample_answers`, made before the clock starts) to /api/submissions with a fresh
UUID, and sends one in ten twice (a retry) to check that a retry stores nothing new. Reviewers
open the review queue and commune pages; the public opens /public pages when the app has them.
Prints requests/s and p50/p99/max latency per endpoint, then checks the database: every
acknowledged UUID stored exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
import uvloop

from served import start_server

if TYPE_CHECKING:
    from forms.model import FormVersion

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password"
SUBMIT = "POST /api/submissions"


def configure() -> Path:
    """Environment for the server and for this process (the engine is built from it at import)."""
    data_dir = Path(os.environ.get("PHUHOP_DATA_DIR") or tempfile.mkdtemp(prefix="phuhop-bench-"))
    os.environ["PHUHOP_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("PHUHOP_DATABASE_URL", f"sqlite:///{data_dir / 'bench.db'}")
    os.environ.setdefault("PHUHOP_SECRET_KEY", "bench-secret")
    sys.path.insert(0, str(ROOT))
    return data_dir


def engine_name() -> str:
    return "postgres" if os.environ["PHUHOP_DATABASE_URL"].startswith("postgres") else "sqlite"


def prepare(phones: int, reviewers: int) -> dict:
    """A fresh migrated database: one province, a commune and a collaborator per phone, reviewers, a period."""
    from server.core.migrate import migrate
    from server.core.testing import drop_all_tables

    drop_all_tables()
    migrate()
    return asyncio.run(_load_world(phones, reviewers))


async def _load_world(phones: int, reviewers: int) -> dict:
    from server.core import audit
    from server.accounts.passwords import hash_password
    from server.core.db import write_transaction
    from server.registry.units import fold
    from server.core.tables import Period, Unit, User

    password_hash = await hash_password(PASSWORD)  # one hash for every account: argon2 is slow on purpose
    async with write_transaction():
        province = Unit(key="2025:01", unit_set="2025", code="01", name="Thành phố Hà Nội", name_ascii=fold("Thành phố Hà Nội"),
                        kind="province", level=1, path="/01", lat=21.03, lon=105.85)
        await province.save()
        communes = []
        for index in range(phones):
            code = f"{index + 1:05d}"
            name = f"Phường Thử {index + 1}"
            commune = Unit(key=f"2025:{code}", unit_set="2025", code=code, name=name, name_ascii=fold(name),
                           kind="commune", level=2, parent=province.id, path=f"/01/{code}", commune_type="other",
                           lat=21.0 + index / 1000, lon=105.8)
            await commune.save()
            communes.append(code)
            await User(username=f"load{index}", password_hash=password_hash, role="collaborator",
                       display_name=f"load{index}", unit=commune.id).save()
        for index in range(reviewers):
            await User(username=f"review{index}", password_hash=password_hash, role="reviewer",
                       display_name=f"review{index}", unit=province.id).save()
        period = Period(name="Đánh giá năm 2026", year=2026, rule_set="vn-2019", unit_set="2025", form_versions={},
                        opens_on="2026-01-01", closes_on="2026-12-31")
        await period.save()
        await audit.record("bench_world_created", "bench", username="bench", after={"phones": phones})
    return {"communes": communes, "period": period.id}


@dataclass
class Tally:
    """Latencies and statuses per endpoint label, and the UUIDs the server acknowledged."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    acked: set[str] = field(default_factory=set)
    new: int = 0
    retries: int = 0

    def note(self, label: str, started: float, status: int) -> None:
        self.latencies[label].append(time.perf_counter() - started)
        self.statuses[label][status] += 1


async def logged_in(base: str, username: str | None) -> aiohttp.ClientSession:
    """A client session of this user (or of the public when None), as a browser would have after login.

    The cookies are fixed after login (the session cookie stays valid) so that the client does not
    parse a Set-Cookie on every answer: the load generator shares the server's two cores.
    """
    timeout = aiohttp.ClientTimeout(total=30)
    if username is None:
        return aiohttp.ClientSession(base, timeout=timeout)
    jar = aiohttp.CookieJar(unsafe=True)  # unsafe: accept cookies from an IP address (127.0.0.1)
    async with aiohttp.ClientSession(base, cookie_jar=jar, timeout=timeout) as login:
        async with login.get("/login") as response:
            await response.read()
        token = next(cookie.value for cookie in jar if cookie.key == "csrftoken")
        async with login.post("/login", data={"username": username, "password": PASSWORD},
                              headers={"x-csrftoken": token}, allow_redirects=False) as response:
            if response.status not in (200, 303):
                raise SystemExit(f"login of {username} failed: {response.status}")
        cookies = "; ".join(f"{cookie.key}={cookie.value}" for cookie in jar)
    return aiohttp.ClientSession(base, cookie_jar=aiohttp.DummyCookieJar(), timeout=timeout,
                                 headers={"x-csrftoken": token, "cookie": cookies},
                                 connector=aiohttp.TCPConnector(limit=2))


def answer_pool(index: int, per_form: int = 8) -> list[tuple[FormVersion, dict]]:
    """Valid answers made before the clock starts (making them took a sixth of the generator's CPU)."""
    from forms import registry as form_registry
    from server.collection.samples import sample_answers

    rng = random.Random(index)
    forms = [form for form in form_registry.list_forms() if form.status == "published"]
    return [(form, sample_answers(form, rng)) for form in forms for _ in range(per_form)]


async def phone(http: aiohttp.ClientSession, index: int, pool: list[tuple[FormVersion, dict]], until: float,
                tally: Tally, interval: float) -> None:
    """Send submissions back to back, or one every `interval` seconds when paced.

    A paced phone measures each first send from the moment it was due, not from when it left:
    when the server falls behind, the wait for the previous answer counts (no coordinated omission).
    """
    rng = random.Random(index)
    # Phones arrive over a second, not in one burst: a burst lets the first uvicorn worker to wake
    # accept every keep-alive connection, and the other workers idle for the whole run. Paced
    # phones are spread over their interval, so that the rate holds from the start.
    due = time.perf_counter() + rng.uniform(0, interval or 1)
    await asyncio.sleep(due - time.perf_counter())
    try:
        sent = 0
        while time.monotonic() < until:
            form, answers = rng.choice(pool)
            body = {"uuid": str(uuid.uuid4()), "form_id": form.form_id, "form_version": form.version,
                    "answers": answers}
            for attempt in range(2 if sent % 10 == 0 else 1):
                started = due if interval and not attempt else time.perf_counter()
                async with http.post("/api/submissions", json=body) as response:
                    text = await response.text()
                tally.note(SUBMIT, started, response.status)
                expected = 201 if attempt == 0 else 200
                if response.status != expected:
                    raise SystemExit(f"phone {index}: {response.status} (wanted {expected}): {text[:300]}")
                tally.acked.add(body["uuid"])
                if attempt:
                    tally.retries += 1
                else:
                    tally.new += 1
            sent += 1
            if interval:
                due += interval
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
    finally:
        await http.close()


async def browser(http: aiohttp.ClientSession, urls: list[tuple[str, str]], until: float, tally: Tally,
                  seed: int) -> None:
    """A reviewer (or the public, without a login) opening pages with a short pause, as a person does."""
    rng = random.Random(seed)
    try:
        while time.monotonic() < until:
            label, url = rng.choice(urls)
            started = time.perf_counter()
            try:
                async with http.get(url) as response:
                    await response.read()
                tally.note(label, started, response.status)
            except (TimeoutError, aiohttp.ClientError):  # an overloaded server: counted, as status 0
                tally.note(label, started, 0)
            await asyncio.sleep(rng.uniform(0.05, 0.2))
    finally:
        await http.close()


async def available(base: str, username: str | None, candidates: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The pages of this build that answer 200 (review and public pages arrive with their features)."""
    http = await logged_in(base, username)
    found = []
    try:
        for label, url in candidates:
            async with http.get(url) as response:
                await response.read()
                if response.status == 200:
                    found.append((label, url))
        return found
    finally:
        await http.close()


async def drive(base: str, args: argparse.Namespace, world: dict) -> tuple[Tally, float]:
    tally = Tally()
    period, communes = world["period"], world["communes"]
    reviewer_pages = [("GET /review", "/review"), ("GET /review/{period}/dashboard", f"/review/{period}/dashboard")] + [
        ("GET /review/{period}/{code}", f"/review/{period}/{code}") for code in communes[:20]]
    public_pages = [("GET /public", "/public"), ("GET /public/{period}", f"/public/{period}")] + [
        ("GET /public/{period}/communes/{code}", f"/public/{period}/communes/{code}") for code in communes[:20]]
    reviewer_pages = await available(base, "review0", reviewer_pages) if args.reviewers else []
    public_pages = await available(base, None, public_pages) if args.public else []
    # Logging in (argon2 on the server) and making answers happen before the clock starts.
    pools = [answer_pool(i) for i in range(args.phones)]
    sessions = [await logged_in(base, f"load{i}") for i in range(args.phones)]
    reviewers = [await logged_in(base, f"review{i}") for i in range(args.reviewers)] if reviewer_pages else []
    visitors = [await logged_in(base, None) for _ in range(args.public)] if public_pages else []
    started = time.monotonic()
    until = started + args.seconds
    interval = args.phones / args.rate if args.rate else 0.0
    tasks = [phone(sessions[i], i, pools[i], until, tally, interval) for i in range(args.phones)]
    tasks += [browser(http, reviewer_pages, until, tally, i) for i, http in enumerate(reviewers)]
    tasks += [browser(http, public_pages, until, tally, 100 + i) for i, http in enumerate(visitors)]
    await asyncio.gather(*tasks)
    return tally, time.monotonic() - started


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def report(tally: Tally, elapsed: float, args: argparse.Namespace) -> None:
    pacing = f"rate={args.rate:g}/s" if args.rate else "back to back"
    print(f"engine={engine_name()} workers={args.workers} phones={args.phones} reviewers={args.reviewers} "
          f"public={args.public} seconds={elapsed:.1f} {pacing}")
    print(f"{'endpoint':42} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}  statuses")
    for label in sorted(tally.latencies):
        ordered = sorted(tally.latencies[label])
        statuses = " ".join(f"{code}×{count}" for code, count in sorted(tally.statuses[label].items()))
        print(f"{label:42} {len(ordered):8} {len(ordered) / elapsed:7.0f} {percentile(ordered, 0.5) * 1000:7.1f} "
              f"{percentile(ordered, 0.99) * 1000:7.1f} {ordered[-1] * 1000:7.1f}  {statuses}")
    print(f"new submissions: {tally.new} in {elapsed:.1f} s = {tally.new / elapsed:.0f}/s "
          f"(+ {tally.retries} retries answered as duplicates)")


def check_stored(acked: set[str]) -> tuple[int, int, int]:
    """(lost, duplicates, stored): every acknowledged UUID must be in the database exactly once."""
    from server.core.tables import Submission

    rows = Submission.select(Submission.uuid).run_sync()
    stored = [str(row["uuid"]) for row in rows]
    return len(acked - set(stored)), len(stored) - len(set(stored)), len(stored)


def integrity() -> str:
    from server.core.settings import get_settings

    settings = get_settings()
    if not settings.is_sqlite:
        return "n/a (PostgreSQL)"
    import sqlite3

    conn = sqlite3.connect(settings.sqlite_path)
    try:
        return ", ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=64)
    parser.add_argument("--reviewers", type=int, default=4)
    parser.add_argument("--public", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=0,
                        help="new submissions per second from all phones together (default 0: back to back)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    data_dir = configure()
    world = prepare(args.phones, args.reviewers)
    server = start_server(args.port, args.workers, data_dir / "server.log")
    try:
        # uvloop here too: the generator's CPU is taken from the server's two cores.
        tally, elapsed = uvloop.run(drive(f"http://127.0.0.1:{args.port}", args, world))
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    report(tally, elapsed, args)
    lost, duplicates, stored = check_stored(tally.acked)
    print(f"acknowledged={len(tally.acked)} stored={stored} lost={lost} duplicates={duplicates} "
          f"integrity_check={integrity()}")
    if lost or duplicates:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
