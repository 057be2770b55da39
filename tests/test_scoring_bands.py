"""Every band edge of vn-2019: just below, at and just above each threshold.

The expected points are written by hand from domain vn-2019.md, NOT read from the rule file, so
that a wrong number in the file fails here. A second, generic test walks the file's own bands.
"""

from __future__ import annotations

import pytest

from test_scoring_support import RULES, line, scored

# (line, key changed from the perfect commune, value, points, provisional?)
# Denominators are 1,000 (0.1 % steps), children_total 10,000 (0.1 ‰ steps), severe cases 10.
EDGES = [
    # 2 — births registered on time: 100 % → 50; 98–<100 → 40; 95–<98 → 25; < 95 → 0 (all P)
    ("2.1", "c2_births_registered", 1000, 50, True),
    ("2.1", "c2_births_registered", 999, 40, True),
    ("2.1", "c2_births_registered", 981, 40, True),
    ("2.1", "c2_births_registered", 980, 40, True),
    ("2.1", "c2_births_registered", 979, 25, True),
    ("2.1", "c2_births_registered", 951, 25, True),
    ("2.1", "c2_births_registered", 950, 25, True),
    ("2.1", "c2_births_registered", 949, 0, True),
    # 3 — abused children: 0 → 100; 1 → 50; ≥ 2 → 0
    ("3.1", "c3_abused_children", 0, 100, True),
    ("3.1", "c3_abused_children", 1, 50, True),
    ("3.1", "c3_abused_children", 2, 0, True),
    ("3.1", "c3_abused_children", 3, 0, True),
    # 4 — offending children: 0 → 50; 1 → 25; ≥ 2 → 0
    ("4.1", "c4_children_offending", 0, 50, True),
    ("4.1", "c4_children_offending", 1, 25, True),
    ("4.1", "c4_children_offending", 2, 0, True),
    # 5.1 — accident deaths: 0 → 50, otherwise 0
    ("5.1", "c5_accident_deaths", 0, 50, True),
    ("5.1", "c5_accident_deaths", 1, 0, True),
    # 5.2 — injured per 1,000 children (of 10,000): ≤ 5 ‰ → 25; ≤ 10 ‰ → 10; above → 0
    ("5.2", "c5_injured_children", 49, 25, True),
    ("5.2", "c5_injured_children", 50, 25, True),
    ("5.2", "c5_injured_children", 51, 10, True),
    ("5.2", "c5_injured_children", 99, 10, True),
    ("5.2", "c5_injured_children", 100, 10, True),
    ("5.2", "c5_injured_children", 101, 0, True),
    # 6.1 — special circumstances supported: ≥ 95 % → 50 (V); 90–<95 → 30; 80–<90 → 15; < 80 → 0 (P)
    ("6.1", "c6_special_supported", 951, 50, False),
    ("6.1", "c6_special_supported", 950, 50, False),
    ("6.1", "c6_special_supported", 949, 30, True),
    ("6.1", "c6_special_supported", 901, 30, True),
    ("6.1", "c6_special_supported", 900, 30, True),
    ("6.1", "c6_special_supported", 899, 15, True),
    ("6.1", "c6_special_supported", 801, 15, True),
    ("6.1", "c6_special_supported", 800, 15, True),
    ("6.1", "c6_special_supported", 799, 0, True),
    # 6.2 — severe cases with a plan: 100 % → 75 (V); below → 0 (P)
    ("6.2", "c6_severe_cases_with_plan", 10, 75, False),
    ("6.2", "c6_severe_cases_with_plan", 9, 0, True),
    # 7 — under-1 immunised: ≥ 98 % → 50 (V); 95–<98 → 40; 90–<95 → 25; < 90 → 0 (P)
    ("7.1", "c7_under1_immunised", 981, 50, False),
    ("7.1", "c7_under1_immunised", 980, 50, False),
    ("7.1", "c7_under1_immunised", 979, 40, True),
    ("7.1", "c7_under1_immunised", 951, 40, True),
    ("7.1", "c7_under1_immunised", 950, 40, True),
    ("7.1", "c7_under1_immunised", 949, 25, True),
    ("7.1", "c7_under1_immunised", 901, 25, True),
    ("7.1", "c7_under1_immunised", 900, 25, True),
    ("7.1", "c7_under1_immunised", 899, 0, True),
    # 8 — malnutrition, each of 8.1 and 8.2: ≤ 5 % → 50; ≤ 10 → 30; ≤ 15 → 15; above → 0
    *[(line_id, key, value, points, True)
      for line_id, key in (("8.1", "c8_under5_underweight"), ("8.2", "c8_under5_stunted"))
      for value, points in ((49, 50), (50, 50), (51, 30), (99, 30), (100, 30), (101, 15),
                            (149, 15), (150, 15), (151, 0))],
    # 9 — check-ups: ≥ 90 % → 50; 80–<90 → 30; 70–<80 → 15; below → 0
    ("9.1", "c9_checkup_done", 901, 50, True),
    ("9.1", "c9_checkup_done", 900, 50, True),
    ("9.1", "c9_checkup_done", 899, 30, True),
    ("9.1", "c9_checkup_done", 800, 30, True),
    ("9.1", "c9_checkup_done", 799, 15, True),
    ("9.1", "c9_checkup_done", 700, 15, True),
    ("9.1", "c9_checkup_done", 699, 0, True),
    # 10.1 and 10.2 — school: ≥ 99 % → 50, ≥ 95 → 30, ≥ 90 → 15, below → 0
    *[(line_id, key, value, points, True)
      for line_id, key in (("10.1", "c10_age5_in_preschool"), ("10.2", "c10_age6_14_in_school"))
      for value, points in ((991, 50), (990, 50), (989, 30), (951, 30), (950, 30), (949, 15),
                            (901, 15), (900, 15), (899, 0))],
    # 11.2 — decisions consulted: ≥ 90 % → 25, ≥ 50 → 10, below → 0
    ("11.2", "c11_decisions_consulted", 901, 25, True),
    ("11.2", "c11_decisions_consulted", 900, 25, True),
    ("11.2", "c11_decisions_consulted", 899, 10, True),
    ("11.2", "c11_decisions_consulted", 501, 10, True),
    ("11.2", "c11_decisions_consulted", 500, 10, True),
    ("11.2", "c11_decisions_consulted", 499, 0, True),
    # 12.2 — activities: ≥ 4 → 25, ≥ 2 → 15, 1 → 5, 0 → 0
    ("12.2", "c12_activities", 5, 25, True),
    ("12.2", "c12_activities", 4, 25, True),
    ("12.2", "c12_activities", 3, 15, True),
    ("12.2", "c12_activities", 2, 15, True),
    ("12.2", "c12_activities", 1, 5, True),
    ("12.2", "c12_activities", 0, 0, True),
    # 12.3 — swimming: ≥ 80 % → 20, ≥ 50 → 10, below → 0
    ("12.3", "c12_pupils_swim_taught", 801, 20, True),
    ("12.3", "c12_pupils_swim_taught", 800, 20, True),
    ("12.3", "c12_pupils_swim_taught", 799, 10, True),
    ("12.3", "c12_pupils_swim_taught", 500, 10, True),
    ("12.3", "c12_pupils_swim_taught", 499, 0, True),
    # 13 — satisfaction: ≥ 90 % → 50; 80–<90 → 35; 70–<80 → 20; below → 0
    ("13.1", "c13_satisfied", 901, 50, True),
    ("13.1", "c13_satisfied", 900, 50, True),
    ("13.1", "c13_satisfied", 899, 35, True),
    ("13.1", "c13_satisfied", 800, 35, True),
    ("13.1", "c13_satisfied", 799, 20, True),
    ("13.1", "c13_satisfied", 700, 20, True),
    ("13.1", "c13_satisfied", 699, 0, True),
]

# yes/no lines: (line, key, points when yes, provisional?) — criterion 1 VERIFIED, 11 and 12 P
BOOLEANS = [
    ("1.1", "c1_protection_officer", 50, False),
    ("1.2", "c1_village_collaborators", 15, False),
    ("1.3", "c1_board_meets_regularly", 15, False),
    ("1.4", "c1_budget_allocated", 20, False),
    ("11.1", "c11_forum_held", 25, True),
    ("11.3", "c11_children_club_active", 25, True),
    ("12.1", "c12_safe_play_area", 30, True),
]


@pytest.mark.parametrize(("line_id", "key", "value", "points", "provisional"), EDGES,
                         ids=[f"{e[0]}-{e[1]}={e[2]}" for e in EDGES])
def test_band_edge(line_id, key, value, points, provisional):
    result = scored(**{key: value})
    hit = line(result, line_id)
    assert hit.points == points
    assert hit.provisional is provisional
    assert (line_id in result.provisional) is provisional
    assert result.total == 1000 - (hit.max - points)


@pytest.mark.parametrize(("line_id", "key", "points", "provisional"), BOOLEANS, ids=[b[0] for b in BOOLEANS])
def test_yes_no_line_is_all_or_nothing(line_id, key, points, provisional):
    assert line(scored(**{key: True}), line_id).points == points
    no = line(scored(**{key: False}), line_id)
    assert (no.points, no.band, no.provisional) == (0, "no", provisional)


def test_every_line_of_the_decision_has_hand_written_edges():
    covered = {edge[0] for edge in EDGES} | {boolean[0] for boolean in BOOLEANS}
    assert covered == {line.id for criterion in RULES.criteria for line in criterion.lines}


def test_band_is_chosen_on_the_exact_value_before_rounding():
    # 57/60 is exactly 95 %: the edge belongs to the upper band
    hit = line(scored(c6_special_total=60, c6_special_supported=57), "6.1")
    assert (hit.points, hit.ratio, hit.value, hit.band) == (50, "19/20", "95.00", "≥ 95 %")
    # 94.999 % rounds to "95.00" for display but stays in the lower band
    hit = line(scored(c6_special_total=100000, c6_special_supported=94999), "6.1")
    assert (hit.points, hit.value, hit.ratio) == (30, "95.00", "94999/100000")


def test_rate_line_exposes_exact_rate_and_decimal():
    hit = line(scored(children_total=2400, c5_injured_children=9), "5.2")  # 9/2400 = 3/800 = 3.75 ‰
    assert (hit.ratio, hit.value, hit.unit, hit.band, hit.points) == ("3/800", "3.75", "‰", "≤ 5 ‰", 25)


def _at_bound(line_id: str, band_index: int) -> tuple[dict, int]:
    """Input putting `line_id` exactly at the lower edge of one of its bands (from the file)."""
    rule = next(item for criterion in RULES.criteria for item in criterion.lines if item.id == line_id)
    interval = rule.intervals[band_index]
    if rule.kind == "count_bands":
        return {rule.input: int(interval.low) + (0 if interval.low_closed else 1)}, interval.points
    step = 1 if interval.low_closed else 0
    scale = {"percent_bands": 10, "rate_per_mille_bands": 10}[rule.kind]  # denominators 1,000 and 10,000
    numerator = int(interval.low * scale) + (1 - step)
    return {rule.numerator: numerator, rule.denominator: 1000 if rule.kind == "percent_bands" else 10000}, \
        interval.points


FILE_BANDS = [(line.id, index) for criterion in RULES.criteria for line in criterion.lines
              if line.kind != "boolean" and line.id != "6.2" for index in range(len(line.bands))]


@pytest.mark.parametrize(("line_id", "band_index"), FILE_BANDS, ids=[f"{b[0]}#{b[1]}" for b in FILE_BANDS])
def test_each_band_of_the_file_is_reached_at_its_lower_edge(line_id, band_index):
    changes, points = _at_bound(line_id, band_index)
    assert line(scored(**changes), line_id).points == points
