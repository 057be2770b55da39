"""Answers of different versions compare, and one commune's period becomes the scoring input."""

from __future__ import annotations

from typing import Any

from test_forms_definitions import DATA_DICTIONARY
from test_forms_validate import ANNUAL_OK, PARTICIPATION_OK

from forms import registry
from forms.compat import normalise
from forms.derive import indicators_for_period
from forms.validate import clean

PLACE_V1 = {"place_name": "Sân chơi nhà văn hóa thôn 3", "kind": "playground", "location": {"lat": 21.59, "lon": 105.84},
            "opening": "every_day", "opening_hours": "16 giờ – 19 giờ", "adult_present": True,
            "equipment_condition": "worn", "hazards": ["open_water"], "fenced": True, "shade": True, "toilets": False,
            "disability_access": True}


def _v2(place_v1: dict[str, Any], fencing: str) -> dict[str, Any]:
    answers = {key: value for key, value in place_v1.items() if key not in ("adult_present", "fenced")}
    return {**answers, "adult_supervision": place_v1["adult_present"], "fencing": fencing}


def place(answers: dict[str, Any], version: int = 1) -> dict[str, Any]:
    form = registry.get_form("play-area", version)
    return normalise(form, clean(form, answers))


def test_answers_to_v1_and_v2_of_the_play_area_form_map_to_the_same_comparable_keys() -> None:
    old, new = place(PLACE_V1), place(_v2(PLACE_V1, "full"), version=2)
    assert "adult_present" not in old and old["adult_supervision"] is True
    shared = set(old) & set(new)
    assert {"adult_supervision", "fenced", "safe", "hazards", "equipment_condition", "place_name"} <= shared
    assert {key: old[key] for key in shared} == {key: new[key] for key in shared}
    assert new["fenced"] is True and new["safe"] is True
    partly = place(_v2(PLACE_V1, "partial"), version=2)
    assert partly["fenced"] is False and partly["safe"] is False  # water nearby, not fenced all round


def test_a_place_is_safe_without_hazards_or_when_fenced_and_never_with_broken_equipment() -> None:
    assert place({**PLACE_V1, "hazards": ["none"], "fenced": False})["safe"] is True
    assert place({**PLACE_V1, "hazards": ["traffic", "electricity"], "fenced": False})["safe"] is False
    assert place({**PLACE_V1, "hazards": ["traffic"], "fenced": True})["safe"] is True
    assert place({**PLACE_V1, "hazards": ["none"], "equipment_condition": "broken"})["safe"] is False


def _answer(form_id: str, answers: dict[str, Any]) -> dict[str, Any]:
    form = registry.get_form(form_id, 1)
    return normalise(form, clean(form, answers))


def _survey(respondent: str, age_band: str, overall: str) -> dict[str, Any]:
    return _answer("satisfaction", {"respondent": respondent, "age_band": age_band, "overall": overall,
                                    "safety": "satisfied", "play": "neutral"})


def test_a_period_with_every_form_takes_derived_values_from_the_detailed_forms() -> None:
    annual = _answer("commune-annual", {**ANNUAL_OK, "c11_forum_held": False, "c11_decisions_consulted": 0,
                                        "c12_safe_play_area": False, "c13_respondents": 1, "c13_satisfied": 0})
    places = [place({**PLACE_V1, "equipment_condition": "broken"}), place(_v2(PLACE_V1, "full"), version=2)]
    activities = [
        _answer("child-participation", PARTICIPATION_OK),
        _answer("child-participation", {**PARTICIPATION_OK, "kind": "club", "decision_title": "  kế hoạch HÈ   2025"}),
        _answer("child-participation", {**PARTICIPATION_OK, "kind": "consultation",
                                        "decision_title": "Quy hoạch sân chơi xã"}),
        _answer("child-participation", {**PARTICIPATION_OK, "about_commune_decision": False}),
    ]
    surveys = [_survey("child", "age_11_15", "very_satisfied"), _survey("child", "age_6_10", "satisfied"),
               _survey("adult", "age_30_59", "neutral"), _survey("adult", "age_60_plus", "dont_know"),
               _survey("adult", "age_16_29", "satisfied")]

    indicators = indicators_for_period(annual, places, activities, surveys)

    assert list(indicators) == DATA_DICTIONARY
    assert indicators["c12_safe_play_area"] is True
    assert (indicators["c13_respondents"], indicators["c13_satisfied"]) == (5, 3)
    assert indicators["c11_forum_held"] is True
    assert indicators["c11_decisions_consulted"] == 2  # two distinct decisions, one named twice
    assert indicators["c11_decisions_total"] == 4  # only the annual form knows every decision
    assert indicators["c2_births_registered"] == 95 and indicators["c1_budget_allocated"] is False
    assert "period_year" not in indicators and "c2_births_registered_pct" not in indicators


def test_without_detailed_forms_the_annual_answers_are_used() -> None:
    annual = _answer("commune-annual", {**ANNUAL_OK, "c11_forum_held": True, "c11_decisions_consulted": 3,
                                        "c12_safe_play_area": True, "c13_respondents": 120, "c13_satisfied": 111})
    indicators = indicators_for_period(annual, [], [], [])
    assert indicators == {key: annual[key] for key in DATA_DICTIONARY}


def test_detailed_forms_override_the_annual_answers_and_missing_sources_stay_missing() -> None:
    unsafe = place({**PLACE_V1, "fenced": False})
    only_clubs = [_answer("child-participation", {**PARTICIPATION_OK, "kind": "club", "about_commune_decision": False})]
    indicators = indicators_for_period(None, [unsafe], only_clubs, [])
    assert indicators == {"c11_forum_held": False, "c11_decisions_consulted": 0, "c12_safe_play_area": False}
    annual = _answer("commune-annual", {**ANNUAL_OK, "c12_safe_play_area": True})
    assert indicators_for_period(annual, [unsafe], [], [])["c12_safe_play_area"] is False
    assert "c13_respondents" not in indicators_for_period(annual, [], [], [])
