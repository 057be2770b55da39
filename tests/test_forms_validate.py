"""Validating whole submissions: every problem at once, skip logic, constraints, clean answers."""

from __future__ import annotations

from typing import Any

import pytest

from forms import registry
from forms.model import FormVersion
from forms.validate import MESSAGES, InvalidAnswers, Problem, clean, validate


def _label(text: str) -> dict[str, str]:
    return {"vi": text, "en": text}


def _field(key: str, type_: str, **options: Any) -> dict[str, Any]:
    return {"key": key, "type": type_, "label": _label(key), **options}


# One field of every type, to trigger every problem code (also used by the JS parity test).
EVERY_TYPE = FormVersion.model_validate({
    "form_id": "every-type", "version": 1, "status": "draft", "title": _label("t"), "description": _label("d"),
    "groups": [
        {"key": "numbers", "title": _label("numbers"), "fields": [
            _field("n", "integer", required=True, min=0, max=10),
            _field("d", "decimal", min=0.5, max=2.5),
            _field("total", "integer", min=0),
            _field("part", "integer", min=0, constraint={"<=": [{"var": "part"}, {"var": "total"}]},
                   constraint_message={"vi": "Không được lớn hơn tổng số.", "en": "Cannot be more than the total."}),
            _field("share", "percent", numerator="part", denominator="total"),
        ]},
        {"key": "choices", "title": _label("choices"), "fields": [
            _field("yn", "yes_no", required=True),
            _field("one", "select_one", choices=[{"key": "a", "label": _label("a")}, {"key": "b", "label": _label("b")}]),
            _field("many", "select_many", choices=[{"key": "x", "label": _label("x")}, {"key": "y", "label": _label("y")},
                                                   {"key": "none", "label": _label("none"), "exclusive": True}]),
        ]},
        {"key": "others", "title": _label("others"), "fields": [
            _field("info", "note"),
            _field("txt", "text", max_length=5),
            _field("day", "date"),
            _field("later", "date", required=True, relevant={"==": [{"var": "yn"}, True]},
                   constraint={">=": [{"var": "later"}, {"var": "day"}]},
                   constraint_message={"vi": "Không được trước ngày đầu.", "en": "Cannot be before the first day."}),
            _field("where", "geopoint"),
            _field("pic", "photo"),
        ]},
    ],
})

VALID = {"n": 3, "d": 1.5, "total": 8, "part": 2, "yn": True, "one": "a", "many": ["x", "y", "x"], "txt": " abc ",
         "day": "2024-02-29", "later": "2024-03-01", "where": {"lat": 21.0285, "lon": 105.8542, "accuracy": 12},
         "pic": "IMG_0042.jpg"}

# (answers, expected [(field, code)]) — the table also runs through static/validate.js.
CASES: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
    (VALID, []),
    ({**VALID, "n": 3.0, "d": 1, "many": [], "txt": "", "pic": None}, []),
    ({}, [("n", "required"), ("yn", "required")]),
    ({**VALID, "zzz": 1, "aaa": 2}, [("aaa", "unknown_field"), ("zzz", "unknown_field")]),
    ({**VALID, "n": True}, [("n", "not_integer")]),
    ({**VALID, "n": "3"}, [("n", "not_integer")]),
    ({**VALID, "n": "１２"}, [("n", "not_integer")]),
    ({**VALID, "n": 2.5}, [("n", "not_integer")]),
    ({**VALID, "total": 2**53 - 1}, []),
    ({**VALID, "total": 2**53, "n": 10**400}, [("n", "too_large"), ("total", "too_large")]),
    ({**VALID, "d": -10**400}, [("d", "too_large")]),
    ({**VALID, "d": "0,5"}, [("d", "not_a_number")]),
    ({**VALID, "n": -1, "d": 0.25}, [("n", "below_min"), ("d", "below_min")]),
    ({**VALID, "n": 11, "d": 3}, [("n", "above_max"), ("d", "above_max")]),
    ({**VALID, "part": 9}, [("part", "constraint")]),
    ({**VALID, "share": 25}, [("share", "read_only")]),
    ({**VALID, "info": "hello"}, [("info", "read_only")]),
    ({**VALID, "yn": 1}, [("yn", "wrong_type")]),
    ({**VALID, "one": "c", "many": ["x", "z"]}, [("one", "not_a_choice"), ("many", "not_a_choice")]),
    ({**VALID, "one": 1, "many": "x"}, [("one", "wrong_type"), ("many", "wrong_type")]),
    ({**VALID, "many": ["none", "x"]}, [("many", "exclusive_choice")]),
    ({**VALID, "many": ["none", "none"]}, []),
    ({**VALID, "txt": "abcdef"}, [("txt", "too_long")]),
    ({**VALID, "txt": "việt"}, []),
    ({**VALID, "txt": "  abc  "}, []),
    ({**VALID, "txt": 5}, [("txt", "wrong_type")]),
    ({**VALID, "day": "2023-02-29"}, [("day", "bad_date")]),
    ({**VALID, "day": "0001-01-01", "later": "9999-12-31"}, [("day", "date_out_of_range"), ("later", "date_out_of_range")]),
    ({**VALID, "day": "2000-01-01", "later": "2099-12-31"}, []),
    ({**VALID, "day": "1/3/2024"}, [("day", "bad_date")]),
    ({**VALID, "day": "2024-3-1"}, [("day", "bad_date")]),
    ({**VALID, "later": "2024-02-01"}, [("later", "constraint")]),
    ({**VALID, "yn": False, "later": "1999-01-01"}, []),
    ({**VALID, "yn": False, "later": "not a date"}, []),
    ({**VALID, "yn": True, "later": None}, [("later", "required")]),
    ({**VALID, "day": "bad", "later": "2000-01-01"}, [("day", "bad_date")]),
    ({**VALID, "where": {"lat": 91, "lon": 105}}, [("where", "bad_geopoint")]),
    ({**VALID, "where": {"lat": 21, "lon": 105, "accuracy": -1}}, [("where", "bad_geopoint")]),
    ({**VALID, "where": {"lat": 21, "lon": 105, "alt": 3}}, [("where", "bad_geopoint")]),
    ({**VALID, "where": {"lat": "21", "lon": 105}}, [("where", "bad_geopoint")]),
    ({**VALID, "where": [21, 105]}, [("where", "bad_geopoint")]),
    ({**VALID, "where": {"lat": 48.85, "lon": 2.35}}, [("where", "outside_area")]),
    ({**VALID, "where": {"lat": 8.65, "lon": 111.92}}, []),
    ({**VALID, "pic": "../etc/passwd"}, [("pic", "bad_photo")]),
    ({**VALID, "pic": "a" * 201}, [("pic", "bad_photo")]),
    ({**VALID, "pic": {"data": "base64…"}}, [("pic", "bad_photo")]),
    ({"n": True, "yn": "yes", "one": "c", "txt": "toolong", "day": "2024-13-01", "where": {"lat": 0, "lon": 0},
      "pic": "x/y", "info": 1, "extra": 0},
     [("extra", "unknown_field"), ("n", "not_integer"), ("yn", "wrong_type"), ("one", "not_a_choice"),
      ("info", "read_only"), ("txt", "too_long"), ("day", "bad_date"), ("where", "outside_area"), ("pic", "bad_photo")]),
]


@pytest.mark.parametrize(("answers", "expected"), CASES)
def test_validation_table(answers: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert [(p.field, p.code) for p in validate(EVERY_TYPE, answers)] == expected


def test_the_table_triggers_every_problem_code() -> None:
    triggered = {code for _, expected in CASES for _, code in expected}
    assert triggered == set(MESSAGES)


def test_problems_carry_msgids_params_and_the_forms_own_texts() -> None:
    problems = {p.field: p for p in validate(EVERY_TYPE, {**VALID, "n": 11, "txt": "abcdefg", "part": 9})}
    assert problems["n"] == Problem("n", "above_max", "The value must be at most %(max)s.", {"max": 10})
    assert problems["txt"].params == {"max_length": 5}
    assert problems["part"].texts == {"vi": "Không được lớn hơn tổng số.", "en": "Cannot be more than the total."}
    catalog = {"The value must be at most %(max)s.": "Giá trị không được lớn hơn %(max)s."}
    gettext = lambda msgid: catalog.get(msgid, msgid)  # noqa: E731
    assert problems["n"].render(gettext, "vi") == "Giá trị không được lớn hơn 10."
    assert problems["txt"].render(gettext, "vi") == "The text is too long: at most 5 characters."
    assert problems["part"].render(gettext, "vi") == "Không được lớn hơn tổng số."
    assert problems["part"].render(gettext, "en") == "Cannot be more than the total."


def test_clean_normalises_drops_skipped_answers_and_computes_percents() -> None:
    answers = {**VALID, "n": 3.0, "d": 1, "yn": False, "later": "whatever", "txt": "  abc "}
    cleaned = clean(EVERY_TYPE, answers)
    assert cleaned == {"n": 3, "d": 1.0, "total": 8, "part": 2, "share": 25.0, "yn": False, "one": "a",
                       "many": ["x", "y"], "txt": "abc", "day": "2024-02-29",
                       "where": {"lat": 21.0285, "lon": 105.8542, "accuracy": 12.0}, "pic": "IMG_0042.jpg"}
    assert type(cleaned["n"]) is int and type(cleaned["d"]) is float
    assert clean(EVERY_TYPE, {**VALID, "part": 1, "total": 3})["share"] == 33.33
    assert "share" not in clean(EVERY_TYPE, {**VALID, "part": 0, "total": 0})


def test_clean_refuses_invalid_answers_with_every_problem() -> None:
    with pytest.raises(InvalidAnswers) as refused:
        clean(EVERY_TYPE, {"n": -5})
    assert [(p.field, p.code) for p in refused.value.problems] == [("n", "below_min"), ("yn", "required")]


ANNUAL_OK = {
    "period_year": 2025, "children_total": 1450, "c1_protection_officer": True, "c1_village_collaborators": True,
    "c1_board_meets_regularly": True, "c1_budget_allocated": False, "c2_births_total": 96, "c2_births_registered": 95,
    "c3_abused_children": 0, "c4_children_offending": 1, "c5_accident_deaths": 0, "c5_injured_children": 6,
    "c6_special_total": 40, "c6_special_supported": 39, "c6_severe_cases": 1, "c6_severe_cases_with_plan": 1,
    "c7_under1_total": 92, "c7_under1_immunised": 91, "c8_under5_total": 480, "c8_under5_underweight": 22,
    "c8_under5_stunted": 31, "c9_checkup_due": 1200, "c9_checkup_done": 1130, "c10_age5_total": 101,
    "c10_age5_in_preschool": 101, "c10_age6_14_total": 980, "c10_age6_14_in_school": 975,
    "c11_children_club_active": True, "c11_decisions_total": 4, "c12_activities": 5, "c12_pupils_total": 1050,
    "c12_pupils_swim_taught": 610,
}


def test_a_real_annual_submission_reports_every_broken_numerator_at_once() -> None:
    annual = registry.get_form("commune-annual", 1)
    assert validate(annual, ANNUAL_OK) == []
    broken = {**ANNUAL_OK, "c2_births_registered": 97, "c7_under1_immunised": 93, "c9_checkup_done": -1,
              "c11_decisions_consulted": 5}
    del broken["c3_abused_children"]
    problems = validate(annual, broken)
    assert [(p.field, p.code) for p in problems] == [
        ("c2_births_registered", "constraint"), ("c3_abused_children", "required"),
        ("c7_under1_immunised", "constraint"), ("c9_checkup_done", "below_min"),
        ("c11_decisions_consulted", "constraint")]
    assert problems[0].texts["vi"].startswith("Số trẻ được đăng ký khai sinh đúng hạn không được lớn hơn")
    assert clean(annual, ANNUAL_OK)["c2_births_registered_pct"] == 98.96


PARTICIPATION_OK = {"activity_date": "2025-05-31", "kind": "forum", "children_total": 42, "girls": 23, "boys": 19,
                    "ethnic_minority": 11, "with_disability": 2, "topics": ["play", "injury_drowning"],
                    "children_requests": "Các em đề nghị rào ao gần sân chơi và mở lớp dạy bơi mùa hè.",
                    "about_commune_decision": True, "decision_title": "Kế hoạch hè 2025",
                    "commune_answered": True, "answered_date": "2025-06-15"}


def test_skip_logic_and_constraints_of_the_participation_form() -> None:
    form = registry.get_form("child-participation", 1)
    assert validate(form, PARTICIPATION_OK) == []
    not_answered = {**PARTICIPATION_OK, "commune_answered": False, "about_commune_decision": False}
    assert validate(form, not_answered) == []  # the hidden answers are dropped, not errors
    assert "answered_date" not in clean(form, not_answered)
    assert "decision_title" not in clean(form, not_answered)
    wrong = {**PARTICIPATION_OK, "boys": 20, "with_disability": 43, "answered_date": "2025-05-30",
             "topics": ["other"]}
    assert [(p.field, p.code) for p in validate(form, wrong)] == [
        ("boys", "constraint"), ("with_disability", "constraint"), ("topics_other", "required"),
        ("answered_date", "constraint")]


def test_the_satisfaction_age_band_must_match_the_respondent() -> None:
    form = registry.get_form("satisfaction", 1)
    assert validate(form, {"respondent": "child", "age_band": "age_11_15", "overall": "satisfied"}) == []
    problems = validate(form, {"respondent": "adult", "age_band": "age_6_10", "overall": "satisfied"})
    assert [(p.field, p.code) for p in problems] == [("age_band", "constraint")]
