"""The one database engine (SQLite file or PostgreSQL) and the write-transaction helper."""

from __future__ import annotations

import sqlite3
from typing import Any

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from server.settings import get_settings


def make_engine() -> SQLiteEngine | PostgresEngine:
    settings = get_settings()
    if settings.is_sqlite:
        path = settings.sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        # WAL lets readers go on while one writer commits; it is a property of the file.
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
        # `timeout` is SQLite's busy timeout: writers wait for the lock instead of failing.
        return SQLiteEngine(path=str(path), timeout=30)
    return PostgresEngine(config={"dsn": settings.database_url})


DB = make_engine()


def write_transaction() -> Any:
    """A transaction for code that writes.

    SQLite needs BEGIN IMMEDIATE so that two concurrent writers queue on the lock instead of
    failing with "database is locked" when a read transaction tries to upgrade; PostgreSQL has
    no such option. Services call this and never choose per engine themselves.
    """
    if isinstance(DB, SQLiteEngine):
        return DB.transaction(transaction_type=TransactionType.immediate)
    return DB.transaction()
