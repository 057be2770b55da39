"""The one database engine (SQLite file or PostgreSQL) and the write-transaction helper.

Piccolo opens a new connection for every query when no pool runs (on SQLite: a new thread and
file handle per query, about 4 ms each; on PostgreSQL: a new login). The server therefore opens
a pool when it starts (`open_pool`, a Litestar on_startup hook) on its own event loop. Code that
runs on another loop (the CLI, tests, `asyncio.run` in scripts) keeps one connection per query:
a pool belongs to the loop that made it, and a foreign loop must never use its connections.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import queue
import sqlite3
import threading
import weakref
from contextlib import asynccontextmanager, closing, suppress
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any
from collections.abc import AsyncIterator

import aiosqlite
from piccolo.engine.postgres import PostgresEngine
from piccolo.columns import JSON, JSONB, ForeignKey
from piccolo.columns.defaults.base import Default
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory
from piccolo.query.base import Query
from piccolo.query.methods.raw import Raw
from piccolo.table import Table
from piccolo.utils.sql_values import convert_to_sql_value

from server.core.settings import get_settings

POOL_SIZE = 8  # connections per server process: SQLite writes are serialised anyway, reads are short
BATCH_MAX = 64  # writes committed together by the SQLite writer thread
SERVER_APPLICATION = "phuhop serve"  # PostgreSQL application_name of a server's pool


class _PooledConnection:
    """An aiosqlite connection lent by the pool: `close()` (called by Piccolo's transactions) gives it back."""

    def __init__(self, connection: aiosqlite.Connection, pool: _SQLitePool) -> None:
        self._connection = connection
        self._pool = pool

    def execute(self, *args: Any, **kwargs: Any):
        return self._connection.execute(*args, **kwargs)

    async def close(self) -> None:
        await self._pool.release(self._connection)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("_connection", "_pool"):
            object.__setattr__(self, name, value)
        # Piccolo sets `row_factory` before each query; the pool set it once on the real connection.


class _SQLitePool:
    def __init__(self, connection_kwargs: dict[str, Any], size: int) -> None:
        self._kwargs = connection_kwargs
        self._idle: list[aiosqlite.Connection] = []
        self._slots = asyncio.Semaphore(size)
        self._all: set[aiosqlite.Connection] = set()

    async def acquire(self) -> aiosqlite.Connection:
        await self._slots.acquire()
        if self._idle:
            return self._idle.pop()
        try:
            connection = await aiosqlite.connect(**self._kwargs)
            connection.row_factory = dict_factory
            await connection.execute("PRAGMA foreign_keys = 1")
        except BaseException:
            self._slots.release()
            raise
        self._all.add(connection)
        return connection

    async def release(self, connection: aiosqlite.Connection) -> None:
        try:
            if connection.in_transaction:  # a failed statement inside a BEGIN left it open
                await connection.rollback()
            self._idle.append(connection)
        except Exception:
            self._all.discard(connection)
            await connection.close()
        finally:
            self._slots.release()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[aiosqlite.Connection]:
        connection = await self.acquire()
        try:
            yield connection
        finally:
            await self.release(connection)

    async def close(self) -> None:
        for connection in list(self._all):
            await connection.close()
        self._all.clear()
        self._idle.clear()


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, with persistent connections on the loops that opened a pool."""

    __slots__ = ("_pools",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pools: dict[asyncio.AbstractEventLoop, _SQLitePool] = {}

    def _pool(self) -> _SQLitePool | None:
        try:
            return self._pools.get(asyncio.get_running_loop())
        except RuntimeError:
            return None

    async def open_pool(self, size: int = POOL_SIZE) -> None:
        self._pools.setdefault(asyncio.get_running_loop(), _SQLitePool(self.connection_kwargs, size))

    async def close_pool(self) -> None:
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.close()

    async def get_connection(self):
        pool = self._pool()
        if pool is None:
            return await super().get_connection()
        return _PooledConnection(await pool.acquire(), pool)

    async def _run_in_new_connection(self, query: str, args: list[Any] | None = None, query_type: str = "generic",
                                     table: Any = None):
        pool = self._pool()
        if pool is None or (query_type == "insert" and self.get_version_sync() < 3.35):
            return await super()._run_in_new_connection(query, args, query_type, table)
        async with pool.connection() as connection:
            # One trip to the connection's thread (Piccolo's execute, fetchall, close make three).
            return list(await connection.execute_fetchall(query, args or []))

    async def _run_in_existing_connection(self, connection, query: str, args: list[Any] | None = None,
                                          query_type: str = "generic", table: Any = None):
        if not isinstance(connection, _PooledConnection) or (query_type == "insert" and self.get_version_sync() < 3.35):
            return await super()._run_in_existing_connection(connection, query, args, query_type, table)
        # foreign_keys is on since connect; one trip to the connection's thread, as above
        return list(await connection.execute_fetchall(query, args or []))


class PooledPostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine whose pool is used only on the loop that opened it."""

    __slots__ = ("_pools",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        object.__setattr__(self, "_pools", {})
        super().__init__(*args, **kwargs)

    @property
    def pool(self):  # read by Piccolo's queries and transactions
        try:
            return self._pools.get(asyncio.get_running_loop())
        except RuntimeError:
            return None

    @pool.setter
    def pool(self, value: Any) -> None:  # Piccolo's own start/close: not used, pools are per loop
        pass

    async def open_pool(self, size: int = POOL_SIZE) -> None:
        import asyncpg

        loop = asyncio.get_running_loop()
        if loop not in self._pools:
            # Named, so that `phuhop restore` can see that a server is using the database.
            self._pools[loop] = await asyncpg.create_pool(**self.config, min_size=1, max_size=size,
                                                          server_settings={"application_name": SERVER_APPLICATION})

    async def close_pool(self) -> None:
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is None:
            return
        try:  # close() waits for every connection to be released; after a database restart some never are
            await asyncio.wait_for(pool.close(), timeout=5)
        except (TimeoutError, OSError):
            pool.terminate()


def sqlite_uri(path: Path, mode: str = "rw") -> str:
    """A SQLite URI naming the file at `path`: '#', '?', '%' and spaces escaped (an f-string is not).

    `mode=rw` opens an existing file and never creates one; `mode=ro` also never writes.
    """
    return f"{Path(path).resolve().as_uri()}?mode={mode}"


def make_engine() -> PooledSQLiteEngine | PooledPostgresEngine:
    """The engine named by the settings. It opens nothing: importing this module creates no file.

    SQLite connections open the file with `mode=rw`, so a query never creates an empty database
    where there is none (a command run from the wrong directory fails instead); only
    `create_database` (called by migrations, so by `phuhop migrate`, `serve` and `demo`) makes one.
    """
    settings = get_settings()
    if settings.is_sqlite:
        # `timeout` is SQLite's busy timeout: writers wait for the lock instead of failing.
        return PooledSQLiteEngine(path=sqlite_uri(settings.sqlite_path), uri=True, timeout=30)
    return PooledPostgresEngine(config={"dsn": settings.database_url})


def create_database() -> None:
    """Make the SQLite file (and its directory) if it is missing, in WAL mode; PostgreSQL: nothing.

    WAL lets readers go on while one writer commits; it is a property of the file, so it is set
    again on every migration (a restored copy may come without it).
    """
    settings = get_settings()
    if not settings.is_sqlite:
        return
    settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(settings.sqlite_path)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


class DatabaseMissing(Exception):
    """No phuhop database where the settings point; the message says where and what to do."""


async def check_database() -> None:
    """Refuse to go on when there is no database where the settings point (SQLite: no file;
    PostgreSQL: no connection), with a message that says where and what to do."""
    settings = get_settings()
    if settings.is_sqlite:
        if not settings.sqlite_path.is_file():
            raise DatabaseMissing(
                f"There is no phuhop database at {settings.sqlite_path.resolve()}. Run `phuhop migrate` to create "
                f"one, or set PHUHOP_DATA_DIR (or PHUHOP_DATABASE_URL) as the server has it.")
        return
    import asyncpg

    try:
        await (await asyncpg.connect(settings.database_url, timeout=10)).close()
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        raise DatabaseMissing(f"Cannot connect to the PostgreSQL database of PHUHOP_DATABASE_URL: {error}") from error


def require_database() -> None:
    asyncio.run(check_database())


class DatabaseReadOnly(Exception):
    """The database or the data directory cannot be written; the message says which and what to do."""


def require_writable() -> None:
    """Refuse to serve what cannot be written (a read-only file, folder or PostgreSQL server): every
    request that writes would fail with a 503, and logins with them. Checked by really writing."""
    settings = get_settings()
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        probe = settings.data_dir / f".write-check-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise DatabaseReadOnly(f"phuhop cannot write to its data folder {settings.data_dir.resolve()} ({error}): "
                               f"photos, decisions and the database live there. Make it writable by the user "
                               f"that runs phuhop.") from error
    if settings.is_sqlite:
        try:
            with closing(sqlite3.connect(sqlite_uri(settings.sqlite_path), uri=True, timeout=30,
                                         isolation_level=None)) as conn:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("CREATE TABLE phuhop_write_check (x)")  # a real write, rolled back
                conn.execute("ROLLBACK")
        except sqlite3.Error as error:
            raise DatabaseReadOnly(f"phuhop cannot write to its database {settings.sqlite_path.resolve()} ({error}). "
                                   f"Make the file and its folder writable by the user that runs phuhop.") from error
        return
    asyncio.run(_check_postgres_writable(settings.database_url))


async def _check_postgres_writable(url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url, timeout=10)
    try:
        read_only = await connection.fetchval("SHOW transaction_read_only")
        standby = await connection.fetchval("SELECT pg_is_in_recovery()")
    finally:
        await connection.close()
    if read_only == "on" or standby:
        why = "a standby server in recovery" if standby else "default_transaction_read_only is on"
        raise DatabaseReadOnly(f"phuhop cannot write to its PostgreSQL database ({why}). Point PHUHOP_DATABASE_URL "
                               f"at the primary server, or turn the read-only setting off.")


DB = make_engine()
_write_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


async def open_pool() -> None:
    """Litestar on_startup: persistent connections for this worker's loop."""
    await DB.open_pool()


async def close_pool() -> None:
    """Litestar on_shutdown: close them (aiosqlite threads would otherwise keep the process alive)."""
    await DB.close_pool()


@asynccontextmanager
async def write_transaction() -> AsyncIterator[Any]:
    """A transaction for code that writes.

    SQLite needs BEGIN IMMEDIATE so that two concurrent writers queue on the lock instead of
    failing with "database is locked" when a read transaction tries to upgrade; PostgreSQL has
    no such option. Services call this and never choose per engine themselves.

    On SQLite the writers of one process also queue on an asyncio lock first: SQLite's busy
    handler polls with sleeps of up to 100 ms, so writers of one process that wait for each
    other there (instead of in the lock's queue) turn a 1 ms commit into a 100 ms p99.
    Nested calls join the outer transaction.
    """
    if not isinstance(DB, SQLiteEngine):
        async with DB.transaction() as transaction:
            yield transaction
        return
    if DB.current_transaction.get() is not None:
        async with DB.transaction(transaction_type=TransactionType.immediate) as transaction:
            yield transaction
        return
    lock = _write_locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with lock, DB.transaction(transaction_type=TransactionType.immediate) as transaction:
        yield transaction


class _SQLiteWriter:
    """One thread per process that owns a write connection and commits queued writes in groups.

    A write sent through Piccolo holds SQLite's write lock across several awaits (BEGIN, each
    INSERT, COMMIT), while the event loop serves other requests in between; another process's
    writer then waits in SQLite's busy handler, which sleeps up to 100 ms at a time. Here one
    batch runs BEGIN IMMEDIATE … COMMIT in a single call on this thread (the lock is held for
    the SQLite work only, well under a millisecond per write), and up to BATCH_MAX queued writes
    share one commit. Each write runs in its own SAVEPOINT: one that fails (a UUID stored a
    moment ago by another request, say) is rolled back alone and reports its own error. A
    caller is answered only after COMMIT has returned, so an acknowledged write is on disk.

    The writers of several server processes queue on an exclusive `flock` of a file beside the
    database before BEGIN IMMEDIATE: the kernel wakes the next one the moment the lock is
    released, where SQLite's busy handler polls with sleeps of up to 100 ms (two workers under
    load: a batch's lock wait and commit took 55 ms at p99 and up to 330 ms; with the flock,
    23 ms and 113 ms).
    """

    def __init__(self, connection_kwargs: dict[str, Any], lock_path: Path) -> None:
        self._kwargs = {**connection_kwargs, "check_same_thread": False}
        self._lock_path = lock_path
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    async def run(self, statements: list[tuple[str, list[Any]]]) -> list[list[dict[str, Any]]]:
        self._ensure_thread()
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._jobs.put((statements, loop, future))
        return await future

    def _ensure_thread(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._serve, name="phuhop-sqlite-writer", daemon=True)
                self._thread.start()

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(**self._kwargs)
        connection.row_factory = dict_factory
        connection.execute("PRAGMA foreign_keys = 1")
        return connection

    def _serve(self) -> None:
        connection = self._connect()
        lock = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        while True:
            jobs = [self._jobs.get()]
            while len(jobs) < BATCH_MAX:
                try:
                    jobs.append(self._jobs.get_nowait())
                except queue.Empty:
                    break
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                outcomes = self._commit(connection, jobs)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
            for (_, loop, future), outcome in zip(jobs, outcomes):
                try:
                    loop.call_soon_threadsafe(_settle, future, outcome)
                except RuntimeError:  # the caller's loop has closed: nobody is waiting
                    pass

    @staticmethod
    def _commit(connection: sqlite3.Connection, jobs: list) -> list[Any]:
        outcomes: list[Any] = []
        try:
            connection.execute("BEGIN IMMEDIATE")
            for statements, _, _ in jobs:
                connection.execute("SAVEPOINT job")
                try:
                    outcomes.append([connection.execute(sql, args).fetchall() for sql, args in statements])
                    connection.execute("RELEASE job")
                except Exception as error:  # this write only
                    connection.execute("ROLLBACK TO job")
                    connection.execute("RELEASE job")
                    outcomes.append(error)
            connection.execute("COMMIT")
            return outcomes
        except Exception as error:  # BEGIN or COMMIT failed (disk full, lock timeout): nothing was stored
            if connection.in_transaction:
                with suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
            return [error] * len(jobs)


def _settle(future: asyncio.Future, outcome: Any) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


_writer = (_SQLiteWriter(DB.connection_kwargs, Path(f"{get_settings().sqlite_path}-writer.lock"))
           if isinstance(DB, SQLiteEngine) else None)


async def write_atomically(*queries: Query) -> list[list[dict[str, Any]]]:
    """Run these INSERT/UPDATE/DELETE queries in one transaction; the rows each returned, in order.

    On SQLite they go to the writer thread (see _SQLiteWriter); on PostgreSQL into one
    transaction from the pool. Inside an open write_transaction they simply join it.
    """
    if _writer is None or DB.current_transaction.get() is not None:
        async with write_transaction():
            return [await query.run() for query in queries]
    statements = []
    for query in queries:
        [querystring] = query.querystrings  # one statement per query, so results match queries
        statements.append(querystring.compile_string(engine_type="sqlite"))
    return await _writer.run(statements)


def insert_row(row: Table) -> Raw:
    """The INSERT of one row, returning its "id", not yet run (for `write_atomically` or `.run()`).

    The same statement as `Table.insert(row)`, but its SQL is built once per table: Piccolo
    rebuilds it from the column objects for every query, which costs more CPU than SQLite's
    own work on hot write paths (`insert_values` does without the row object).
    """
    table = type(row)
    columns = _insert_columns(table)
    return table.raw(_insert_sql(table), *(convert_to_sql_value(row[column._meta.name], column) for column in columns))


def insert_values(table: type[Table], **values: Any) -> Raw:
    """`insert_row(table(**values))` without making the row object (every submission and audit entry).

    Piccolo's row object and its per-column conversion cost more CPU than the SQLite work of the
    INSERT; here each column's conversion is chosen once per table (as `insert_many` converts).
    Columns left out take their defaults as `Table(...)` gives them; an unknown name is an error.
    """
    args = []
    for name, column, convert in _insert_plan(table):
        value = values.pop(name, ...)
        args.append(convert(_value(column.get_default_value()) if value is ... else value))
    if values:
        raise ValueError(f"{table.__name__} has no column {sorted(values)}")
    return table.raw(_insert_sql(table), *args)


@cache
def _insert_columns(table: type[Table]) -> tuple:
    return tuple(column for column in table._meta.columns if not column._meta.primary_key)


@cache
def _insert_sql(table: type[Table]) -> str:
    columns = _insert_columns(table)
    names = ", ".join(f'"{column._meta.db_column_name}"' for column in columns)
    values = ", ".join("{}" for _ in columns)
    return f'INSERT INTO "{table._meta.tablename}" ({names}) VALUES ({values}) RETURNING "id"'


async def insert_many(table: type[Table], rows: Sequence[dict[str, Any]]) -> int:
    """INSERT these rows in one `executemany` of the driver (in the caller's transaction, if one is
    open, else in a write transaction of its own); returns how many.

    `rows` name columns by their Python names; a missing one takes the column's default. Piccolo's
    `insert(*objects)` and even one multi-row `raw` statement pass every value through Piccolo's
    query building (10,035 imported rows: 1.4 s of Python, more than reading and matching them);
    the driver's own `executemany` runs the one prepared statement for all rows (SQLite's C loop,
    asyncpg's pipeline). Values are converted as Piccolo converts them (JSON as text, a row as its id).
    """
    if not rows:
        return 0
    columns = _insert_columns(table)
    converters = [_converter(column) for column in columns]
    fields = [(column._meta.name, column.get_default_value(), convert) for column, convert in zip(columns, converters)]
    values = [tuple(convert(_value(row.get(name, default))) for name, default, convert in fields) for row in rows]
    async with write_transaction() as transaction:
        sql = _insert_many_sql(table, isinstance(DB, SQLiteEngine))
        result = await transaction.connection.executemany(sql, values)
        if result is not None and hasattr(result, "close"):  # aiosqlite answers with a cursor
            await result.close()
    return len(rows)


def _value(value: Any) -> Any:
    return value.python() if isinstance(value, Default) else value


def _converter(column: Any) -> Callable[[Any], Any]:
    """What a column's Python value becomes as a parameter (JSON as text, a row as its id)."""
    if isinstance(column, (JSON, JSONB, ForeignKey)):
        return lambda value: convert_to_sql_value(value, column)
    return lambda value: value


@cache
def _insert_many_sql(table: type[Table], sqlite: bool) -> str:
    """One row's INSERT in the driver's own placeholders (? for sqlite3, $n for asyncpg)."""
    columns = _insert_columns(table)
    names = ", ".join(f'"{column._meta.db_column_name}"' for column in columns)
    marks = ", ".join("?" if sqlite else f"${number}" for number in range(1, len(columns) + 1))
    return f'INSERT INTO "{table._meta.tablename}" ({names}) VALUES ({marks})'


@cache
def _insert_plan(table: type[Table]) -> tuple[tuple[str, Any, Callable[[Any], Any]], ...]:
    """(name, column, conversion to its SQL value) of each column `_insert_sql` names, in its order."""
    return tuple((column._meta.name, column, _converter(column)) for column in _insert_columns(table))
