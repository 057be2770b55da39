"""Piccolo app registration: the tables and the migrations folder."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.core.tables import ALL_TABLES

APP_CONFIG = AppConfig(
    app_name="phuhop",
    migrations_folder_path=str(Path(__file__).parent.parent / "migrations"),
    table_classes=ALL_TABLES,
    migration_dependencies=[],
    commands=[],
)
