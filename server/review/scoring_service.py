"""Scores through `scoring/` with the rule set a commune's period names for it, stored with what produced them.

A stored Score names the rule file (id, version, sha256), the form versions and the exact indicator
values it used, so a later change of code or rules never changes an old result. A new score is
stored when the data changes (sending, a correction, approving changed data) or when someone
asks for a re-score explicitly; the latter is audited with the totals before and after.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from scoring import InputProblem, RuleSet, ScoreResult, ScoringInputError, score
from server.core import audit
from server.core.db import write_transaction
from server.review.indicators import Value, corrections_many, reported_many
from server.review.states import FROZEN
from server.core.tables import Assessment, Period, Score, Unit, User
from server.rules import assign


@dataclass
class Computed:
    """The current values of one commune scored now: a result, or the problems that prevent it."""

    values: dict[str, Value]
    form_versions: dict[str, list[int]]
    result: ScoreResult | None = None
    problems: list[InputProblem] = field(default_factory=list)


async def rules_for(period: Period, commune: Unit) -> RuleSet:
    """The rule set version that applies to this commune in this period (its province's, or the period's)."""
    return await assign.rules_of(await assign.setting_for(period, commune.path))


def compute(rules: RuleSet, commune_type: str | None, values: dict[str, Value],
            form_versions: dict[str, list[int]]) -> Computed:
    """Score with the keys the rule set reads (forms may hold figures another rule set reads: a province
    under the 2014 rules sends the 2014 figures beside the annual form's)."""
    if any(key not in rules.indicators for key in values):
        values = {key: value for key, value in values.items() if key in rules.indicators}
    try:
        result = score(rules, commune_type or "", values)
    except ScoringInputError as error:
        return Computed(values, form_versions, problems=error.problems)
    return Computed(values, form_versions, result=result)


def result_json(result: ScoreResult) -> dict[str, Any]:
    """`result.model_dump(mode="json")`, built directly: the same dict 10× faster (a batch of 10,000 spent
    2 s in pydantic serialising the lines). tests/test_review_scoring.py checks both agree."""
    texts: dict[int, dict[str, str]] = {}

    def text(value: Any) -> dict[str, str]:
        found = texts.get(id(value))
        if found is None:
            found = texts[id(value)] = {"vi": value.vi, "en": value.en}
        return found

    criteria = []
    for criterion in result.criteria:
        lines = []
        for line in criterion.lines:
            na = line.not_applicable
            lines.append({
                "id": line.id, "label": text(line.label), "kind": line.kind, "inputs": dict(line.inputs),
                "ratio": line.ratio, "value": line.value, "unit": line.unit, "band": line.band, "points": line.points,
                "max": line.max, "provisional": line.provisional,
                "not_applicable": None if na is None else {"code": na.code, "key": na.key, "points": na.points,
                                                           "message": na.message}})
        criteria.append({"id": criterion.id, "title": text(criterion.title), "points": criterion.points,
                         "max": criterion.max, "provisional": criterion.provisional, "lines": lines})
    return {
        "rules": {"id": result.rules.id, "version": result.rules.version, "sha256": result.rules.sha256},
        "commune_type": result.commune_type, "total": result.total, "max": result.max, "threshold": result.threshold,
        "threshold_provisional": result.threshold_provisional, "certified": result.certified,
        "reasons": [reason.model_dump(mode="json") for reason in result.reasons],
        "provisional": list(result.provisional), "criteria": criteria,
    }


def score_row(assessment_id: int, rules: RuleSet, computed: Computed, user: User | None,
              reason: str | None) -> Score:
    result = computed.result
    assert result is not None
    return Score(assessment=assessment_id, rules_id=rules.id, rules_version=rules.version,
                 rules_sha256=rules.sha256, form_versions=computed.form_versions, indicators=computed.values,
                 result=result_json(result), total=result.total, certified=result.certified,
                 provisional=result.uses_provisional, computed_by=user.id if user else None,
                 computed_at=datetime.now(timezone.utc), reason=reason)


async def store(assessment_id: int, rules: RuleSet, computed: Computed, user: User | None,
                reason: str) -> Score:
    """Insert one score (the caller holds the write transaction and writes the audit record)."""
    row = score_row(assessment_id, rules, computed, user, reason)
    await row.save().run()
    return row


async def latest(assessment_id: int) -> Score | None:
    return await Score.objects().where(Score.assessment == assessment_id).order_by(
        Score.id, ascending=False).first().output(load_json=True).run()


def is_current(stored: Score | None, rules: RuleSet, computed: Computed) -> bool:
    """Whether a stored score was made from exactly these values with exactly this rule file."""
    return (stored is not None and stored.rules_sha256 == rules.sha256 and stored.indicators == computed.values)


def summary(stored: Score | None) -> dict[str, Any] | None:
    return None if stored is None else {"score": stored.id, "total": stored.total, "certified": stored.certified,
                                        "rules": f"{stored.rules_id} {stored.rules_version}"}


async def rescore(assessment: Assessment, rules: RuleSet, computed: Computed, user: User,
                  reason: str, ip: str | None = None) -> Score:
    """An explicit re-score with the rule set that applies now; logged with before and after."""
    async with write_transaction():
        before = await latest(assessment.id)
        row = await store(assessment.id, rules, computed, user, reason)
        await audit.record("rescored", "assessment", assessment.id, user=user, ip=ip, reason=reason,
                           before=summary(before), after=summary(row))
    return row


@dataclass
class BatchReport:
    """What `score_period` did, each phase timed: load (query + derive), score (in memory), store (rows + insert)."""

    scored: int = 0
    not_scorable: int = 0
    frozen: int = 0  # approved or listed: not re-scored in a batch (reopen first), except under newly applied rules
    certified: int = 0
    load_seconds: float = 0.0
    score_seconds: float = 0.0
    store_seconds: float = 0.0


async def score_period(period: Period, user: User | None, reason: str, area_path: str | None = None, *,
                       rule_set: str | None = None) -> BatchReport:
    """Score every commune of a period that has data (in an area, if given; under one rule set, if given):
    one pass, one transaction, each commune with the rule set version its province (or the period) names.

    Assessments are created for communes that have none. Used for an explicit re-score of a whole
    area, when a new rule set version is applied to the period (`rule_set` given: approved and listed
    communes are re-scored too, from the values they were approved with), and by the national benchmark;
    it is audited as one entry with the counts.
    """
    report = BatchReport()
    started = time.perf_counter()
    settings = await assign.settings_of(period)
    reported = await reported_many(period.id, area_path)
    units = await Unit.select(Unit.id, Unit.commune_type, Unit.path).where(
        Unit.id.is_in(list(reported) or [-1])).run() if reported else []
    communes = {row["id"]: row["commune_type"] for row in units}
    setting_of = {row["id"]: settings.for_path(row["path"]) for row in units}
    if rule_set is not None:
        reported = {commune: data for commune, data in reported.items() if setting_of[commune].rule_set == rule_set}
    rule_sets = {key: await assign.rules_of(assign.Setting(key[0], key[1], "")) for key in
                 {(setting.rule_set, setting.version) for setting in setting_of.values()}}
    assessments, frozen = await _assessments_for(period, list(reported), user)
    approved = await frozen_values(frozen) if rule_set is not None else {}
    corrections = await corrections_many(list(assessments.values()))
    report.load_seconds = time.perf_counter() - started

    started = time.perf_counter()
    results: list[tuple[int, RuleSet, Computed]] = []
    # The pass allocates millions of small objects that all stay alive: the cyclic collector would
    # rescan them again and again (it tripled the time of a national batch), and nothing here is cyclic garbage.
    gc.disable()
    try:
        for commune_id, data in reported.items():
            assessment_id = assessments[commune_id]
            setting = setting_of[commune_id]
            rules = rule_sets[(setting.rule_set, setting.version)]
            if assessment_id in frozen:
                if assessment_id not in approved:
                    report.frozen += 1
                    continue
                values, form_versions = approved[assessment_id]  # its approved values, under the applied rules
                computed = compute(rules, communes.get(commune_id), values, form_versions)
            else:
                computed = compute(rules, communes.get(commune_id),
                                   {**data.values, **corrections.get(assessment_id, {})}, data.form_versions)
            if computed.result is None:
                report.not_scorable += 1
                continue
            report.certified += computed.result.certified
            results.append((assessment_id, rules, computed))
    finally:
        gc.enable()
    report.scored = len(results)
    report.score_seconds = time.perf_counter() - started

    started = time.perf_counter()
    async with write_transaction():
        for start in range(0, len(results), 1000):  # rows built per chunk: their JSON never all in memory at once
            await Score.insert(*[score_row(assessment_id, rules, computed, user, reason)
                                 for assessment_id, rules, computed in results[start:start + 1000]]).run()
        await audit.record("period_scored", "period", period.id, user=user, reason=reason,
                           after={"area": area_path, "rules": sorted(f"{r.id} {r.version}" for r in rule_sets.values()),
                                  "scored": report.scored, "not_scorable": report.not_scorable,
                                  "certified": report.certified, "frozen": report.frozen})
    report.store_seconds = time.perf_counter() - started
    return report


async def frozen_values(assessment_ids: set[int]) -> dict[int, tuple[dict[str, Value], dict[str, list[int]]]]:
    """The values and form versions of the latest score of each frozen assessment: what was approved."""
    if not assessment_ids:
        return {}
    out: dict[int, tuple[dict[str, Value], dict[str, list[int]]]] = {}
    for row in await Score.select(Score.assessment, Score.indicators, Score.form_versions).where(
            Score.assessment.is_in(list(assessment_ids))).order_by(Score.id).output(load_json=True).run():
        out[row["assessment"]] = (row["indicators"], row["form_versions"])
    return out


async def _assessments_for(period: Period, commune_ids: list[int], user: User | None) -> tuple[dict[int, int], set[int]]:
    """Assessment ids by commune, creating the missing ones (state "collecting": they have data), and the
    ids of the frozen ones (approved or listed)."""
    rows = await Assessment.select(Assessment.id, Assessment.commune, Assessment.state).where(
        Assessment.period == period.id).run()
    found = {row["commune"]: row["id"] for row in rows}
    frozen = {row["id"] for row in rows if row["state"] in FROZEN}
    missing = [commune for commune in commune_ids if commune not in found]
    if missing:
        async with write_transaction():
            for start in range(0, len(missing), 1000):
                chunk = missing[start:start + 1000]
                inserted = await Assessment.insert(*[
                    Assessment(key=f"{period.id}:{commune}", period=period.id, commune=commune, state="collecting",
                               updated_by=user.id if user else None) for commune in chunk
                ]).returning(Assessment.id, Assessment.commune).run()
                found.update({row["commune"]: row["id"] for row in inserted})
            await audit.record("assessments_created", "period", period.id, user=user,
                               after={"count": len(missing)})
    return found, frozen

