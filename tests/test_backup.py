"""`phuhop backup` of a database that is being written to, and `phuhop restore` of it.

The backup runs as its own process (as an operator would run it) while a thread of this process
keeps storing submissions through `submissions.submit`. The restored copy must be sound, hold
a consistent prefix of what was written, and give each commune the same score as the original.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from forms import registry as form_registry
from forms.compat import normalise
from forms.derive import indicators_for_period
from scoring import ScoringInputError, load_rules, score
from server.collection.samples import sample_answers
from server.core.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
FORMS = [(f.form_id, f.version) for f in form_registry.list_forms() if f.status == "published"]


def phuhop(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env or os.environ.copy(), timeout=120)


class Writer(threading.Thread):
    """Stores submissions of collab_a and collab_b back to back until stopped."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.stored = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._write())
        except BaseException as error:  # reported by the test, not lost in the thread
            self.error = error

    async def _write(self) -> None:
        from server.collection import submissions
        from server.core.tables import User

        users = [await User.objects(User.unit).where(User.username == name).first() for name in ("collab_a", "collab_b")]
        rng = random.Random(7)
        while not self.stop.is_set():
            form_id, version = FORMS[self.stored % len(FORMS)]
            form = form_registry.get_form(form_id, version)
            await submissions.submit(users[self.stored // len(FORMS) % 2], uuid=uuid.uuid4(), form_id=form_id, form_version=version,
                                     answers=sample_answers(form, rng))
            self.stored += 1


def scores_by_commune(rows: list[tuple[str, int, str, dict]]) -> dict[str, tuple]:
    """(form_id, version, commune code, answers) in storage order → each commune's vn-2019 result."""
    rules = load_rules("vn-2019")
    by_commune: dict[str, dict[str, list]] = {}
    for form_id, version, commune, answers in rows:
        comparable = normalise(form_registry.get_form(form_id, version), answers)
        by_commune.setdefault(commune, {}).setdefault(form_id, []).append(comparable)
    results = {}
    for commune, forms in by_commune.items():
        annual = forms.get("commune-annual", [None])[-1]
        indicators = indicators_for_period(annual, forms.get("play-area", []), forms.get("child-participation", []),
                                           forms.get("satisfaction", []))
        try:
            result = score(rules, "other", indicators)
        except ScoringInputError as refused:  # random forms can disagree (more decisions consulted than taken)
            results[commune] = ("invalid", tuple(sorted((p.key, p.code) for p in refused.problems)), indicators)
            continue
        results[commune] = (result.total, result.certified, tuple(c.points for c in result.criteria), indicators)
    return results


SELECT = ('SELECT s.uuid, s.form_id, s.form_version, u.code, s.answers FROM submission s '
          'JOIN unit u ON u.id = s.commune ORDER BY s.id')


def read_sqlite(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return [(str(uid), form_id, version, code, json.loads(answers))
                for uid, form_id, version, code, answers in conn.execute(SELECT)]
    finally:
        conn.close()


def read_tables(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    finally:
        conn.close()


def read_current() -> list[tuple]:
    from server.core.tables import Submission

    stored = Submission.select(Submission.uuid, Submission.form_id, Submission.form_version,
                               Submission.commune.code, Submission.answers).order_by(Submission.id) \
        .output(load_json=True).run_sync()
    return [(str(r["uuid"]), r["form_id"], r["form_version"], r["commune.code"], r["answers"]) for r in stored]


def _check_restored_matches(restored: list[tuple], current: list[tuple], written_before: int) -> None:
    assert len(restored) >= written_before > 0
    assert restored == current[: len(restored)], "the backup is not a consistent prefix of what was written"
    plain = [(f, v, c, a) for _, f, v, c, a in restored]
    original = [(f, v, c, a) for _, f, v, c, a in current[: len(restored)]]
    assert scores_by_commune(plain) == scores_by_commune(original)
    assert len(scores_by_commune(plain)) == 2


@pytest.mark.skipif(not get_settings().is_sqlite, reason="SQLite online backup")
def test_backup_of_a_live_sqlite_database_restores_and_scores_the_same(world: dict, tmp_path: Path) -> None:
    writer = Writer()
    writer.start()
    try:
        while writer.stored < 30 and writer.error is None:
            threading.Event().wait(0.05)
        written_before = writer.stored
        done = phuhop("backup", str(tmp_path / "copy.db"))
        written_after = writer.stored
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None, writer.error
    assert done.returncode == 0, done.stderr
    assert written_after > written_before, "the writer did not write during the backup"
    assert "sqlite" in done.stdout and (tmp_path / "copy.db").exists()
    assert not list(tmp_path.glob("*.partial"))

    new_dir = tmp_path / "restored"
    env = {**os.environ, "PHUHOP_DATA_DIR": str(new_dir), "PHUHOP_DATABASE_URL": f"sqlite:///{new_dir / 'phuhop.db'}"}
    restored_run = phuhop("restore", str(tmp_path / "copy.db"), env=env)
    assert restored_run.returncode == 0, restored_run.stderr
    conn = sqlite3.connect(new_dir / "phuhop.db")
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()

    _check_restored_matches(read_sqlite(new_dir / "phuhop.db"), read_current(), written_before)
    # The restored copy is usable: a second restore without --force is refused, with the reason.
    again = phuhop("restore", str(tmp_path / "copy.db"), env=env)
    assert again.returncode != 0 and "--force" in again.stderr
    assert phuhop("restore", "--force", str(tmp_path / "copy.db"), env=env).returncode == 0


@pytest.mark.skipif(not get_settings().is_sqlite, reason="SQLite files")
def test_restore_refuses_a_damaged_file_and_leaves_the_target_alone(world: dict, tmp_path: Path) -> None:
    assert phuhop("backup", str(tmp_path / "copy.db")).returncode == 0
    damaged = bytearray((tmp_path / "copy.db").read_bytes())
    page = int.from_bytes(damaged[16:18], "big")
    for offset in range(page, len(damaged), page):  # every page after the first gets an invalid page type
        damaged[offset] = 0xFF
    (tmp_path / "bad.db").write_bytes(bytes(damaged))
    new_dir = tmp_path / "restored"
    env = {**os.environ, "PHUHOP_DATA_DIR": str(new_dir), "PHUHOP_DATABASE_URL": f"sqlite:///{new_dir / 'phuhop.db'}"}
    refused = phuhop("restore", str(tmp_path / "bad.db"), env=env)
    assert refused.returncode != 0
    assert "is damaged" in refused.stderr, refused.stderr
    target = new_dir / "phuhop.db"
    assert not target.exists() or read_tables(target) == []


@pytest.mark.skipif(get_settings().is_sqlite, reason="pg_dump / pg_restore")
def test_postgres_backup_while_writing_restores_with_force(world: dict, tmp_path: Path) -> None:
    writer = Writer()
    writer.start()
    try:
        while writer.stored < 30 and writer.error is None:
            threading.Event().wait(0.05)
        written_before = writer.stored
        done = phuhop("backup", str(tmp_path / "copy.dump"))
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None, writer.error
    assert done.returncode == 0, done.stderr
    before_restore = read_current()

    refused = phuhop("restore", str(tmp_path / "copy.dump"))
    assert refused.returncode != 0 and "--force" in refused.stderr
    restored_run = phuhop("restore", "--force", str(tmp_path / "copy.dump"))
    assert restored_run.returncode == 0, restored_run.stderr
    restored = read_current()
    assert len(restored) < len(before_restore), "rows written after the backup should be gone"
    _check_restored_matches(restored, before_restore, written_before)
