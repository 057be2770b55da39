"""Whether a server is using the database, so that a restore never replaces it under a running server.

SQLite: `phuhop serve` holds a shared `flock` on `<database>-serving.lock` for as long as it runs
(the kernel drops it when the process dies, also on SIGKILL); a restore takes the same lock
exclusively, so it is refused while a server runs, and a server refuses to start while a restore
runs. PostgreSQL (the server may run on other machines): a server's connections carry the
application name `phuhop serve`, which a restore looks for in `pg_stat_activity`.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from server.core.db import SERVER_APPLICATION
from server.core.settings import Settings

STOP_FIRST = ("Stop it first (for example `sudo systemctl stop phuhop`), run the restore, then start it again: "
              "a server left running would keep writing into the database being replaced.")


class Busy(Exception):
    """The database is being served (or restored); the message says what to do."""


def lock_path(settings: Settings) -> Path:
    return Path(f"{settings.sqlite_path}-serving.lock")


@contextmanager
def _flock(path: Path, mode: int) -> Iterator[bool]:
    """Hold `flock(mode)` on `path` for the block; yields False (holding nothing) when someone else holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(descriptor)


@contextmanager
def serving(settings: Settings) -> Iterator[None]:
    """Held by `phuhop serve` while it runs."""
    if not settings.is_sqlite:
        yield
        return
    with _flock(lock_path(settings), fcntl.LOCK_SH) as held:
        if not held:
            raise Busy(f"A restore into {settings.sqlite_path} is running: start the server when it has finished.")
        yield


@contextmanager
def restoring(settings: Settings) -> Iterator[None]:
    """Held by `phuhop restore`; raises Busy when a server is using the database."""
    if not settings.is_sqlite:
        servers = postgres_servers(settings.database_url)
        if servers:
            raise Busy(f"phuhop servers are connected to this database ({', '.join(servers)}). {STOP_FIRST}")
        yield
        return
    with _flock(lock_path(settings), fcntl.LOCK_EX) as held:
        if not held:
            raise Busy(f"A phuhop server is serving {settings.sqlite_path} (or another restore is running). {STOP_FIRST}")
        yield


def postgres_servers(url: str) -> list[str]:
    """"N connections from ADDRESS" for each address with server connections to the database."""
    import asyncpg

    async def query() -> list[str]:
        connection = await asyncpg.connect(url)
        try:
            rows = await connection.fetch(
                "SELECT coalesce(host(client_addr), 'local socket') AS address, count(*) AS n FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = $1 GROUP BY 1 ORDER BY 1",
                SERVER_APPLICATION)
        finally:
            await connection.close()
        return [f"{row['n']} connection{'s' if row['n'] != 1 else ''} from {row['address']}" for row in rows]

    return asyncio.run(query())
