"""Editing a draft's numbers on a web page: the form's fields, read back into a rule set document.

Only numbers are edited here (criterion maxima, points, band bounds, the zero-denominator points,
thresholds, the total); titles and the shape of the table (adding a band or a line) come from the
spreadsheet. Every value is read as strictly as a spreadsheet cell, then the whole document runs
the rule-file checks, and every problem names the field it is about.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from scoring import COMMUNE_TYPE_LABELS
from scoring.ruleset import BandsLine, BooleanLine, RuleSet, check_document
from server.core.strict import parse_int
from server.core.errors import FieldError, InputError
from server.core.i18n import N_, gettext
from server.rules.items import document_of
from server.rules.messages import as_msgid
from server.rules.spreadsheet import FULL_TEXT, bound, bound_text, whole


@dataclass(frozen=True)
class BandField:
    prefix: str  # "l:2.1:0"
    low: str
    high: str
    points: str
    provisional: bool


@dataclass(frozen=True)
class LineFields:
    line: BooleanLine | BandsLine
    points_field: str | None  # a yes/no line's points
    points: str
    bands: list[BandField]
    na_field: str | None
    na: str
    na_provisional: bool


def fields(rules: RuleSet) -> list[tuple[Any, list[LineFields]]]:
    """(criterion, its lines' fields) with the values as the page shows them."""
    out = []
    for criterion in rules.criteria:
        lines = []
        for line in criterion.lines:
            if isinstance(line, BooleanLine):
                lines.append(LineFields(line, f"l:{line.id}:points", str(line.points), [], None, "", False))
                continue
            bands = [BandField(f"l:{line.id}:{index}", bound_text(band, True), bound_text(band, False),
                               str(band.points), band.provisional) for index, band in enumerate(line.bands)]
            na = line.not_applicable
            lines.append(LineFields(line, None, "", bands, f"l:{line.id}:na" if na else None,
                                    ("" if na is None else FULL_TEXT if na.points == "full" else str(na.points)),
                                    bool(na and na.provisional)))
        out.append((criterion, lines))
    return out


SIDE_LABELS = {"from": N_("From (≥ or >)"), "to": N_("To (< or ≤)"), "points": N_("Points")}


def field_label(name: str) -> str:
    """A form field as an official reads it in an error list: "Line 2.1, band 2 — Points", not "l:2.1:1:points"
    ("" for a problem of the whole table)."""
    kind, _, rest = name.partition(":")
    if name == "total":
        return gettext(N_("Total maximum"))
    if kind == "t":
        return f"{gettext(N_('Threshold'))} — {gettext(COMMUNE_TYPE_LABELS.get(rest, rest))}"
    if kind == "c":
        return gettext(N_("Criterion %(id)s — maximum"), id=rest.partition(":")[0])
    if kind == "l":
        line, _, tail = rest.partition(":")
        parts = tail.split(":")
        if parts == ["na"]:
            return gettext(N_("Line %(id)s — denominator 0"), id=line)
        if parts == ["points"]:
            return gettext(N_("Line %(id)s — points"), id=line)
        band = parse_int(parts[0], minimum=0, maximum=1000) if len(parts) == 2 else None
        if band is not None and parts[1] in SIDE_LABELS:
            return gettext(N_("Line %(id)s, band %(band)s — %(column)s"), id=line, band=band + 1,
                           column=gettext(SIDE_LABELS[parts[1]]))
    return ""  # the whole table (a sum, a stale page): the message says it


def _field_of(loc: tuple, document: dict[str, Any]) -> str:
    """The form field a rule-check problem is about."""
    if loc[:1] == ("total_max",):
        return "total"
    if loc[:1] == ("thresholds",) and len(loc) > 1:
        return f"t:{loc[1]}"
    if loc[:1] == ("criteria",) and len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(document["criteria"]):
        criterion = document["criteria"][loc[1]]
        rest = [part for part in loc[2:] if part not in ("boolean", "percent_bands", "rate_per_mille_bands",
                                                         "count_bands")]
        if len(rest) >= 2 and rest[0] == "lines" and isinstance(rest[1], int) and rest[1] < len(criterion["lines"]):
            line = criterion["lines"][rest[1]]
            if len(rest) >= 4 and rest[2] == "bands":
                return f"l:{line['id']}:{rest[3]}:from"
            if len(rest) >= 3 and rest[2] == "not_applicable":
                return f"l:{line['id']}:na"
            return f"l:{line['id']}:points" if line["kind"] == "boolean" else f"l:{line['id']}:0:from"
        return f"c:{criterion['id']}:max"
    return "document"


def apply_form(rules: RuleSet, data: dict[str, str]) -> dict[str, Any]:
    """The draft's document with the form's numbers; InputError naming every bad field."""
    document = copy.deepcopy(document_of(rules))
    errors: list[FieldError] = []

    def number(name: str, current: int) -> int:
        raw = data.get(name)
        if raw is None:
            return current
        value = whole(raw.strip())
        if value is not None and value < 0:
            errors.append(FieldError(name, "negative", N_("%(value)s is below 0: points, maxima and thresholds are 0 "
                                                          "or more."), {"value": str(value)}))
            return current
        if value is None:
            errors.append(FieldError(name, "not_a_number", N_("%(value)s is not a whole number (write digits only, "
                                                              "for example 50)."), {"value": raw.strip()[:40]}))
            return current
        return value

    document["total_max"] = number("total", document["total_max"])
    for name, threshold in document["thresholds"].items():
        threshold["points"] = number(f"t:{name}", threshold["points"])
    for criterion in document["criteria"]:
        criterion["max"] = number(f"c:{criterion['id']}:max", criterion["max"])
        for line in criterion["lines"]:
            prefix = f"l:{line['id']}"
            if line["kind"] == "boolean":
                line["points"] = number(f"{prefix}:points", line["points"])
                continue
            for index, band in enumerate(line["bands"]):
                band["points"] = number(f"{prefix}:{index}:points", band["points"])
                for side, signs in (("from", ("at_least", "above")), ("to", ("below", "at_most"))):
                    name = f"{prefix}:{index}:{side}"
                    raw = data.get(name)
                    if raw is None:
                        continue
                    raw = raw.strip()
                    for sign in signs:
                        band.pop(sign, None)
                    if not raw:
                        continue
                    parsed = bound(raw)
                    if parsed is None or parsed[0] not in signs:
                        errors.append(FieldError(name, "not_a_bound", N_(
                            "%(value)s is not a bound: write %(signs)s and a number, for example %(example)s."),
                            {"value": raw[:40], "signs": " / ".join(("≥", ">") if side == "from" else ("<", "≤")),
                             "example": "≥ 98" if side == "from" else "< 100"}))
                        continue
                    band[parsed[0]] = parsed[1]
            raw = data.get(f"{prefix}:na")
            if raw is not None and line.get("not_applicable") is not None:
                text = raw.strip().lower()
                if text in (FULL_TEXT, "full", "đủ", "du diem", "đủ điểm"):
                    line["not_applicable"]["points"] = "full"
                else:
                    line["not_applicable"]["points"] = number(f"{prefix}:na", 0)
    if errors:
        raise InputError(errors)
    checked, problems = check_document(document)
    if checked is None:
        found = []
        for loc, message in problems:
            msgid, params = as_msgid(message)
            found.append(FieldError(_field_of(loc, document), "invalid", msgid, params))
        raise InputError(found)
    return document
