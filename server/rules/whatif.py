"""What a rule set version would change in a period before it counts, and applying it.

For every commune of the period that the version's rule set applies to (the period's own, or a
province's) and that has data: its total and result under the version in force for it and under the
new one, whether its result changes, and which criterion makes the difference. Nothing is written.
An approved (or listed) commune is compared on the values it was approved with: approved means frozen.

Applying the version moves the period (and every province using that rule set) to it and re-scores
those communes in one audited pass. Lists already made keep the scores they were made with: only a
new revision of a list takes the new scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from scoring import COMMUNE_TYPE_LABELS, RuleSet, ScoringInputError, Totals, score_totals
from server.core import audit
from server.core.db import write_transaction
from server.core.export_cells import xlsx_bytes
from server.core.i18n import N_, gettext, use_language
from server.core.tables import Assessment, Period, PeriodArea, RuleVersion, Unit, User
from server.review.assessments import get_period
from server.review.collation import sort_key
from server.review.errors import NotAllowed, invalid
from server.review.indicators import corrections_many, reported_many
from server.review.scoring_service import frozen_values, score_period
from server.review.states import FROZEN, STATE_LABELS
from server.rules import assign, versions


@dataclass
class CommuneRow:
    code: str
    name: str
    parent: str
    commune_type: str
    state: str
    before_version: str
    before: Totals | None  # None: cannot be scored (data missing)
    after: Totals | None
    differences: list[tuple[int, int, int]] = field(default_factory=list)  # (criterion, before, after)
    decisive: int | None = None  # the criterion that makes the result change

    @property
    def status_changed(self) -> bool:
        return self.before is not None and self.after is not None and self.before.certified != self.after.certified

    @property
    def total_changed(self) -> bool:
        return self.before is not None and self.after is not None and self.before.total != self.after.total


@dataclass
class WhatIf:
    period: Period
    version: RuleVersion
    rules: RuleSet
    from_versions: list[str]  # the versions in force for these communes now
    rows: list[CommuneRow]

    @property
    def scored(self) -> list[CommuneRow]:
        return [row for row in self.rows if row.before is not None and row.after is not None]

    @property
    def counts(self) -> dict[str, int]:
        scored = self.scored
        return {"communes": len(self.rows), "scored": len(scored),
                "not_scorable": len(self.rows) - len(scored),
                "status_changed": sum(row.status_changed for row in scored),
                "now_recognised": sum(row.status_changed and row.after.certified for row in scored),
                "no_longer": sum(row.status_changed and not row.after.certified for row in scored),
                "total_changed": sum(row.total_changed for row in scored),
                "certified_before": sum(row.before.certified for row in scored),
                "certified_after": sum(row.after.certified for row in scored)}


def _try(rules: RuleSet, commune_type: str | None, values: dict[str, Any]) -> Totals | None:
    """Totals and points per criterion, without explaining every line (a preview compares thousands)."""
    try:
        return score_totals(rules, commune_type or "",
                            {key: value for key, value in values.items() if key in rules.indicators})
    except ScoringInputError:
        return None


def _compare(before: Totals, after: Totals, old_rules: RuleSet, new_rules: RuleSet
             ) -> tuple[list[tuple[int, int, int]], int | None]:
    """Criteria whose points differ, and the one that decides a change of result.

    A criterion that reaches or leaves 0 points decides (no criterion may score 0); otherwise the
    criterion whose points moved the most, in the direction of the change.
    """
    old = dict(zip((criterion.id for criterion in old_rules.criteria), before.criteria))
    new = dict(zip((criterion.id for criterion in new_rules.criteria), after.criteria))
    differences = [(cid, old.get(cid, 0), new.get(cid, 0)) for cid in sorted(set(old) | set(new))
                   if old.get(cid, 0) != new.get(cid, 0)]
    if before.certified == after.certified or not differences:
        return differences, None
    zeros = [cid for cid, was, now in differences if (was == 0) != (now == 0)]
    if zeros:
        return differences, zeros[0]
    direction = 1 if after.certified else -1
    moved = sorted(differences, key=lambda item: (-(item[2] - item[1]) * direction, item[0]))
    return differences, moved[0][0]


async def periods_using(rule_set: str) -> list[Period]:
    """Periods whose own rule set, or a province's, is `rule_set` (where a version of it can be applied)."""
    own = await Period.objects().where(Period.rule_set == rule_set).output(load_json=True).run()
    through_areas = {row["period"] for row in await PeriodArea.select(PeriodArea.period).where(
        PeriodArea.rule_set == rule_set).run()}
    extra = await Period.objects().where(Period.id.is_in(list(through_areas - {p.id for p in own}) or [-1])).output(
        load_json=True).run()
    return sorted([*own, *extra], key=lambda p: (-p.year, -p.id))


async def compute(period: Period, version: RuleVersion) -> WhatIf:
    """Both scores of every commune of the period under the version's rule set that has data."""
    new_rules = versions.rules_of(version)
    settings = await assign.settings_of(period)
    reported = await reported_many(period.id)
    units = await Unit.select(Unit.id, Unit.code, Unit.name, Unit.path, Unit.commune_type,
                              Unit.parent.name.as_alias("parent")).where(
        Unit.id.is_in(list(reported) or [-1])).run() if reported else []
    scope = [(unit, settings.for_path(unit["path"])) for unit in units]
    scope = [(unit, setting) for unit, setting in scope if setting.rule_set == version.rule_set]
    assessments = {row["commune"]: row for row in await Assessment.select(
        Assessment.id, Assessment.commune, Assessment.state).where(
        (Assessment.period == period.id) & Assessment.commune.is_in([unit["id"] for unit, _ in scope] or [-1])).run()}
    corrections = await corrections_many([row["id"] for row in assessments.values()])
    approved = await frozen_values({row["id"] for row in assessments.values() if row["state"] in FROZEN})
    current: dict[tuple[str, str | None], RuleSet] = {}
    rows = []
    for unit, setting in scope:
        key = (setting.rule_set, setting.version)
        if key not in current:
            current[key] = await assign.rules_of(setting)
        assessment = assessments.get(unit["id"])
        if assessment is not None and assessment["id"] in approved:  # approved means frozen: its approved values
            values = approved[assessment["id"]][0]
        else:
            values = {**reported[unit["id"]].values, **(corrections.get(assessment["id"], {}) if assessment else {})}
        before = _try(current[key], unit["commune_type"], values)
        after = _try(new_rules, unit["commune_type"], values)
        row = CommuneRow(unit["code"], unit["name"], unit["parent"] or "", unit["commune_type"] or "",
                         assessment["state"] if assessment else "collecting", current[key].version, before, after)
        if before is not None and after is not None:
            row.differences, row.decisive = _compare(before, after, current[key], new_rules)
        rows.append(row)
    rows.sort(key=lambda r: (not r.status_changed, not r.total_changed, sort_key(r.parent), sort_key(r.name)))
    return WhatIf(period, version, new_rules, sorted({rules.version for rules in current.values()}), rows)


# ---------------------------------------------------------------- the XLSX

HEADERS = (N_("Commune code"), N_("Commune, ward or township"), N_("Belongs to"), N_("Commune type"),
           N_("State"), N_("Total now"), N_("Result now"), N_("Total with the new version"),
           N_("Result with the new version"), N_("Result changes"), N_("Criteria that change"),
           N_("Criterion that makes the difference"))
CHANGED_FILL = PatternFill("solid", fgColor="FFF1D6")


def _result(result: Totals | None) -> str:
    if result is None:
        return gettext(N_("cannot be scored (data missing)"))
    return gettext(N_("Meets the standard") if result.certified else N_("Does not meet the standard"))


def criteria_text(row: CommuneRow) -> str:
    return "; ".join(f"{cid}: {was} → {now}" for cid, was, now in row.differences)


def to_xlsx(what: WhatIf, language: str = "vi") -> bytes:
    """The what-if as a spreadsheet: a summary, then one row per commune (changed results first)."""
    book = Workbook()
    sheet = book.active
    with use_language(language):
        sheet.title = gettext(N_("Preview"))[:31]
        counts = what.counts
        sheet.append([gettext(N_("Preview of %(rules)s %(version)s for %(period)s"), rules=what.version.rule_set,
                              version=what.version.version, period=what.period.name)])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append([gettext(N_("In force now: %(versions)s. Nothing is changed until the version is applied."),
                              versions=", ".join(what.from_versions) or "–")])
        sheet.append([gettext(N_("%(communes)s communes with data, %(scored)s scored under both; %(changed)s change "
                                 "result (%(gained)s become recognised, %(lost)s no longer); %(totals)s change total."),
                              communes=counts["communes"], scored=counts["scored"], changed=counts["status_changed"],
                              gained=counts["now_recognised"], lost=counts["no_longer"],
                              totals=counts["total_changed"])])
        if what.rules.provisional_numbers():
            sheet.append([gettext(N_("PROVISIONAL: some points or thresholds used are placeholders until the "
                                     "official scoring annex is transcribed; they are not official figures."))])
            sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, color="9A5B00")
        sheet.append([])
        sheet.append([gettext(header) for header in HEADERS])
        header_row = sheet.max_row
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for number, row in enumerate(what.rows, start=header_row + 1):
            values = [row.code, row.name, row.parent,
                      gettext(COMMUNE_TYPE_LABELS.get(row.commune_type, row.commune_type or "–")),
                      gettext(STATE_LABELS.get(row.state, row.state)),
                      row.before.total if row.before else None, _result(row.before),
                      row.after.total if row.after else None, _result(row.after),
                      gettext(N_("Yes")) if row.status_changed else gettext(N_("No")), criteria_text(row),
                      row.decisive]
            # cell by cell: openpyxl's sheet[row] and max_row scan every cell, once per row
            for column, value in enumerate(values, start=1):
                cell = sheet.cell(row=number, column=column, value=value)
                if row.status_changed:
                    cell.fill = CHANGED_FILL
    for index, width in enumerate((10, 30, 26, 28, 14, 10, 22, 12, 22, 10, 30, 14), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    return xlsx_bytes(book)  # a name or reason typed as a formula stays text (server/core/export_cells.py)


# ---------------------------------------------------------------- applying

async def _uses(period: Period, version: RuleVersion) -> tuple[assign.PeriodSettings, list[assign.Setting]]:
    """The period's settings and those that use the version's rule set; refused when none does or all use it."""
    settings = await assign.settings_of(period)
    uses = [setting for setting in (settings.default, *settings.areas) if setting.rule_set == version.rule_set]
    if not uses:
        raise invalid("period", "other_rules", N_("This period does not use this rule set."))
    if all(setting.version == version.version for setting in uses):
        raise invalid("version", "already", N_("This period already uses this version."))
    return settings, uses


async def apply(period: Period, version: RuleVersion, user: User, reason: str, ip: str | None = None) -> dict:
    """Move the period (and its provinces) that use this rule set to `version`, and re-score them (audited)."""
    if user.role != "admin":
        raise NotAllowed(N_("Only administrators can change rule sets."))
    if version.state != "published":
        raise invalid("version", "not_published", N_("Only a published version can be applied to a period."))
    reason = " ".join((reason or "").split())
    if len(reason) < 3:
        raise invalid("reason", "required", N_("Give the reason for this change."))
    await _uses(period, version)
    what = await compute(period, version)
    async with write_transaction():
        # two administrators applying at once: the second waits on the period's row, then finds it applied
        await Period.update({Period.rule_version: Period.rule_version}).where(Period.id == period.id).run()
        period = await get_period(period.id)
        settings, uses = await _uses(period, version)
        before = {"rule_set": version.rule_set, "rule_version": ", ".join(sorted({s.version or "" for s in uses}))}
        areas = [setting.area_code for setting in uses if setting.area_code]
        if areas:
            before["areas"] = areas
        if settings.default.rule_set == version.rule_set:
            await Period.update({Period.rule_version: version.version}).where(Period.id == period.id).run()
            period.rule_version = version.version
        await PeriodArea.update({PeriodArea.rule_version: version.version}).where(
            (PeriodArea.period == period.id) & (PeriodArea.rule_set == version.rule_set)).run()
        counts = what.counts
        await audit.record("rules_applied", "period", period.id, user=user, ip=ip, reason=reason, before=before,
                           after={"rule_set": version.rule_set, "rule_version": version.version,
                                  "sha256": version.sha256, **({"areas": areas} if areas else {}),
                                  **{key: counts[key] for key in ("communes", "status_changed", "now_recognised",
                                                                  "no_longer", "total_changed")}})
        report = await score_period(period, user, f"rules applied: {version.rule_set} {version.version}. {reason}",
                                    rule_set=version.rule_set)
    return {"scored": report.scored, "not_scorable": report.not_scorable, **what.counts}
