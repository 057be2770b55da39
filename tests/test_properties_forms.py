"""Property-based tests of form validation, for every shipped form version (drafts included).

Whatever a phone, a script or an attacker sends as answers, `forms.validate` returns a list of
problems (field, code, message) and never raises; answers it accepts are cleaned without error,
and one bad value among good answers is reported on that field.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms import registry as form_registry
from forms.model import FormVersion
from forms.validate import MESSAGES, Problem, clean, validate
from server.collection.samples import sample_answers

FORMS = form_registry.list_forms()
IDS = [f"{form.form_id}-v{form.version}" for form in FORMS]
QUICK = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: conftest's profile

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text()
    | st.sampled_from(["", " ", "2026-02-30", "2026-01-01", "0", "1e309", "NaN", "{{7*7}}", "'; DROP TABLE unit;--",
                       "<script>alert(1)</script>", "\u0000", "\ud800", "a" * 6000]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)


def plausible(field) -> st.SearchStrategy:
    """Values near what the field wants, so that hypothesis also reaches the range and constraint checks."""
    choices = [c.key for c in getattr(field, "choices", [])]
    near = {
        "integer": st.integers(-5, 5000) | st.floats(-1, 5000),
        "decimal": st.floats(allow_nan=True) | st.integers(),
        "yes_no": st.booleans(),
        "select_one": st.sampled_from(choices) if choices else st.text(),
        "select_many": st.lists(st.sampled_from(choices), max_size=4) if choices else st.lists(st.text()),
        "text": st.text(max_size=600),
        "date": st.dates().map(str),
        "geopoint": st.fixed_dictionaries({"lat": st.floats(-100, 100), "lon": st.floats(-200, 200)},
                                          optional={"accuracy": st.floats(-5, 100), "alt": st.integers()}),
        "photo": st.from_regex(r"[A-Za-z0-9._/-]{0,210}", fullmatch=True),
    }.get(field.type, st.nothing())
    return near | JSON


@st.composite
def answers_for(draw: st.DrawFn, form: FormVersion) -> dict:
    answers = {}
    for field in form.fields:
        if draw(st.integers(0, 9)) < 7:
            answers[field.key] = draw(plausible(field))
    answers.update(draw(st.dictionaries(st.text(max_size=12), JSON, max_size=2)))
    return answers


def _check_problems(form: FormVersion, answers: dict, problems: list[Problem]) -> None:
    assert isinstance(problems, list)
    keys = set(form.field_map) | set(answers)
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.field in keys, problem
        assert problem.code in MESSAGES, problem
        assert problem.render(lambda text: text, "vi")  # something to show, in the form's language


@pytest.mark.parametrize("form", FORMS, ids=IDS)
@QUICK
@given(data=st.data())
def test_validate_never_raises_and_reports_by_field(form: FormVersion, data: st.DataObject) -> None:
    answers = data.draw(answers_for(form))
    problems = validate(form, answers)
    _check_problems(form, answers, problems)
    if not problems:
        stored = clean(form, answers)
        assert set(stored) <= set(form.field_map)


@pytest.mark.parametrize("form", FORMS, ids=IDS)
@QUICK
@given(seed=st.integers(0, 2**32), data=st.data())
def test_one_bad_value_among_good_answers_is_reported_on_its_field(form: FormVersion, seed: int,
                                                                  data: st.DataObject) -> None:
    good = sample_answers(form, random.Random(seed))
    assert validate(form, good) == []
    key = data.draw(st.sampled_from(sorted(good)))
    value = data.draw(JSON)
    answers = {**good, key: value}
    problems = validate(form, answers)
    _check_problems(form, answers, problems)
    if problems:
        # The bad value is blamed, or a field whose relevance or constraint reads it.
        assert any(p.field == key for p in problems) or all(
            key in str(form.field_map[p.field].constraint) + str(form.field_map[p.field].relevant)
            for p in problems if p.field in form.field_map), (key, value, problems)


@pytest.mark.parametrize("form", FORMS, ids=IDS)
@QUICK
@given(seed=st.integers(0, 2**32))
def test_sample_answers_are_valid_and_clean_is_stable(form: FormVersion, seed: int) -> None:
    answers = sample_answers(form, random.Random(seed))
    stored = clean(form, answers)
    typed = {key: value for key, value in stored.items() if form.field_map[key].type != "percent"}
    assert validate(form, typed) == []
    assert dict(clean(form, typed).items()) == stored
