"""A commune's indicator values for one period: what it reported, what reviewers corrected, what counts.

Reported values are derived from the commune's submissions of the period (`forms.derive`); a
reviewer's correction is a new `Correction` row (the reported value is never overwritten), and the
current value of an indicator is its latest correction, else the reported value. Withdrawing a
correction is a row too (`after` empty, with its reason): the indicator is back to its reported
value and the history keeps both.

A corrected count is a whole number from 0 to the maximum of the form field that collects it, or
MAX_COUNT. A stored value that is no such number (one stored before the bounds existed: a float,
`Infinity`) is kept in the history as text and ignored when scoring, so that it can be withdrawn.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache, cache
from typing import Any

from forms import registry as form_registry
from forms.compat import normalise
from forms.derive import indicators_for_period
from forms.model import FormVersion
from scoring import InputProblem, RuleSet
from server.core.i18n import N_, format_number, gettext, message_text
from server.core.strict import parse_int
from server.core.templating import localized
from server.review.errors import invalid
from server.core.tables import Correction, Submission, User

ANNUAL, PLAY_AREA, PARTICIPATION, SATISFACTION = "commune-annual", "play-area", "child-participation", "satisfaction"
LEGACY_2014 = "commune-2014"  # the vn-2014 figures the annual form does not ask

Value = bool | int | float  # a float: a percentage (rule sets that read one)
MAX_COUNT = 10_000_000  # no count of a commune comes near it (children, births, cases, …)


@dataclass
class Reported:
    """What a commune's submissions of a period say, and which form versions said it."""

    values: dict[str, Value] = field(default_factory=dict)
    form_versions: dict[str, list[int]] = field(default_factory=dict)
    submissions: int = 0
    last_id: int = 0  # the newest submission counted: an approval sets aside any newer one


@cache
def _form(form_id: str, version: int) -> FormVersion:
    return form_registry.get_form(form_id, version)


def derive(rows: list[dict[str, Any]]) -> Reported:
    """Submissions (dicts with form_id, form_version, answers; oldest first) → reported values.

    The latest annual form counts (a commune may resend it); every detailed form counts; a submission
    replaced by an edit among `rows` (its `replaces`) does not count: the edit does.
    """
    replaced = {row["replaces"] for row in rows if row.get("replaces") is not None}
    if replaced:
        rows = [row for row in rows if row.get("uuid") not in replaced]
    annual: dict[str, Any] | None = None
    legacy: dict[str, Any] | None = None
    detailed: dict[str, list[dict[str, Any]]] = {PLAY_AREA: [], PARTICIPATION: [], SATISFACTION: []}
    versions: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        form_id, version = row["form_id"], row["form_version"]
        if form_id not in (ANNUAL, LEGACY_2014) and form_id not in detailed:
            continue
        answers = normalise(_form(form_id, version), row["answers"])
        versions[form_id].add(version)
        if form_id == ANNUAL:
            annual = answers
        elif form_id == LEGACY_2014:
            legacy = answers
        else:
            detailed[form_id].append(answers)
    values = indicators_for_period(annual, detailed[PLAY_AREA], detailed[PARTICIPATION], detailed[SATISFACTION],
                                   legacy)
    return Reported(values=values, form_versions={k: sorted(v) for k, v in sorted(versions.items())},
                    submissions=len(rows), last_id=max((row.get("id", 0) for row in rows), default=0))


_COLUMNS = (Submission.id, Submission.uuid, Submission.replaces, Submission.commune, Submission.form_id,
            Submission.form_version, Submission.answers)
COUNTED = Submission.state != "after_approval"
"""Submissions received after the approval count only once a reviewer reopens the assessment."""


async def reported(period_id: int, commune_id: int) -> Reported:
    rows = await Submission.select(*_COLUMNS).where(
        (Submission.period == period_id) & (Submission.commune == commune_id) & COUNTED).order_by(
        Submission.id).output(load_json=True).run()
    return derive(rows)


async def edits(period_id: int, commune_id: int) -> list[dict[str, Any]]:
    """The edits sent for a commune's submissions (ODK Collect), oldest first: the reviewer's page lists them."""
    return await Submission.select(
        Submission.uuid, Submission.replaces, Submission.form_id, Submission.form_version, Submission.received_at,
        Submission.source, Submission.state, Submission.author.display_name.as_alias("author"),
    ).where((Submission.period == period_id) & (Submission.commune == commune_id)
            & Submission.replaces.is_not_null()).order_by(Submission.id).run()


async def after_approval(period_id: int, commune_id: int) -> list[dict[str, Any]]:
    """The submissions kept aside because they arrived after the approval, oldest first."""
    return await Submission.select(
        Submission.uuid, Submission.form_id, Submission.form_version, Submission.received_at, Submission.source,
        Submission.author.display_name.as_alias("author"),
    ).where((Submission.period == period_id) & (Submission.commune == commune_id)
            & (Submission.state == "after_approval")).order_by(Submission.id).run()


async def reported_many(period_id: int, area_path: str | None = None) -> dict[int, Reported]:
    """Every commune's reported values of a period (inside an area, if given), in one query."""
    query = Submission.select(*_COLUMNS).where((Submission.period == period_id) & COUNTED)
    if area_path:
        query = query.where((Submission.commune.path == area_path)
                            | Submission.commune.path.like(f"{area_path}/%"))
    by_commune: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in await query.order_by(Submission.id).output(load_json=True).run():
        by_commune[row["commune"]].append(row)
    return {commune: derive(rows) for commune, rows in by_commune.items()}


async def corrections_of(assessment_id: int) -> list[dict[str, Any]]:
    """Every correction of an assessment, oldest first, with who made it."""
    rows = await Correction.select(
        Correction.id, Correction.indicator, Correction.before, Correction.after, Correction.reason,
        Correction.created_at, Correction.author.username.as_alias("author"),
        Correction.author.display_name.as_alias("author_name"),
    ).where(Correction.assessment == assessment_id).order_by(Correction.id).run()
    for row in rows:
        row["before"], row["after"] = _loaded(row["before"]), _loaded(row["after"])
        row["withdrawn"] = row["after"] is None
    return rows


async def corrections_many(assessment_ids: list[int]) -> dict[int, dict[str, Value]]:
    """The latest corrected value of each indicator, per assessment (for batch scoring)."""
    if not assessment_ids:
        return {}
    rows = await Correction.select(Correction.assessment, Correction.indicator, Correction.after).where(
        Correction.assessment.is_in(assessment_ids)).order_by(Correction.id).run()
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row["assessment"]].append({"indicator": row["indicator"], "after": _loaded(row["after"])})
    return {assessment: overrides(found) for assessment, found in grouped.items()}


def _loaded(stored: Any) -> Value | str | None:
    """A value of Correction.before/after: JSON text (SQLite's numeric affinity may have turned "2" into 2).

    A bool, an int in the bounds or a percentage (a number from 0 to 100) comes back as it is; anything
    else stored before the bounds existed (1.2e19, Infinity) comes back as its text, which scoring never
    takes for a value.
    """
    if isinstance(stored, str):
        try:
            stored = json.loads(stored)
        except ValueError:
            return stored
    if stored is None or isinstance(stored, bool) or (isinstance(stored, int) and 0 <= stored <= MAX_COUNT):
        return stored
    if isinstance(stored, float) and 0 <= stored <= 100:  # NaN fails both comparisons
        return stored
    return str(stored)


def overrides(corrections: list[dict[str, Any]]) -> dict[str, Value]:
    """Each indicator's latest correction (oldest rows first); a withdrawal or an unusable value: none."""
    values: dict[str, Value] = {}
    for row in corrections:
        after = row["after"]
        if after is None or isinstance(after, str):
            values.pop(row["indicator"], None)
        else:
            values[row["indicator"]] = after
    return values


def current(reported_values: dict[str, Value], corrections: list[dict[str, Any]] | dict[str, Value]) -> dict[str, Value]:
    """Reported values with the latest correction of each indicator applied."""
    values = dict(reported_values)
    values.update(corrections if isinstance(corrections, dict) else overrides(corrections))
    return values


def parse_value(rules: RuleSet, indicator: str, raw: str) -> Value:
    """A corrected value typed as the rule set declares it, or a 422 naming the field."""
    declared = rules.indicators.get(indicator)
    if declared is None:
        raise invalid("indicator", "unknown", N_("Choose an indicator of this rule set."))
    text = (raw or "").strip().lower()
    if declared.type == "percent":
        number = text.replace(",", ".").removesuffix("%").strip()
        if not re.fullmatch(r"[0-9]{1,3}(\.[0-9]{1,4})?", number) or float(number) > 100:
            raise invalid("value", "not_a_percent", N_("Enter a percentage from 0 to 100 (for example 1,5)."))
        return float(number) if "." in number else int(number)
    if declared.type == "bool":
        if text in ("true", "yes", "1", "có"):
            return True
        if text in ("false", "no", "0", "không"):
            return False
        raise invalid("value", "not_yes_no", N_("Choose yes or no."))
    highest = count_maximum(indicator)
    number = parse_int(text, minimum=0, maximum=highest)
    if number is None:
        raise invalid("value", "not_a_count", N_("Enter a whole number from 0 to %(max)s."),
                      max=format_number(highest))
    return number


@cache
def count_maximum(indicator: str) -> int:
    """The largest correction of a count: the max of the newest annual form field collecting it, else MAX_COUNT."""
    for form in reversed(form_registry.default_registry().versions(ANNUAL)):
        for item in form.fields:
            if item.indicator == indicator and getattr(item, "max", None) is not None:
                return min(int(item.max), MAX_COUNT)
    return MAX_COUNT


def check_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) < 3:
        raise invalid("reason", "required", N_("Give the reason for this change."))
    if len(reason) > 2000:
        raise invalid("reason", "too_long", N_("The reason is too long (at most 2,000 characters)."))
    return reason


async def add_correction(assessment_id: int, indicator: str, before: Value | None, after: Value | None, reason: str,
                         user: User) -> Correction:
    """Insert one correction, or a withdrawal (`after` None); the caller holds the write transaction and
    checked the version."""
    # Serialised here: Piccolo passes a bare number or boolean to the JSON column unencoded.
    row = Correction(assessment=assessment_id, indicator=indicator, before=json.dumps(before), after=json.dumps(after),
                     reason=reason, author=user.id)
    await row.save().run()
    return row


@lru_cache(maxsize=1)
def indicator_labels() -> dict[str, dict[str, str]]:
    """How people read each indicator key: the label of the newest annual form field that collects it."""
    labels: dict[str, dict[str, str]] = {}
    for form in [*form_registry.default_registry().versions(ANNUAL),
                 *form_registry.default_registry().versions(LEGACY_2014)]:
        for item in form.fields:
            if item.indicator:
                labels[item.indicator] = item.label
    return labels


def label_text(key: str) -> str:
    """An indicator as the form asks it, in the page's language (the key itself only if no form has it)."""
    label = indicator_labels().get(key)
    return localized(label) if label else key


UNSET_TYPE = N_("This commune's type (urban ward; mountain, island or especially disadvantaged commune; other) "
                "is not set: an administrator sets it in the registry.")


def problem_text(problem: InputProblem) -> str:
    """What keeps a commune from being scored, naming indicators as the forms ask them."""
    if problem.code == "unknown_commune_type":
        return gettext(UNSET_TYPE)
    params = {**problem.params, "key": f"«{label_text(problem.key)}»"}
    if problem.code == "wrong_type":
        params["expected"] = gettext(params["expected"])  # the kind of value, in the page's language
    if isinstance(params.get("denominator"), str):
        params["denominator"] = f"«{label_text(params['denominator'])}»"
    return message_text(problem.message, params)
