"""The national targets as data: share of communes registered, share meeting the standard, by year.

The programmes' figures are stored once, on first use (`DEFAULTS`, recorded in the audit log);
after that they are the admin's to edit, add or remove on /admin/targets (each change audited).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from server.core import audit
from server.core.db import write_transaction
from server.core.errors import FieldError, InputError
from server.core.i18n import N_
from server.core.tables import AuditLog, ProgressTarget, User

MEASURES = ("registered", "meeting")
MEASURE_LABELS = {"registered": N_("Communes registered"), "meeting": N_("Communes meeting the standard")}
# The national programmes' figures (issue 16); the admin records the decision that sets each one as its source.
DEFAULTS = (("meeting", 2025, 65, ""), ("meeting", 2030, 75, ""), ("registered", 2025, 100, ""))
SEEDED = "progress_targets_seeded"  # the audit action that says the defaults were stored


@dataclass(frozen=True)
class Target:
    id: int
    measure: str
    year: int
    percent: int
    source: str


async def targets() -> list[Target]:
    """Every target, by measure then year (the defaults are stored the first time)."""
    if not await AuditLog.exists().where(AuditLog.action == SEEDED).run():
        async with write_transaction():
            if not await AuditLog.exists().where(AuditLog.action == SEEDED).run():
                for measure, year, percent, source in DEFAULTS:
                    key = f"{measure}:{year}"
                    if not await ProgressTarget.exists().where(ProgressTarget.key == key).run():
                        await ProgressTarget(key=key, measure=measure, year=year, percent=percent,
                                             source=source).save().run()
                await audit.record("progress_targets_seeded", "progress_target", username="system",
                                   after={"targets": [{"measure": m, "year": y, "percent": p} for m, y, p, _ in DEFAULTS]})
    rows = await ProgressTarget.select().order_by(ProgressTarget.measure).order_by(ProgressTarget.year).run()
    return [Target(row["id"], row["measure"], row["year"], row["percent"], row["source"]) for row in rows]


def _check(measure: str, year: str, percent: str) -> tuple[int, int]:
    errors = []
    if measure not in MEASURES:
        errors.append(FieldError("measure", "invalid", N_("Choose what the target measures.")))
    year_value = int(year) if year.isascii() and year.isdecimal() and len(year) <= 4 else None
    if year_value is None or not 2000 <= year_value <= 2100:
        errors.append(FieldError("year", "invalid", N_("Give a year between %(first)s and %(last)s."),
                                 {"first": 2000, "last": 2100}))
    percent_value = int(percent) if percent.isascii() and percent.isdecimal() and len(percent) <= 3 else None
    if percent_value is None or not 0 <= percent_value <= 100:
        errors.append(FieldError("percent", "invalid", N_("Give a whole percentage from 0 to 100.")))
    if errors:
        raise InputError(errors)
    return year_value, percent_value  # type: ignore[return-value]


async def save(data: dict[str, str], user: User, ip: str | None = None) -> None:
    """Add a target, or change the one of the same measure and year; `remove` deletes it."""
    await targets()
    measure, source = data.get("measure", ""), data.get("source", "").strip()[:300]
    year, percent = _check(measure, data.get("year", "").strip(), data.get("percent", "").strip() or "0")
    key = f"{measure}:{year}"
    async with write_transaction():
        row = await ProgressTarget.objects().where(ProgressTarget.key == key).first().run()
        before: Any = None if row is None else {"percent": row.percent, "target_source": row.source}
        if data.get("remove"):
            if row is None:
                raise InputError([FieldError("year", "not_found", N_("There is no such target."))], status_code=404)
            await ProgressTarget.delete().where(ProgressTarget.id == row.id).run()
            after = None
        elif row is None:
            await ProgressTarget(key=key, measure=measure, year=year, percent=percent, source=source,
                                 updated_by=user.id).save().run()
            after = {"percent": percent, "target_source": source}
        else:
            await ProgressTarget.update({ProgressTarget.percent: percent, ProgressTarget.source: source,
                                         ProgressTarget.updated_by: user.id,
                                         ProgressTarget.updated_at: dt.datetime.now(dt.timezone.utc)}) \
                .where(ProgressTarget.id == row.id).run()
            after = {"percent": percent, "target_source": source}
        await audit.record("progress_target_changed", "progress_target", key, user=user, ip=ip, before=before,
                           after=after)
