"""Settings read from the environment once, with defaults that suit a single laptop."""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secure_cookies: bool
    max_body_bytes: int
    base_url: str | None = None  # PHUHOP_BASE_URL: how phones reach the server; else each request's own Host

    def public_url(self, request_base: str) -> str:
        """The server's address as links to it are written (OpenRosa download URLs, the ODK set-up page),
        without a trailing slash: the configured one, so that a forged Host header cannot redirect phones."""
        return (self.base_url or request_base).rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file named by a `sqlite:///relative` or `sqlite:////absolute` URL."""
        return Path(self.database_url.removeprefix("sqlite:///"))

    @property
    def database_label(self) -> str:
        """The database as people read it: the SQLite file, or PostgreSQL's database and host (no password)."""
        if self.is_sqlite:
            return str(self.sqlite_path.resolve())
        url = urlsplit(self.database_url)
        return f"PostgreSQL database {url.path.lstrip('/')} on {url.hostname}"

    def secret_key(self) -> bytes:
        """The session-signing key: from PHUHOP_SECRET_KEY, else generated once into data_dir.

        A stable key matters: a new random key per start would log everyone out and break
        several workers that must all accept the same cookies.
        """
        from_env = os.environ.get("PHUHOP_SECRET_KEY")
        if from_env:
            return hashlib.sha256(from_env.encode()).digest()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(secrets.token_hex(32))
            tmp.chmod(0o600)
            try:
                os.link(tmp, path)  # atomic: the first worker to start wins
            except FileExistsError:
                pass
            tmp.unlink()
        return bytes.fromhex(path.read_text().strip())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    data_dir = Path(os.environ.get("PHUHOP_DATA_DIR", "data"))
    return Settings(
        data_dir=data_dir,
        database_url=os.environ.get("PHUHOP_DATABASE_URL", f"sqlite:///{data_dir / 'phuhop.db'}"),
        secure_cookies=os.environ.get("PHUHOP_SECURE_COOKIES", "0") == "1",
        max_body_bytes=int(os.environ.get("PHUHOP_MAX_BODY_BYTES", str(2 * 1024 * 1024))),
        base_url=os.environ.get("PHUHOP_BASE_URL") or None,
    )
