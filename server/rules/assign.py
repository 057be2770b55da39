"""Which rule set version and which reviewing level apply to a commune in a period.

A period names a default rule set (and the version it uses) and a reviewing level; a province — or,
in the legacy registry, a district — may have its own (`PeriodArea`). The deepest area holding a
commune decides for it. In 2019 one province applied the new decision while another's districts
still assessed under the 2014 rules; after the 2025 reform the province decides whether it reviews
itself or leaves it to the commune's own people's committee.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar.exceptions import NotFoundException

from scoring.ruleset import RuleSet, list_rules, load_rules
from server.core import audit
from server.core.db import write_transaction
from server.core.i18n import N_
from server.core.tables import Period, PeriodArea, Score, Unit, User
from server.review.errors import invalid
from server.rules import versions

REVIEW_LEVELS = ("district", "province", "commune")
REVIEW_LEVEL_LABELS = {"district": N_("District (the district's review council)"),
                       "province": N_("Province (the department in charge of children)"),
                       "commune": N_("The commune's own people's committee")}
AREA_KINDS = {"legacy": ("province", "district"), "2025": ("province",)}
"""Which units may have their own settings in each registry set."""


def default_level(unit_set: str) -> str:
    """District in the three-tier registry (until 30/06/2025), province in the two-tier one."""
    return "district" if unit_set == "legacy" else "province"


def levels_for(unit_set: str) -> tuple[str, ...]:
    """The reviewing levels a registry set has (there are no districts after the 2025 reform)."""
    return REVIEW_LEVELS if unit_set == "legacy" else ("province", "commune")


@dataclass(frozen=True)
class Setting:
    """What applies to the communes of one area (or of the whole period)."""

    rule_set: str
    version: str | None  # None: the file shipped with phuhop
    review_level: str
    area_id: int | None = None  # None: the period's own setting
    area_code: str | None = None
    area_name: str | None = None
    area_path: str | None = None
    row_id: int | None = None  # its PeriodArea row


@dataclass
class PeriodSettings:
    default: Setting
    areas: list[Setting] = field(default_factory=list)  # deepest first

    def for_path(self, path: str) -> Setting:
        """The setting of the deepest area that holds a commune (its path "/01/001/00001")."""
        for area in self.areas:
            if path == area.area_path or path.startswith(f"{area.area_path}/"):
                return area
        return self.default

    def rule_sets(self) -> set[tuple[str, str | None]]:
        return {(setting.rule_set, setting.version) for setting in (self.default, *self.areas)}


def version_of(rule_set: str, version: str | None) -> str | None:
    """The version a setting names: no version means the file shipped with phuhop, named by its own."""
    if version is None and rule_set in list_rules():
        return load_rules(rule_set).version
    return version


def period_setting(period: Period) -> Setting:
    return Setting(period.rule_set, version_of(period.rule_set, period.rule_version),
                   period.review_level or default_level(period.unit_set))


async def settings_of(period: Period) -> PeriodSettings:
    """The period's own setting and its areas' (an area without its own rule set or level inherits them)."""
    default = period_setting(period)
    rows = await PeriodArea.select(
        PeriodArea.id, PeriodArea.rule_set, PeriodArea.rule_version, PeriodArea.review_level,
        PeriodArea.unit.id.as_alias("unit_id"), PeriodArea.unit.code.as_alias("code"),
        PeriodArea.unit.name.as_alias("name"), PeriodArea.unit.path.as_alias("path"),
    ).where(PeriodArea.period == period.id).run()
    areas: list[Setting] = []
    for row in sorted(rows, key=lambda r: r["path"].count("/")):  # provinces before their districts
        # an area without its own rule set or level takes those of the area above it, else the period's
        above = next((a for a in areas if row["path"].startswith(f"{a.area_path}/")), None)
        parent = above or default
        areas.append(Setting(row["rule_set"] or parent.rule_set,
                             version_of(row["rule_set"], row["rule_version"]) if row["rule_set"] else parent.version,
                             row["review_level"] or parent.review_level,
                             row["unit_id"], row["code"], row["name"], row["path"], row["id"]))
    return PeriodSettings(default, sorted(areas, key=lambda a: -(a.area_path or "").count("/")))


async def rules_of(setting: Setting) -> RuleSet:
    return await versions.rules_for(setting.rule_set, setting.version)


async def setting_for(period: Period, path: str) -> Setting:
    return (await settings_of(period)).for_path(path)


async def indicators_for(commune: Unit) -> set[str] | None:
    """The keys the rule set of a commune's current period reads (None: no period is open for it)."""
    from server.review.assessments import current_period

    period = await current_period(commune.unit_set)
    if period is None:
        return None
    return set((await rules_of(await setting_for(period, commune.path))).indicators)


def serves(form: Any, keys: set[str] | None) -> bool:
    """Whether a form is offered to a commune whose rule set reads `keys` (None: no period open for it).

    A form asking for indicators is offered only where the rule set reads some of them (the 2014
    figures only to communes still assessed under the 2014 rules); a form without any always is."""
    asked = {field.indicator for field in form.fields if field.indicator}
    return keys is None or not asked or bool(asked & keys)


# ---------------------------------------------------------------- an admin sets a province's own rules

async def _scored_under(period: Period, path: str) -> set[str]:
    """Rule sets under which communes inside `path` already have stored scores in this period."""
    rows = await Score.select(Score.rules_id).where(
        (Score.assessment.period == period.id)
        & ((Score.assessment.commune.path == path) | Score.assessment.commune.path.like(f"{path}/%"))).distinct().run()
    return {row["rules_id"] for row in rows}


async def _refuse_if_scored(period: Period, path: str, rule_set: str) -> None:
    other = await _scored_under(period, path) - {rule_set}
    if other:
        raise invalid("rule_set", "in_use", N_("Communes of this area already have scores under another rule set: "
                                               "its rule set can no longer change in this period."))


async def save_area(period: Period, unit_code: str, rule_set: str, review_level: str, user: User,
                    ip: str | None = None) -> PeriodArea:
    """Give a province (or a legacy district) its own rule set and/or reviewing level in a period."""
    code = (unit_code or "").strip()
    unit = await Unit.objects().where((Unit.key == f"{period.unit_set}:{code}")
                                      & Unit.kind.is_in(list(AREA_KINDS.get(period.unit_set, ())))).first().run()
    if not code or len(code) > 16 or unit is None:
        raise invalid("unit_code", "unknown", N_("No province (or district of the three-tier registry) of the "
                                                  "period's registry has this code."))
    rule_set = (rule_set or "").strip() or None
    review_level = (review_level or "").strip() or None
    if rule_set is not None and rule_set not in await versions.rule_set_ids():
        raise invalid("rule_set", "unknown", N_("Choose one of the rule sets."))
    if review_level is not None and review_level not in levels_for(period.unit_set):
        raise invalid("review_level", "unknown", N_("Choose who reviews the communes in this registry."))
    if rule_set is None and review_level is None:
        raise invalid("rule_set", "required", N_("Choose a rule set or a reviewing level for this area."))
    before_setting = (await settings_of(period)).for_path(unit.path)
    if rule_set is not None and rule_set != before_setting.rule_set:
        await _refuse_if_scored(period, unit.path, rule_set)
    key = f"{period.id}:{unit.id}"
    row = await PeriodArea.objects().where(PeriodArea.key == key).first().run()
    before = None if row is None else {"rule_set": row.rule_set, "rule_version": row.rule_version,
                                       "review_level": row.review_level}
    row = row or PeriodArea(key=key, period=period.id, unit=unit.id)
    if rule_set is None:
        row.rule_set = row.rule_version = None
    elif rule_set != row.rule_set:
        in_force = await versions.in_force(rule_set)
        row.rule_set, row.rule_version = rule_set, in_force.version if in_force else None
    row.review_level = review_level
    async with write_transaction():
        await row.save().run()
        await audit.record("period_area_saved", "period", period.id, user=user, ip=ip, before=before,
                           after={"area": unit.code, "rule_set": row.rule_set, "rule_version": row.rule_version,
                                  "review_level": row.review_level})
    return row


async def remove_area(period: Period, area_id: int, user: User, ip: str | None = None) -> None:
    """The area follows the period's own settings again (refused if that changes the rule set of scored communes)."""
    row = await PeriodArea.objects(PeriodArea.unit).where(
        (PeriodArea.id == area_id) & (PeriodArea.period == period.id)).first().run()
    if row is None:
        raise NotFoundException(N_("This area has no settings of its own in this period."))
    settings = await settings_of(period)
    without = PeriodSettings(settings.default, [a for a in settings.areas if a.row_id != row.id])
    if without.for_path(row.unit.path).rule_set != settings.for_path(row.unit.path).rule_set:
        await _refuse_if_scored(period, row.unit.path, without.for_path(row.unit.path).rule_set)
    async with write_transaction():
        await PeriodArea.delete().where(PeriodArea.id == row.id).run()
        await audit.record("period_area_removed", "period", period.id, user=user, ip=ip,
                           before={"area": row.unit.code, "rule_set": row.rule_set, "rule_version": row.rule_version,
                                   "review_level": row.review_level})
