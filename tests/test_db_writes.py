"""The write path under concurrency: grouped commits, pooled connections, one row per UUID.

Many submissions race (new ones, resends of the same UUID, one UUID reused by another user) on
the server's own loop with its pool open, as in production; each must end exactly once in the
database, with its audit row, and a failing write must not take its neighbours down with it.
"""

from __future__ import annotations

import asyncio
import random
import uuid

from forms import registry as form_registry
from server.collection.samples import sample_answers
import contextlib


def _answers(seed: int) -> dict:
    return sample_answers(form_registry.get_form("satisfaction", 1), random.Random(seed))


async def _race(world: dict) -> list:
    from server.collection import submissions
    from server.core.db import close_pool, open_pool
    from server.core.tables import User

    await open_pool()
    try:
        users = {name: await User.objects(User.unit).where(User.username == name).first()
                 for name in ("collab_a", "collab_b")}
        shared = [uuid.uuid4() for _ in range(20)]
        calls = []
        for number in range(120):
            own = uuid.uuid4()
            calls.append(submissions.submit(users["collab_a"], uuid=own, form_id="satisfaction", form_version=1,
                                            answers=_answers(number)))
        for number, key in enumerate(shared):  # each sent three times at once by its author …
            for _ in range(3):
                calls.append(submissions.submit(users["collab_a"], uuid=key, form_id="satisfaction", form_version=1,
                                                answers=_answers(1000 + number)))
            # … and once by someone else, who must be refused (409), not stored
            calls.append(submissions.submit(users["collab_b"], uuid=key, form_id="satisfaction", form_version=1,
                                            answers=_answers(2000 + number)))
        random.Random(4).shuffle(calls)
        return await asyncio.gather(*calls, return_exceptions=True)
    finally:
        await close_pool()


def test_concurrent_submissions_are_each_stored_once_with_their_audit_row(world: dict) -> None:
    from server.core.errors import InputError
    from server.core.tables import AuditLog, Submission

    results = asyncio.run(_race(world))
    stored = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, InputError) and r.status_code == 409 for r in refused), refused[:3]
    new = [r for r in stored if not r.duplicate]
    uuids = [row["uuid"] for row in Submission.select(Submission.uuid).run_sync()]
    assert len(uuids) == len(set(uuids)) == 140
    assert len(new) == 140
    audit = AuditLog.select(AuditLog.entity_id).where(AuditLog.action == "submission_stored").run_sync()
    assert sorted(row["entity_id"] for row in audit) == sorted(str(u) for u in uuids)
    # A UUID shared by two users belongs to whoever was stored first; every send of the other is refused.
    owners = {str(row["uuid"]): row["author.username"]
              for row in Submission.select(Submission.uuid, Submission.author.username).run_sync()}
    shared = [str(r.submission.uuid) for r in stored if r.duplicate]
    expected_refusals = sum(1 if owners[key] == "collab_a" else 3 for key in set(shared) | {
        key for key, owner in owners.items() if owner == "collab_b"})
    assert len(refused) == expected_refusals
    assert all(r.submission.id is not None for r in stored)


def test_a_failing_write_in_a_group_leaves_the_others_stored(world: dict) -> None:
    """Grouped commits on SQLite: one write that breaks a constraint is rolled back alone."""
    from server.core.db import write_atomically
    from server.core.tables import Submission, Unit, User

    async def group() -> list:
        author = await User.select(User.id).where(User.username == "collab_a").first()
        commune = await Unit.select(Unit.id).where(Unit.code == "00004").first()

        def row(key: uuid.UUID, commune_id: int) -> Submission:
            return Submission(uuid=key, form_id="satisfaction", form_version=1, commune=commune_id,
                              author=author["id"], answers={})

        good = [row(uuid.uuid4(), commune["id"]) for _ in range(10)]
        broken = row(uuid.uuid4(), 999_999)  # no such unit: the foreign key refuses it
        writes = [write_atomically(Submission.insert(r)) for r in good[:5]] + \
                 [write_atomically(Submission.insert(good[5]), Submission.insert(broken))] + \
                 [write_atomically(Submission.insert(r)) for r in good[6:]]
        return await asyncio.gather(*writes, return_exceptions=True)

    results = asyncio.run(group())
    assert isinstance(results[5], Exception)
    assert [isinstance(r, Exception) for r in results].count(True) == 1
    assert Submission.count().run_sync() == 9  # good[5] went with the broken write it was paired with


def test_insert_many_stores_values_defaults_and_json_and_rolls_back_with_its_transaction(world: dict) -> None:
    """`insert_many` (the driver's executemany) stores what Piccolo's insert would, inside the caller's transaction."""
    from server.core.db import insert_many, write_transaction
    from server.core.tables import HistoryImport, HistoryRow, Unit

    commune = Unit.select(Unit.id).where(Unit.kind == "commune").first().run_sync()["id"]
    record = HistoryImport(key="results:legacy:2023:x", kind="results", year=2023, unit_set="legacy",
                           file_name="a.xlsx", sha256="x", imported_by_name="test")
    record.save().run_sync()
    rows = [{"history_import": record.id, "row_number": 7, "status": "matched", "commune": commune,
             "source": {"commune": "Xã Hoà Bình", "note": "#?²"}, "total": 912.5, "recognised": True,
             "candidates": ["00001"]},
            {"history_import": record.id, "row_number": 8, "status": "unmatched"}]
    assert asyncio.run(insert_many(HistoryRow, rows)) == 2
    stored = HistoryRow.select().where(HistoryRow.history_import == record.id).order_by(HistoryRow.row_number) \
        .output(load_json=True).run_sync()
    assert [(r["row_number"], r["commune"], r["source"], r["total"], r["recognised"], r["candidates"], r["note"])
            for r in stored] == [(7, commune, {"commune": "Xã Hoà Bình", "note": "#?²"}, 912.5, True, ["00001"], ""),
                                 (8, None, {}, None, None, [], "")]

    async def failing() -> None:
        async with write_transaction():
            await insert_many(HistoryRow, [{"history_import": record.id, "row_number": 9, "status": "matched"}])
            raise RuntimeError("after the insert")

    with contextlib.suppress(RuntimeError):
        asyncio.run(failing())
    assert HistoryRow.count().where(HistoryRow.history_import == record.id).run_sync() == 2
    assert asyncio.run(insert_many(HistoryRow, [])) == 0
