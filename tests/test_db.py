"""The database layer: migrations apply on the configured engine and writes are transactional."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from server.core.db import write_transaction
from server.core.settings import get_settings
from server.core.tables import Unit


def test_migrations_create_every_table(db: str) -> None:
    from server.core.tables import ALL_TABLES

    for table in ALL_TABLES:
        assert table.count().run_sync() == 0


def test_write_transaction_rolls_back_on_error(db: str) -> None:
    async def failing_write() -> None:
        async with write_transaction():
            await Unit.insert(Unit(key="legacy:01", unit_set="legacy", code="01", name="Hà Nội",
                                   name_ascii="ha noi", kind="province", level=1, path="/01")).run()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        asyncio.run(failing_write())
    assert Unit.count().run_sync() == 0


@pytest.mark.skipif(not get_settings().is_sqlite, reason="SQLite only")
def test_sqlite_file_is_in_wal_mode(db: str) -> None:
    with sqlite3.connect(get_settings().sqlite_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
