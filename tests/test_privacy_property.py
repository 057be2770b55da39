"""Nothing public lets a reader work out a count between 1 and 4 of a sensitive indicator (issue 13, item 7).

"Reveal" means: the values of the count consistent with everything published (tests/disclosure.py
enumerates them with the real engine) all lie in 1..4 — the reader learns "at least one and fewer
than five", or pins the number. A set with 0 in it, or with a value of 5 or more, reveals nothing of
the kind. Checked for every listed commune of the demo (through its real downloads), for generated
communes (hypothesis), and for two revisions of a list read together, where a reviewer corrected a
figure that is not sensitive and the sensitive counts stayed the same.
"""

from __future__ import annotations

import asyncio
import copy
import csv
import io
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from disclosure import Revision, consistent_values, reveals
from public_data import example_indicators
from scoring import list_rules, load_rules, score
from server.maps import privacy

RULES = load_rules("vn-2019")
SENSITIVE = sorted(k for k in privacy.SENSITIVE_KEYS if k in RULES.indicators)
OPEN_KEYS = ["c2_births_registered", "c7_under1_immunised", "c9_checkup_done", "c13_satisfied", "c12_activities",
             "c1_budget_allocated", "c11_forum_held"]


def _revision(commune_type: str, indicators: dict) -> Revision:
    result = score(RULES, commune_type, indicators).model_dump(mode="json")
    return Revision(view=privacy.public_result(result), commune_type=commune_type, indicators=indicators)


def _assert_nothing_revealed(revisions: list[Revision], truth: dict) -> None:
    for key in SENSITIVE:
        values = consistent_values("vn-2019", key, revisions)
        assert not reveals(values), (key, truth[key], values, revisions[-1].view)
        if truth[key] in range(13):
            assert truth[key] in values, (key, truth[key], values)  # the search finds the truth itself


# ---------------------------------------------------------------- the rule can fail

def test_without_joining_criteria_3_to_5_a_recognised_commune_reveals_one_abused_child() -> None:
    """The negative control: publishing criterion 3 as a goal of its own pins "exactly one"."""
    indicators = example_indicators("phuong-urban-ward") | {"c3_abused_children": 1}
    result = score(RULES, "other", indicators)
    assert result.certified
    alone = privacy.public_result(result.model_dump(mode="json"), together=())
    values = consistent_values("vn-2019", "c3_abused_children",
                               [Revision(view=alone, commune_type="other", indicators=indicators)], together=())
    assert values == {1} and reveals(values)
    _assert_nothing_revealed([_revision("other", indicators)], indicators)


def test_reveals_is_what_the_readme_says() -> None:
    assert reveals({1}) and reveals({1, 2, 3, 4}) and reveals({2})
    assert not reveals({0, 1}) and not reveals({1, 5}) and not reveals({0}) and not reveals(set(range(2, 13)))


# ---------------------------------------------------------------- generated communes

@st.composite
def near_recognised(draw: st.DrawFn) -> tuple[str, dict]:
    """A good commune with a few figures changed: close to the thresholds, where leaks would hide."""
    values = copy.deepcopy(example_indicators(draw(st.sampled_from(["phuong-urban-ward", "xa-other"]))))
    for key in draw(st.lists(st.sampled_from(SENSITIVE), max_size=3, unique=True)):
        indicator = RULES.indicators[key]
        if indicator.denominator:
            values[key] = draw(st.integers(0, values[indicator.denominator]))
        else:
            values[key] = draw(st.integers(0, 8))
            for other, spec in RULES.indicators.items():
                if spec.denominator == key:
                    values[other] = min(values[other], values[key])
    for key in draw(st.lists(st.sampled_from(OPEN_KEYS), max_size=2, unique=True)):
        indicator = RULES.indicators[key]
        if indicator.type == "bool":
            values[key] = draw(st.booleans())
        elif indicator.denominator:
            total = values[indicator.denominator]
            values[key] = draw(st.integers(max(0, total - total // 8), total))
        else:
            values[key] = draw(st.integers(0, 5))
    return draw(st.sampled_from(["urban_ward", "other", "mountain_island_difficult"])), values


# Each example searches 10 counts × 13 values with the engine (~1 s): a fixed size, not the profile's 200.
@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_recognised())
def test_generated_communes_reveal_no_small_count(commune: tuple[str, dict]) -> None:
    commune_type, indicators = commune
    _assert_nothing_revealed([_revision(commune_type, indicators)], indicators)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_recognised(), st.sampled_from(OPEN_KEYS), st.data())
def test_two_revisions_read_together_reveal_no_small_count(commune: tuple[str, dict], corrected: str,
                                                           data: st.DataObject) -> None:
    commune_type, first = commune
    second = dict(first)
    indicator = RULES.indicators[corrected]
    if indicator.type == "bool":
        second[corrected] = not first[corrected]
    elif indicator.denominator:
        second[corrected] = data.draw(st.integers(0, first[indicator.denominator]))
    else:
        second[corrected] = data.draw(st.integers(0, 6))
    _assert_nothing_revealed([_revision(commune_type, first), _revision(commune_type, second)], first)


# ---------------------------------------------------------------- the demo, through its real downloads

@pytest.mark.slow
def test_every_published_figure_of_the_demo_reveals_no_small_count(db, app) -> None:
    from litestar.testing import TestClient

    from server.core.tables import CertificationEntry, Score
    from server.demo import load_demo

    asyncio.run(load_demo(communes_with_data=30, progress=lambda _: None))
    with TestClient(app=app, base_url="http://127.0.0.1:8000") as client:
        period = int(re.findall(r"/public/(\d+)\"", client.get("/public").text)[0])
        list_id = int(re.findall(rf"/public/{period}/lists/(\d+)", client.get(f"/public/{period}").text)[0])
        rows = list(csv.reader(io.StringIO(client.get(
            f"/public/{period}/lists/{list_id}/download/list.csv").content.decode("utf-8-sig"))))
        by_code = {row[0]: row for row in rows[1:]}
        goal_rows = list(csv.reader(io.StringIO(client.get(
            f"/public/{period}/lists/{list_id}/download/figures.csv").content.decode("utf-8-sig"))))
        features = json.loads(client.get(f"/public/{period}/map/geojson").content)["features"]
        listed = {f["properties"]["code"]: f["properties"] for f in features if f["properties"]["goals"]}
        entries = CertificationEntry.select(CertificationEntry.commune.code, CertificationEntry.commune_type,
                                            CertificationEntry.score).where(
            CertificationEntry.certification_list == list_id).run_sync()
        assert len(entries) == len(by_code) == len(listed) == 20
        for entry in entries:
            stored = Score.objects().where(Score.id == entry["score"]).first().output(load_json=True).run_sync()
            view = privacy.public_result(stored.result)
            code = entry["commune.code"]
            # What the downloads and the map say is the public view, and nothing more.
            assert by_code[code][5] == f"{view.reached}/{len(view.goals)}"
            assert [cell == by_code[code][6] for cell in by_code[code][6:]] and len(by_code[code]) == 6 + len(view.goals)
            assert [row[4] for row in goal_rows if row[0] == code] == \
                [("Có" if goal.reached else "Không") for goal in view.goals]
            assert listed[code]["goals_reached"] == view.reached
            assert set(listed[code]) == {"code", "name", "category", "category_label", "goals_reached", "goals",
                                         "provisional", "commune_type", "population"}
            page = client.get(f"/public/{period}/communes/{code}").text
            assert not re.search(rf"\b{stored.total}\b", page), code  # no total anywhere on the page
            _assert_nothing_revealed([Revision(view=view, commune_type=entry["commune_type"],
                                               indicators=stored.indicators)], stored.indicators)


@st.composite
def any_commune(draw: st.DrawFn, rule_id: str) -> tuple[str, dict]:
    """Any valid input of a rule set, counts of harm mostly small, shares mostly high (near recognition)."""
    rules = load_rules(rule_id)
    values: dict = {}
    for key, indicator in rules.indicators.items():
        if indicator.type == "bool":
            values[key] = draw(st.booleans())
        elif indicator.type == "percent":
            values[key] = draw(st.sampled_from([0, 1, 2, 50, 90, 98, 100]))
        elif indicator.denominator is None:
            values[key] = draw(st.sampled_from([0, 0, 1, 2, 3, 5, 9, 40, 300, 2000]))
    for key, indicator in rules.indicators.items():
        if indicator.type == "count" and indicator.denominator is not None:
            total = values[indicator.denominator]
            values[key] = draw(st.sampled_from(sorted({0, total // 2, max(0, total - 1), total})))
    return draw(st.sampled_from(sorted(rules.thresholds))), values


@pytest.mark.slow
@pytest.mark.parametrize("rule_id", list_rules())
def test_every_rule_set_reveals_no_small_count(rule_id: str) -> None:
    """A rule set's goals (PUBLISHED_TOGETHER) are checked like vn-2019's, on any valid input."""
    rules = load_rules(rule_id)
    sensitive = sorted(k for k in privacy.SENSITIVE_KEYS if k in rules.indicators)

    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(any_commune(rule_id))
    def check(commune: tuple[str, dict]) -> None:
        commune_type, indicators = commune
        result = score(rules, commune_type, indicators).model_dump(mode="json")
        revision = Revision(view=privacy.public_result(result), commune_type=commune_type, indicators=indicators)
        for key in sensitive:
            values = consistent_values(rule_id, key, [revision])
            assert not reveals(values), (rule_id, key, indicators[key], values, revision.view)

    check()
