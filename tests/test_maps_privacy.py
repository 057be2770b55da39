"""Public figures never identify a child: sensitive counts below 5 are shown as "< 5"."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest

from public_data import build_scenario, failing_indicators, make_list, recognised_indicators
from server.maps import privacy


@pytest.mark.parametrize(("key", "value", "shown"), [
    ("c3_abused_children", 0, "< 5"), ("c3_abused_children", 1, "< 5"), ("c3_abused_children", 4, "< 5"),
    ("c3_abused_children", 5, 5), ("c4_children_offending", 2, "< 5"), ("c5_accident_deaths", 3, "< 5"),
    ("c5_injured_children", 9, 9), ("c6_severe_cases", 1, "< 5"), ("c8_under5_stunted", 4, "< 5"),
    ("children_total", 3, 3), ("c2_births_total", 2, 2), ("c1_protection_officer", True, True),
    ("c12_activities", 1, 1),
])
def test_public_count(key: str, value: object, shown: object) -> None:
    assert privacy.public_count(key, value) == shown


def test_every_sensitive_key_is_an_indicator_of_the_dictionary() -> None:
    from forms.indicators import INDICATORS

    assert privacy.SENSITIVE_KEYS <= set(INDICATORS)
    assert {"c3_abused_children", "c4_children_offending", "c5_accident_deaths", "c5_injured_children"} \
        <= privacy.SENSITIVE_KEYS


def test_a_line_with_a_small_sensitive_count_loses_its_ratio() -> None:
    line = {"id": "5.2", "inputs": {"c5_injured_children": 3, "children_total": 2400}, "ratio": "3/2400",
            "value": "1.25", "unit": "‰", "points": 25, "max": 25}
    public = privacy.public_line(line)
    assert public["inputs"] == {"c5_injured_children": "< 5", "children_total": 2400}
    assert public["ratio"] is None and public["value"] is None and public["suppressed"]
    large = privacy.public_line({**line, "inputs": {"c5_injured_children": 12, "children_total": 2400}})
    assert large["ratio"] == "3/2400" and not large["suppressed"]


@pytest.fixture()
def scenario(world: dict) -> dict:
    return build_scenario(world, recognised=2, failing=0)


def test_pages_and_downloads_show_small_counts_as_less_than_5(client, world: dict, scenario: dict) -> None:
    period = scenario["period"]
    communes = scenario["communes"]
    three_accidents = recognised_indicators() | {"c5_accident_deaths": 3, "c5_injured_children": 2}
    seven_injured = recognised_indicators() | {"c5_injured_children": 7}
    asyncio.run(make_list(period, scenario["area"], world["users"]["admin"],
                          [(communes[0], failing_indicators(abused=2)), (communes[1], three_accidents),
                           (communes[2], seven_injured)], revision=2))
    page = client.get(f"/public/{period.id}/communes/{communes[0].code}").text
    assert "&lt; 5" in page
    figures = client.get(f"/public/{period.id}/lists/{_list_id(client, period.id)}/download/figures.csv")
    rows = list(csv.reader(io.StringIO(figures.content.decode("utf-8-sig"))))
    cells = {(row[0], row[2]): row[4] for row in rows[1:]}
    assert cells[(communes[0].code, "3.1")] == "c3_abused_children = < 5"
    assert cells[(communes[1].code, "5.1")] == "c5_accident_deaths = < 5"
    assert cells[(communes[1].code, "5.2")].startswith("c5_injured_children = < 5")
    assert cells[(communes[2].code, "5.2")].startswith("c5_injured_children = 7")
    text = figures.content.decode("utf-8-sig")
    assert "c3_abused_children = 2" not in text and "c5_accident_deaths = 3" not in text


def _list_id(client, period_id: int) -> int:
    import re

    page = client.get(f"/public/{period_id}").text
    ids = [int(i) for i in re.findall(rf"/public/{period_id}/lists/(\d+)", page)]
    assert ids, page
    return max(ids)


