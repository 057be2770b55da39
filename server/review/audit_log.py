"""Browsing and exporting the audit log (admins only; the export itself is logged)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from server.core.tables import AuditLog

PAGE_SIZE = 100
COLUMNS = ("id", "at", "username", "action", "entity", "entity_id", "before", "after", "reason", "ip")


async def entries(*, action: str = "", username: str = "", entity: str = "", entity_id: str = "",
                  page: int = 1, limit: int | None = PAGE_SIZE) -> list[dict[str, Any]]:
    """Newest first, filtered by exact action, user name, entity and entity id."""
    query = AuditLog.select(*[getattr(AuditLog, name) for name in COLUMNS])
    for column, value in ((AuditLog.action, action), (AuditLog.username, username), (AuditLog.entity, entity),
                          (AuditLog.entity_id, entity_id)):
        if value:
            query = query.where(column == value)
    query = query.order_by(AuditLog.id, ascending=False)
    if limit is not None:
        query = query.limit(limit).offset((max(1, page) - 1) * limit)
    return await query.output(load_json=True).run()


async def actions() -> list[str]:
    return sorted(row["action"] for row in await AuditLog.select(AuditLog.action).distinct().run())


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([json.dumps(row[name], ensure_ascii=False, default=str) if name in ("before", "after")
                         and row[name] is not None else row[name] for name in COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
