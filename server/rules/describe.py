"""How a person reads one item of a rule set, in the current language (pages, command line, exports)."""

from __future__ import annotations

from scoring import COMMUNE_TYPE_LABELS
from scoring.ruleset import RuleSet
from server.core.i18n import N_, format_number, gettext
from server.core.templating import localized
from server.rules.items import Change, band_rows

KIND_LABELS = {"source": N_("Decision"), "total": N_("Total maximum"), "conditions": N_("Recognition conditions"),
               "threshold": N_("Threshold"), "indicator": N_("Indicator"), "criterion": N_("Criterion"),
               "line": N_("Line")}
STATUS_LABELS = {"added": N_("added"), "removed": N_("removed"), "changed": N_("changed")}


def title(rules: RuleSet | None, key: str) -> str:
    """"Line 2.1 — Share of births registered on time", "Threshold — Other commune, ward or township"."""
    kind, _, name = key.partition(":")
    label = gettext(KIND_LABELS[kind])
    if rules is None:
        return f"{label} {name}".strip()
    if kind == "line":
        line = _line(rules, name)
        return f"{label} {name} — {localized(line.label.model_dump())}" if line else f"{label} {name}"
    if kind == "criterion":
        criterion = next((c for c in rules.criteria if str(c.id) == name), None)
        return f"{label} {name} — {localized(criterion.title.model_dump())}" if criterion else f"{label} {name}"
    if kind == "threshold":
        return f"{label} — {gettext(COMMUNE_TYPE_LABELS.get(name, name))}"
    return f"{label} {name}".strip()


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
            out.append((f"{shown} → {_points(points)}", provisional))
        line = _line(rules, name)
        if line is not None:
            reads = line.input if getattr(line, "input", None) else f"{line.numerator} / {line.denominator}"
            out.append((gettext(N_("reads %(keys)s"), keys=reads), False))
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
        text = indicator.type + (f" / {indicator.denominator}" if indicator.denominator else "")
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
