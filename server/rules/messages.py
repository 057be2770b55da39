"""The rule-file checks of `scoring/` (plain English, no I/O there) as msgids people read in their language.

`scoring.ruleset` reports a problem as an English sentence with the values in it; here each known
sentence is matched and turned into a msgid with its values as params, so an import or an edit
page says it in Vietnamese. A sentence not listed stays in English rather than being lost.
"""

from __future__ import annotations

import re

from server.core.i18n import N_

_PATTERNS: list[tuple[re.Pattern[str], str]] = [(re.compile(pattern), msgid) for pattern, msgid in (
    (r"^criterion (?P<criterion>\d+): max is (?P<max>-?\d+) but its lines add up to (?P<sum>-?\d+)$",
     N_("Criterion %(criterion)s: its maximum is %(max)s points but its lines add up to %(sum)s.")),
    (r"^total_max is (?P<max>-?\d+) but the criteria add up to (?P<sum>-?\d+)$",
     N_("The total maximum is %(max)s points but the criteria add up to %(sum)s.")),
    (r"^no threshold for commune type '(?P<type>[^']*)'$", N_("There is no threshold for the commune type %(type)s.")),
    (r"^unknown commune type '(?P<type>[^']*)'$", N_("%(type)s is not a commune type.")),
    (r"^threshold must be in 1\.\.(?P<max>\d+)$", N_("A threshold must be between 1 and %(max)s points.")),
    (r"^duplicate criterion id (?P<id>-?\d+)$", N_("Criterion %(id)s appears twice.")),
    (r"^duplicate line id '(?P<id>[^']*)'$", N_("Line %(id)s appears twice.")),
    (r"^line id '(?P<id>[^']*)' must be (?P<criterion>-?\d+)\.N$",
     N_("Line %(id)s must be numbered %(criterion)s.1, %(criterion)s.2, … (its criterion's number first).")),
    (r"^indicator '(?P<key>[^']*)' is declared but no line reads it$",
     N_("The indicator %(key)s is listed but no line reads it.")),
    (r"^'(?P<key>[^']*)' is not a declared indicator$", N_("%(key)s is not an indicator of the Indicators sheet.")),
    (r"^denominator '(?P<key>[^']*)' is not a declared indicator$",
     N_("The denominator %(key)s is not an indicator of the Indicators sheet.")),
    (r"^denominator '(?P<key>[^']*)' must be a count$", N_("The denominator %(key)s must be a count.")),
    (r"^only a count can have a denominator$", N_("Only a count can have a denominator.")),
    (r"^'(?P<key>[^']*)' must be of type (?P<types>.+)$",
     N_("%(key)s is not the right kind of indicator for this line (it must be: %(types)s).")),
    (r"^'(?P<key>[^']*)' is declared with denominator '(?P<declared>[^']*)', not '(?P<given>[^']*)'$",
     N_("%(key)s is counted out of %(declared)s (Indicators sheet), not %(given)s.")),
    (r"^a (?P<kind>\w+) line needs (?P<field>\w+)$", N_("This line needs its indicator (column Indicator).")),
    (r"^a \w+ line reads numerator and denominator$", N_("A rate or percentage line reads a numerator and a denominator.")),
    (r"^a \w+ line reads one input, not numerator/denominator$", N_("A count line reads one indicator, no denominator.")),
    (r"^give either input \(a percent\) or numerator and denominator, not both$",
     N_("Give either one percentage indicator or a numerator and a denominator, not both.")),
    (r"^a line with a denominator needs not_applicable \(what a denominator of 0 earns\)$",
     N_("A line with a denominator needs a row saying what it earns when the denominator is 0.")),
    (r"^not_applicable is only for lines with a denominator$",
     N_("Only a line with a denominator can have a row for a denominator of 0.")),
    (r"^points must be 'full' or 0\.\.(?P<max>\d+)$",
     N_("The points for a denominator of 0 must be \"full\" or a number from 0 to %(max)s.")),
    (r"^points must be positive$", N_("The points must be more than 0.")),
    (r"^(Value error, )?points must not be negative$", N_("The points must not be negative.")),
    (r"^(Value error, )?a band has at most one lower bound: at_least or above$",
     N_("A band has at most one lower bound (≥ or >).")),
    (r"^(Value error, )?a band has at most one upper bound: below or at_most$",
     N_("A band has at most one upper bound (< or ≤).")),
    (r"^gap: no band covers 0$", N_("Gap: no band covers 0.")),
    (r"^gap between (?P<low>\S+) and (?P<high>\S+)$", N_("Gap: no band covers the values between %(low)s and %(high)s.")),
    (r"^gap: nothing covers values above (?P<value>\S+)$", N_("Gap: no band covers the values above %(value)s.")),
    (r"^gap: (?P<value>\S+) is not covered$", N_("Gap: no band covers %(value)s.")),
    (r"^overlap with the band ending at (?P<value>\S+)$",
     N_("Overlap: this band and the band ending at %(value)s both cover some values.")),
    (r"^overlap: the band starts inside a band with no upper limit$",
     N_("Overlap: this band starts inside a band that has no upper limit.")),
    (r"^empty band: its upper bound is below its lower bound$",
     N_("Empty band: its upper bound is below its lower bound.")),
    (r"^a band starts above (?P<value>\S+)$", N_("A band starts above %(value)s.")),
    (r"^Field required$", N_("This value is required.")),
    (r"^Extra inputs are not permitted$", N_("This cell must be empty for this kind of line.")),
    (r"^String should have at least 1 character$", N_("This text must not be empty.")),
    (r"^List should have at least 1 item after validation, not 0$", N_("At least one row is needed here.")),
    (r"^String should match pattern '\^\[a-z0-9-\]\+\$'$",
     N_("Use only lower-case letters, digits and hyphens (for example vn-2019).")),
)]


def as_msgid(message: str) -> tuple[str, dict[str, str]]:
    """A scoring check's sentence as (msgid, params); unknown sentences are returned unchanged."""
    for pattern, msgid in _PATTERNS:
        match = pattern.match(message)
        if match:
            return msgid, {key: value for key, value in match.groupdict().items() if value is not None}
    return message, {}
