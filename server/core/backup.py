"""Backups of a live database and their restore.

SQLite: sqlite3's online backup API copies the pages of a consistent snapshot while the server
keeps writing (a plain file copy of a WAL database can miss committed pages or catch a torn
write). PostgreSQL: `pg_dump -Fc` / `pg_restore`, the tools that match the server's version.

A restore never overwrites data unless asked (`force`), checks the copy with
`PRAGMA integrity_check` before touching the target, then applies migrations, so a backup made
by an older phuhop comes back at the current schema.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from server.core.settings import Settings, get_settings

PAGES_PER_STEP = 1024  # copy in steps so that writers are not held up for the whole copy


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupDone:
    path: Path
    engine: str
    size: int


def backup(out: Path, settings: Settings | None = None) -> BackupDone:
    """Copy the configured database to `out` (written to a temporary name, then renamed)."""
    settings = settings or get_settings()
    out = Path(out)
    if out.exists() and out.is_dir():
        raise BackupError(f"{out} is a directory: give a file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if settings.is_sqlite:
            _backup_sqlite(settings.sqlite_path, partial)
            engine = "sqlite"
        else:
            _run_tool("pg_dump", ["-Fc", "--no-owner", "-f", str(partial), "--dbname", settings.database_url])
            engine = "postgres"
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return BackupDone(out, engine, out.stat().st_size)


def _backup_sqlite(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupError(f"there is no database at {source}")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=PAGES_PER_STEP)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()
    problems = integrity_problems(target)
    if problems:
        raise BackupError(f"the copy failed its integrity check: {problems[:5]}")


def integrity_problems(path: Path) -> list[str]:
    """What `PRAGMA integrity_check` reports about a SQLite file (empty when it is sound)."""
    if not Path(path).is_file():
        return [f"no file at {path}"]
    try:
        conn = sqlite3.connect(path)
        try:
            rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        return [str(error)]
    return [] if rows == ["ok"] else rows


def restore(file: Path, *, force: bool = False, settings: Settings | None = None) -> BackupDone:
    """Bring a backup back into the configured database, then migrate it."""
    settings = settings or get_settings()
    file = Path(file)
    if not file.is_file():
        raise BackupError(f"there is no backup file at {file}")
    if settings.is_sqlite:
        _restore_sqlite(file, settings.sqlite_path, force)
        engine = "sqlite"
    else:
        _restore_postgres(file, settings, force)
        engine = "postgres"
    from server.core.migrate import migrate

    migrate()
    return BackupDone(file, engine, file.stat().st_size)


def _restore_sqlite(file: Path, target: Path, force: bool) -> None:
    with open(file, "rb") as head:
        if head.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{file} is not a SQLite backup (for PostgreSQL, set PHUHOP_DATABASE_URL)")
    problems = integrity_problems(file)
    if problems:
        raise BackupError(f"{file} failed its integrity check, nothing was restored: {problems[:5]}")
    if _has_tables_sqlite(target) and not force:
        raise BackupError(f"{target} already holds a database: add --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    # The backup API writes the target through SQLite's own locking and journal, so a server
    # left running sees either the old or the new database, never a half-copied file.
    src = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")
    finally:
        dst.close()
        src.close()
    problems = integrity_problems(target)
    if problems:
        raise BackupError(f"the restored database failed its integrity check: {problems[:5]}")


def _has_tables_sqlite(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    conn = sqlite3.connect(path, timeout=30)
    try:
        return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0
    finally:
        conn.close()


def _restore_postgres(file: Path, settings: Settings, force: bool) -> None:
    _run_tool("pg_restore", ["--list", str(file)])  # reads the archive's table of contents: is it one?
    if not force:
        tables = subprocess.run(
            [_tool("psql"), "-At", "-c",
             "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
             settings.database_url], capture_output=True, text=True)
        if tables.returncode != 0:
            raise BackupError(f"psql could not read the target database: {tables.stderr.strip()}")
        if int(tables.stdout.strip() or 0) > 0:
            raise BackupError("the target PostgreSQL database already has tables: add --force to replace them")
    _run_tool("pg_restore", ["--clean", "--if-exists", "--no-owner", "--exit-on-error", "--single-transaction",
                             "--dbname", settings.database_url, str(file)])


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"`{name}` is not on PATH: install the PostgreSQL client tools of your server's "
                          f"version (Debian: apt install postgresql-client) and try again")
    return path


def _run_tool(name: str, args: list[str]) -> None:
    done = subprocess.run([_tool(name), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
