"""`phuhop backup`, `phuhop restore`: consistent copies of the database, and bringing one back."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(out: Path) -> None:
    """Copy the database to OUT while the server keeps running, then read the copy back.

    SQLite: a consistent snapshot through SQLite's online backup API. PostgreSQL: `pg_dump -Fc`
    (the PostgreSQL client tools must be on PATH). The photos and signed decisions of the data
    directory go to OUT.files.tar beside it. Refuses a missing database or one without
    phuhop data (a cron job without the server's environment fails instead of writing an empty copy).
    """
    from server.core.backup import BackupError, backup

    try:
        done = backup(out)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backup of the {done.engine} database written to {done.path} ({done.size:,} bytes); it holds:")
    click.echo(done.contents.text())
    click.echo(f"Its photos and signed decisions, written to {done.files_path} (keep both files together):")
    click.echo(f"  {done.files.text()}")
    if done.lacking:
        raise click.ClickException(f"the database names {len(done.lacking):,} files that the data directory does not "
                                   f"have (lost before this backup), e.g. {', '.join(done.lacking[:3])}")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@click.option("--check", "check_only", is_flag=True, help="Only check the backup and say what it holds.")
@click.option("--without-files", is_flag=True,
              help="Restore the database even though photos or signed decisions it names are in no archive.")
def restore_command(file: Path, force: bool, check_only: bool, without_files: bool) -> None:
    """Check the backup FILE, say what it holds, bring it back into the configured database, migrate it.

    Stop the server first (a restore is refused while a server uses the database): a restore
    replaces everything written since the backup.
    """
    from server.core.backup import BackupError, restore
    from server.core.settings import get_settings

    try:
        done = restore(file, force=force, check_only=check_only, without_files=without_files, say=click.echo)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    if done.after is None:
        click.echo(f"{file} is a sound phuhop backup; nothing was changed (--check).")
        return
    click.echo(f"Restored {done.file} into {get_settings().database_label}: checked, migrations applied. "
               f"The database now holds:")
    click.echo(done.after.text())
    if done.files is not None:
        click.echo(f"Photos and decisions: {done.files_added:,} files added to {get_settings().data_dir.resolve()} "
                   f"(the archive holds {done.files.text()}).")
    if done.lacking:
        message = (f"the restored database names {len(done.lacking):,} photos or decisions that "
                   f"{get_settings().data_dir.resolve()} does not have, e.g. {', '.join(done.lacking[:3])}")
        if not without_files:
            raise click.ClickException(f"{message}: restore them from the backup's .files.tar")
        click.echo(f"Warning: {message} (--without-files).")


COMMANDS = [backup_command, restore_command]
