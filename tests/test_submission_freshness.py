"""The submission path reads what decides a submission on every request, in every worker.

Nothing on it is cached: a deactivated collaborator, a period closed or an assessment approved
takes effect on the very next submission, whichever of two server processes answers it. The
INSERTs are built without Piccolo row objects (`db.insert_values`); they must say exactly what
`insert_row(Table(...))` said.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from conftest import LiveServer, csrf_header, login
from forms import registry as form_registry
from server.collection.samples import sample_answers

SENDS = 6  # per step, each on a new connection: enough that both worker processes answer some


def _statement(query) -> tuple[str, list]:
    [querystring] = query.querystrings
    return querystring.compile_string(engine_type="sqlite")


def test_insert_values_says_what_insert_row_of_the_object_says(db: str) -> None:
    from server.core import audit
    from server.core.db import insert_row, insert_values
    from server.core.tables import AuditLog, Submission

    now = datetime(2026, 12, 2, 15, 0, tzinfo=timezone.utc)
    key = uuid.uuid4()
    submission = {"uuid": key, "form_id": "play-area", "form_version": 2, "commune": 7, "period": None, "author": 3,
                  "answers": {"a": [1, "hai"], "b": {"c": None}}, "state": "stored", "source": "api",
                  "client_created_at": None, "received_at": now}
    assert _statement(insert_values(Submission, **submission)) == _statement(insert_row(Submission(**submission)))
    entry = {"user": 3, "username": "thu", "action": "submission_stored", "entity": "submission",
             "entity_id": str(key), "before": None, "after": {"form": "play-area"}, "reason": None, "ip": "10.0.0.1",
             "at": now}
    assert _statement(insert_values(AuditLog, **entry)) == _statement(insert_row(AuditLog(**entry)))
    # Left out, a column takes its default as Table(...) gives it (the time: now).
    _, args = _statement(audit.entry("login", "user", 3, username="thu"))
    stamp = args[[column._meta.name for column in AuditLog._meta.columns if not column._meta.primary_key].index("at")]
    assert isinstance(stamp, datetime) and abs(stamp - datetime.now(timezone.utc)) < timedelta(minutes=1)
    with pytest.raises(ValueError, match="no column"):
        insert_values(AuditLog, action="x", entity="y", colour="red")
    few = {"uuid": key, "form_id": "play-area", "form_version": 2, "commune": 7, "author": 3, "answers": {},
           "received_at": now}  # the others at their defaults, as Table(...) fills them
    assert _statement(insert_values(Submission, **few)) == _statement(insert_row(Submission(**few)))


def _send(http: httpx.Client, answers: dict) -> list[httpx.Response]:
    return [http.post("/api/submissions", json={"uuid": str(uuid.uuid4()), "form_id": "satisfaction",
                                                "form_version": 1, "answers": answers},
                      headers={**csrf_header(http), "connection": "close"})
            for _ in range(SENDS)]


@pytest.mark.slow
def test_a_closed_period_an_approval_and_a_deactivation_count_at_once_in_every_worker(world: dict) -> None:
    import random

    from server.core.tables import Assessment, Period, User

    server = LiveServer("--workers", "2")
    server.start()
    try:
        with httpx.Client(base_url=server.base, timeout=30) as http:
            login(http, "collab_a")
            answers = sample_answers(form_registry.get_form("satisfaction", 1), random.Random(1))
            sent = _send(http, answers)
            assert [r.status_code for r in sent] == [201] * SENDS, sent[0].text
            assert {r.json()["state"] for r in sent} == {"stored"}

            period, commune = world["period"], world["users"]["collab_a"].unit
            Assessment.update({Assessment.state: "approved"}).where(
                (Assessment.period == period.id) & (Assessment.commune == commune)).run_sync()
            if not Assessment.exists().where(Assessment.key == f"{period.id}:{commune}").run_sync():
                Assessment.insert(Assessment(key=f"{period.id}:{commune}", period=period.id, commune=commune,
                                             state="approved")).run_sync()
            late = _send(http, answers)
            assert [r.status_code for r in late] == [201] * SENDS
            assert {r.json()["state"] for r in late} == {"after_approval"}

            Period.update({Period.closes_on: "2000-01-31"}).where(Period.id == period.id).run_sync()
            closed = _send(http, answers)
            assert [r.status_code for r in closed] == [422] * SENDS
            assert {r.json()["errors"][0]["code"] for r in closed} == {"period_closed"}

            Period.update({Period.closes_on: None}).where(Period.id == period.id).run_sync()
            User.update({User.active: False}).where(User.username == "collab_a").run_sync()
            gone = _send(http, answers)
            assert [r.status_code for r in gone] == [401] * SENDS
    finally:
        server.stop()
