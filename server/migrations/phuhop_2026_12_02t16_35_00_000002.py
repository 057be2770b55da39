"""A submission is replaced by at most one edit: a unique index on submission.replaces.

Its own migration, after the one that adds the column: SQLite cannot add a UNIQUE column, and
Piccolo runs a migration's raw steps before its new columns. NULLs (submissions that replace
nothing) are not equal to each other, so they never collide, on SQLite and PostgreSQL alike.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T16:35:00:000002"
VERSION = "1.38.0"
DESCRIPTION = "Unique index on submission.replaces: one edit per submission"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="phuhop", description=DESCRIPTION)

    async def unique_replaces() -> None:
        await engine_finder().run_ddl(
            'CREATE UNIQUE INDEX IF NOT EXISTS "submission_replaces_unique" ON "submission" ("replaces")')

    manager.add_raw(unique_replaces)
    return manager
