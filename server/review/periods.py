"""Assessment periods: an admin opens one with its rule set, accepted form versions and deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from forms import registry as form_registry
from scoring import list_rules
from server.core import audit
from server.core.db import write_transaction
from server.core.errors import FieldError, InputError
from server.core.i18n import N_
from server.registry.units import UNIT_SETS
from server.core.tables import Assessment, Period, User


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


def form_choices() -> list[tuple[str, int, str]]:
    """(form id, version, status) of every form version a period may accept (drafts excluded)."""
    return [(f.form_id, f.version, f.status) for f in form_registry.list_forms() if f.status != "draft"]


def parse(data: dict[str, Any], chosen_forms: list[str]) -> PeriodInput:
    """Check the period form; every problem is reported at once, by field."""
    errors: list[FieldError] = []
    name = " ".join(str(data.get("name", "")).split())
    if not 3 <= len(name) <= 200:
        errors.append(FieldError("name", "required", N_("Give the period a name (3 to 200 characters).")))
    year_text = str(data.get("year", "")).strip()
    year = int(year_text) if year_text.isdigit() else 0
    if not 2010 <= year <= 2100:
        errors.append(FieldError("year", "invalid", N_("Enter a year between 2010 and 2100.")))
    rule_set = str(data.get("rule_set", ""))
    if rule_set not in list_rules():
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
    for field in ("opens_on", "closes_on"):
        raw = str(data.get(field, "")).strip()
        try:
            dates[field] = date.fromisoformat(raw) if raw else None
        except ValueError:
            errors.append(FieldError(field, "not_a_date", N_("Enter a date (year-month-day).")))
            dates[field] = None
    if dates["opens_on"] and dates["closes_on"] and dates["closes_on"] < dates["opens_on"]:
        errors.append(FieldError("closes_on", "before_start", N_("The closing date must not be before the opening date.")))
    if errors:
        raise InputError(errors)
    return PeriodInput(name=name, year=year, rule_set=rule_set, unit_set=unit_set,
                       form_versions={k: sorted(v) for k, v in sorted(form_versions.items())},
                       opens_on=dates["opens_on"].isoformat() if dates["opens_on"] else None,
                       closes_on=dates["closes_on"].isoformat() if dates["closes_on"] else None,
                       active=str(data.get("active", "")) in ("1", "on", "true"))


def as_dict(period: Period) -> dict[str, Any]:
    return {"name": period.name, "year": period.year, "rule_set": period.rule_set, "unit_set": period.unit_set,
            "form_versions": period.form_versions, "opens_on": period.opens_on, "closes_on": period.closes_on,
            "active": period.active}


async def save(period: Period | None, values: PeriodInput, user: User, ip: str | None = None) -> Period:
    """Open a new period or change one; the rule set of a period with stored scores cannot change."""
    before = as_dict(period) if period else None
    if period is not None and (values.rule_set, values.unit_set) != (period.rule_set, period.unit_set):
        if await Assessment.exists().where(Assessment.period == period.id).run():
            raise InputError([FieldError("rule_set", "in_use", N_(
                "This period already has assessments: its rule set and registry can no longer change. "
                "Open a new period instead."))])
    row = period or Period()
    for key, value in values.__dict__.items():
        setattr(row, key, value)
    async with write_transaction():
        await row.save().run()
        await audit.record("period_saved" if before else "period_opened", "period", row.id, user=user, ip=ip,
                           before=before, after=as_dict(row))
    return row
