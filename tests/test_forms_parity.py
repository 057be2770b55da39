"""The phone's evaluator and validator (forms/static/*.js, run in node) agree with the server's."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_forms_validate import ANNUAL_OK, CASES, EVERY_TYPE, PARTICIPATION_OK

from forms import registry
from forms.logic import evaluate
from forms.validate import MESSAGES, validate

STATIC = Path(__file__).resolve().parent.parent / "forms" / "static"

RUNNER = """
const logic = require(process.argv[1] + "/logic.js");
const forms = require(process.argv[1] + "/validate.js");
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const data = JSON.parse(input);
  process.stdout.write(JSON.stringify({
    logic: data.logic.map(([expr, answers]) => logic.evaluate(expr, answers)),
    validate: data.validate.map(([form, answers, lang, dates]) => forms.validate(form, answers, data.messages, lang, dates)),
  }));
});
"""


def run_in_node(logic_cases: list[tuple[Any, dict]], validate_cases: list[tuple[dict, dict, str]]) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to check that the phone's scripts agree with the server (install `nodejs`)")
    data = {"logic": logic_cases, "validate": validate_cases, "messages": MESSAGES}
    result = subprocess.run([node, "-e", RUNNER, str(STATIC)], input=json.dumps(data), capture_output=True,
                            text=True, check=True, timeout=60)
    return json.loads(result.stdout)


def typed(value: Any) -> Any:
    """A value with its JSON type made explicit, so that True never equals 1 and 3 equals 3.0."""
    if isinstance(value, bool) or value is None:
        return value, type(value).__name__
    if isinstance(value, (int, float)):
        return float(value), "number"
    if isinstance(value, list):
        return [typed(item) for item in value], "list"
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}, "object"
    return value, type(value).__name__


ANSWERS = {"a": 3, "b": 5, "f": 2.5, "yes": True, "no": False, "s": "water", "blank": "  ", "empty": [],
           "list": ["water", "traffic"], "d1": "2025-05-31", "d2": "2025-06-15", "zero": 0, "one_as_float": 1.0,
           "geo": {"lat": 21.0, "lon": 105.8}}

LOGIC_TABLE: list[tuple[Any, Any]] = [
    ({"var": "a"}, 3), ({"var": "missing"}, None), ({"var": "blank"}, None), ({"var": "empty"}, None),
    ({"var": "list"}, ["water", "traffic"]), ({"var": "zero"}, 0),
    ({"==": [{"var": "a"}, 3]}, True), ({"==": [{"var": "a"}, "3"]}, False), ({"==": [{"var": "yes"}, 1]}, False),
    ({"==": [{"var": "one_as_float"}, 1]}, True), ({"==": [{"var": "yes"}, True]}, True),
    ({"==": [{"var": "missing"}, None]}, None), ({"!=": [{"var": "missing"}, 3]}, None),
    ({"!=": [{"var": "s"}, "fire"]}, True), ({"==": [{"var": "list"}, ["water", "traffic"]]}, None),
    ({"==": [{"var": "geo"}, 1]}, None),
    ({"<=": [{"var": "a"}, {"var": "b"}]}, True), ({">": [{"var": "a"}, {"var": "b"}]}, False),
    ({"<": [{"var": "a"}, {"var": "missing"}]}, None), ({"<": [{"var": "a"}, "5"]}, None),
    ({">=": [{"var": "d2"}, {"var": "d1"}]}, True), ({"<": [{"var": "d2"}, {"var": "d1"}]}, False),
    ({"<": [{"var": "no"}, {"var": "yes"}]}, None), ({">=": [{"var": "f"}, 2.5]}, True),
    ({"and": [True, {"var": "yes"}]}, True), ({"and": [{"var": "missing"}, False]}, False),
    ({"and": [{"var": "missing"}, True]}, None), ({"and": [1, True]}, None),
    ({"or": [{"var": "missing"}, True]}, True), ({"or": [{"var": "missing"}, False]}, None),
    ({"or": [False, {"var": "no"}]}, False),
    ({"!": {"var": "yes"}}, False), ({"!": [{"var": "missing"}]}, None), ({"!": "text"}, None), ({"!": [False]}, True),
    ({"in": ["water", {"var": "list"}]}, True), ({"in": ["fire", {"var": "list"}]}, False),
    ({"in": ["water", {"var": "empty"}]}, None), ({"in": [{"var": "a"}, [1, 2, 3]]}, True),
    ({"in": [{"var": "yes"}, [1, 2]]}, False), ({"in": ["at", {"var": "s"}]}, True), ({"in": [3, {"var": "s"}]}, None),
    ({"in": [{"var": "missing"}, ["a"]]}, None),
    ({"if": [{"var": "yes"}, "then", "else"]}, "then"), ({"if": [{"var": "no"}, "then", "else"]}, "else"),
    ({"if": [{"var": "missing"}, "then", "else"]}, None), ({"if": [{"var": "a"}, "then", "else"]}, None),
    ({"+": [{"var": "a"}, {"var": "b"}]}, 8), ({"+": [0.1, 0.2]}, 0.1 + 0.2), ({"+": [1, 2, 3.5]}, 6.5),
    ({"+": [{"var": "a"}, {"var": "missing"}]}, None), ({"+": [{"var": "a"}, "1"]}, None),
    ({"+": [{"var": "yes"}, 1]}, None), ({"-": [{"var": "b"}, {"var": "a"}]}, 2), ({"-": [0.3, 0.1]}, 0.3 - 0.1),
    ({"==": [{"+": [{"var": "a"}, {"var": "b"}]}, 8]}, True),
    ({"<=": [{"-": [{"var": "b"}, {"var": "a"}]}, {"var": "missing"}]}, None),
    (["a", {"var": "a"}], ["a", 3]), ("literal", "literal"), (None, None), (7, 7),
]


def test_the_python_evaluator_gives_the_documented_results() -> None:
    for expr, expected in LOGIC_TABLE:
        assert typed(evaluate(expr, ANSWERS)) == typed(expected), expr


def _shipped_cases() -> list[tuple[dict, dict]]:
    annual = registry.get_form("commune-annual", 1).to_client_json()
    participation = registry.get_form("child-participation", 1).to_client_json()
    play = registry.get_form("play-area", 1).to_client_json()
    satisfaction = registry.get_form("satisfaction", 1).to_client_json()
    return [
        (annual, ANNUAL_OK), (annual, {}), (annual, {**ANNUAL_OK, "c2_births_registered": 97, "c8_under5_stunted": 481,
                                                     "c13_respondents": 10, "c13_satisfied": 11, "c3_abused_children": None}),
        (participation, PARTICIPATION_OK), (participation, {**PARTICIPATION_OK, "boys": 1, "answered_date": "2025-01-01",
                                                            "topics": ["other", "play"], "topics_other": " "}),
        (participation, {**PARTICIPATION_OK, "commune_answered": False, "answered_date": "garbage"}),
        (play, {"place_name": "Sân chơi thôn 3", "kind": "other", "location": {"lat": 10.77, "lon": 106.7},
                "opening": "closed", "opening_hours": "x", "adult_present": "yes", "equipment_condition": "broken",
                "hazards": ["none", "traffic"], "fenced": False, "shade": True, "toilets": True,
                "disability_access": False, "area_m2": -3}),
        (satisfaction, {"respondent": "adult", "age_band": "age_11_15", "overall": "great", "name": "x"}),
    ]


SPAN = ("2025-01-01", "2026-12-02")  # a period's span as the server gives it: its start to today
DATED = [{**PARTICIPATION_OK, "activity_date": day, "answered_date": answered}
         for day, answered in [("0001-01-01", "2025-06-15"), ("2099-12-31", "2099-12-31"), ("2024-12-31", "2025-01-01"),
                               ("2025-01-01", "2026-12-02"), ("2026-12-02", "2026-12-03")]]


def test_the_phone_evaluator_agrees_with_the_server() -> None:
    cases = [(expr, ANSWERS) for expr, _ in LOGIC_TABLE]
    results = run_in_node(cases, [])["logic"]
    assert len(results) == len(cases)
    for (expr, _), from_js in zip(cases, results):
        assert typed(from_js) == typed(evaluate(expr, ANSWERS)), expr


def test_the_phone_validator_agrees_with_the_server() -> None:
    every_type = EVERY_TYPE.to_client_json()
    cases = [(every_type, answers, "en") for answers, _ in CASES]
    cases += [(form, answers, language) for form, answers in _shipped_cases() for language in ("vi", "en")]
    participation = registry.get_form("child-participation", 1).to_client_json()
    cases += [(participation, answers, "vi", SPAN) for answers in DATED]
    results = run_in_node([], cases)["validate"]
    assert len(results) == len(cases)
    compared = 0
    for (form_json, answers, language, *dates), from_js in zip(cases, results):
        form = EVERY_TYPE if form_json is every_type else registry.get_form(form_json["form_id"], form_json["version"])
        expected = [{"field": p.field, "code": p.code, "params": p.params, "message": p.render(str, language)}
                    for p in validate(form, answers, *dates)]
        assert from_js == expected, answers
        compared += len(expected)
    assert compared > 40  # the cases really produce problems on both sides
    dated = [[problem["code"] for problem in result] for result in results[-len(DATED):]]
    assert dated == [["date_out_of_range"], ["date_out_of_range", "date_out_of_range"], ["date_out_of_range"], [],
                     ["date_out_of_range"]]
