"""The vn-2019 data dictionary (domain `indicators.md`): the keys forms collect and scoring reads.

It is the contract with `scoring/`: form fields name these keys in `indicator`, and
`derive.indicators_for_period` returns these keys and no others.
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["bool", "count", "percent"]

INDICATORS: dict[str, Kind] = {
    "c1_protection_officer": "bool",
    "c1_village_collaborators": "bool",
    "c1_board_meets_regularly": "bool",
    "c1_budget_allocated": "bool",
    "c2_births_total": "count",
    "c2_births_registered": "count",
    "c3_abused_children": "count",
    "c4_children_offending": "count",
    "c5_accident_deaths": "count",
    "c5_injured_children": "count",
    "children_total": "count",
    "c6_special_total": "count",
    "c6_special_supported": "count",
    "c6_severe_cases": "count",
    "c6_severe_cases_with_plan": "count",
    "c7_under1_total": "count",
    "c7_under1_immunised": "count",
    "c8_under5_total": "count",
    "c8_under5_underweight": "count",
    "c8_under5_stunted": "count",
    "c9_checkup_due": "count",
    "c9_checkup_done": "count",
    "c10_age5_total": "count",
    "c10_age5_in_preschool": "count",
    "c10_age6_14_total": "count",
    "c10_age6_14_in_school": "count",
    "c11_forum_held": "bool",
    "c11_decisions_total": "count",
    "c11_decisions_consulted": "count",
    "c11_children_club_active": "bool",
    "c12_safe_play_area": "bool",
    "c12_activities": "count",
    "c12_pupils_total": "count",
    "c12_pupils_swim_taught": "count",
    "c13_respondents": "count",
    "c13_satisfied": "count",
}

LEGACY_2014: dict[str, Kind] = {
    "v2014_c1_leadership": "bool",
    "v2014_child_labour_percent": "percent",
    "v2014_school_attendance_percent": "percent",
    "v2014_lower_secondary_graduation_percent": "percent",
    **{f"v2014_c{n}_met": "bool" for n in range(9, 16)},
}
"""The keys the vn-2014 rule set reads beyond the data dictionary (their meaning is in its rule file):
the `commune-2014` form collects them for periods or provinces still assessed under the 2014 rules."""

KNOWN: dict[str, Kind] = {**INDICATORS, **LEGACY_2014}
"""Every key a form may collect and a rule set may read."""

FIELD_TYPE_FOR: dict[Kind, str] = {"bool": "yes_no", "count": "integer", "percent": "decimal"}
"""The form field type that can feed each kind of indicator."""
