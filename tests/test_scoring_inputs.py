"""Input validation: every problem at once, each by key with a stable code and a msgid."""

from __future__ import annotations

import pytest

from scoring import ScoringInputError, load_rules, score, score_document
from test_scoring_support import RULES, perfect


def problems_of(call) -> list[tuple[str, str]]:
    with pytest.raises(ScoringInputError) as caught:
        call()
    return [(problem.key, problem.code) for problem in caught.value.problems]


def test_every_kind_of_problem_is_reported_at_once():
    indicators = perfect()
    del indicators["c13_respondents"]                 # missing (and its numerator is then unchecked)
    indicators["c1_protection_officer"] = 1           # an int is not a yes/no
    indicators["c3_abused_children"] = True           # a bool is not a count (True == 1 in Python)
    indicators["c12_activities"] = 2.5                # not a whole number
    indicators["c5_accident_deaths"] = "0"            # text is not a count
    indicators["c4_children_offending"] = -1          # negative
    indicators["c2_births_registered"] = 1001         # above its denominator (1,000)
    indicators["c99_unknown"] = 3                     # unknown key
    found = problems_of(lambda: score(RULES, "village", indicators))
    assert found == [
        ("commune_type", "unknown_commune_type"),
        ("c99_unknown", "unknown_key"),
        ("c1_protection_officer", "wrong_type"),
        ("c3_abused_children", "wrong_type"),
        ("c4_children_offending", "negative"),
        ("c5_accident_deaths", "wrong_type"),
        ("c12_activities", "wrong_type"),
        ("c13_respondents", "missing_key"),
        ("c2_births_registered", "above_denominator"),
    ]


def test_messages_are_msgids_with_params():
    indicators = {**perfect(), "c2_births_registered": 1001, "c12_activities": True}
    with pytest.raises(ScoringInputError) as caught:
        score(RULES, "other", indicators)
    above, wrong = sorted(caught.value.problems, key=lambda problem: problem.code)
    assert above.message == "%(key)s (%(value)s) is greater than %(denominator)s (%(total)s)."
    assert above.params == {"value": 1001, "denominator": "c2_births_total", "total": 1000}
    assert above.text() == "c2_births_registered (1001) is greater than c2_births_total (1000)."
    assert wrong.text() == "c12_activities must be a whole number, not true."
    assert wrong.to_dict()["code"] == "wrong_type"
    assert "c12_activities: c12_activities must be a whole number" in str(caught.value)


def test_document_shape_problems_are_reported_with_indicator_problems():
    found = problems_of(lambda: score_document(RULES, {"_comment": "no", "indicators": {"c1_protection_officer": True}}))
    assert found[:3] == [("_comment", "unknown_key"), ("commune_type", "missing_key"),
                         ("c1_village_collaborators", "missing_key")]
    assert ("c2_births_total", "missing_key") in found
    assert problems_of(lambda: score_document(RULES, [1, 2])) == [("(input)", "wrong_type")]
    assert problems_of(lambda: score(RULES, "other", ["not", "a", "dict"])) == [("indicators", "wrong_type")]


def test_valid_input_has_no_problem_at_the_limits():
    # numerator equal to its denominator and zero counts are valid
    result = score(RULES, "other", {**perfect(), "c3_abused_children": 0, "c2_births_registered": 1000})
    assert result.total == 1000


def test_percent_inputs_of_vn_2014():
    rules = load_rules("vn-2014")
    indicators = {key: (True if item.type == "bool" else 50 if item.type == "count" else 1.5)
                  for key, item in rules.indicators.items()}
    assert score(rules, "other", indicators).total > 0
    found = problems_of(lambda: score(rules, "other", {**indicators, "v2014_child_labour_percent": 100.5,
                                                       "v2014_school_attendance_percent": -1,
                                                       "v2014_lower_secondary_graduation_percent": float("nan")}))
    assert found == [("v2014_child_labour_percent", "percent_above_100"),
                     ("v2014_school_attendance_percent", "negative"),
                     ("v2014_lower_secondary_graduation_percent", "wrong_type")]
