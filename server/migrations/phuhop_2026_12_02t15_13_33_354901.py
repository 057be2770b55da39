from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T15:13:33:354901"
VERSION = "1.38.0"
DESCRIPTION = "Accounts: must_change_password, set with a temporary password by an administrator"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="phuhop", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="User",
        tablename="phuhop_user",
        column_name="must_change_password",
        db_column_name="must_change_password",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
