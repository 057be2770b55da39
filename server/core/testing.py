"""Database resets for the test suite and benchmarks (never used by the server itself)."""

from __future__ import annotations

import asyncio
import sqlite3

from piccolo.table import Table

from server.core.db import DB
from server.core.settings import get_settings
from server.core.tables import ALL_TABLES


def _quote(table: type[Table]) -> str:
    return f'"{table._meta.tablename}"'


def drop_all_tables() -> None:
    """Drop our tables and Piccolo's migration record, children before parents."""
    names = [_quote(t) for t in reversed(ALL_TABLES)] + ['"migration"']
    cascade = " CASCADE" if DB.engine_type == "postgres" else ""
    for name in names:
        asyncio.run(DB.run_ddl(f"DROP TABLE IF EXISTS {name}{cascade}"))


def empty_all_tables() -> None:
    """Delete every row.

    On SQLite, `DELETE FROM unit` checks Unit.parent's ON DELETE RESTRICT row by row (it fails once
    a parent precedes its child): a reset does not need those checks, so it runs on a connection of
    its own with foreign keys off.
    """
    if DB.engine_type == "postgres":
        names = ", ".join(_quote(t) for t in ALL_TABLES)
        asyncio.run(DB.run_ddl(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    conn = sqlite3.connect(get_settings().sqlite_path, timeout=30)
    try:
        conn.execute("PRAGMA foreign_keys = OFF")
        with conn:
            for table in ALL_TABLES:
                conn.execute(f"DELETE FROM {_quote(table)}")
    finally:
        conn.close()


def make_world(password: str) -> dict:
    """One province, one district, two communes, a user per role and an open period.

    Used by the test suite; real rows through the real tables, no shortcuts.
    """
    from server.accounts.users import create_user
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
        period = Period(name="Đánh giá năm 2026", year=2026, rule_set="vn-2019", unit_set="2025",
                        form_versions={}, opens_on="2026-01-01", closes_on="2026-12-31")
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
