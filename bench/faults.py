"""Faults under load: the server killed, connections dropped, the disk full, PostgreSQL restarted.

Usage: python bench/faults.py kill      [--kills 20] [--phones 16] [--workers 2]
       python bench/faults.py drop      [--drops 200]
       python bench/faults.py diskfull  (as root: mounts a 2 MB tmpfs at /tmp/phuhop-full)
       python bench/faults.py pgrestart (PHUHOP_DATABASE_URL=postgresql://…; restarts the local cluster
                                         with `pg_ctlcluster 15 main restart`: other users of it notice)

Phones retry every submission with the same UUID until the server answers 200 or 201, as the
phone's queue does. Afterwards each scenario checks the database: every UUID the server
acknowledged is stored exactly once, no UUID is stored twice, and (SQLite) PRAGMA
integrity_check is ok. Prints one line of figures per scenario and exits non-zero on a loss.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import submit_load as load
from served import httpx_session, start_server


@dataclass
class Run:
    acked: set[str] = field(default_factory=set)
    sent: int = 0
    transport_errors: int = 0
    server_errors: int = 0
    client_errors: dict[int, int] = field(default_factory=dict)
    duplicates_answered: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


async def stubborn_phone(base: str, index: int, until: float, run: Run, pause: float = 0.0) -> None:
    """Submits new forms until `until`; each one is resent (same UUID) until the server acknowledges it."""
    import httpx

    from forms import registry as form_registry
    from server.collection.samples import sample_answers

    forms = [form for form in form_registry.list_forms() if form.status == "published"]
    rng = random.Random(index)
    http = None
    while time.monotonic() < until:
        form = rng.choice(forms)
        body = {"uuid": str(uuid.uuid4()), "form_id": form.form_id, "form_version": form.version,
                "answers": sample_answers(form, rng)}
        run.sent += 1
        while True:
            try:
                if http is None:
                    http = await httpx_session(base, f"load{index}", load.PASSWORD)
                response = await http.post("/api/submissions", json=body)
            except (httpx.TransportError, SystemExit, KeyError):  # server down, restarting, or cut off
                run.transport_errors += 1  # the session cookie outlives the server: resend as is
                await asyncio.sleep(0.1)
                continue
            run.statuses[response.status_code] = run.statuses.get(response.status_code, 0) + 1
            if response.status_code in (200, 201):
                run.acked.add(body["uuid"])
                run.duplicates_answered += response.status_code == 200
                break
            if response.status_code >= 500:
                run.server_errors += 1
                await asyncio.sleep(0.1)
                continue
            run.client_errors[response.status_code] = run.client_errors.get(response.status_code, 0) + 1
            raise SystemExit(f"phone {index}: refused {response.status_code}: {response.text[:300]}")
        if pause:
            await asyncio.sleep(pause)
    if http is not None:
        await http.aclose()


def verify(run: Run, label: str, extra: str = "") -> bool:
    lost, duplicates, stored = load.check_stored(run.acked)
    print(f"{label}: sent={run.sent} acknowledged={len(run.acked)} stored={stored} lost={lost} "
          f"duplicates={duplicates} retries_after_transport_errors={run.transport_errors} "
          f"5xx={run.server_errors} answered_as_duplicate={run.duplicates_answered} "
          f"integrity_check={load.integrity()} {extra}".rstrip())
    return lost == 0 and duplicates == 0 and load.integrity() in ("ok", "n/a (PostgreSQL)")


# ---------------------------------------------------------------- SIGKILL at random moments

async def kill_loop(base: str, args: argparse.Namespace, server: list[subprocess.Popen], log: Path) -> list[float]:
    rng = random.Random(20)
    downtimes = []
    for _ in range(args.kills):
        await asyncio.sleep(rng.uniform(0.5, 3.0))
        os.killpg(server[0].pid, signal.SIGKILL)
        server[0].wait()
        started = time.monotonic()
        server[0] = await asyncio.to_thread(start_server, args.port, args.workers, log)
        downtimes.append(time.monotonic() - started)
    return downtimes


async def kill_scenario(args: argparse.Namespace) -> bool:
    data_dir = load.configure()
    await asyncio.to_thread(load.prepare, args.phones, 0)
    log = data_dir / "server.log"
    server = [start_server(args.port, args.workers, log)]
    base = f"http://127.0.0.1:{args.port}"
    run = Run()
    until = time.monotonic() + 3600
    stop = asyncio.Event()

    async def phones_until_kills_end() -> None:
        tasks = [asyncio.create_task(stubborn_phone(base, i, until, run)) for i in range(args.phones)]
        await stop.wait()
        for task in tasks:
            task.cancel()  # cancelled between sends or while waiting for an answer: not acknowledged
        await asyncio.gather(*tasks, return_exceptions=True)

    async def killer() -> list[float]:
        try:
            return await kill_loop(base, args, server, log)
        finally:
            await asyncio.sleep(1)
            stop.set()

    started = time.monotonic()
    downtimes, _ = await asyncio.gather(killer(), phones_until_kills_end())
    elapsed = time.monotonic() - started
    os.killpg(server[0].pid, signal.SIGTERM)
    server[0].wait(timeout=30)
    return verify(run, f"kill: {args.kills} SIGKILLs in {elapsed:.0f} s, engine={load.engine_name()} "
                       f"workers={args.workers} phones={args.phones}",
                  f"restart_to_ready_s(median)={sorted(downtimes)[len(downtimes) // 2]:.2f}")


# ---------------------------------------------------------------- the network drops mid-request

def send_and_hang_up(port: int, cookie: str, token: str, body: bytes) -> None:
    """Send a whole request, then close without reading the answer (a phone losing its signal)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST /api/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     + f"Cookie: {cookie}\r\nx-csrftoken: {token}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                     + body)
        sock.shutdown(socket.SHUT_RDWR)


async def drop_scenario(args: argparse.Namespace) -> bool:
    import json

    from forms import registry as form_registry
    from server.collection.samples import sample_answers

    data_dir = load.configure()
    await asyncio.to_thread(load.prepare, 1, 0)
    server = start_server(args.port, args.workers, data_dir / "server.log")
    base = f"http://127.0.0.1:{args.port}"
    run = Run()
    rng = random.Random(5)
    forms = [form for form in form_registry.list_forms() if form.status == "published"]
    http = await httpx_session(base, "load0", load.PASSWORD)
    cookie = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
    token = http.headers["x-csrftoken"]
    try:
        for number in range(args.drops):
            form = rng.choice(forms)
            body = {"uuid": str(uuid.uuid4()), "form_id": form.form_id, "form_version": form.version,
                    "answers": sample_answers(form, rng)}
            run.sent += 1
            await asyncio.to_thread(send_and_hang_up, args.port, cookie, token, json.dumps(body).encode())
            if number % 2:
                await asyncio.sleep(0.02)  # let some finish on the server before the retry, race others
            response = await http.post("/api/submissions", json=body)  # the retry, same UUID
            run.statuses[response.status_code] = run.statuses.get(response.status_code, 0) + 1
            if response.status_code not in (200, 201):
                raise SystemExit(f"retry refused: {response.status_code} {response.text[:300]}")
            run.acked.add(body["uuid"])
            run.duplicates_answered += response.status_code == 200
        alive = (await http.get("/login")).status_code == 200
    finally:
        await http.aclose()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return verify(run, f"drop: {args.drops} requests cut off after sending, each retried",
                  f"retries_answered_200={run.statuses.get(200, 0)} retries_answered_201={run.statuses.get(201, 0)} "
                  f"server_alive_after={alive}")


# ---------------------------------------------------------------- disk full

FULL_MOUNT = Path("/tmp/phuhop-full")


async def diskfull_scenario(args: argparse.Namespace) -> bool:
    FULL_MOUNT.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(FULL_MOUNT)], check=True)
    try:
        os.environ["PHUHOP_DATA_DIR"] = str(FULL_MOUNT)
        os.environ["PHUHOP_DATABASE_URL"] = f"sqlite:///{FULL_MOUNT / 'phuhop.db'}"
        load.configure()
        await asyncio.to_thread(load.prepare, 4, 0)
        server = start_server(args.port, 1, Path("/tmp/phuhop-full-server.log"))
        base = f"http://127.0.0.1:{args.port}"
        run = Run()
        refusals: dict[int, int] = {}
        message = ""
        from forms import registry as form_registry
        from server.collection.samples import sample_answers

        form = form_registry.get_form("commune-annual", 1)
        rng = random.Random(9)
        http = await httpx_session(base, "load0", load.PASSWORD)
        try:
            for _ in range(20_000):  # until the disk is full
                body = {"uuid": str(uuid.uuid4()), "form_id": form.form_id, "form_version": form.version,
                        "answers": sample_answers(form, rng)}
                run.sent += 1
                response = await http.post("/api/submissions", json=body)
                if response.status_code in (200, 201):
                    run.acked.add(body["uuid"])
                    continue
                refusals[response.status_code] = refusals.get(response.status_code, 0) + 1
                message = response.json().get("detail", "")
                if sum(refusals.values()) >= 5:
                    break
            full_at = len(run.acked)
            subprocess.run(["mount", "-o", "remount,size=16m", str(FULL_MOUNT)], check=True)
            after = await http.post("/api/submissions", json={
                "uuid": str(uuid.uuid4()), "form_id": form.form_id, "form_version": form.version,
                "answers": sample_answers(form, rng)})
            if after.status_code == 201:
                run.acked.add(after.json()["uuid"])
        finally:
            await http.aclose()
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        return verify(run, "diskfull: 2 MB tmpfs",
                      f"stored_before_full={full_at} refusals={refusals} message={message!r} "
                      f"after_space_freed={after.status_code}")
    finally:
        subprocess.run(["umount", str(FULL_MOUNT)], check=False)
        FULL_MOUNT.rmdir()


# ---------------------------------------------------------------- PostgreSQL restarts

async def pgrestart_scenario(args: argparse.Namespace) -> bool:
    if load.engine_name() != "postgres":
        raise SystemExit("set PHUHOP_DATABASE_URL to a PostgreSQL database for this scenario")
    data_dir = load.configure()
    await asyncio.to_thread(load.prepare, args.phones, 0)
    server = start_server(args.port, args.workers, data_dir / "server.log")
    base = f"http://127.0.0.1:{args.port}"
    run = Run()
    until = time.monotonic() + args.seconds

    async def restart() -> float:
        await asyncio.sleep(args.seconds / 3)
        started = time.monotonic()
        await asyncio.to_thread(subprocess.run, ["pg_ctlcluster", "15", "main", "restart"], check=True)
        return time.monotonic() - started

    try:
        took, *_ = await asyncio.gather(restart(), *(stubborn_phone(base, i, until, run) for i in range(args.phones)))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return verify(run, f"pgrestart: PostgreSQL restarted once during {args.seconds:.0f} s of load, "
                       f"workers={args.workers} phones={args.phones}", f"restart_took_s={took:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=["kill", "drop", "diskfull", "pgrestart"])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--drops", type=int, default=200)
    parser.add_argument("--phones", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    scenario = {"kill": kill_scenario, "drop": drop_scenario, "diskfull": diskfull_scenario,
                "pgrestart": pgrestart_scenario}[args.scenario]
    if args.scenario != "diskfull":
        load.configure()
    raise SystemExit(0 if asyncio.run(scenario(args)) else 1)


if __name__ == "__main__":
    main()
