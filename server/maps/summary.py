"""A commune's result told simply, for a children's forum: what is going well, what is missing.

Going well: the criteria at their maximum. Missing: the criteria below it, each with the lines
that lost points (and what was measured, small sensitive counts as "< 5"), plus the reasons the
commune was not recognised. Built from the stored ScoreResult JSON of the listed score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from server.core.i18n import format_numbers_in, format_unit, gettext, message_text
from server.maps import privacy
from server.core.templating import localized


@dataclass
class MissingLine:
    label: str
    points: int
    max: int
    measured: str  # "98.50 %", "< 5", "no", ... or ""


@dataclass
class MissingCriterion:
    id: int
    title: str
    points: int
    max: int
    lines: list[MissingLine] = field(default_factory=list)


@dataclass
class Summary:
    going_well: list[str]
    missing: list[MissingCriterion]
    reasons: list[str]
    total: int
    max: int
    threshold: int
    certified: bool
    provisional: bool


def _measured(line: dict[str, Any]) -> str:
    public = privacy.public_line(line)
    if public["suppressed"]:
        return privacy.SUPPRESSED
    if public.get("value") is not None:
        return format_unit(public["value"], public.get("unit") or "")
    values = list(public["inputs"].values())
    if len(values) == 1 and isinstance(values[0], bool):
        return gettext("Yes") if values[0] else gettext("No")
    if len(values) == 1:
        return format_numbers_in(str(values[0]))
    return ""


def _reason(reason: dict[str, Any]) -> str:
    msgid = str(reason["message"])  # scoring's msgid (marked with N_ there)
    return message_text(msgid, {key: value for key, value in reason.items() if key not in ("code", "message")})


def summarise(result: dict[str, Any], provisional: bool) -> Summary:
    going_well, missing = [], []
    for criterion in result.get("criteria", []):
        title = localized(criterion["title"])
        if criterion["points"] >= criterion["max"]:
            going_well.append(title)
            continue
        missing.append(MissingCriterion(
            id=criterion["id"], title=title, points=criterion["points"], max=criterion["max"],
            lines=[MissingLine(label=localized(line["label"]), points=line["points"], max=line["max"],
                               measured=_measured(line))
                   for line in criterion.get("lines", []) if line["points"] < line["max"]]))
    return Summary(going_well=going_well, missing=missing, reasons=[_reason(r) for r in result.get("reasons", [])],
                   total=result.get("total", 0), max=result.get("max", 0), threshold=result.get("threshold", 0),
                   certified=bool(result.get("certified")), provisional=provisional)
