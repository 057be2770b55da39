"""From one commune's submissions for one period to the indicator dict the vn-2019 scoring reads.

Inputs are clean answers made comparable with `forms.compat.normalise` (so every version of a
form gives the same keys). Precedence, key by key:

- `c12_safe_play_area`: from `play-area` forms when there is at least one: true when at least
  one place is safe. "Safe" is the form's derived `safe` value (defined in the YAML, so the
  phone, reports and this agree): equipment is not broken, and the place has no dangerous
  hazard nearby (open water, traffic, power lines, construction) unless it is fenced.
  Without play-area forms: the annual form's answer.
- `c13_respondents` / `c13_satisfied`: from `satisfaction` forms when there is at least one
  (one form = one respondent; satisfied = the derived `satisfied`: "satisfied" or "very
  satisfied" overall). Without them: the annual form.
- `c11_forum_held` / `c11_decisions_consulted`: from `child-participation` forms when there is
  at least one (a forum or consultation was held; the number of distinct commune decisions,
  by title, on which children were consulted). Without them: the annual form.
  `c11_decisions_total` always comes from the annual form: only it knows every decision. A count
  of consulted decisions above that total is not capped here: scoring reports it.
- Every other key: the annual form.
- The vn-2014 keys (`forms.indicators.LEGACY_2014`): the latest `commune-2014` form, for periods
  or provinces still assessed under the 2014 rules.

A key with no source (no annual form, no other form) is left out, so that scoring reports it
as missing; keys outside the data dictionary (period, percentages, …) are never returned.
"""

from __future__ import annotations

from typing import Any

from forms.indicators import INDICATORS, KNOWN, LEGACY_2014

DETAILED_SOURCES: dict[str, str] = {
    "c12_safe_play_area": "play-area",
    "c13_respondents": "satisfaction",
    "c13_satisfied": "satisfaction",
    "c11_forum_held": "child-participation",
    "c11_decisions_consulted": "child-participation",
}
"""Keys that a detailed form gives when the commune sent at least one of it (else the annual form does)."""


def indicators_for_period(annual: dict[str, Any] | None, play_areas: list[dict[str, Any]],
                          participations: list[dict[str, Any]],
                          satisfactions: list[dict[str, Any]],
                          legacy_2014: dict[str, Any] | None = None) -> dict[str, bool | int | float]:
    values: dict[str, Any] = {key: value for key, value in (annual or {}).items() if key in INDICATORS}
    values.update({key: value for key, value in (legacy_2014 or {}).items() if key in LEGACY_2014})
    if play_areas:
        values["c12_safe_play_area"] = any(place.get("safe") is True for place in play_areas)
    if satisfactions:
        values["c13_respondents"] = len(satisfactions)
        values["c13_satisfied"] = sum(1 for answer in satisfactions if answer.get("satisfied") is True)
    if participations:
        values["c11_forum_held"] = any(activity.get("forum_or_consultation") is True for activity in participations)
        values["c11_decisions_consulted"] = len({
            " ".join(activity["decision_title"].split()).casefold()
            for activity in participations
            if activity.get("about_commune_decision") is True and activity.get("decision_title")
        })
    return {key: values[key] for key in KNOWN if values.get(key) is not None}
