"""Rule sets: the models of a rule file (`scoring/rules/*.yaml`), their checks, and the loader.

A rule set is data so that correcting a provisional number is a file edit. Because a wrong file
would silently mis-score communes, loading checks everything that can be checked (maxima add up,
bands tile their range, every commune type has a threshold, ids are unique, every key read is
declared) and fails naming the file and line at fault.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictInt, StringConstraints, ValidationError

from scoring.bands import Band, Interval, coverage_problems

COMMUNE_TYPES = ("urban_ward", "mountain_island_difficult", "other")
"""The national classification every rule set gives a threshold for (domain vn-2019.md)."""

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


@dataclass(frozen=True)
class BandKind:
    """What a band kind measures: its unit, the factor of a ratio (None: a plain count) and range."""

    unit: str
    scale: int | None
    top: Fraction | None
    integers: bool


Location = tuple[str | int, ...]  # a path in a rule document, e.g. ("criteria", 2, "lines", 0)

BAND_KINDS: dict[str, BandKind] = {
    "percent_bands": BandKind("%", 100, Fraction(100), False),
    "rate_per_mille_bands": BandKind("‰", 1000, None, False),
    "count_bands": BandKind("", None, None, True),
}
"""Adding a decision is a new file plus at most one new entry here (and its reading in the engine)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Text(_Model):
    """A text every person can read: Vietnamese and English."""

    vi: NonEmpty
    en: NonEmpty


class Source(_Model):
    decision: NonEmpty
    date: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    title: Text


class Threshold(_Model):
    points: StrictInt
    provisional: bool = False


class Conditions(_Model):
    all_criteria_assessed: Literal[True]  # enforced by input validation: every key is required
    no_criterion_at_zero: bool


class Indicator(_Model):
    type: Literal["bool", "count", "percent"]
    denominator: str | None = None
    meaning: str | None = None  # documents keys beyond the data dictionary (vn-2014)


class NotApplicable(_Model):
    """What a line earns when its denominator is 0 (nothing to measure)."""

    points: Literal["full"] | StrictInt
    provisional: bool = False


class BooleanLine(_Model):
    """Yes earns `points`, no earns 0."""

    kind: Literal["boolean"]
    id: NonEmpty
    label: Text
    input: str
    points: StrictInt
    provisional: bool = False
    derived: str | None = None

    @property
    def max(self) -> int:
        return self.points


class BandsLine(_Model):
    """A value (percentage, rate or count) earns the points of the one band it falls in."""

    kind: Literal["percent_bands", "rate_per_mille_bands", "count_bands"]
    id: NonEmpty
    label: Text
    input: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    not_applicable: NotApplicable | None = None
    bands: Annotated[list[Band], Field(min_length=1)]

    @cached_property
    def max(self) -> int:
        return max(band.points for band in self.bands)

    @cached_property
    def intervals(self) -> tuple[Interval, ...]:
        return tuple(band.interval() for band in self.bands)

    @cached_property
    def band_labels(self) -> tuple[str, ...]:
        return tuple(interval.label(BAND_KINDS[self.kind].unit) for interval in self.intervals)

    @property
    def na_points(self) -> int:
        """Points of the line when its denominator is 0."""
        assert self.not_applicable is not None
        points = self.not_applicable.points
        return self.max if points == "full" else points


Line = Annotated[BooleanLine | BandsLine, Field(discriminator="kind")]


class Criterion(_Model):
    id: StrictInt
    title: Text
    max: StrictInt
    provisional: bool = False
    derived: str | None = None
    lines: Annotated[list[Line], Field(min_length=1)]


class RuleSet(_Model):
    """One decision's standard, as loaded from its rule file."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$")]
    version: NonEmpty
    status: NonEmpty
    source: Source
    total_max: StrictInt
    thresholds: dict[str, Threshold]
    conditions: Conditions
    indicators: dict[str, Indicator]
    criteria: Annotated[list[Criterion], Field(min_length=1)]
    _sha256: str = PrivateAttr(default="")

    @property
    def sha256(self) -> str:
        """Hash of the canonical form (`canonical_json`): a result names exactly the rules it was computed with."""
        return self._sha256

    def provisional_numbers(self) -> int:
        """How many numbers of the file are still PROVISIONAL (criteria maxima, points, bands, thresholds)."""
        count = sum(threshold.provisional for threshold in self.thresholds.values())
        for criterion in self.criteria:
            count += criterion.provisional
            for line in criterion.lines:
                if isinstance(line, BooleanLine):
                    count += line.provisional
                else:
                    count += sum(band.provisional for band in line.bands)
                    count += bool(line.not_applicable and line.not_applicable.provisional)
        return count


class RuleFileError(ValueError):
    """A rule file that cannot be used; every problem names the file and line."""

    def __init__(self, file: str, problems: list[tuple[int | None, str, str]]):
        self.file = file
        self.problems = problems  # (line number or None, location in the file, message)
        super().__init__("\n".join(
            f"{file}:{line if line is not None else '?'}: {where}: {message}" if where else
            f"{file}:{line if line is not None else '?'}: {message}"
            for line, where, message in problems))


class UnknownRulesError(LookupError):
    def __init__(self, rule_id: str):
        super().__init__(f"unknown rule set {rule_id!r}; known: {', '.join(list_rules())}")


_RULES_DIR = resources.files("scoring.rules")


def list_rules() -> list[str]:
    """Ids of the packaged rule sets, sorted."""
    return sorted(entry.name.removesuffix(".yaml") for entry in _RULES_DIR.iterdir()
                  if entry.name.endswith(".yaml"))


@cache
def load_rules(rule_id: str) -> RuleSet:
    """A packaged rule set by id (e.g. "vn-2019"), checked, loaded once."""
    if rule_id not in list_rules():
        raise UnknownRulesError(rule_id)
    entry = _RULES_DIR / f"{rule_id}.yaml"
    return parse_rules(entry.read_bytes(), f"scoring/rules/{rule_id}.yaml")


def load_rules_file(path: str | Path) -> RuleSet:
    """A rule set from any file (a draft being corrected, or a broken one in tests)."""
    return parse_rules(Path(path).read_bytes(), str(path))


def parse_rules(data: bytes, file: str) -> RuleSet:
    """Check and build a rule set from the bytes of a rule file; `file` names it in errors."""
    text = data.decode("utf-8")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise RuleFileError(file, [(mark.line + 1 if mark else None, "", f"not valid YAML: {error}")]) from None
    problems: list[tuple[int | None, str, str]] = [
        (line, _where(loc), message) for line, loc, message in _duplicate_keys(root)]
    if not problems:
        rules, found = check_document(document)
        if rules is not None:
            return rules
        problems = [(_line_of(root, loc), _where(loc), message) for loc, message in found]
    raise RuleFileError(file, problems)


def check_document(document: object) -> tuple[RuleSet | None, list[tuple[Location, str]]]:
    """Every check of a rule file on its parsed document (a file, a stored version, a spreadsheet read).

    Returns the rule set, or None and every problem as (location, message); the location is the
    path in the document, e.g. ("criteria", 2, "lines", 0, "bands", 1), for the caller to name.
    """
    try:
        rules = RuleSet.model_validate(document)
    except ValidationError as error:
        return None, [(tuple(item["loc"]), item["msg"]) for item in error.errors()]
    problems = _check(rules)
    if problems:
        return None, problems
    rules._sha256 = hashlib.sha256(canonical_json(rules)).hexdigest()
    return rules, []


_BOUNDS = ("at_least", "above", "below", "at_most")


def canonical_document(rules: RuleSet) -> dict[str, Any]:
    """The rules' substance as plain data: what decides or explains a score, not the edition's name.

    `version` and `status` (the edition's name and description) are left out, fields at their
    default are left out (`provisional: false` written or not is the same rule), and a band bound
    that is a whole number is an integer (95 and 95.0 are the same bound).
    """
    document = rules.model_dump(mode="json", exclude_defaults=True, exclude={"version", "status"})
    for criterion in document["criteria"]:
        for line in criterion["lines"]:
            for band in line.get("bands", ()):
                for bound in _BOUNDS:
                    if isinstance(band.get(bound), float) and band[bound].is_integer():
                        band[bound] = int(band[bound])
    return document


def canonical_json(rules: RuleSet) -> bytes:
    """The canonical form whose sha256 names a rule set: `canonical_document` as JSON with keys sorted,
    no spaces, non-ASCII letters as UTF-8 (docs: README "Rule sets as spreadsheets")."""
    return json.dumps(canonical_document(rules), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def _check(rules: RuleSet) -> list[tuple[Location, str]]:
    """What pydantic's types cannot say: the rule set is consistent. (location, message) pairs."""
    problems: list[tuple[Location, str]] = []
    for commune_type in COMMUNE_TYPES:
        if commune_type not in rules.thresholds:
            problems.append((("thresholds",), f"no threshold for commune type {commune_type!r}"))
    for commune_type, threshold in rules.thresholds.items():
        if commune_type not in COMMUNE_TYPES:
            problems.append((("thresholds", commune_type), f"unknown commune type {commune_type!r}"))
        elif not 0 < threshold.points <= rules.total_max:
            problems.append((("thresholds", commune_type, "points"), f"threshold must be in 1..{rules.total_max}"))

    for key, indicator in rules.indicators.items():
        if indicator.denominator is None:
            continue
        denominator = rules.indicators.get(indicator.denominator)
        where = ("indicators", key, "denominator")
        if indicator.type != "count":
            problems.append((where, "only a count can have a denominator"))
        elif denominator is None:
            problems.append((where, f"denominator {indicator.denominator!r} is not a declared indicator"))
        elif denominator.type != "count":
            problems.append((where, f"denominator {indicator.denominator!r} must be a count"))

    read: set[str] = set()
    criterion_ids: set[int] = set()
    line_ids: set[str] = set()
    for c_index, criterion in enumerate(rules.criteria):
        at = ("criteria", c_index)
        if criterion.id in criterion_ids:
            problems.append((at + ("id",), f"duplicate criterion id {criterion.id}"))
        criterion_ids.add(criterion.id)
        for l_index, line in enumerate(criterion.lines):
            line_at = at + ("lines", l_index)
            if line.id in line_ids:
                problems.append((line_at + ("id",), f"duplicate line id {line.id!r}"))
            line_ids.add(line.id)
            if not re.fullmatch(rf"{criterion.id}\.\d+", line.id):
                problems.append((line_at + ("id",), f"line id {line.id!r} must be {criterion.id}.N"))
            problems += [(line_at + loc, message) for loc, message in _check_line(rules, line)]
            read.update(key for key in (getattr(line, name, None) for name in ("input", "numerator", "denominator"))
                        if key)
        lines_max = sum(line.max for line in criterion.lines)
        if lines_max != criterion.max:
            problems.append((at + ("max",), f"criterion {criterion.id}: max is {criterion.max} but its lines "
                                             f"add up to {lines_max}"))
    criteria_max = sum(criterion.max for criterion in rules.criteria)
    if criteria_max != rules.total_max:
        problems.append((("total_max",), f"total_max is {rules.total_max} but the criteria add up to {criteria_max}"))
    for key in rules.indicators:
        if key not in read:
            problems.append((("indicators", key), f"indicator {key!r} is declared but no line reads it"))
    return problems


def _check_line(rules: RuleSet, line: BooleanLine | BandsLine) -> list[tuple[Location, str]]:
    """Each kind reads the right type of indicator; bands tile the range; points are sane."""
    problems: list[tuple[Location, str]] = []

    def needs(field: str, key: str | None, types: tuple[str, ...]) -> None:
        if key is None:
            problems.append(((), f"a {line.kind} line needs {field}"))
        elif key not in rules.indicators:
            problems.append(((field,), f"{key!r} is not a declared indicator"))
        elif rules.indicators[key].type not in types:
            problems.append(((field,), f"{key!r} must be of type {' or '.join(types)}"))

    if isinstance(line, BooleanLine):
        needs("input", line.input, ("bool",))
        if line.points <= 0:
            problems.append((("points",), "points must be positive"))
        return problems

    kind = BAND_KINDS[line.kind]
    ratio = line.numerator is not None or line.denominator is not None
    if line.kind == "percent_bands" and line.input is not None:
        if ratio:
            problems.append(((), "give either input (a percent) or numerator and denominator, not both"))
        needs("input", line.input, ("percent",))
    elif kind.scale is not None:
        if line.input is not None:
            problems.append((("input",), f"a {line.kind} line reads numerator and denominator"))
        needs("numerator", line.numerator, ("count",))
        needs("denominator", line.denominator, ("count",))
        declared = rules.indicators.get(line.numerator or "")
        if declared is not None and declared.denominator != line.denominator:
            problems.append((("denominator",), f"{line.numerator!r} is declared with denominator "
                                               f"{declared.denominator!r}, not {line.denominator!r}"))
    else:
        if ratio:
            problems.append(((), f"a {line.kind} line reads one input, not numerator/denominator"))
        needs("input", line.input, ("count",))

    if ratio and line.not_applicable is None:
        problems.append(((), "a line with a denominator needs not_applicable (what a denominator of 0 earns)"))
    if not ratio and line.not_applicable is not None:
        problems.append((("not_applicable",), "not_applicable is only for lines with a denominator"))
    if line.not_applicable is not None and line.not_applicable.points != "full" \
            and not 0 <= line.not_applicable.points <= line.max:
        problems.append((("not_applicable", "points"), f"points must be 'full' or 0..{line.max}"))
    for index, message in coverage_problems(line.bands, kind.top, kind.integers):
        problems.append((("bands", index), message))
    return problems


def _duplicate_keys(node: yaml.Node | None, path: Location = ()) -> list[tuple[int, Location, str]]:
    """YAML keeps the last of two equal keys silently; a rule file must not."""
    found: list[tuple[int, Location, str]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                found.append((key.start_mark.line + 1, path + (key.value,), f"duplicate key {key.value!r}"))
            seen.add(key.value)
            found += _duplicate_keys(value, path + (key.value,))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found += _duplicate_keys(item, path + (index,))
    return found


def _line_of(node: yaml.Node | None, loc: Location) -> int | None:
    """The 1-based line of the deepest YAML node along a pydantic error location.

    Parts that are not in the document (a union's tag such as "boolean", a missing field) are
    skipped, so a missing field points at the mapping that lacks it.
    """
    if node is None:
        return None
    line = node.start_mark.line
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next(((key, value) for key, value in node.value if key.value == str(part)), None)
            if pair is not None:  # the key's line: a block mapping's value starts a line lower
                line, node = pair[0].start_mark.line, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line
    return int(line) + 1


def _where(loc: Location) -> str:
    """criteria[2].lines[0].bands[1]"""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
