"""The audit log: every write is appended with who, when, what and why. Nothing is deleted."""

from __future__ import annotations

from typing import Any

from piccolo.query.methods.insert import Insert

from server.tables import AuditLog, User


async def record(
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
) -> None:
    """Append one entry; call it inside the same transaction as the write it describes."""
    await entry(action, entity, entity_id, user=user, username=username, before=before, after=after,
                reason=reason, ip=ip).run()


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
) -> Insert:
    """The INSERT of one entry, not yet run: for `db.write_atomically` with the write it describes."""
    return AuditLog.insert(
        AuditLog(
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
    )
