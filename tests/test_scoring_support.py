"""Shared inputs for the scoring tests (imported by the other test_scoring_* files): a commune that
earns every point, and variations of it."""

from __future__ import annotations

from scoring import load_rules, score

RULES = load_rules("vn-2019")


def perfect() -> dict[str, object]:
    """Every line at its maximum: 1,000 points. Denominators of 1,000 make 0.1 % steps exact."""
    return {
        "c1_protection_officer": True, "c1_village_collaborators": True,
        "c1_board_meets_regularly": True, "c1_budget_allocated": True,
        "c2_births_total": 1000, "c2_births_registered": 1000,
        "c3_abused_children": 0, "c4_children_offending": 0,
        "c5_accident_deaths": 0, "c5_injured_children": 0, "children_total": 10000,
        "c6_special_total": 1000, "c6_special_supported": 1000,
        "c6_severe_cases": 10, "c6_severe_cases_with_plan": 10,
        "c7_under1_total": 1000, "c7_under1_immunised": 1000,
        "c8_under5_total": 1000, "c8_under5_underweight": 0, "c8_under5_stunted": 0,
        "c9_checkup_due": 1000, "c9_checkup_done": 1000,
        "c10_age5_total": 1000, "c10_age5_in_preschool": 1000,
        "c10_age6_14_total": 1000, "c10_age6_14_in_school": 1000,
        "c11_forum_held": True, "c11_decisions_total": 1000, "c11_decisions_consulted": 1000,
        "c11_children_club_active": True,
        "c12_safe_play_area": True, "c12_activities": 4, "c12_pupils_total": 1000, "c12_pupils_swim_taught": 1000,
        "c13_respondents": 1000, "c13_satisfied": 1000,
    }


def scored(commune_type: str = "other", rules=RULES, **changes: object):
    """Score `perfect()` with some keys changed."""
    return score(rules, commune_type, {**perfect(), **changes})


def line(result, line_id: str):
    return next(line for criterion in result.criteria for line in criterion.lines if line.id == line_id)


def criterion(result, criterion_id: int):
    return next(item for item in result.criteria if item.id == criterion_id)


def test_perfect_commune_earns_every_point_and_is_certified_for_every_type():
    for commune_type in ("urban_ward", "mountain_island_difficult", "other"):
        result = scored(commune_type)
        assert (result.total, result.max, result.certified, result.reasons) == (1000, 1000, True, [])
        assert [c.points for c in result.criteria] == [100, 50, 100, 50, 75, 125, 50, 100, 50, 100, 75, 75, 50]
