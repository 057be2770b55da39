"""How a person reads one item of a rule set, in the current language (pages, command line, exports)."""

from __future__ import annotations

import re

from scoring import COMMUNE_TYPE_LABELS
from scoring.ruleset import RuleSet
from server.core.i18n import N_, current_language, format_number, gettext
from server.core.templating import localized
from server.review.indicators import indicator_labels
from server.rules.items import Change, band_rows

KIND_LABELS = {"source": N_("The decision"), "total": N_("Total maximum"), "conditions": N_("Recognition conditions"),
               "threshold": N_("Threshold"), "indicator": N_("Indicator"), "criterion": N_("Criterion"),
               "line": N_("Line")}
STATUS_LABELS = {"added": N_("added"), "removed": N_("removed"), "changed": N_("changed")}


def title_parts(rules: RuleSet | None, key: str) -> tuple[str, str, str]:
    """(kind, number, words): ("Line", "2.1", "Share of births registered on time"); the number is an identifier
    (pages mark it so: it is not a decimal), the words may be empty."""
    kind, _, name = key.partition(":")
    label = gettext(KIND_LABELS[kind])
    if rules is None:
        return label, name, ""
    if kind == "line":
        line = _line(rules, name)
        return label, name, localized(line.label.model_dump()) if line else ""
    if kind == "criterion":
        criterion = next((c for c in rules.criteria if str(c.id) == name), None)
        return label, name, localized(criterion.title.model_dump()) if criterion else ""
    if kind == "threshold":
        return label, "", gettext(COMMUNE_TYPE_LABELS.get(name, name))
    if kind == "indicator":
        return label, "", indicator_name(name)
    return label, name, ""


def title(rules: RuleSet | None, key: str) -> str:
    """"Line 2.1 — Share of births registered on time", "Threshold — Other commune, ward or township"."""
    label, number, words = title_parts(rules, key)
    return " — ".join(part for part in (f"{label} {number}".strip(), words) if part)


def indicator_name(key: str) -> str:
    """An indicator as the form asks for it (its key only when no form asks for it)."""
    label = indicator_labels().get(key)
    return localized(label) if label else key


INDICATOR_TYPES = {"bool": N_("yes or no"), "count": N_("a count"), "percent": N_("a percentage")}


def _line(rules: RuleSet, line_id: str):
    return next((line for criterion in rules.criteria for line in criterion.lines if line.id == line_id), None)


def _points(points: int | str) -> str:
    return gettext(N_("full points")) if points == "full" else gettext(N_("%(points)s points"),
                                                                         points=format_number(points))


def rows(rules: RuleSet | None, key: str) -> list[tuple[str, bool]]:
    """The item's numbers as short texts, each with whether it is PROVISIONAL ([] when the item is absent)."""
    if rules is None:
        return []
    kind, _, name = key.partition(":")
    if kind == "line":
        out = []
        for band, points, provisional in band_rows(rules, name):
            shown = {"yes": gettext(N_("Yes")), "n/a": gettext(N_("denominator 0 (nothing to measure)"))}.get(band, band)
            if current_language() == "vi":  # a bound of 2.5 % reads 2,5 % in Vietnamese
                shown = re.sub(r"(\d)\.(\d)", r"\1,\2", shown)
            else:  # and 2.5% in English
                shown = re.sub(r"(\d) ([%‰])", r"\1\2", shown)
            out.append((f"{shown} → {_points(points)}", provisional))
        line = _line(rules, name)
        if line is not None:
            reads = (indicator_name(line.input) if getattr(line, "input", None) else
                     f"{indicator_name(line.numerator)} / {indicator_name(line.denominator)}")
            out.append((gettext(N_("reads: %(keys)s"), keys=reads), False))
        return out
    if kind == "criterion":
        criterion = next((c for c in rules.criteria if str(c.id) == name), None)
        return [] if criterion is None else [(gettext(N_("maximum %(points)s points"),
                                                      points=format_number(criterion.max)), criterion.provisional)]
    if kind == "threshold":
        threshold = rules.thresholds.get(name)
        return [] if threshold is None else [(_points(threshold.points), threshold.provisional)]
    if kind == "indicator":
        indicator = rules.indicators.get(name)
        if indicator is None:
            return []
        text = gettext(INDICATOR_TYPES[indicator.type])
        if indicator.denominator:
            text += " / " + indicator_name(indicator.denominator)
        return [(text + (f" — {indicator.meaning}" if indicator.meaning else ""), False)]
    if kind == "source":
        return [(f"{rules.source.decision}, {rules.source.date}", False),
                (localized(rules.source.title.model_dump()), False)]
    if kind == "total":
        return [(_points(rules.total_max), False)]
    if kind == "conditions":
        return [(gettext(N_("not recognised when a criterion scores 0: %(answer)s"),
                         answer=gettext(N_("Yes") if rules.conditions.no_criterion_at_zero else N_("No"))), False)]
    return []


def change_lines(change: Change, before: RuleSet | None, after: RuleSet | None) -> list[str]:
    """A change for the command line: its title, then the item before and after."""
    out = [f"{title(after or before, change.key)} ({gettext(STATUS_LABELS[change.status])})"]
    for label, rules in ((N_("before"), before if change.status != "added" else None),
                         (N_("after"), after if change.status != "removed" else None)):
        shown = rows(rules, change.key)
        if shown:
            out.append(f"    {gettext(label)}: " + " · ".join(text for text, _ in shown))
    return out
