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
from hypothesis import settings  # noqa: E402

# Property tests draw 200 examples each under `make test`; `make test-fast` asks for the "fast" profile.
settings.register_profile("full", max_examples=200)
settings.register_profile("fast", max_examples=20)
settings.load_profile("full")

ENGINE = "postgres" if os.environ["PHUHOP_DATABASE_URL"].startswith("postgres") else "sqlite"


def pytest_report_header() -> str:
    return f"phuhop database engine: {ENGINE} ({os.environ['PHUHOP_DATABASE_URL']})"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that drives Chromium through the `phone` fixture is a browser test, marked or not."""
    for item in items:
        if "phone" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


_PRODUCTION_HASHER: list = []  # the hasher the server module made, kept while the suite uses a cheap one


@pytest.fixture(scope="session")
def migrated_db() -> str:
    """Drop whatever a previous run left (PostgreSQL keeps it), then migrate from zero.

    Password hashes in this process are argon2 at its cheapest: every test world makes five accounts
    and most tests log in, which at the production cost (~0.2 s a hash or a check, by design) was
    half of the suite's time. Verifying reads the cost from the hash, so a live server checks these
    cheap hashes cheaply too. `production_password_hashes` gives one test the real parameters.
    """
    from argon2 import PasswordHasher, profiles

    from server.accounts import passwords
    from server.core.migrate import migrate
    from server.core.testing import drop_all_tables, make_world, save_snapshot

    assert isinstance(passwords._hasher, PasswordHasher), \
        "conftest swaps server.accounts.passwords._hasher: keep it in step"
    _PRODUCTION_HASHER.append(passwords._hasher)
    passwords._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    drop_all_tables()
    migrate()
    save_snapshot("empty")
    make_world(PASSWORD)
    save_snapshot("world")
    return ENGINE


@pytest.fixture()
def production_password_hashes(migrated_db: str):
    """argon2 with the production parameters for one test (the suite runs with the cheapest ones)."""
    from server.accounts import passwords

    cheap, passwords._hasher = passwords._hasher, _PRODUCTION_HASHER[0]
    try:
        yield passwords._hasher
    finally:
        passwords._hasher = cheap


@pytest.fixture()
def db(migrated_db: str, request: pytest.FixtureRequest) -> str:
    """An empty, migrated database for one test (unless the test also asks for `world`, which wins)."""
    from server.core.testing import restore_snapshot

    if "world" not in request.fixturenames:
        restore_snapshot("empty")
    return migrated_db


# ---------------------------------------------------------------- people and places

PASSWORD = "mat-khau-thu-nghiem"


@pytest.fixture()
def world(migrated_db: str) -> dict:
    """A small real registry (two provinces, three communes), one user per role and a period.

    Built once per session by `make_world` and copied back before each test (a file copy on SQLite,
    a one-round-trip reload on PostgreSQL); the objects are read fresh from the database each time.
    """
    from server.core.testing import restore_snapshot, world_from_db

    restore_snapshot("world")
    return world_from_db()


@pytest.fixture(scope="session")
def app():
    """One Litestar application for the session: building one costs ~0.15 s, and it keeps no state
    of its own between requests (that lives in the database and the client's cookies)."""
    from server.app import create_app

    return create_app()


@pytest.fixture()
def client(world: dict, app):
    """Real HTTP through Litestar's test client, against the real database."""
    from litestar.testing import TestClient

    with TestClient(app=app, base_url="http://127.0.0.1:8000") as test_client:
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

    def __init__(self, *options: str) -> None:
        self.options = options  # more `phuhop serve` options, e.g. "--workers", "2"
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self) -> None:
        import subprocess
        import sys
        import time
        import urllib.request

        # The log goes to a file: a pipe nobody reads would block a chatty server.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - open for the server's whole life
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--no-migrate", *self.options],
            env=os.environ.copy(), stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.base}/login", timeout=1)
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.process.kill()
                    self.log.seek(0)
                    raise RuntimeError(f"server did not start: {self.log.read().decode()}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.thaw()
        self.process.terminate()
        self.process.wait(timeout=10)

    def freeze(self) -> None:
        """SIGSTOP: the port still accepts connections but nothing answers, as on a 2G link that stalls."""
        import signal

        self.process.send_signal(signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        import signal

        if getattr(self, "frozen", False):
            self.process.send_signal(signal.SIGCONT)
            self.frozen = False


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
