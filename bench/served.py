"""A real `phuhop serve` for the benchmarks: started on 127.0.0.1 in its own processes, ready when it answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, workers: int, log: Path) -> subprocess.Popen:
    """`phuhop serve` on the environment's database (already migrated); its output goes to `log`."""
    return start_process([sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                          "--workers", str(workers), "--no-migrate"], port, log, ready="/login")


def start_process(command: list[str], port: int, log: Path, ready: str, env: dict[str, str] | None = None,
                  cwd: Path = ROOT) -> subprocess.Popen:
    """A server in a process group of its own (stop it with `os.killpg`), ready once `ready` answers."""
    process = subprocess.Popen(command, env=env or os.environ.copy(), cwd=cwd, stdout=log.open("ab"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{ready}", timeout=1)
            return process
        except urllib.error.HTTPError:  # answering, if only to say the method is wrong
            return process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"server did not start: see {log}")


def group_cpu_seconds(group: int) -> float:
    """User + system CPU of every live process of a process group (a server and its workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[2]) == group:  # pgrp; utime and stime follow at 11 and 12 (after the name)
            total += int(fields[11]) + int(fields[12])
    return total / tick


async def httpx_session(base: str, username: str, password: str):
    """An httpx client logged in as this user, CSRF header set. The fault and hostile benches use httpx,
    whose exceptions tell a dropped connection from a refusal (the load bench uses lighter aiohttp)."""
    import httpx

    http = httpx.AsyncClient(base_url=base, timeout=30, limits=httpx.Limits(max_connections=2))
    await http.get("/login")
    token = http.cookies["csrftoken"]
    response = await http.post("/login", data={"username": username, "password": password},
                               headers={"x-csrftoken": token})
    if response.status_code not in (200, 303):
        raise SystemExit(f"login of {username} failed: {response.status_code}")
    http.headers["x-csrftoken"] = token
    return http
