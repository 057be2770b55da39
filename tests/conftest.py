"""Test set-up: a real database (a fresh SQLite file, or PostgreSQL when
PHUHOP_TEST_DATABASE_URL is set), migrated once, emptied before each test that asks for it.

The environment is set before any `server` module is imported, because the engine is built
from it at import time (as in production).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="phuhop-test-"))
os.environ["PHUHOP_DATA_DIR"] = str(_TMP)
os.environ["PHUHOP_DATABASE_URL"] = os.environ.get(
    "PHUHOP_TEST_DATABASE_URL", f"sqlite:///{_TMP / 'test.db'}"
)
os.environ.setdefault("PHUHOP_SECRET_KEY", "test-secret-key-not-for-production")

import pytest  # noqa: E402

ENGINE = "postgres" if os.environ["PHUHOP_DATABASE_URL"].startswith("postgres") else "sqlite"


def pytest_report_header() -> str:
    return f"phuhop database engine: {ENGINE} ({os.environ['PHUHOP_DATABASE_URL']})"


@pytest.fixture(scope="session")
def migrated_db() -> str:
    """Drop whatever a previous run left (PostgreSQL keeps it), then migrate from zero."""
    from server.core.migrate import migrate
    from server.core.testing import drop_all_tables

    drop_all_tables()
    migrate()
    return ENGINE


@pytest.fixture()
def db(migrated_db: str) -> str:
    """An empty, migrated database for one test."""
    from server.core.testing import empty_all_tables

    empty_all_tables()
    return migrated_db


# ---------------------------------------------------------------- people and places

PASSWORD = "mat-khau-thu-nghiem"


@pytest.fixture()
def world(db: str) -> dict:
    """A small real registry (one province, one district, two communes), one user per role and a period."""
    from server.core.testing import make_world

    return make_world(PASSWORD)


@pytest.fixture()
def client(world: dict):
    """Real HTTP through Litestar's test client, against the real database."""
    from litestar.testing import TestClient

    from server.app import create_app

    with TestClient(app=create_app(), base_url="http://127.0.0.1:8000") as test_client:
        yield test_client


def login(client, username: str, password: str = PASSWORD) -> None:
    """Log in through the real form, CSRF token included."""
    client.get("/login")
    response = client.post("/login", data={"username": username, "password": password},
                           headers=csrf_header(client), follow_redirects=False)
    assert response.status_code == 303, response.text


def csrf_header(client) -> dict[str, str]:
    token = client.cookies.get("csrftoken")
    if token is None:
        client.get("/login")
        token = client.cookies.get("csrftoken")
    return {"x-csrftoken": token}


# ---------------------------------------------------------------- a real server and a real browser

def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """`phuhop serve` in its own process on 127.0.0.1; it can be stopped and started again on the same
    port, which is how a phone test takes the network away for real (a browser's emulated offline mode
    does not hold back its service worker's requests)."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self) -> None:
        import subprocess
        import sys
        import time
        import urllib.request

        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--no-migrate"],
            env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.base}/login", timeout=1)
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.process.kill()
                    raise RuntimeError(f"server did not start: {self.process.stdout.read().decode()}")
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture()
def server(world: dict):
    """A real server on the test database, stopped at the end of the test."""
    live = LiveServer()
    live.start()
    yield live
    if live.process.poll() is None:
        live.stop()


@pytest.fixture()
def live_server(server: LiveServer) -> str:
    """The base URL of the real server."""
    return server.base


CHROMIUM = os.environ.get("PHUHOP_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture()
def phone(live_server: str):
    """Debian's Chromium, headless, driven by Playwright at a 360 px phone viewport."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's `chromium` (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN",
                                      base_url=live_server, is_mobile=True, has_touch=True)
        page = context.new_page()
        yield page
        context.close()
        browser.close()
