"""Assessment periods: an admin opens one with its rule set, accepted form versions and deadlines.

A period is not necessarily a calendar year (the 2024 draft assesses twice per five-year plan): it
covers a span of dates of its own, and its reviewing level is a setting (a province may have its own
level and rule set: `server.rules.assign`). A new period uses the version of its rule set in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from forms import registry as form_registry
from server.core import audit
from server.core.db import write_transaction
from server.core.errors import FieldError, InputError
from server.core.i18n import N_
from server.core.strict import parse_date, parse_int
from server.registry.units import UNIT_SETS
from server.core.tables import Assessment, Period, User
from server.rules import assign, versions

FIRST_DAY, LAST_DAY = date(2010, 1, 1), date(2100, 12, 31)  # the years a period may have


@dataclass
class PeriodInput:
    name: str
    year: int
    rule_set: str
    unit_set: str
    form_versions: dict[str, list[int]]
    opens_on: str | None
    closes_on: str | None
    active: bool
    review_level: str
    covers_from: str | None
    covers_to: str | None


def form_choices() -> list[tuple[str, int, str]]:
    """(form id, version, status) of every form version a period may accept (drafts excluded)."""
    return [(f.form_id, f.version, f.status) for f in form_registry.list_forms() if f.status != "draft"]


def parse(data: dict[str, Any], chosen_forms: list[str], rule_sets: list[str]) -> PeriodInput:
    """Check the period form; every problem is reported at once, by field."""
    errors: list[FieldError] = []
    name = " ".join(str(data.get("name", "")).split())
    if not 3 <= len(name) <= 200:
        errors.append(FieldError("name", "required", N_("Give the period a name (3 to 200 characters).")))
    year = parse_int(data.get("year", ""), minimum=2010, maximum=2100)
    if year is None:
        errors.append(FieldError("year", "invalid", N_("Enter a year between 2010 and 2100.")))
    rule_set = str(data.get("rule_set", ""))
    if rule_set not in rule_sets:
        errors.append(FieldError("rule_set", "unknown", N_("Choose one of the rule sets.")))
    unit_set = str(data.get("unit_set", ""))
    if unit_set not in UNIT_SETS:
        errors.append(FieldError("unit_set", "unknown", N_("Choose the registry of administrative units.")))
    allowed = {f"{form_id}:{version}": (form_id, version) for form_id, version, _ in form_choices()}
    form_versions: dict[str, list[int]] = {}
    for key in chosen_forms:
        if key not in allowed:
            errors.append(FieldError("form_versions", "unknown", N_("This form version does not exist.")))
            continue
        form_id, version = allowed[key]
        form_versions.setdefault(form_id, []).append(version)
    dates: dict[str, date | None] = {}
    for field in ("opens_on", "closes_on", "covers_from", "covers_to"):
        raw = str(data.get(field, "")).strip()
        dates[field] = parse_date(raw, earliest=FIRST_DAY, latest=LAST_DAY) if raw else None
        if raw and dates[field] is None:
            errors.append(FieldError(field, "not_a_date", N_("Enter a date (year-month-day) between 2010 and 2100.")))
    if dates["opens_on"] and dates["closes_on"] and dates["closes_on"] < dates["opens_on"]:
        errors.append(FieldError("closes_on", "before_start", N_("The closing date must not be before the opening date.")))
    if dates["covers_from"] and dates["covers_to"] and dates["covers_to"] < dates["covers_from"]:
        errors.append(FieldError("covers_to", "before_start", N_("The end of the span must not be before its start.")))
    review_level = str(data.get("review_level", "")) or assign.default_level(unit_set)
    if review_level not in assign.levels_for(unit_set if unit_set in UNIT_SETS else "2025"):
        errors.append(FieldError("review_level", "unknown", N_("Choose who reviews the communes in this registry.")))
    if errors:
        raise InputError(errors)
    return PeriodInput(name=name, year=year, rule_set=rule_set, unit_set=unit_set,
                       form_versions={k: sorted(v) for k, v in sorted(form_versions.items())},
                       opens_on=dates["opens_on"].isoformat() if dates["opens_on"] else None,
                       closes_on=dates["closes_on"].isoformat() if dates["closes_on"] else None,
                       active=str(data.get("active", "")) in ("1", "on", "true"), review_level=review_level,
                       covers_from=dates["covers_from"].isoformat() if dates["covers_from"] else None,
                       covers_to=dates["covers_to"].isoformat() if dates["covers_to"] else None)


def as_dict(period: Period) -> dict[str, Any]:
    return {"name": period.name, "year": period.year, "rule_set": period.rule_set, "rule_version": period.rule_version,
            "unit_set": period.unit_set, "form_versions": period.form_versions, "opens_on": period.opens_on,
            "closes_on": period.closes_on, "active": period.active,
            "review_level": period.review_level or assign.default_level(period.unit_set),
            "covers_from": period.covers_from, "covers_to": period.covers_to}


async def save(period: Period | None, values: PeriodInput, user: User, ip: str | None = None) -> Period:
    """Open a new period or change one; the rule set of a period with stored scores cannot change."""
    before = as_dict(period) if period else None
    if period is not None and (values.rule_set, values.unit_set) != (period.rule_set, period.unit_set) \
            and await Assessment.exists().where(Assessment.period == period.id).run():
        raise InputError([FieldError("rule_set", "in_use", N_(
            "This period already has assessments: its rule set and registry can no longer change. "
            "Open a new period instead."))])
    row = period or Period()
    if period is None or values.rule_set != period.rule_set:  # a new rule set starts at its version in force
        in_force = await versions.in_force(values.rule_set)
        row.rule_version = in_force.version if in_force else None
    for key, value in values.__dict__.items():
        setattr(row, key, value)
    async with write_transaction():
        await row.save().run()
        await audit.record("period_saved" if before else "period_opened", "period", row.id, user=user, ip=ip,
                           before=before, after=as_dict(row))
    return row
