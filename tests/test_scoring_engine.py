"""The engine on vn-2019: criteria maxima and zeros, thresholds, recognition conditions, zero
denominators, the provisional list, determinism, and worked examples computed by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scoring import ScoreResult, load_rules, parse_rules, score, score_document
from test_scoring_support import RULES, criterion, line, perfect, scored

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# Hand-written (domain vn-2019.md), not read from the rule file.
MAXIMA = {1: 100, 2: 50, 3: 100, 4: 50, 5: 75, 6: 125, 7: 50, 8: 100, 9: 50, 10: 100, 11: 75, 12: 75, 13: 50}

# The changes that bring each criterion to 0 points.
ZEROES = {
    1: {"c1_protection_officer": False, "c1_village_collaborators": False, "c1_board_meets_regularly": False,
            "c1_budget_allocated": False},
    2: {"c2_births_registered": 949},
    3: {"c3_abused_children": 2},
    4: {"c4_children_offending": 2},
    5: {"c5_accident_deaths": 1, "c5_injured_children": 101},
    6: {"c6_special_supported": 799, "c6_severe_cases_with_plan": 9},
    7: {"c7_under1_immunised": 899},
    8: {"c8_under5_underweight": 151, "c8_under5_stunted": 151},
    9: {"c9_checkup_done": 699},
    10: {"c10_age5_in_preschool": 899, "c10_age6_14_in_school": 899},
    11: {"c11_forum_held": False, "c11_decisions_consulted": 499, "c11_children_club_active": False},
    12: {"c12_safe_play_area": False, "c12_activities": 0, "c12_pupils_swim_taught": 499},
    13: {"c13_satisfied": 699},
}


@pytest.mark.parametrize("criterion_id", sorted(MAXIMA))
def test_each_criterion_maximum_and_zero(criterion_id):
    best = criterion(scored(), criterion_id)
    assert (best.points, best.max) == (MAXIMA[criterion_id], MAXIMA[criterion_id])

    result = scored(**ZEROES[criterion_id])
    assert criterion(result, criterion_id).points == 0
    assert result.total == 1000 - MAXIMA[criterion_id]
    # a criterion at 0 is never recognised, even with a total above every threshold
    assert result.certified is False
    assert result.reasons[0].model_dump() == {
        "code": "criterion_zero", "criterion": criterion_id,
        "message": "Criterion %(criterion)s scored 0 points; no criterion may score 0."}
    if result.total >= 900:
        assert len(result.reasons) == 1


def test_all_criteria_at_zero_are_all_named():
    changes = {key: value for zero in ZEROES.values() for key, value in zero.items()}
    result = scored(**changes)
    assert result.total == 0
    assert [reason.criterion for reason in result.reasons[:-1]] == list(range(1, 14))
    assert result.reasons[-1].model_dump() == {
        "code": "below_threshold", "total": 0, "threshold": 850,
        "message": "The total of %(total)s points is below the threshold of %(threshold)s."}


# Totals reachable from the real file, each change written with its loss:
AT_900 = {"c10_age5_in_preschool": 899,   # 10.1: 50 → 0   (−50)
              "c8_under5_underweight": 151}   # 8.1:  50 → 0   (−50)  ⇒ 900
AT_850 = dict(AT_900, c9_checkup_done=899,  # 9.1:  50 → 30  (−20)
              c13_satisfied=799)            # 13.1: 50 → 20  (−30)  ⇒ 850
AT_800 = dict(AT_850, c5_accident_deaths=1)  # 5.1: 50 → 0   (−50)  ⇒ 800
BELOW = {"c12_activities": 3}               # 12.2: 25 → 15 (−10): the nearest reachable total below


@pytest.mark.parametrize(("commune_type", "changes", "threshold"), [
    ("urban_ward", AT_900, 900), ("other", AT_850, 850), ("mountain_island_difficult", AT_800, 800)])
def test_threshold_is_inclusive_for_each_commune_type(commune_type, changes, threshold):
    at = scored(commune_type, **changes)
    assert (at.total, at.threshold, at.certified, at.reasons) == (threshold, threshold, True, [])

    below = scored(commune_type, **changes, **BELOW)
    assert (below.total, below.certified) == (threshold - 10, False)
    assert [reason.code for reason in below.reasons] == ["below_threshold"]

    # exactly one point below: the same commune under a file whose threshold is one higher
    text = Path(RULES_FILE).read_text(encoding="utf-8").replace(
        f"{commune_type}: {{points: {threshold}}}", f"{commune_type}: {{points: {threshold + 1}}}")
    stricter = score(parse_rules(text.encode(), "stricter.yaml"), commune_type, {**perfect(), **changes})
    assert (stricter.total, stricter.threshold, stricter.certified) == (threshold, threshold + 1, False)
    assert stricter.reasons[0].model_dump()["total"] == threshold


RULES_FILE = Path(__file__).resolve().parent.parent / "scoring" / "rules" / "vn-2019.yaml"


def test_the_same_total_certifies_one_type_and_not_another():
    results = {commune_type: scored(commune_type, **AT_850).certified
               for commune_type in ("urban_ward", "other", "mountain_island_difficult")}
    assert results == {"urban_ward": False, "other": True, "mountain_island_difficult": True}


@pytest.mark.parametrize(("line_id", "denominator", "numerator", "points"), [
    ("2.1", "c2_births_total", "c2_births_registered", 50),
    ("5.2", "children_total", "c5_injured_children", 25),
    ("6.1", "c6_special_total", "c6_special_supported", 50),
    ("6.2", "c6_severe_cases", "c6_severe_cases_with_plan", 75),
    ("7.1", "c7_under1_total", "c7_under1_immunised", 50),
    ("8.1", "c8_under5_total", "c8_under5_underweight", 50),
    ("9.1", "c9_checkup_due", "c9_checkup_done", 50),
    ("10.1", "c10_age5_total", "c10_age5_in_preschool", 50),
    ("10.2", "c10_age6_14_total", "c10_age6_14_in_school", 50),
    ("11.2", "c11_decisions_total", "c11_decisions_consulted", 25),
    ("12.3", "c12_pupils_total", "c12_pupils_swim_taught", 20),
    ("13.1", "c13_respondents", "c13_satisfied", 50),
])
def test_zero_denominator_is_not_applicable_with_full_points(line_id, denominator, numerator, points):
    changes = {denominator: 0, numerator: 0}
    if denominator == "c8_under5_total":
        changes["c8_under5_stunted"] = 0
    result = scored(**changes)
    hit = line(result, line_id)
    assert (hit.points, hit.ratio, hit.value, hit.band, hit.provisional) == (points, None, None, None, True)
    assert hit.not_applicable.key == denominator
    assert hit.not_applicable.points == points
    assert "nothing to measure" in hit.not_applicable.message
    assert line_id in result.provisional  # the full-points reading is PROVISIONAL
    assert result.total == 1000


def test_provisional_list_names_exactly_the_lines_scored_with_provisional_values():
    result = scored()
    # perfect commune: criterion 1 (V), 6.1 ≥ 95 % (V), 6.2 100 % (V), 7.1 ≥ 98 % (V) are official
    assert result.provisional == ["2.1", "3.1", "4.1", "5.1", "5.2", "8.1", "8.2", "9.1", "10.1", "10.2",
                                  "11.1", "11.2", "11.3", "12.1", "12.2", "12.3", "13.1"]
    assert [c.id for c in result.criteria if not c.provisional] == [1, 6, 7]
    # a lower (PROVISIONAL) band of a verified line joins the list, in line order
    lower = scored(c6_special_supported=949, c7_under1_immunised=979)
    assert lower.provisional[4:8] == ["5.2", "6.1", "7.1", "8.1"]
    assert criterion(lower, 6).provisional and criterion(lower, 7).provisional
    assert line(lower, "6.2").provisional is False
    # a verified line that is not applicable uses the provisional reading
    assert "6.2" in scored(c6_severe_cases=0, c6_severe_cases_with_plan=0).provisional
    assert result.threshold_provisional is False and result.uses_provisional


def test_same_input_gives_byte_identical_json():
    document = json.loads((EXAMPLES / "xa-other.json").read_text(encoding="utf-8"))
    first = score_document(RULES, document).model_dump_json()
    shuffled = {"indicators": dict(reversed(list(document["indicators"].items()))),
                "commune_type": document["commune_type"]}
    assert score_document(RULES, shuffled).model_dump_json() == first
    assert score_document(load_rules("vn-2019"), document).model_dump_json() == first


def test_result_json_shape_and_round_trip():
    result = score_document(RULES, json.loads((EXAMPLES / "xa-not-certified.json").read_text(encoding="utf-8")))
    data = json.loads(result.model_dump_json())
    assert set(data) == {"rules", "commune_type", "total", "max", "threshold", "threshold_provisional",
                         "certified", "reasons", "provisional", "criteria"}
    assert data["rules"] == {"id": "vn-2019", "version": "2019.1", "sha256": RULES.sha256}
    assert len(RULES.sha256) == 64
    assert set(data["criteria"][0]) == {"id", "title", "points", "max", "provisional", "lines"}
    assert data["criteria"][1]["lines"][0] == {
        "id": "2.1", "label": {"vi": "Tỷ lệ trẻ em sinh ra được đăng ký khai sinh đúng hạn",
                               "en": "Share of births registered on time"},
        "kind": "percent_bands", "inputs": {"c2_births_registered": 120, "c2_births_total": 120},
        "ratio": "1/1", "value": "100.00", "unit": "%", "band": "≥ 100 %", "points": 50, "max": 50,
        "provisional": True, "not_applicable": None}
    # a stored result can be read back by the server
    assert ScoreResult.model_validate_json(result.model_dump_json()).model_dump_json() == result.model_dump_json()


def test_worked_example_xa_other():
    """examples/xa-other.json by hand (commune type `other`, threshold 850):

    1   all four yes                                  50 + 15 + 15 + 20  = 100
    2   120/120 = 100 %          → 100 % band                              50
    3   0 abused                                                          100
    4   1 offending              → "1" band                                25
    5   0 deaths → 50; 9/2400 = 3.75 ‰ ≤ 5 ‰ → 25                          75
    6   40/40 = 100 % ≥ 95 → 50; severe cases 0 → not applicable, 75      125
    7   118/120 = 98.33 % ≥ 98                                             50
    8   38/640 = 5.94 % (> 5, ≤ 10) → 30; 70/640 = 10.94 % (> 10, ≤ 15) → 15  45
    9   1900/2000 = 95 % ≥ 90                                              50
    10  130/131 = 99.24 % ≥ 99 → 50; 1480/1500 = 98.67 % (95–<99) → 30     80
    11  forum 25; 6/8 = 75 % (50–<90) → 10; club 25                        60
    12  play area 30; 5 activities ≥ 4 → 25; 1260/1500 = 84 % ≥ 80 → 20    75
    13  176/200 = 88 % (80–<90)                                            35
    total 100+50+100+25+75+125+50+45+50+80+60+75+35 = 870 ≥ 850, no criterion at 0 → certified
    """
    result = score_document(RULES, json.loads((EXAMPLES / "xa-other.json").read_text(encoding="utf-8")))
    assert [c.points for c in result.criteria] == [100, 50, 100, 25, 75, 125, 50, 45, 50, 80, 60, 75, 35]
    assert (result.total, result.threshold, result.certified) == (870, 850, True)
    assert line(result, "8.1").ratio == "19/320" and line(result, "8.1").value == "5.94"
    assert line(result, "6.2").not_applicable is not None


def test_worked_example_xa_mountain():
    """examples/xa-mountain.json by hand (mountain_island_difficult, threshold 800):

    1   all yes                                                           100
    2   79/80 = 98.75 % (98–<100)                                          40
    3   0 abused → 100;  4   1 offending → 25
    5   0 deaths → 50; 12/1500 = 8 ‰ (> 5, ≤ 10) → 10                      60
    6   63/66 = 95.45 % ≥ 95 → 50; 2/2 = 100 % → 75                       125
    7   72/73 = 98.63 % ≥ 98                                               50
    8   50/420 = 11.90 % → 15; 60/420 = 14.29 % → 15                       30
    9   1070/1180 = 90.68 % ≥ 90                                           50
    10  76/78 = 97.44 % → 30; 900/930 = 96.77 % → 30                       60
    11  25 + 4/4 = 100 % → 25 + 25                                         75
    12  30 + 2 activities → 15 + 480/900 = 53.33 % → 10                    55
    13  132/150 = 88 %                                                     35
    total 100+40+100+25+60+125+50+30+50+60+75+55+35 = 805 ≥ 800 → certified (by 5 points)
    """
    result = score_document(RULES, json.loads((EXAMPLES / "xa-mountain.json").read_text(encoding="utf-8")))
    assert [c.points for c in result.criteria] == [100, 40, 100, 25, 60, 125, 50, 30, 50, 60, 75, 55, 35]
    assert (result.total, result.threshold, result.certified) == (805, 800, True)
    # the same commune as a ward of a centrally-run city would fail: 805 < 900
    as_ward = score(RULES, "urban_ward", json.loads((EXAMPLES / "xa-mountain.json").read_text())["indicators"])
    assert [reason.model_dump() for reason in as_ward.reasons] == [{
        "code": "below_threshold", "total": 805, "threshold": 900,
        "message": "The total of %(total)s points is below the threshold of %(threshold)s."}]


def test_worked_example_not_certified():
    """examples/xa-not-certified.json: xa-other with 2 abused children.

    3   2 abused → "2 or more" band → 0: criterion 3 is at 0
    total 870 − 100 = 770 < 850 → not certified, for both reasons
    """
    result = score_document(RULES, json.loads((EXAMPLES / "xa-not-certified.json").read_text(encoding="utf-8")))
    assert (result.total, result.certified) == (770, False)
    assert [(reason.code, getattr(reason, "criterion", None)) for reason in result.reasons] == [
        ("criterion_zero", 3), ("below_threshold", None)]


@pytest.mark.parametrize(("name", "commune_type", "certified"), [
    ("phuong-urban-ward", "urban_ward", True), ("xa-mountain", "mountain_island_difficult", True),
    ("xa-other", "other", True), ("xa-not-certified", "other", False)])
def test_examples_score_as_documented(name, commune_type, certified):
    document = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    result = score_document(RULES, document)
    assert (result.commune_type, result.certified) == (commune_type, certified)
    assert document["indicators"]["children_total"] >= 1000  # plausible sizes
