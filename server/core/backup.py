"""Backups of a live database and their restore, each saying what the copy holds.

SQLite: sqlite3's online backup API copies the pages of a consistent snapshot while the server
keeps writing (a plain file copy of a WAL database can miss committed pages or catch a torn
write). PostgreSQL: `pg_dump -Fc` / `pg_restore`, the tools that match the server's version.

Nothing here makes an empty copy look like a backup: a backup refuses a missing database or one
without phuhop data; a restore first reads the whole backup (SQLite: `PRAGMA integrity_check`;
PostgreSQL: every row of the archive) and says what it holds, refuses a file that is empty,
damaged, of the other engine or without phuhop tables, refuses while a server uses the database
(`server.core.serving`), never replaces data without `force`, then applies migrations (a backup
of an older phuhop comes back at the current schema) and reads the result back.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from server.core import backup_files, serving
from server.core.backup_files import Files, FilesError
from server.core.db import sqlite_uri
from server.core.settings import Settings, get_settings
from server.core.tables import (ALL_TABLES, AuditLog, Assessment, CertificationList, Correction, Period, Score,
                                Submission, SubmissionPhoto, Unit, User)

PAGES_PER_STEP = 1024  # copy in steps so that writers are not held up for the whole copy
SQLITE_HEADER = b"SQLite format 3\x00"
PG_ARCHIVE_HEADER = b"PGDMP"  # pg_dump's custom format
PHUHOP_TABLES = [table._meta.tablename for table in ALL_TABLES]
SHOWN = {User: "users", Unit: "administrative units", Period: "periods", Submission: "submissions",
         Assessment: "assessments", Score: "scores", Correction: "corrections", CertificationList: "certification lists",
         AuditLog: "audit entries"}
DATA = (User, Unit, Submission)  # a database with no row in any of these holds nothing worth a backup


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why and what to do."""


@dataclass
class Contents:
    """What a database or a backup holds: its phuhop tables with their row counts, and a few facts."""

    rows: dict[str, int] = field(default_factory=dict)  # phuhop table -> rows
    migrations: int = 0
    rule_sets: list[str] = field(default_factory=list)
    form_versions: list[str] = field(default_factory=list)
    newest_entry: str | None = None  # time of the newest audit entry
    named_files: set[str] | None = None  # photos and decisions its rows name (data-dir paths); None: not read

    @property
    def is_phuhop(self) -> bool:
        return all(table._meta.tablename in self.rows for table in DATA)

    @property
    def has_data(self) -> bool:
        return any(self.rows.get(table._meta.tablename) for table in DATA)

    def lines(self) -> list[str]:
        if not self.rows:
            return ["no phuhop tables"]
        counts = " · ".join(f"{name} {self.rows[table._meta.tablename]:,}" for table, name in SHOWN.items()
                            if table._meta.tablename in self.rows)
        lines = [f"{len(self.rows)} phuhop tables, {self.migrations} migrations applied", counts]
        if self.rule_sets:
            lines.append(f"rule sets of its periods: {', '.join(self.rule_sets)}")
        if self.form_versions:
            lines.append(f"form versions of its submissions: {', '.join(self.form_versions)}")
        if self.newest_entry:
            lines.append(f"newest audit entry: {self.newest_entry}")
        return lines

    def text(self, indent: str = "  ") -> str:
        return "\n".join(indent + line for line in self.lines())


class _SQL:
    """Answers `_contents`' questions with SQL through `query` (SQL in, rows out)."""

    def __init__(self, tables: Iterable[str], query: Callable[[str], list[tuple]]) -> None:
        self.tables = set(tables)
        self.query = query

    def count(self, table: str) -> int:
        return int(self.query(f'SELECT count(*) FROM "{table}"')[0][0])

    def distinct(self, table: str, columns: tuple[str, ...]) -> list[tuple]:
        names = ", ".join(f'"{name}"' for name in columns)
        return [tuple(row) for row in self.query(f'SELECT DISTINCT {names} FROM "{table}"')]

    def newest(self, table: str, column: str) -> object:
        return self.query(f'SELECT max("{column}") FROM "{table}"')[0][0]

    def named_files(self) -> set[str]:
        """The photos and signed decisions the rows name, as paths under the data directory."""
        photo, submission, listing = (SubmissionPhoto._meta.tablename, Submission._meta.tablename,
                                      CertificationList._meta.tablename)
        named: set[str] = set()
        if {photo, submission} <= self.tables:
            named |= {f"attachments/{uuid}/{stored}" for uuid, stored in self.query(
                f'SELECT s."uuid", p."stored_name" FROM "{photo}" p JOIN "{submission}" s ON s."id" = p."submission"')}
        if listing in self.tables:
            named |= {f"decisions/{sha}.pdf" for (sha,) in self.query(
                f'SELECT "decision_pdf_sha256" FROM "{listing}" WHERE "decision_pdf_sha256" IS NOT NULL')}
        return named


def _contents(source: _SQL | _Archive) -> Contents:
    present = [name for name in PHUHOP_TABLES if name in source.tables]
    contents = Contents(rows={name: source.count(name) for name in present})
    if "migration" in source.tables:
        contents.migrations = source.count("migration")
    period, submission, audit = Period._meta.tablename, Submission._meta.tablename, AuditLog._meta.tablename
    if period in contents.rows:
        contents.rule_sets = sorted(str(rule_set) for (rule_set,) in source.distinct(period, ("rule_set",)))
    if submission in contents.rows:
        pairs = sorted((str(form_id), int(version)) for form_id, version in
                       source.distinct(submission, ("form_id", "form_version")))
        contents.form_versions = [f"{form_id} v{version}" for form_id, version in pairs]
    if audit in contents.rows:
        newest = source.newest(audit, "at")
        contents.newest_entry = str(newest)[:19] if newest is not None else None
    contents.named_files = source.named_files()
    return contents


def sqlite_contents(path: Path) -> Contents:
    """The contents of a SQLite file, opened read-only (nothing is created or changed)."""
    with closing(sqlite3.connect(sqlite_uri(path, "ro"), uri=True, timeout=30)) as conn:
        tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return _contents(_SQL(tables, lambda sql: conn.execute(sql).fetchall()))


def postgres_contents(url: str) -> Contents:
    """The contents of the PostgreSQL database at `url` (its current schema)."""
    import asyncpg

    loop = asyncio.new_event_loop()
    try:
        try:
            connection = loop.run_until_complete(asyncpg.connect(url))
        except (OSError, asyncpg.PostgresError) as error:
            raise BackupError(f"cannot connect to the PostgreSQL database of PHUHOP_DATABASE_URL: {error}") from error
        try:
            def query(sql: str) -> list[tuple]:
                return [tuple(row) for row in loop.run_until_complete(connection.fetch(sql))]

            tables = [name for (name,) in query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")]
            return _contents(_SQL(tables, query))
        finally:
            loop.run_until_complete(connection.close())
    finally:
        loop.close()


# ---------------------------------------------------------------- backup

@dataclass(frozen=True)
class BackupDone:
    path: Path
    engine: str
    size: int
    contents: Contents
    files_path: Path  # the archive of photos and decisions beside it
    files: Files
    lacking: list[str]  # files the database names that the data directory did not have (lost before the backup)


def backup(out: Path, settings: Settings | None = None) -> BackupDone:
    """Copy the configured database to `out` (written to a temporary name, read back, then renamed).

    Refuses a missing database and one without phuhop data: a backup run with the wrong
    environment (a cron job without PHUHOP_DATA_DIR, say) fails loudly instead of writing an empty copy.
    """
    settings = settings or get_settings()
    out = Path(out)
    if out.is_dir():
        raise BackupError(f"{out} is a directory: give a file name")
    live = _check_live(settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if settings.is_sqlite:
            _backup_sqlite(settings.sqlite_path, partial)
        else:
            _run_tool("pg_dump", ["-Fc", "--no-owner", "-f", str(partial), "--dbname", settings.database_url])
        copied = describe_backup(partial)  # reads the copy back: a backup that exists is readable
        if not (copied.is_phuhop and copied.has_data):
            raise BackupError(f"the copy does not hold the database's data; nothing was kept:\n{copied.text()}")
        # After the snapshot: every file it names was written before its row (backup_files' docstring).
        files_path = backup_files.archive_path(out)
        files = backup_files.write_archive(settings.data_dir, files_path)
        partial.replace(out)
    except FilesError as error:
        raise BackupError(f"the photos and decisions of {settings.data_dir.resolve()} could not be archived: {error}; "
                          f"nothing was kept") from error
    finally:
        partial.unlink(missing_ok=True)
    named = copied.named_files if copied.named_files is not None else live.named_files or set()
    return BackupDone(out, "sqlite" if settings.is_sqlite else "postgres", out.stat().st_size, copied, files_path,
                      files, sorted(named - files.sizes.keys()))


def _check_live(settings: Settings) -> Contents:
    if settings.is_sqlite:
        path = settings.sqlite_path
        if not path.is_file():
            raise BackupError(f"there is no database at {path.resolve()}: nothing was written. Set PHUHOP_DATA_DIR "
                              f"(or PHUHOP_DATABASE_URL) as the server has it, e.g. in a cron job.")
        live = sqlite_contents(path)
        where = str(path.resolve())
    else:
        live = postgres_contents(settings.database_url)
        where = "the PostgreSQL database of PHUHOP_DATABASE_URL"
    if not live.is_phuhop:
        raise BackupError(f"{where} holds no phuhop tables: nothing was written. Is PHUHOP_DATA_DIR "
                          f"(or PHUHOP_DATABASE_URL) the server's?")
    if not live.has_data:
        raise BackupError(f"{where} holds no data (no users, units or submissions): nothing was written. "
                          f"Is PHUHOP_DATA_DIR (or PHUHOP_DATABASE_URL) the server's?")
    return live


def _backup_sqlite(source: Path, target: Path) -> None:
    src = sqlite3.connect(sqlite_uri(source), uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=PAGES_PER_STEP)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()


def integrity_problems(path: Path) -> list[str]:
    """What `PRAGMA integrity_check` reports about a SQLite file (empty when it is sound)."""
    if not Path(path).is_file():
        return [f"no file at {path}"]
    try:
        with closing(sqlite3.connect(sqlite_uri(path, "ro"), uri=True)) as conn:
            rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as error:
        return [str(error)]
    return [] if rows == ["ok"] else rows


# ---------------------------------------------------------------- what a backup file holds

def kind_of(file: Path) -> str:
    """"sqlite" or "postgres" from the file's first bytes; BackupError for anything else."""
    if not file.is_file():
        raise BackupError(f"there is no backup file at {file}")
    with open(file, "rb") as head:
        start = head.read(len(SQLITE_HEADER))
    if not start:
        raise BackupError(f"{file} is empty (0 bytes): it is not a backup; nothing was restored")
    if start == SQLITE_HEADER:
        return "sqlite"
    if start.startswith(PG_ARCHIVE_HEADER):
        return "postgres"
    raise BackupError(f"{file} is neither a SQLite database nor a pg_dump archive (-Fc): not a phuhop backup; "
                      f"nothing was restored")


def describe_backup(file: Path) -> Contents:
    """Read the whole backup and say what it holds; BackupError if it is damaged."""
    if kind_of(file) == "sqlite":
        problems = integrity_problems(file)
        if problems:
            raise BackupError(f"{file} is damaged (integrity check: {'; '.join(problems[:5])}): it cannot be restored")
        return sqlite_contents(file)
    return _contents(_Archive(file))


_COPY = re.compile(r'^COPY (?:"?[^".\s]+"?\.)?"?([^"\s]+)"? \((.*)\) FROM stdin;$')
_DISTINCT = {Period._meta.tablename: ("rule_set",), Submission._meta.tablename: ("form_id", "form_version")}
_NEWEST = {AuditLog._meta.tablename: "at"}  # the columns `_contents` asks about
_NAMING = {Submission._meta.tablename: ("id", "uuid"), SubmissionPhoto._meta.tablename: ("submission", "stored_name"),
           CertificationList._meta.tablename: ("decision_pdf_sha256",)}  # the columns that name files


class _Archive:
    """Answers `_contents`' questions from every row of a pg_dump archive, read by `pg_restore` into
    SQL text (no database needed); only counts, distinct values and maxima are kept."""

    def __init__(self, file: Path) -> None:
        self.counts: dict[str, int] = {}
        self.distinct_values: dict[str, set[tuple]] = {}
        self.newest_values: dict[str, str | None] = {}
        self.naming: dict[str, list[tuple]] = {}
        for table, columns, rows in _copy_blocks(file):
            picked = [columns.index(name) for name in _DISTINCT.get(table, ()) if name in columns]
            newest = columns.index(_NEWEST[table]) if _NEWEST.get(table) in columns else None
            naming = [columns.index(name) for name in _NAMING.get(table, ()) if name in columns]
            values: set[tuple] = set()
            named: list[tuple] = []
            count, latest = 0, None
            for row in rows:
                count += 1
                if picked:
                    values.add(tuple(row[i] for i in picked))
                if newest is not None and row[newest] != "\\N":
                    latest = max(latest or row[newest], row[newest])
                if naming and len(naming) == len(_NAMING[table]):
                    named.append(tuple(row[i] for i in naming))
            self.counts[table], self.distinct_values[table], self.newest_values[table] = count, values, latest
            self.naming[table] = named
        self.tables = set(self.counts)

    def count(self, table: str) -> int:
        return self.counts[table]

    def distinct(self, table: str, columns: tuple[str, ...]) -> list[tuple]:
        return sorted(self.distinct_values[table])

    def newest(self, table: str, column: str) -> object:
        return self.newest_values[table]

    def named_files(self) -> set[str]:
        """The photos and signed decisions the archive's rows name, as `_SQL.named_files` says them."""
        photo, submission, listing = (SubmissionPhoto._meta.tablename, Submission._meta.tablename,
                                      CertificationList._meta.tablename)
        uuids = dict(self.naming.get(submission, []))
        named = {f"attachments/{uuids[owner]}/{stored}" for owner, stored in self.naming.get(photo, [])
                 if owner in uuids}
        return named | {f"decisions/{sha}.pdf" for (sha,) in self.naming.get(listing, []) if sha != "\\N"}


def _copy_blocks(file: Path) -> Iterator[tuple[str, list[str], Iterator[list[str]]]]:
    """(table, columns, rows) of each COPY block of `pg_restore -f - FILE`; each block's rows must be read in turn."""
    process = subprocess.Popen([_tool("pg_restore"), "--data-only", "-f", "-", str(file)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace")
    assert process.stdout is not None
    try:
        for line in process.stdout:
            match = _COPY.match(line.rstrip("\n"))
            if match:
                columns = [name.strip().strip('"') for name in match.group(2).split(",")]
                yield match.group(1), columns, _rows(process.stdout)
    finally:
        process.stdout.close()
        error = process.stderr.read() if process.stderr else ""
        if process.wait() != 0:
            raise BackupError(f"{file} is damaged (pg_restore could not read it: {error.strip()[-2000:]}): "
                              f"it cannot be restored")


def _rows(lines: Iterator[str]) -> Iterator[list[str]]:
    for line in lines:
        if line == "\\.\n":
            return
        yield line.rstrip("\n").split("\t")


# ---------------------------------------------------------------- restore

@dataclass(frozen=True)
class RestoreDone:
    file: Path
    engine: str
    backup: Contents
    before: Contents | None  # the database it replaced (None: there was none)
    after: Contents | None  # the database now (None: only checked)
    files: Files | None = None  # the photos and decisions archived beside the backup (None: no archive)
    files_added: int = 0
    lacking: list[str] = field(default_factory=list)  # files the restored database names that the data dir lacks


def restore(file: Path, *, force: bool = False, check_only: bool = False, without_files: bool = False,
            settings: Settings | None = None, say: Callable[[str], None] = lambda _: None) -> RestoreDone:
    """Check the backup, say what it holds (`say`), then bring it back into the configured database and migrate.

    `check_only`: stop after checking and describing the backup (nothing is touched). A backup whose rows
    name photos or decisions that neither its files archive nor the data directory holds is refused before
    anything is replaced, unless `without_files` accepts restoring the database without them.
    """
    settings = settings or get_settings()
    file = Path(file)
    engine = "sqlite" if settings.is_sqlite else "postgres"
    kind = kind_of(file)
    if kind != engine:
        other = {"sqlite": "a SQLite database", "postgres": "a PostgreSQL archive (pg_dump -Fc)"}
        raise BackupError(f"{file} is {other[kind]}, but the configured database is {other[engine].split(' (')[0]}: "
                          f"set PHUHOP_DATABASE_URL to the kind of database it came from; nothing was restored")
    held = describe_backup(file)
    say(f"The backup {file} holds:\n{held.text()}")
    if not held.is_phuhop:
        raise BackupError(f"{file} holds no phuhop tables: it is not a phuhop backup; nothing was restored")
    if not held.has_data:
        raise BackupError(f"{file} holds no data (no users, units or submissions); nothing was restored")
    files_path = backup_files.archive_path(file)
    files = None
    if files_path.is_file():
        try:
            files = backup_files.describe_archive(files_path)
        except FilesError as error:
            raise BackupError(f"{files_path} (its photos and decisions): {error}; nothing was restored") from error
        say(f"Its photos and decisions ({files_path}):\n  {files.text()}")
    else:
        say(f"There is no {files_path} beside it: photos and signed decisions are not in this backup "
            f"(those already in {settings.data_dir.resolve()} are kept).")
    archived = set(files.sizes) if files is not None else set()
    unrecoverable = sorted(name for name in held.named_files or set()
                           if name not in archived and not (settings.data_dir / name).is_file())
    if unrecoverable:
        where = f"{files_path}" if files is not None else f"{files_path} (missing)"
        if not without_files:
            raise BackupError(
                f"the backup names {len(unrecoverable):,} photos or signed decisions that neither {where} nor "
                f"{settings.data_dir.resolve()} holds, e.g. {', '.join(unrecoverable[:3])}: put the backup's "
                f".files.tar beside it, or add --without-files to restore the database without them; "
                f"nothing was restored")
        say(f"Restoring without {len(unrecoverable):,} photos or signed decisions the backup names (--without-files).")
    if check_only:
        return RestoreDone(file, engine, held, None, None, files)
    try:
        with serving.restoring(settings):
            before = _target_contents(settings)
            if before is not None and before.rows:
                say(f"The database it would replace holds:\n{before.text()}")
                if not force:
                    raise BackupError("the configured database already holds phuhop data: add --force to replace it "
                                      "with the backup (everything written since the backup is lost)")
            if settings.is_sqlite:
                _restore_sqlite(file, settings.sqlite_path)
            else:
                _restore_postgres(file, settings)
            from server.core.migrate import migrate

            migrate()
            added = backup_files.restore_archive(files_path, settings.data_dir) if files is not None else 0
            after = _target_contents(settings)
    except serving.Busy as busy:
        raise BackupError(f"{busy} Nothing was restored.") from busy
    named = after.named_files if after is not None and after.named_files is not None else set()
    lacking = sorted(name for name in named if not (settings.data_dir / name).is_file())
    return RestoreDone(file, engine, held, before, after, files, added, lacking)


def _target_contents(settings: Settings) -> Contents | None:
    if settings.is_sqlite:
        path = settings.sqlite_path
        return sqlite_contents(path) if path.is_file() and path.stat().st_size > 0 else None
    return postgres_contents(settings.database_url)


def _restore_sqlite(file: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # The backup API writes the target through SQLite's own locking and journal: another reader
    # sees either the old or the new database, never a half-copied file.
    with closing(sqlite3.connect(sqlite_uri(file, "ro"), uri=True)) as src, \
            closing(sqlite3.connect(target, timeout=30)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")
    problems = integrity_problems(target)
    if problems:
        raise BackupError(f"the restored database failed its integrity check: {problems[:5]}")


def _restore_postgres(file: Path, settings: Settings) -> None:
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
