"""phuhop against the bare stack (`bench/bare_stack.py`), run alternately with the same client: ratios.

Usage: python bench/versus_bare.py [--runs 5] [--seconds 15] [--phones 32] [--workers 2] [--skip-mixed]
                                  [--profile stacks.txt]
       (or `make bench-bare`; SQLite only: the bare stack is SQLite)

Each run starts each server afresh on a fresh database (`--workers 2`, as in production), logs the
phones in before the clock starts, and measures with the phones of `bench/submit_load.py`:
  saturation  32 phones back to back: throughput, and server CPU per request (user + system CPU of
              the server's process group from /proc, over the requests answered, retries included);
  paced       the phones paced to --rate (300/s) in all: p50/p99 latency from when a send was due;
and, phuhop only (the bare stack has no such pages), the mixed load of issue 11: phones at 300/s
with 4 reviewers opening commune pages, with 2 logins/s, and with both (logins p95 too).
The order of the two stacks alternates from run to run, so that a busy machine slows both alike;
each ratio is taken within one run, then min / median / max over the runs are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import uvloop

import submit_load
from served import free_port, group_cpu_seconds, start_process, start_server
from submit_load import SUBMIT, Tally, answer_pool, browser, logged_in, percentile, phone

BENCH = Path(__file__).resolve().parent
LOGIN = "POST /login"


@dataclass
class Outcome:
    """One stack in one scenario of one run."""

    requests: int
    seconds: float
    cpu: float  # server CPU seconds while the clock ran
    latencies: dict[str, list[float]] = field(default_factory=dict)
    timeouts: int = 0  # pages and logins that got no answer within the client's patience (30 / 60 s)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu / self.requests

    def ms(self, label: str, share: float) -> float:
        ordered = sorted(self.latencies.get(label, [0.0]))
        return 1000 * percentile(ordered, share)


async def login_every(base: str, rate: float, until: float, tally: Tally, usernames: list[str]) -> None:
    """Logins arriving at `rate` per second, each a new browser (GET /login, then POST), timed from when due."""
    async def one(username: str, due: float) -> None:
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(base, cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=60)) as http:
            try:
                async with http.get("/login") as response:
                    await response.read()
                token = next(cookie.value for cookie in jar if cookie.key == "csrftoken")
                async with http.post("/login", data={"username": username, "password": submit_load.PASSWORD},
                                     headers={"x-csrftoken": token}, allow_redirects=False) as response:
                    await response.read()
                tally.note(LOGIN, due, response.status)
            except (TimeoutError, aiohttp.ClientError):  # an overloaded server: counted, as status 0
                tally.note(LOGIN, due, 0)

    tasks, due, index = [], time.perf_counter(), 0
    while time.monotonic() < until:
        tasks.append(asyncio.create_task(one(usernames[index % len(usernames)], due)))
        index += 1
        due += 1 / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
    await asyncio.gather(*tasks)


async def drive(base: str, group: int, *, phones: int, seconds: float, rate: float, logged: bool,
                reviewers: int = 0, logins: float = 0, period: int = 0, communes: list[str] | None = None,
                profile: Path | None = None) -> Outcome:
    """The phones (and reviewers, logins) against a running server; the clock starts after the logins.

    `profile`: py-spy records the server and its workers while the clock runs (raw collapsed stacks).
    """
    tally = Tally()
    pools = [answer_pool(i) for i in range(phones)]
    sessions = [await logged_in(base, f"load{i}" if logged else None) for i in range(phones)]
    pages = [("GET /review/{period}/{code}", f"/review/{period}/{code}") for code in (communes or [])[:20]]
    desks = [await logged_in(base, f"review{i}") for i in range(reviewers)]
    spy = None
    if profile is not None:
        spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(group),
                                "--subprocesses", "--rate", "250", "--format", "raw", "--output", str(profile),
                                "--duration", str(int(seconds))], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cpu_before = group_cpu_seconds(group)
    started = time.monotonic()
    until = started + seconds
    interval = phones / rate if rate else 0.0
    tasks = [phone(sessions[i], i, pools[i], until, tally, interval) for i in range(phones)]
    tasks += [browser(http, pages, until, tally, i) for i, http in enumerate(desks)]
    if logins:
        tasks.append(login_every(base, logins, until, tally, [f"load{i}" for i in range(phones)]))
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - started
    cpu = group_cpu_seconds(group) - cpu_before
    if spy is not None:
        spy.wait()
    requests = sum(tally.statuses[SUBMIT].values())
    return Outcome(requests, elapsed, cpu, {label: list(times) for label, times in tally.latencies.items()},
                   sum(statuses.get(0, 0) for statuses in tally.statuses.values()))


def run_phuhop(args: argparse.Namespace, data_dir: Path, scenario: dict, profile: Path | None = None) -> Outcome:
    world = submit_load.prepare(args.phones, max(4, scenario.get("reviewers", 0)))
    port = free_port()
    server = start_server(port, args.workers, data_dir / "phuhop.log")
    try:
        return uvloop.run(drive(f"http://127.0.0.1:{port}", server.pid, phones=args.phones, seconds=args.seconds,
                                logged=True, period=world["period"], communes=world["communes"], profile=profile,
                                **scenario))
    finally:
        stop(server)


def run_bare(args: argparse.Namespace, data_dir: Path, scenario: dict) -> Outcome:
    folder = data_dir / "bare"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    env = {**os.environ, "PHUHOP_DATA_DIR": str(folder), "PHUHOP_DATABASE_URL": f"sqlite:///{folder / 'bare.db'}"}
    port = free_port()
    server = start_process([sys.executable, str(BENCH / "bare_stack.py"), "--port", str(port),
                            "--workers", str(args.workers)], port, data_dir / "bare.log", ready="/api/submissions",
                           env=env, cwd=BENCH)
    try:
        return uvloop.run(drive(f"http://127.0.0.1:{port}", server.pid, phones=args.phones, seconds=args.seconds,
                                logged=False, **scenario))
    finally:
        stop(server)


def stop(server) -> None:
    os.killpg(server.pid, 15)
    server.wait(timeout=30)


def spread(values: list[float], digits: int = 1) -> str:
    return " / ".join(f"{value:,.{digits}f}" for value in (min(values), statistics.median(values), max(values)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--phones", type=int, default=32)
    parser.add_argument("--rate", type=float, default=300, help="paced submissions per second, all phones together")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-mixed", action="store_true", help="only the phuhop/bare ratios")
    parser.add_argument("--profile", type=Path, help="only profile phuhop at saturation with py-spy into this file "
                        "(raw collapsed stacks; `pip install py-spy`)")
    args = parser.parse_args()

    data_dir = submit_load.configure()
    if not os.environ["PHUHOP_DATABASE_URL"].startswith("sqlite"):
        raise SystemExit("the bare stack is SQLite: run this bench on SQLite")
    if args.profile:
        outcome = run_phuhop(args, data_dir, {"rate": 0}, profile=args.profile)
        print(f"{outcome.throughput:.0f} req/s, {outcome.cpu_ms_per_request:.2f} ms server CPU per request; "
              f"profile: {args.profile}")
        return
    saturation = {"rate": 0}
    paced = {"rate": args.rate}
    mixed = {"+ 4 reviewers": {"rate": args.rate, "reviewers": 4},
             "+ 2 logins/s": {"rate": args.rate, "logins": 2},
             "+ both": {"rate": args.rate, "reviewers": 4, "logins": 2}}
    results: dict[str, list[Outcome]] = {}
    load = []
    for run in range(args.runs):
        stacks = [("bare", run_bare), ("phuhop", run_phuhop)]
        for name, runner in stacks if run % 2 == 0 else stacks[::-1]:
            for scenario_name, scenario in (("saturation", saturation), ("paced", paced)):
                results.setdefault(f"{name} {scenario_name}", []).append(runner(args, data_dir, scenario))
        if not args.skip_mixed:
            for label, scenario in mixed.items():
                results.setdefault(f"phuhop {label}", []).append(run_phuhop(args, data_dir, scenario))
        load.append(os.getloadavg()[0])
        print(f"run {run + 1}/{args.runs} done (load average {load[-1]:.1f})", file=sys.stderr)

    def ratio(measure, stack_a: str, stack_b: str) -> list[float]:
        return [measure(a) / measure(b) for a, b in zip(results[stack_a], results[stack_b])]

    print(f"phuhop vs bare stack: {args.runs} interleaved runs of {args.seconds:g} s, {args.phones} phones, "
          f"--workers {args.workers}, SQLite; load average at the end of each run {spread(load)}")
    print("measure                                      phuhop (min / median / max)      bare                       "
          "ratio phuhop/bare")
    rows = [
        ("server CPU per submission, saturation (ms)", "saturation", lambda o: o.cpu_ms_per_request, 2),
        ("throughput at saturation (req/s)", "saturation", lambda o: o.throughput, 0),
        (f"submission p50 at {args.rate:g}/s (ms)", "paced", lambda o: o.ms(SUBMIT, 0.5), 1),
        (f"submission p99 at {args.rate:g}/s (ms)", "paced", lambda o: o.ms(SUBMIT, 0.99), 1),
    ]
    for label, scenario, measure, digits in rows:
        phuhop, bare = f"phuhop {scenario}", f"bare {scenario}"
        print(f"{label:44} {spread([measure(o) for o in results[phuhop]], digits):32} "
              f"{spread([measure(o) for o in results[bare]], digits):26} {spread(ratio(measure, phuhop, bare), 2)} ×")
    if not args.skip_mixed:
        print(f"\nmixed load (phuhop only; phones paced at {args.rate:g}/s): min / median / max")
        for label in mixed:
            outcomes = results[f"phuhop {label}"]
            line = (f"{label:16} submissions p99 {spread([o.ms(SUBMIT, 0.99) for o in outcomes])} ms, "
                    f"{spread([o.throughput for o in outcomes], 0)} req/s, server CPU "
                    f"{spread([o.cpu / o.seconds for o in outcomes], 2)} cores")
            if "logins" in mixed[label]:
                line += f"; logins p95 {spread([o.ms(LOGIN, 0.95) for o in outcomes])} ms"
            if "reviewers" in mixed[label]:
                line += (f"; commune pages p95 "
                         f"{spread([o.ms('GET /review/{period}/{code}', 0.95) for o in outcomes])} ms")
            if any(o.timeouts for o in outcomes):
                line += f"; no answer (timed out) {[o.timeouts for o in outcomes]}"
            print(line)
        print("targets: submission p99 < 100 ms with both; logins p95 < 1 s meanwhile")


if __name__ == "__main__":
    main()
