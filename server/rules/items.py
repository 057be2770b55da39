"""The items of a rule set a person checks one by one, what changed between two versions, and PROVISIONAL marks.

An item is what the decision's annex states in one place: a line with its bands (`line:2.1`), a
criterion's title and maximum (`criterion:2`), a threshold (`threshold:other`), an indicator the
lines read (`indicator:c2_births_total`), the decision itself (`source`), the total (`total`) and
the recognition conditions (`conditions`). Items are compared without their PROVISIONAL marks:
a mark is not a number, it says whether the number was checked against the paper source.

The marks of a draft are never typed in: an item equal to the version it was made from keeps that
version's marks, a changed or new item is PROVISIONAL, and a mark goes only when a second
administrator checks the item (`lift`).
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from scoring.ruleset import BAND_KINDS, BandsLine, BooleanLine, RuleSet, canonical_document

FLAGGED = ("line", "criterion", "threshold")
"""Kinds of items that carry PROVISIONAL marks."""


@dataclass(frozen=True)
class Item:
    key: str
    kind: str  # source | total | conditions | threshold | indicator | criterion | line
    name: str  # the criterion or line number, threshold type or indicator key
    content: Any  # plain data, without PROVISIONAL marks
    provisional: bool

    @property
    def sha256(self) -> str:
        """The item as checked: a later edit of it voids the check."""
        return hashlib.sha256(json.dumps(self.content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class Change:
    key: str
    kind: str
    name: str
    status: str  # added | removed | changed
    before: Item | None
    after: Item | None


def document_of(rules: RuleSet) -> dict[str, Any]:
    """What is stored for a version: the canonical document plus the edition's name (version, status)."""
    return {"version": rules.version, "status": rules.status, **canonical_document(rules)}


def _unmarked(value: Any) -> Any:
    """A copy without PROVISIONAL marks."""
    if isinstance(value, dict):
        return {key: _unmarked(item) for key, item in value.items() if key != "provisional"}
    if isinstance(value, list):
        return [_unmarked(item) for item in value]
    return value


def _marked(value: Any) -> bool:
    if isinstance(value, dict):
        return bool(value.get("provisional")) or any(_marked(item) for item in value.values())
    if isinstance(value, list):
        return any(_marked(item) for item in value)
    return False


def _parts(document: dict[str, Any]) -> dict[str, tuple[str, str, Any]]:
    """key -> (kind, name, the part of the document) in reading order."""
    parts: dict[str, tuple[str, str, Any]] = {"source": ("source", "", document["source"]),
                                              "total": ("total", "", document["total_max"]),
                                              "conditions": ("conditions", "", document["conditions"])}
    for name, threshold in document["thresholds"].items():
        parts[f"threshold:{name}"] = ("threshold", name, threshold)
    for criterion in document["criteria"]:
        parts[f"criterion:{criterion['id']}"] = ("criterion", str(criterion["id"]),
                                                 {key: value for key, value in criterion.items() if key != "lines"})
        for line in criterion["lines"]:
            parts[f"line:{line['id']}"] = ("line", line["id"], line)
    for name, indicator in document["indicators"].items():
        parts[f"indicator:{name}"] = ("indicator", name, indicator)
    return parts


def items_of(document: dict[str, Any]) -> dict[str, Item]:
    """Every item of a stored document (or `document_of(rules)`), in reading order."""
    return {key: Item(key, kind, name, _unmarked(part), _marked(part))
            for key, (kind, name, part) in _parts(document).items()}


def diff(base: dict[str, Any] | None, new: dict[str, Any]) -> list[Change]:
    """What changed from `base` to `new`, item by item (every item is new without a base)."""
    before = items_of(base) if base is not None else {}
    after = items_of(new)
    changes = []
    for key, item in after.items():
        old = before.get(key)
        if old is None:
            changes.append(Change(key, item.kind, item.name, "added", None, item))
        elif old.content != item.content:
            changes.append(Change(key, item.kind, item.name, "changed", old, item))
    for key, old in before.items():
        if key not in after:
            changes.append(Change(key, old.kind, old.name, "removed", old, None))
    return changes


def _holders(part: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The dicts of an item that hold its PROVISIONAL marks: one per band (and zero-denominator rule) of a
    line with bands; the item itself otherwise (a criterion's own mark is about its title and maximum)."""
    if kind == "line" and part["kind"] != "boolean":
        return [*part["bands"], *([part["not_applicable"]] if part.get("not_applicable") is not None else [])]
    return [part]


def _marks(part: dict[str, Any], kind: str) -> tuple[bool, ...]:
    return tuple(bool(holder.get("provisional")) for holder in _holders(part, kind))


def _apply(part: dict[str, Any], kind: str, marks: tuple[bool, ...]) -> None:
    for holder, mark in zip(_holders(part, kind), marks):
        if mark:
            holder["provisional"] = True
        else:
            holder.pop("provisional", None)


def _targets(document: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """The dict of each flagged item inside a document (the document's own dicts, to change in place)."""
    targets: dict[str, tuple[str, dict[str, Any]]] = {}
    for name, threshold in document["thresholds"].items():
        targets[f"threshold:{name}"] = ("threshold", threshold)
    for criterion in document["criteria"]:
        targets[f"criterion:{criterion['id']}"] = ("criterion", criterion)
        for line in criterion["lines"]:
            targets[f"line:{line['id']}"] = ("line", line)
    return targets


def settle_marks(new: dict[str, Any], base: dict[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """The draft's PROVISIONAL marks: the base's where an item did not change, all marked where it did.

    Returns the document and the keys of the items whose marks were typed otherwise (an import
    that removed or added a mark): the caller says that those marks were not taken.
    """
    document = copy.deepcopy(new)
    changed = {change.key for change in diff(base, document)}
    old_targets = _targets(base) if base is not None else {}
    different = []
    for key, (kind, part) in _targets(document).items():
        typed = _marks(part, kind)
        if key in changed or key not in old_targets:
            _apply(part, kind, (True,) * len(typed))
        else:
            _apply(part, kind, _marks(old_targets[key][1], kind))
        if _marks(part, kind) != typed:
            different.append(key)
    return document, different


def _set_all(document: dict[str, Any], keys: set[str], mark: bool) -> dict[str, Any]:
    out = copy.deepcopy(document)
    for key, (kind, part) in _targets(out).items():
        if key in keys:
            _apply(part, kind, (mark,) * len(_holders(part, kind)))
    return out


def lift(document: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    """The document with the PROVISIONAL marks of the checked items removed (at publication)."""
    return _set_all(document, keys, False)


def mark_all(document: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    """The document with every number of these items PROVISIONAL (items edited in a draft)."""
    return _set_all(document, keys, True)


# ---------------------------------------------------------------- how a person reads an item

def band_rows(rules: RuleSet, line_id: str) -> list[tuple[str, int | str, bool]]:
    """(band, points, provisional) of a line as a person reads it: "≥ 98 %, < 100 %" → 40."""
    line = next((line for criterion in rules.criteria for line in criterion.lines if line.id == line_id), None)
    if line is None:
        return []
    if isinstance(line, BooleanLine):
        return [("yes", line.points, line.provisional)]
    assert isinstance(line, BandsLine)
    unit = BAND_KINDS[line.kind].unit
    rows: list[tuple[str, int | str, bool]] = [
        (interval.label(unit), band.points, band.provisional) for band, interval in zip(line.bands, line.intervals)]
    if line.not_applicable is not None:
        rows.append(("n/a", "full" if line.not_applicable.points == "full" else line.not_applicable.points,
                     line.not_applicable.provisional))
    return rows
