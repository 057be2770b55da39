"""`phuhop backup`, `phuhop restore`: consistent copies of the database, and bringing one back."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(out: Path) -> None:
    """Copy the database to OUT while the server keeps running.

    SQLite: a consistent snapshot through SQLite's online backup API. PostgreSQL: `pg_dump -Fc`
    (the PostgreSQL client tools must be on PATH).
    """
    from server.core.backup import BackupError, backup

    try:
        done = backup(out)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backup of the {done.engine} database written to {done.path} ({done.size:,} bytes)")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def restore_command(file: Path, force: bool) -> None:
    """Bring the backup FILE back into the configured database, check it, then migrate it.

    Stop the server first: a restore replaces everything written since the backup.
    """
    from server.core.backup import BackupError, restore
    from server.core.settings import get_settings

    try:
        done = restore(file, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {done.path} into {get_settings().database_url}: integrity check ok, migrations applied")


COMMANDS = [backup_command, restore_command]
