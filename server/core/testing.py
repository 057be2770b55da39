"""Database resets for the test suite and benchmarks (never used by the server itself)."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

from piccolo.table import Table, sort_table_classes

from server.core.db import DB
from server.core.settings import get_settings
from server.core.tables import ALL_TABLES


def _quote(table: type[Table]) -> str:
    return f'"{table._meta.tablename}"'


def drop_all_tables() -> None:
    """Drop our tables and Piccolo's migration record (on SQLite without foreign key checks, see below;
    no SQLite file: nothing to drop, and none is made)."""
    settings = get_settings()
    if settings.is_sqlite and not settings.sqlite_path.exists():
        return
    names = [_quote(t) for t in ALL_TABLES] + ['"migration"']
    if DB.engine_type == "postgres":
        for name in names:
            asyncio.run(DB.run_ddl(f"DROP TABLE IF EXISTS {name} CASCADE"))
        return
    _sqlite_without_foreign_keys([f"DROP TABLE IF EXISTS {name}" for name in names])


def empty_all_tables() -> None:
    """Delete every row."""
    if DB.engine_type == "postgres":
        names = ", ".join(_quote(t) for t in ALL_TABLES)
        asyncio.run(DB.run_ddl(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    _sqlite_without_foreign_keys([f"DELETE FROM {_quote(table)}" for table in ALL_TABLES])


def _sqlite_without_foreign_keys(statements: list[str]) -> None:
    """Run these in one transaction on a connection of their own with foreign keys off.

    `DELETE FROM unit` (and `DROP TABLE unit`, which deletes first) checks Unit.parent's ON DELETE
    RESTRICT row by row and fails once a parent precedes its child: a reset does not need those checks.
    """
    with closing(sqlite3.connect(get_settings().sqlite_path, timeout=30)) as conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        with conn:
            for statement in statements:
                conn.execute(statement)


WORLD_USERS = ("collab_a", "collab_b", "reviewer_x", "reviewer_y", "admin")


def make_world(password: str) -> dict:
    """One province, one district, two communes, a user per role and an open period.

    Used by the test suite; real rows through the real tables, no shortcuts.
    """
    from datetime import timedelta

    from server.accounts.users import create_user
    from server.review.deadlines import today
    from server.registry.units import fold
    from server.core.tables import Period, Unit

    async def build() -> dict:
        def unit(code: str, name: str, kind: str, level: int, parent: Unit | None, path: str) -> Unit:
            return Unit(key=f"2025:{code}", unit_set="2025", code=code, name=name, name_ascii=fold(name),
                        kind=kind, level=level, parent=parent.id if parent else None, path=path,
                        commune_type="other" if kind == "commune" else None, lat=21.0, lon=105.8)

        province = unit("01", "Thành phố Hà Nội", "province", 1, None, "/01")
        await province.save()
        ward_a = unit("00004", "Phường Ba Đình", "commune", 2, province, "/01/00004")
        ward_b = unit("00008", "Phường Ngọc Hà", "commune", 2, province, "/01/00008")
        other_province = unit("79", "Thành phố Hồ Chí Minh", "province", 1, None, "/79")
        await other_province.save()
        ward_c = unit("26734", "Phường Sài Gòn", "commune", 2, other_province, "/79/26734")
        for commune in (ward_a, ward_b, ward_c):
            await commune.save()
        # Open for another year whatever the day the suite runs: collaborators are refused after closes_on.
        period = Period(name="Đánh giá năm 2026", year=2026, rule_set="vn-2019", unit_set="2025",
                        form_versions={}, opens_on="2026-01-01", closes_on=(today() + timedelta(days=365)).isoformat())
        await period.save()
        users = {
            "collab_a": await create_user("collab_a", password, "collaborator", unit_code="00004"),
            "collab_b": await create_user("collab_b", password, "collaborator", unit_code="00008"),
            "reviewer_x": await create_user("reviewer_x", password, "reviewer", unit_code="01"),
            "reviewer_y": await create_user("reviewer_y", password, "reviewer", unit_code="79"),
            "admin": await create_user("admin", password, "admin"),
        }
        return {"province": province, "commune_a": ward_a, "commune_b": ward_b, "commune_c": ward_c,
                "period": period, "users": users}

    return asyncio.run(build())


# ---------------------------------------------------------------- snapshots: build once, restore per test

SNAPSHOT_SCHEMA = "phuhop_snapshot_{}"  # PostgreSQL: one schema per snapshot, beside the real tables


def _sqlite_snapshot_path(name: str) -> Path:
    path = get_settings().sqlite_path
    return path.with_name(f"{path.name}.snapshot-{name}")


def _copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup: a page copy that connections open on the target see at once
    (overwriting the file under them would not be)."""
    with closing(sqlite3.connect(source, timeout=30)) as src, closing(sqlite3.connect(target, timeout=30)) as dst:
        src.backup(dst)


def save_snapshot(name: str) -> None:
    """Keep every row of the database as it is now under `name`, for `restore_snapshot`.

    SQLite: a copy of the file beside it. PostgreSQL: a copy of each table in a schema of its own.
    """
    if DB.engine_type != "postgres":
        _copy_sqlite(get_settings().sqlite_path, _sqlite_snapshot_path(name))
        return
    schema = SNAPSHOT_SCHEMA.format(name)
    statements = [f"DROP SCHEMA IF EXISTS {schema} CASCADE", f"CREATE SCHEMA {schema}"]
    statements += [f"CREATE TABLE {schema}.{_quote(t)} AS SELECT * FROM {_quote(t)}" for t in ALL_TABLES]
    _run_postgres_script(statements)


def restore_snapshot(name: str) -> None:
    """Put the database back as it was at `save_snapshot(name)`: rows and id sequences.

    PostgreSQL: one round trip that deletes every row (children first) and copies the snapshot back;
    DELETE on a handful of small tables costs a fraction of TRUNCATE, which makes new files per table.
    """
    if DB.engine_type != "postgres":
        _copy_sqlite(_sqlite_snapshot_path(name), get_settings().sqlite_path)
        return
    schema = SNAPSHOT_SCHEMA.format(name)
    ordered = sort_table_classes(list(ALL_TABLES))
    statements = [f"DELETE FROM {_quote(t)}" for t in reversed(ordered)]
    statements += [f"INSERT INTO {_quote(t)} SELECT * FROM {schema}.{_quote(t)}" for t in ordered]
    statements += [f"SELECT setval(pg_get_serial_sequence('{_quote(t)}', 'id'), "
                   f"COALESCE((SELECT max(id) FROM {schema}.{_quote(t)}), 0) + 1, false)" for t in ALL_TABLES]
    _run_postgres_script(statements)


def _run_postgres_script(statements: list[str]) -> None:
    """Several statements in one transaction and one round trip (asyncpg's simple query protocol)."""
    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(get_settings().database_url)
        try:
            async with connection.transaction():
                await connection.execute(";\n".join(statements))
        finally:
            await connection.close()

    asyncio.run(run())


def world_from_db() -> dict:
    """The rows `make_world` made, read back (after `restore_snapshot`): fresh objects for each test."""
    from server.core.tables import Period, Unit, User

    units = {u.code: u for u in Unit.objects().where(Unit.unit_set == "2025").run_sync()}
    users = {u.username: u for u in User.objects().run_sync()}
    return {"province": units["01"], "commune_a": units["00004"], "commune_b": units["00008"],
            "commune_c": units["26734"], "period": Period.objects().first().run_sync(),
            "users": {name: users[name] for name in WORLD_USERS}}
