"""Piccolo tables. Schema changes are additive (SQLite's auto-migrations are partial)."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.db import DB


class Unit(Table, db=DB):
    """An administrative unit of one registry set (legacy 3-tier or 2025 2-tier).

    Depth is data: `level` 1 is a province, the deepest level holds communes (kind 'commune').
    """

    id = Serial(primary_key=True)
    unit_set = Varchar(length=16, index=True)  # "legacy" | "2025"
    key = Varchar(length=24, unique=True)  # "<unit_set>:<code>": the official code is unique per set
    code = Varchar(length=16, index=True)
    name = Varchar(length=200)
    name_ascii = Varchar(length=200, index=True)  # lower-case, no diacritics: for search
    kind = Varchar(length=16)  # province | district | commune
    level = Integer()
    parent = ForeignKey("self", null=True, on_delete=OnDelete.restrict, index=True)
    path = Varchar(length=64, index=True)  # "/01/001/00001": ancestors' codes, for area checks
    commune_type = Varchar(length=32, null=True, default=None)  # scoring type of a commune
    lat = Float(null=True, default=None)
    lon = Float(null=True, default=None)
    population = Integer(null=True, default=None)


class User(Table, db=DB, tablename="phuhop_user"):
    id = Serial(primary_key=True)
    username = Varchar(length=64, unique=True)
    password_hash = Varchar(length=200)
    display_name = Varchar(length=200)
    role = Varchar(length=16)  # collaborator | reviewer | admin
    unit = ForeignKey(Unit, null=True, on_delete=OnDelete.restrict)  # commune of a collaborator, area of a reviewer
    language = Varchar(length=8, null=True, default=None)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Period(Table, db=DB):
    """An assessment period: its rule set and the form versions it accepts are data."""

    id = Serial(primary_key=True)
    name = Varchar(length=200)
    year = Integer()
    rule_set = Varchar(length=32)
    unit_set = Varchar(length=16)
    form_versions = JSON(default={})  # {"play-area": [1, 2], ...}
    opens_on = Varchar(length=10, null=True, default=None)  # ISO dates
    closes_on = Varchar(length=10, null=True, default=None)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Submission(Table, db=DB):
    """One filled form. `uuid` is made by the phone so that a resend is stored once."""

    id = Serial(primary_key=True)
    uuid = UUID(unique=True)
    form_id = Varchar(length=64, index=True)
    form_version = Integer()
    commune = ForeignKey(Unit, index=True, on_delete=OnDelete.restrict)
    period = ForeignKey(Period, null=True, index=True, on_delete=OnDelete.restrict)
    author = ForeignKey(User, on_delete=OnDelete.restrict)
    answers = JSON()
    state = Varchar(length=16, default="stored")
    source = Varchar(length=16, default="web")  # web | api | openrosa
    client_created_at = Varchar(length=40, null=True, default=None)
    received_at = Timestamptz(default=TimestamptzNow())


class AuditLog(Table, db=DB):
    """Append-only record of every write: who, when, what, why."""

    id = Serial(primary_key=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    user = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    username = Varchar(length=64, null=True, default=None)
    action = Varchar(length=64, index=True)
    entity = Varchar(length=64)
    entity_id = Varchar(length=64, null=True, default=None)
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)
    reason = Text(null=True, default=None)
    ip = Varchar(length=64, null=True, default=None)


class LoginAttempt(Table, db=DB):
    """Failed logins, shared by all workers, for throttling."""

    id = Serial(primary_key=True)
    username = Varchar(length=64, index=True)
    ip = Varchar(length=64, index=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)


ALL_TABLES: list[type[Table]] = [Unit, User, Period, Submission, AuditLog, LoginAttempt]
