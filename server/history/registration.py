"""Each commune's registration to build a child-friendly commune, year by year.

One row per commune and year: registered on a date (by whom: the account that recorded it, or
the import it came from), or withdrawn later (the row stays, with the date). A collaborator records
their own commune, a reviewer the communes of their area, an admin any; every change is audited.
Registering again after a withdrawal reopens the same row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from server.core import audit
from server.core.db import write_transaction
from server.core.errors import FieldError, InputError
from server.core.i18n import N_
from server.core.tables import Registration, Unit, User
from server.history.imports import FIRST_YEAR, MERGER_YEAR
from server.registry.units import is_within

ACTIONS = ("register", "withdraw")


def check_year(year: Any, unit_set: str) -> int:
    """A year in which the commune's registry existed (legacy up to 2025, the 2025 registry from 2025)."""
    text = str(year).strip()
    value = int(text) if text.isascii() and text.isdecimal() and len(text) <= 4 else None
    last = dt.date.today().year + 1
    if value is None or not FIRST_YEAR <= value <= last:
        raise InputError([FieldError("year", "invalid", N_("Give a year between %(first)s and %(last)s."),
                                     {"first": FIRST_YEAR, "last": last})])
    if (unit_set == "legacy" and value > MERGER_YEAR) or (unit_set == "2025" and value < MERGER_YEAR):
        raise InputError([FieldError("year", "invalid", N_("This commune's registry did not exist in %(year)s."),
                                     {"year": value})])
    return value


def check_date(value: str, year: int) -> str:
    """An ISO date in the registration's year (or the next January, when registrations close late)."""
    text = (value or "").strip()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise InputError([FieldError("date", "invalid", N_("Give the date as day/month/year."))]) from None
    if not year - 1 <= day.year <= year + 1 or day > dt.date.today():
        raise InputError([FieldError("date", "invalid", N_("The date must be near %(year)s and not in the future."),
                                     {"year": year})])
    return day.isoformat()


def may_record(user: User, commune: Unit) -> bool:
    """Collaborators their own commune, reviewers the communes of their area, admins any."""
    if user.role == "admin":
        return True
    own = user.unit if isinstance(user.unit, Unit) and user.unit.id is not None else None
    if own is None or own.unit_set != commune.unit_set:
        return False
    if user.role == "collaborator":
        return own.id == commune.id
    return user.role == "reviewer" and is_within(commune.path, own.path)


async def record(commune: Unit, year: int, action: str, *, user: User, day: str, note: str = "",
                 ip: str | None = None) -> Registration:
    """Register the commune for the year on `day`, or withdraw its registration on `day` (audited)."""
    if action not in ACTIONS:
        raise InputError([FieldError("action", "invalid", N_("This action is not allowed here."))])
    note = note.strip()[:500]
    key = f"{commune.id}:{year}"
    async with write_transaction():
        row = await Registration.objects().where(Registration.key == key).first().run()
        before = None if row is None else {"registered_on": row.registered_on, "withdrawn_on": row.withdrawn_on}
        if action == "register":
            if row is not None and row.withdrawn_on is None:
                raise InputError([FieldError("action", "conflict", N_("This commune is already registered for "
                                                                      "%(year)s."), {"year": year})], status_code=409)
            if row is None:
                row = Registration(key=key, commune=commune.id, year=year, registered_on=day, note=note,
                                   source="web", recorded_by=user.id)
                await row.save().run()
            else:
                await Registration.update({Registration.registered_on: day, Registration.withdrawn_on: None,
                                           Registration.note: note, Registration.recorded_by: user.id,
                                           Registration.version: row.version + 1,
                                           Registration.recorded_at: dt.datetime.now(dt.timezone.utc)}) \
                    .where(Registration.id == row.id).run()
        else:
            if row is None or row.withdrawn_on is not None:
                raise InputError([FieldError("action", "conflict", N_("This commune is not registered for "
                                                                      "%(year)s."), {"year": year})], status_code=409)
            if day < (row.registered_on or ""):
                raise InputError([FieldError("date", "invalid", N_("A withdrawal cannot come before the "
                                                                   "registration."))])
            if not note:
                raise InputError([FieldError("note", "required", N_("Say why the registration is withdrawn."))])
            await Registration.update({Registration.withdrawn_on: day, Registration.note: note,
                                       Registration.recorded_by: user.id, Registration.version: row.version + 1,
                                       Registration.recorded_at: dt.datetime.now(dt.timezone.utc)}) \
                .where(Registration.id == row.id).run()
        await audit.record("registration_register" if action == "register" else "registration_withdraw",
                           "registration", f"{commune.unit_set}:{commune.code}:{year}",
                           user=user, ip=ip, reason=note or None, before=before,
                           after={"commune": commune.code, "year": year,
                                  "registered_on" if action == "register" else "withdrawn_on": day})
    return await Registration.objects().where(Registration.key == key).first().run()


@dataclass
class CommuneRegistration:
    id: int
    code: str
    name: str
    district: str
    registered_on: str | None
    withdrawn_on: str | None
    registered: bool
    source: str
    recorded_by: str
    note: str


async def area_registrations(unit_set: str, area: Unit | None, year: int) -> list[CommuneRegistration]:
    """Every commune of the area (or the set) with its registration for the year, in registry order."""
    query = Unit.select(Unit.id, Unit.code, Unit.name, Unit.parent.name, Unit.parent.kind) \
        .where((Unit.unit_set == unit_set) & (Unit.kind == "commune"))
    if area is not None:
        query = query.where((Unit.path == area.path) | Unit.path.like(f"{area.path}/%"))
    communes = await query.order_by(Unit.path).run()
    rows = await Registration.select(Registration.commune, Registration.registered_on, Registration.withdrawn_on,
                                     Registration.source, Registration.note, Registration.recorded_by.username) \
        .where((Registration.year == year) & (Registration.commune.unit_set == unit_set)).run()
    by_commune = {row["commune"]: row for row in rows}
    found = []
    for unit in communes:
        row = by_commune.get(unit["id"], {})
        found.append(CommuneRegistration(
            id=unit["id"], code=unit["code"], name=unit["name"],
            district=unit["parent.name"] if unit["parent.kind"] == "district" else "",
            registered_on=row.get("registered_on"), withdrawn_on=row.get("withdrawn_on"),
            registered=bool(row) and row.get("withdrawn_on") is None, source=row.get("source", ""),
            recorded_by=row.get("recorded_by.username") or "", note=row.get("note", "")))
    return found


async def commune_registrations(commune: Unit) -> list[dict[str, Any]]:
    """A commune's registrations over the years, newest first."""
    return await Registration.select(Registration.year, Registration.registered_on, Registration.withdrawn_on,
                                     Registration.source, Registration.note, Registration.recorded_by.username) \
        .where(Registration.commune == commune.id).order_by(Registration.year, ascending=False).run()
