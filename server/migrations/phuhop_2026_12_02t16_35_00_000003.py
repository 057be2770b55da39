"""User names in Unicode NFC: an account created with a decomposed name (NFD, as some keyboards send
Vietnamese) gets the composed spelling that login and search now use (server/accounts/users.py).

A name whose NFC spelling already belongs to another account is left as it is and reported: an
administrator decides which account is the person's.
"""

import unicodedata

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-12-02T16:35:00:000003"
VERSION = "1.38.0"
DESCRIPTION = "User names in Unicode NFC (the spelling login and search use)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="phuhop", description=DESCRIPTION)

    async def compose_user_names() -> None:
        engine = engine_finder()
        rows = await engine.run_querystring(QueryString('SELECT "id", "username" FROM "phuhop_user"'))
        taken = {row["username"] for row in rows}
        for row in rows:
            composed = unicodedata.normalize("NFC", row["username"])
            if composed == row["username"]:
                continue
            if composed in taken:
                print(f"user {row['id']}: {composed!r} already exists; its decomposed twin is left as it is")
                continue
            await engine.run_querystring(QueryString('UPDATE "phuhop_user" SET "username" = {} WHERE "id" = {}',
                                                     composed, row["id"]))
            taken.add(composed)

    manager.add_raw(compose_user_names)
    return manager
