"""The audit log: every write is appended with who, when, what and why. Nothing is deleted."""

from __future__ import annotations

from typing import Any

from piccolo.query.methods.raw import Raw

from server.core.db import insert_values
from server.core.tables import AuditLog, User


async def record(action: str, entity: str, entity_id: object = None, **details: Any) -> None:
    """Append one entry (`details` as for `entry`); call it inside the transaction of the write it describes."""
    await entry(action, entity, entity_id, **details).run()


def entry(
    action: str,
    entity: str,
    entity_id: object = None,
    *,
    user: User | None = None,
    username: str | None = None,
    before: Any = None,
    after: Any = None,
    reason: str | None = None,
    ip: str | None = None,
) -> Raw:
    """The INSERT of one entry, not yet run: for `db.write_atomically` with the write it describes."""
    return insert_values(
        AuditLog,
        user=user.id if user else None,
        username=user.username if user else username,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=before,
        after=after,
        reason=reason,
        ip=ip,
    )
