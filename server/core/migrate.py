"""Run Piccolo migrations from our own code (CLI, tests, demo) with our configuration."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os

os.environ.setdefault("PICCOLO_CONF", "server.core.piccolo_conf")


async def migrate_async(quiet: bool = True, create: bool = True) -> None:
    """Apply every migration not yet run; raise if one fails.

    `create`: make the SQLite file if it is missing (`phuhop migrate`, `serve`, `demo`); other
    commands pass False and get `DatabaseMissing` instead of a new empty database (so does
    everyone when PostgreSQL cannot be reached).
    """
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from server.core.db import check_database, create_database

    if create:
        create_database()
    await check_database()
    out = io.StringIO()
    with contextlib.redirect_stdout(out) if quiet else contextlib.nullcontext():
        result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}\n{out.getvalue()}")


def migrate(quiet: bool = True, create: bool = True) -> None:
    asyncio.run(migrate_async(quiet, create))
