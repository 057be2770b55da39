"""Browsing and exporting the audit log (admins only; the export itself is logged)."""

from __future__ import annotations

import json
from typing import Any

from server.core.export_cells import csv_bytes
from server.core.i18n import N_, format_datetime, gettext
from server.core.tables import AuditLog
from server.review import audit_view

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


async def entities() -> list[str]:
    return sorted(row["entity"] for row in await AuditLog.select(AuditLog.entity).distinct().run())


def to_csv(lines: list[audit_view.Line]) -> bytes:
    """The same human columns as the page, in the page language, then the codes and the raw JSON; text typed by
    anyone (a user name at the login form, a reason) cannot become a formula."""
    return csv_bytes([[gettext(header) for header in CSV_HEADERS], *([
        format_datetime(line.at), line.who, line.username, line.action or line.action_code, line.object,
        audit_view.changes_text(line), line.reason, line.ip, line.id, line.action_code, line.entity,
        line.entity_id or "", _json(line.raw_before), _json(line.raw_after)] for line in lines)])


CSV_HEADERS = (N_("When"), N_("Who"), N_("User name"), N_("Action"), N_("Object"), N_("Change"), N_("Why"),
               N_("IP address"), N_("Entry no."), N_("Action code"), N_("Object type"), N_("Object id"),
               N_("Before (JSON)"), N_("After (JSON)"))


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, default=str)
