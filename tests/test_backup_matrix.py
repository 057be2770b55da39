"""`phuhop backup` / `phuhop restore` as an operator meets them: odd paths, a missing or empty database,
foreign files, a restore while a server is serving; and importing the code creates no file.

Every case runs the real command in its own process, on SQLite and (PHUHOP_TEST_DATABASE_URL) on
PostgreSQL with pg_dump / pg_restore. A refusal must exit non-zero, say why, write no backup file and
leave the target database exactly as it was.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import sqlite3
import subprocess
import sys
import urllib.request
import uuid
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from conftest import ENGINE
from server.core.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
SQLITE = ENGINE == "sqlite"
ODD_NAMES = ["bk#1.db", "q?x=1&y.db", "with space/and #hash?.db", "pct%20a%.db", "Sao lưu ngày 1.db"]


def phuhop(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env=env or os.environ.copy(), timeout=180)


def sqlite_env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "PHUHOP_DATA_DIR": str(data_dir), "PHUHOP_DATABASE_URL": f"sqlite:///{data_dir / 'phuhop.db'}"}


def postgres_url(database: str) -> str:
    parts = urlsplit(get_settings().database_url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def postgres_env(database: str) -> dict[str, str]:
    return {**os.environ, "PHUHOP_DATABASE_URL": postgres_url(database)}


def counts(env: dict[str, str] | None = None) -> dict[str, int]:
    """Rows per phuhop table of the database `env` names (default: the test database), read directly."""
    from server.core.tables import ALL_TABLES

    url = (env or os.environ)["PHUHOP_DATABASE_URL"]
    names = [table._meta.tablename for table in ALL_TABLES]
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            return {}
        with closing(sqlite3.connect(path)) as conn:
            present = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names if name in present}
    import asyncpg

    async def read() -> dict[str, int]:
        connection = await asyncpg.connect(url)
        try:
            present = {row[0] for row in await connection.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}
            return {name: await connection.fetchval(f'SELECT count(*) FROM "{name}"') for name in names if name in present}
        finally:
            await connection.close()

    return asyncio.run(read())


def add_submissions(number: int) -> None:
    from forms import registry as form_registry
    from server.collection import submissions
    from server.collection.samples import sample_answers
    from server.core.tables import User

    async def write() -> None:
        user = await User.objects(User.unit).where(User.username == "collab_a").first()
        form = form_registry.get_form("satisfaction", 1)
        for index in range(number):
            await submissions.submit(user, uuid=uuid.uuid4(), form_id=form.form_id, form_version=form.version,
                                     answers=sample_answers(form, random.Random(index)))

    asyncio.run(write())


@pytest.fixture()
def filled(world: dict) -> dict[str, int]:
    """The test database with the world and three submissions; its row counts."""
    add_submissions(3)
    found = counts()
    assert found["submission"] == 3 and found["phuhop_user"] == 5
    return found


@pytest.fixture()
def scratch_database():
    """PostgreSQL: an empty database beside the test database, dropped afterwards."""
    name = urlsplit(get_settings().database_url).path.lstrip("/") + "_scratch"
    admin = postgres_url("postgres")

    def run(sql: str) -> None:
        done = subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql, admin], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr

    run(f'DROP DATABASE IF EXISTS "{name}"')
    run(f'CREATE DATABASE "{name}"')
    yield name
    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def backup_of_test_database(tmp_path: Path, name: str = "copy") -> Path:
    out = tmp_path / "backups" / (f"{name}.db" if SQLITE else f"{name}.dump")
    done = phuhop("backup", str(out))
    assert done.returncode == 0, done.stderr
    return out


# ---------------------------------------------------------------- odd paths

@pytest.mark.parametrize("name", ODD_NAMES)
def test_backup_and_restore_through_odd_paths(filled: dict[str, int], tmp_path: Path, name: str) -> None:
    out = tmp_path / "x" / name
    made = phuhop("backup", str(out))
    assert made.returncode == 0, made.stderr
    assert "submissions 3" in made.stdout and "users 5" in made.stdout, made.stdout
    # No stray file such as "bk"; the photos and decisions beside it.
    assert sorted(path.name for path in out.parent.iterdir()) == [out.name, f"{out.name}.files.tar"]
    if SQLITE:
        env = sqlite_env(tmp_path / "data #?x" / name.replace("/", "_"))
        restored = phuhop("restore", str(out), env=env)
    else:
        env = None
        restored = phuhop("restore", "--force", str(out))
    assert restored.returncode == 0, restored.stderr
    assert f"The backup {out} holds:" in restored.stdout and "submissions 3" in restored.stdout
    assert counts(env) == filled


# ---------------------------------------------------------------- photos and signed decisions

def test_photos_and_decisions_travel_with_the_backup(client, filled: dict[str, int], tmp_path: Path,
                                                     request: pytest.FixtureRequest) -> None:
    """Files in <data dir>/attachments and <data dir>/decisions are not in the database: the backup
    archives them beside it (through an odd path), a restore into another data folder brings them back
    byte for byte, and a restore without them says which files the database names and fails."""
    from conftest import login
    from photo_files import photo_bytes
    from server.review import decisions
    from test_photos import play_area_with_photo, put_photo

    login(client, "collab_a")
    body = play_area_with_photo(client)
    assert put_photo(client, body["uuid"], photo_bytes()).status_code == 201
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + uuid.uuid4().bytes
    decisions.keep(decisions.Decision("12/QĐ-UBND", None, "Chủ tịch UBND tỉnh", pdf, hashlib.sha256(pdf).hexdigest()))
    data_dir = get_settings().data_dir
    originals = {path.relative_to(data_dir): path.read_bytes() for folder in ("attachments", "decisions")
                 for path in (data_dir / folder).rglob("*") if path.is_file()}
    photos = sum(1 for name in originals if name.parts[0] == "attachments")
    assert photos >= 1 and len(originals) - photos >= 1

    out = tmp_path / "b#1?" / ("bk.db" if SQLITE else "bk.dump")
    made = phuhop("backup", str(out))
    assert made.returncode == 0, made.stderr
    assert f"photos {photos:,} · signed decisions {len(originals) - photos:,}" in made.stdout, made.stdout
    target = tmp_path / "restored #?"
    if SQLITE:
        env = sqlite_env(target)
    else:
        env = {**postgres_env(request.getfixturevalue("scratch_database")), "PHUHOP_DATA_DIR": str(target)}
    restored = phuhop("restore", "--force", str(out), env=env)
    assert restored.returncode == 0, restored.stderr
    assert f"{len(originals):,} files added" in restored.stdout, restored.stdout
    assert {relative: (target / relative).read_bytes() for relative in originals} == originals

    (out.parent / f"{out.name}.files.tar").unlink()  # an operator who copied only the database file
    for relative in originals:
        (target / relative).unlink()
    phuhop("users", "create", "kept.admin", "--role", "admin", "--password", "Kept-admin-pass-1", env=env)
    refused = phuhop("restore", "--force", str(out), env=env)  # refused before anything is replaced
    assert refused.returncode != 0 and "names 1 photos or signed decisions" in refused.stderr, refused.stderr
    assert "attachments/" in refused.stderr and "nothing was restored" in refused.stderr
    assert phuhop("users", "unlock", "kept.admin", env=env).returncode == 0  # the database it would have replaced
    accepted = phuhop("restore", "--force", "--without-files", str(out), env=env)
    assert accepted.returncode == 0, accepted.stderr
    assert "Warning: the restored database names 1 photos or decisions" in accepted.stdout
    assert phuhop("users", "unlock", "kept.admin", env=env).returncode != 0


# ---------------------------------------------------------------- a missing or empty database

def test_backup_from_the_wrong_directory_refuses_and_creates_nothing(tmp_path: Path) -> None:
    """A cron job without the server's environment: no database there, so no backup and no new file."""
    cwd = tmp_path / "somewhere"
    cwd.mkdir()
    env = {key: value for key, value in os.environ.items() if key not in ("PHUHOP_DATA_DIR", "PHUHOP_DATABASE_URL")}
    if not SQLITE:
        env["PHUHOP_DATABASE_URL"] = postgres_url("phuhop_no_such_database")
    refused = phuhop("backup", str(tmp_path / "out.db"), env=env, cwd=cwd)
    assert refused.returncode != 0
    assert ("there is no database at" if SQLITE else "cannot connect") in refused.stderr, refused.stderr
    assert not (tmp_path / "out.db").exists() and not (tmp_path / "out.db.partial").exists()
    assert list(cwd.iterdir()) == [], "the command created files where it ran"


def test_other_commands_do_not_create_a_database(tmp_path: Path) -> None:
    data_dir = tmp_path / "none"
    env = sqlite_env(data_dir) if SQLITE else postgres_env("phuhop_no_such_database")
    missing = "There is no phuhop database at" if SQLITE else "Cannot connect to the PostgreSQL database"
    for args, words in ((["users", "create", "x", "--role", "admin", "--password", "long-enough-1"], missing),
                        (["registry", "list"], missing), (["serve", "--no-migrate", "--port", "1"], missing),
                        (["restore", "--check", str(tmp_path / "nothing.db")], "there is no backup file at")):
        done = phuhop(*args, env=env)
        assert done.returncode != 0 and words in done.stderr, (args, done.stderr)
    assert not data_dir.exists()


@pytest.mark.skipif(not SQLITE, reason="SQLite files")
def test_backup_refuses_an_empty_sqlite_database(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = sqlite_env(data_dir)
    (data_dir / "phuhop.db").write_bytes(b"")  # what the old import-time engine left behind
    refused = phuhop("backup", str(tmp_path / "a.db"), env=env)
    assert refused.returncode != 0 and "holds no phuhop tables" in refused.stderr, refused.stderr
    assert phuhop("migrate", env=env).returncode == 0
    refused = phuhop("backup", str(tmp_path / "a.db"), env=env)
    assert refused.returncode != 0 and "holds no data" in refused.stderr, refused.stderr
    assert not (tmp_path / "a.db").exists()


@pytest.mark.skipif(SQLITE, reason="PostgreSQL")
def test_backup_refuses_an_empty_postgres_database(tmp_path: Path, scratch_database: str) -> None:
    env = postgres_env(scratch_database)
    refused = phuhop("backup", str(tmp_path / "a.dump"), env=env)
    assert refused.returncode != 0 and "holds no phuhop tables" in refused.stderr, refused.stderr
    assert phuhop("migrate", env=env).returncode == 0
    refused = phuhop("backup", str(tmp_path / "a.dump"), env=env)
    assert refused.returncode != 0 and "holds no data" in refused.stderr, refused.stderr
    assert not (tmp_path / "a.dump").exists()


# ---------------------------------------------------------------- foreign files

def foreign_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """File → the words its refusal must contain."""
    folder = tmp_path / "foreign"
    folder.mkdir()
    files = {"empty": (folder / "empty.db", "is empty (0 bytes)"),
             "text": (folder / "notes.txt", "neither a SQLite database nor a pg_dump archive")}
    files["empty"][0].write_bytes(b"")
    files["text"][0].write_text("phuhop? no: a shopping list\n")
    other = folder / "other-app.sqlite"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO things (name) VALUES ('a')")
        conn.commit()
    if SQLITE:
        files["foreign sqlite"] = (other, "holds no phuhop tables")
        empty_phuhop = tmp_path / "empty-phuhop"
        assert phuhop("migrate", env=sqlite_env(empty_phuhop)).returncode == 0
        files["phuhop without data"] = (empty_phuhop / "phuhop.db", "holds no data")
    else:
        files["sqlite given to PostgreSQL"] = (other, "set PHUHOP_DATABASE_URL")
    return files


@pytest.mark.parametrize("kind", ["empty", "text", "foreign sqlite", "phuhop without data", "damaged"])
@pytest.mark.skipif(not SQLITE, reason="SQLite files")
def test_restore_refuses_foreign_sqlite_files_and_changes_nothing(filled: dict[str, int], tmp_path: Path,
                                                                  kind: str) -> None:
    if kind == "damaged":
        good = backup_of_test_database(tmp_path).read_bytes()
        page = int.from_bytes(good[16:18], "big")
        damaged = bytearray(good)
        for offset in range(page, len(damaged), page):
            damaged[offset] = 0xFF
        file, words = tmp_path / "damaged.db", "is damaged"
        file.write_bytes(bytes(damaged))
    else:
        file, words = foreign_files(tmp_path)[kind]
    refused = phuhop("restore", "--force", str(file))
    assert refused.returncode != 0
    assert words in refused.stderr, refused.stderr
    assert "Restored" not in refused.stdout
    assert counts() == filled


@pytest.mark.skipif(SQLITE, reason="PostgreSQL archives")
def test_restore_refuses_foreign_postgres_files_and_changes_nothing(filled: dict[str, int], tmp_path: Path,
                                                                    scratch_database: str) -> None:
    files = foreign_files(tmp_path)
    scratch = postgres_url(scratch_database)
    made = subprocess.run(["psql", "-q", "-c", "CREATE TABLE things (id serial PRIMARY KEY, name text); "
                           "INSERT INTO things (name) VALUES ('a')", scratch], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    files["foreign archive"] = (tmp_path / "other-app.dump", "holds no phuhop tables")
    assert subprocess.run(["pg_dump", "-Fc", "-f", str(files["foreign archive"][0]), scratch]).returncode == 0
    assert subprocess.run(["psql", "-q", "-c", "DROP TABLE things", scratch]).returncode == 0
    assert phuhop("migrate", env=postgres_env(scratch_database)).returncode == 0
    files["phuhop without data"] = (tmp_path / "empty-phuhop.dump", "holds no data")
    assert subprocess.run(["pg_dump", "-Fc", "-f", str(files["phuhop without data"][0]), scratch]).returncode == 0
    good = backup_of_test_database(tmp_path).read_bytes()
    files["truncated archive"] = (tmp_path / "truncated.dump", "is damaged")
    files["truncated archive"][0].write_bytes(good[: len(good) * 2 // 3])
    for kind, (file, words) in files.items():
        refused = phuhop("restore", "--force", str(file))
        assert refused.returncode != 0, kind
        assert words in refused.stderr, (kind, refused.stderr)
        assert counts() == filled, kind


def test_restore_check_describes_a_backup_and_changes_nothing(filled: dict[str, int], tmp_path: Path) -> None:
    copy = backup_of_test_database(tmp_path)
    add_submissions(1)
    checked = phuhop("restore", "--check", str(copy))
    assert checked.returncode == 0, checked.stderr
    assert "submissions 3" in checked.stdout and "rule sets of its periods: vn-2019" in checked.stdout
    assert "satisfaction v1" in checked.stdout and "nothing was changed" in checked.stdout
    assert counts()["submission"] == 4


# ---------------------------------------------------------------- a server is serving

def test_restore_is_refused_while_a_server_serves_the_database(filled: dict[str, int], tmp_path: Path, server) -> None:
    copy = backup_of_test_database(tmp_path)
    add_submissions(2)
    refused = phuhop("restore", "--force", str(copy))
    assert refused.returncode != 0
    assert ("A phuhop server is serving" if SQLITE else "phuhop servers are connected") in refused.stderr, refused.stderr
    assert "Stop it first" in refused.stderr
    assert counts()["submission"] == 5
    assert urllib.request.urlopen(f"{server.base}/login", timeout=10).status == 200
    server.stop()
    restored = phuhop("restore", "--force", str(copy))
    assert restored.returncode == 0, restored.stderr
    assert counts()["submission"] == 3


@pytest.mark.skipif(not SQLITE, reason="the SQLite serving lock")
def test_a_server_does_not_start_while_a_restore_runs(world: dict, tmp_path: Path) -> None:
    from server.core import serving

    with serving.restoring(get_settings()):
        started = phuhop("serve", "--port", "1", "--no-migrate")
    assert started.returncode != 0 and "A restore into" in started.stderr, started.stderr


# ---------------------------------------------------------------- importing creates nothing

def test_importing_every_module_creates_no_file(tmp_path: Path) -> None:
    cwd, data_dir = tmp_path / "cwd", tmp_path / "data"
    cwd.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "PHUHOP_DATABASE_URL"}
    env["PHUHOP_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = str(ROOT)  # the tree under test, whatever the virtualenv's editable install points at
    script = ("import importlib, pkgutil, forms, scoring, server\n"
              "names = [m.name for p in (server, forms, scoring) for m in pkgutil.walk_packages(p.__path__, p.__name__ + '.')"
              " if not m.name.endswith('__main__')]\n"
              "[importlib.import_module(name) for name in names]\n"
              "print(len(names))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 50
    assert list(cwd.iterdir()) == [] and not data_dir.exists()


# ---------------------------------------------------------------- a database that cannot be written

@pytest.mark.skipif(SQLITE, reason="the suite runs as root, who writes any file: PostgreSQL's read-only setting")
def test_serve_refuses_a_read_only_database_with_a_clear_message(tmp_path: Path, scratch_database: str) -> None:
    env = {**postgres_env(scratch_database), "PHUHOP_DATA_DIR": str(tmp_path / "data")}
    assert phuhop("migrate", env=env).returncode == 0
    done = subprocess.run(["psql", "-q", "-c", f'ALTER DATABASE "{scratch_database}" SET default_transaction_read_only = on',
                           postgres_url("postgres")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    refused = phuhop("serve", "--no-migrate", "--port", "1", env=env)
    assert refused.returncode != 0
    assert "cannot write to its PostgreSQL database (default_transaction_read_only is on)" in refused.stderr, refused.stderr
