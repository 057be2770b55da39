"""A real `phuhop serve` for the benchmarks: started on 127.0.0.1 in its own processes, ready when it answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, workers: int, log: Path) -> subprocess.Popen:
    """`phuhop serve` on the environment's database (already migrated); its output goes to `log`."""
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--no-migrate"],
        env=os.environ.copy(), cwd=ROOT, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=1)
            return process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"server did not start: see {log}")


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
