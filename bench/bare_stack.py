"""The bare stack: the least a server on phuhop's stack does to store a submission. The yardstick.

Litestar + uvicorn (uvloop, httptools) + SQLite with phuhop's pragmas (WAL, foreign keys, 30 s busy
timeout) and phuhop's own group-commit writer thread (`server.core.db`): POST /api/submissions
parses the same JSON into a pydantic model, inserts one row and answers 201 (200 for a UUID it
already has, as phuhop does). No login, no session, no CSRF, no validation against a form, no
audit row, no compression. `bench/versus_bare.py` runs it and phuhop alternately with the same client.

Run: `python bench/bare_stack.py --port 8766 --workers 2` (PHUHOP_DATABASE_URL names the SQLite file,
made if missing); `bench/versus_bare.py` does all of it.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from litestar import Litestar, Response, post
from litestar.params import Body
from pydantic import BaseModel, Field

from server.core import db
from server.core.settings import get_settings

_INSERT = ('INSERT INTO "submission" ("uuid", "form_id", "form_version", "answers", "received_at") '
           "VALUES (?, ?, ?, ?, ?) RETURNING \"id\"")


class SubmissionIn(BaseModel):
    """The body phuhop's phones send (the same fields and limits as `server/collection/api.py`)."""

    uuid: UUID
    form_id: str = Field(max_length=64)
    form_version: int = Field(ge=1)
    answers: dict[str, Any]
    commune_code: str | None = Field(default=None, max_length=16)
    client_created_at: datetime | None = None


class SubmissionOut(BaseModel):
    uuid: UUID
    form_id: str
    form_version: int
    state: str
    received_at: datetime
    duplicate: bool


def create_database() -> None:
    """One table, WAL (a property of the file, as phuhop sets it)."""
    with closing(sqlite3.connect(get_settings().sqlite_path)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute('CREATE TABLE IF NOT EXISTS "submission" ("id" INTEGER PRIMARY KEY, "uuid" TEXT NOT NULL '
                           'UNIQUE, "form_id" TEXT NOT NULL, "form_version" INTEGER NOT NULL, "answers" TEXT NOT NULL, '
                           '"received_at" TEXT NOT NULL)')


@post("/api/submissions", status_code=201)
async def submit(data: SubmissionIn = Body()) -> Response[SubmissionOut]:  # noqa: B008 - Litestar's own idiom
    received = datetime.now(timezone.utc)
    writer = db._writer  # phuhop's group-commit writer thread, on this process's database
    assert writer is not None, "the bare stack runs on SQLite"
    try:
        await writer.run([(_INSERT, [str(data.uuid), data.form_id, data.form_version, json.dumps(data.answers),
                                     received.isoformat()])])
        duplicate = False
    except sqlite3.IntegrityError:  # the UUID is stored already: a resend
        duplicate = True
    out = SubmissionOut(uuid=data.uuid, form_id=data.form_id, form_version=data.form_version, state="stored",
                        received_at=received, duplicate=duplicate)
    return Response(out, status_code=200 if duplicate else 201)


app = Litestar(route_handlers=[submit], openapi_config=None)


if __name__ == "__main__":
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    create_database()
    # As `phuhop serve` runs uvicorn: its "auto" loop and parser pick uvloop and httptools.
    uvicorn.run("bare_stack:app", host="127.0.0.1", port=args.port, workers=args.workers, log_level="warning")
