"""Plausibility flags of an assessment: raised by `plausibility` on the current values (and last
period's), each either open or marked as checked by a reviewer with a comment (audited).

The queue counts open flags for the communes of the page it shows, from their latest stored
scores: a few small queries per page, whatever the size of the area.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.core import audit
from server.core.db import write_transaction
from server.core.i18n import N_, current_language, format_number, format_unit
from server.core.tables import Assessment, CheckedFlag, Period, Score, User
from server.review import plausibility
from server.review.assessments import Context, check_area
from server.review.dashboard import previous_period
from server.review.errors import NotAllowed, invalid
from server.review.indicators import label_text
from server.review.states import EDITABLE_BY_REVIEWER


@dataclass
class ShownFlag:
    check: str
    fingerprint: str
    keys: tuple[str, ...]
    title: str  # what is checked
    text: str  # the explanation, in the page's language
    indicators: list[str]  # the indicators it is about, as the forms ask them
    checked_by: str = ""
    checked_at: Any = None
    comment: str = ""

    @property
    def open(self) -> bool:
        return not self.checked_by


def flag_text(flag: plausibility.Flag) -> str:
    """The flag's explanation with its numbers written the page's way."""
    params = dict(flag.params)
    unit = params.pop("unit", "")
    shown: dict[str, Any] = {name: format_number(value) for name, value in params.items() if isinstance(value, int)}
    if "numerator" in params:  # a ratio: the measured value and its limit carry the unit
        shown["value"] = format_unit(float(params["value"]), unit, 1)
        shown["limit"] = format_unit(params["limit"], unit, 1)
    if "change" in params:
        change = float(params["change"])
        shown["change"] = ("+" if change > 0 else "−") + format_unit(abs(change), unit, 0)
    return _in_language(flag.message) % shown


def _in_language(text: plausibility.Text) -> str:
    return text.vi if current_language() == "vi" else text.en


def check_title(check_id: str, rule_set: str = "vn-2019") -> str:
    """A check's title by id (the audit log names checks by it); the id itself if unknown."""
    checks = plausibility.load(rule_set)
    found = next((c for c in checks.checks if c.id == check_id), None) if checks else None
    return _in_language(found.title) if found else check_id


async def previous_values(period: Period, commune_id: int) -> dict[str, Any] | None:
    """Last period's values of the commune (its latest stored score there), if it was assessed."""
    earlier = await previous_period(period)
    if earlier is None:
        return None
    row = await Score.select(Score.indicators).where(
        (Score.assessment.period == earlier.id) & (Score.assessment.commune == commune_id)).order_by(
        Score.id, ascending=False).first().output(load_json=True).run()
    return row["indicators"] if row else None


async def for_assessment(ctx: Context) -> list[ShownFlag]:
    """The flags the current values raise, each with whether (and by whom) it was checked."""
    found = plausibility.run(plausibility.load(ctx.period.rule_set), ctx.computed.values,
                             await previous_values(ctx.period, ctx.commune.id))
    marks = {(row["check"], row["fingerprint"]): row for row in await CheckedFlag.select(
        CheckedFlag.check, CheckedFlag.fingerprint, CheckedFlag.comment, CheckedFlag.created_at,
        CheckedFlag.author.display_name.as_alias("author")).where(CheckedFlag.assessment == ctx.assessment.id).run()}
    shown = []
    for flag in found:
        mark = marks.get((flag.check, flag.fingerprint))
        shown.append(ShownFlag(flag.check, flag.fingerprint, flag.keys, _in_language(flag.title), flag_text(flag),
                               [label_text(key) for key in flag.keys],
                               checked_by=mark["author"] if mark else "", checked_at=mark["created_at"] if mark else None,
                               comment=mark["comment"] if mark else ""))
    return shown


async def mark_checked(ctx: Context, user: User, check: str, fingerprint: str, comment: str,
                       ip: str | None = None) -> None:
    """A reviewer looked at a flag and found the value right: say why (audited)."""
    if user.role not in ("reviewer", "admin"):
        raise NotAllowed(N_("Only reviewers can mark values as checked."))
    check_area(user, ctx.commune)
    if ctx.state not in EDITABLE_BY_REVIEWER:
        raise invalid("check", "wrong_state", N_("Values can be checked only while the assessment is under review."))
    comment = " ".join((comment or "").split())
    if not 3 <= len(comment) <= 2000:
        raise invalid("comment", "required", N_("Say what you checked (3 to 2,000 characters)."))
    flag = next((f for f in await for_assessment(ctx) if f.check == check and f.fingerprint == fingerprint), None)
    if flag is None:
        raise invalid("check", "gone", N_("This value has changed since the page was opened: reload the page."))
    if not flag.open:
        return
    key = f"{ctx.assessment.id}:{check}:{fingerprint}"
    try:
        async with write_transaction():
            await CheckedFlag(key=key, assessment=ctx.assessment.id, check=check, fingerprint=fingerprint,
                              comment=comment, author=user.id).save().run()
            await audit.record("flag_checked", "assessment", ctx.assessment.id, user=user, ip=ip, reason=comment,
                               after={"check": check, "indicators": list(flag.keys)})
    except Exception:  # two reviewers marked it at the same moment: the first mark stands (unique key)
        if not await CheckedFlag.exists().where(CheckedFlag.key == key).run():
            raise


async def open_counts(period: Period, assessment_ids: dict[int, int]) -> dict[int, int]:
    """Open flags per commune ({commune id: assessment id} of the rows shown), from their latest scores."""
    if not assessment_ids:
        return {}
    checks = plausibility.load(period.rule_set)
    if checks is None:
        return {}
    latest: dict[int, dict[str, Any]] = {}
    for row in await Score.select(Score.assessment, Score.indicators).where(
            Score.assessment.is_in(list(assessment_ids.values()))).order_by(Score.id).output(load_json=True).run():
        latest[row["assessment"]] = row["indicators"]
    earlier = await previous_period(period)
    before: dict[int, dict[str, Any]] = {}
    if earlier is not None:
        for row in await Score.select(Score.assessment.commune.as_alias("commune"), Score.indicators).where(
                (Score.assessment.period == earlier.id) & Score.assessment.commune.is_in(list(assessment_ids))
        ).order_by(Score.id).output(load_json=True).run():
            before[row["commune"]] = row["indicators"]
    checked = {(row["assessment"], row["check"], row["fingerprint"]) for row in await CheckedFlag.select(
        CheckedFlag.assessment, CheckedFlag.check, CheckedFlag.fingerprint).where(
        CheckedFlag.assessment.is_in(list(assessment_ids.values()))).run()}
    out = {}
    for commune, assessment in assessment_ids.items():
        values = latest.get(assessment)
        if values is None:
            continue
        flags = plausibility.run(checks, values, before.get(commune))
        out[commune] = sum(1 for f in flags if (assessment, f.check, f.fingerprint) not in checked)
    return out


async def assessment_ids(period: Period, commune_ids: list[int]) -> dict[int, int]:
    rows = await Assessment.select(Assessment.id, Assessment.commune).where(
        (Assessment.period == period.id) & Assessment.commune.is_in(commune_ids or [-1])).run()
    return {row["commune"]: row["id"] for row in rows}
