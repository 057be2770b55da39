"""Rule files: both packaged sets load and say what the domain notes say; broken files fail
naming the file and the line at fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring import RuleFileError, UnknownRulesError, list_rules, load_rules, load_rules_file

RULES_DIR = Path(__file__).resolve().parent.parent / "scoring" / "rules"
VN_2019 = (RULES_DIR / "vn-2019.yaml").read_text(encoding="utf-8")


def test_packaged_rule_sets():
    assert list_rules() == ["vn-2014", "vn-2019"]
    with pytest.raises(UnknownRulesError, match="vn-2014, vn-2019"):
        load_rules("vn-2010")


def test_vn_2019_is_the_decision():
    rules = load_rules("vn-2019")
    assert (rules.source.decision, rules.source.date, rules.total_max) == ("06/QĐ-TTg", "2019-01-03", 1000)
    assert [c.max for c in rules.criteria] == [100, 50, 100, 50, 75, 125, 50, 100, 50, 100, 75, 75, 50]
    assert {name: t.points for name, t in rules.thresholds.items()} == {
        "urban_ward": 900, "mountain_island_difficult": 800, "other": 850}
    assert not any(t.provisional for t in rules.thresholds.values())
    # criteria 1, 6, 7 VERIFIED (1.4 derived); the others PROVISIONAL
    assert [c.id for c in rules.criteria if c.provisional] == [2, 3, 4, 5, 8, 9, 10, 11, 12, 13]
    assert rules.criteria[0].lines[3].derived and not rules.criteria[0].lines[3].provisional
    assert rules.conditions.no_criterion_at_zero is True


def test_vn_2019_reads_exactly_the_data_dictionary():
    from forms.indicators import INDICATORS  # the contract with forms/ (domain indicators.md)

    assert {key: item.type for key, item in load_rules("vn-2019").indicators.items()} == INDICATORS


def test_vn_2014_structure_and_verified_numbers():
    rules = load_rules("vn-2014")
    assert (len(rules.criteria), rules.total_max, rules.source.decision) == (15, 1000, "34/2014/QĐ-TTg")
    assert rules.thresholds["urban_ward"].points == 850 and not rules.thresholds["urban_ward"].provisional
    assert rules.thresholds["other"].provisional and rules.thresholds["mountain_island_difficult"].provisional
    assert rules.criteria[0].title.en.startswith("Leadership")
    assert [c.title.en for c in rules.criteria[3:]] == [f"Criterion {n}" for n in range(4, 16)]
    assert [c.title.vi for c in rules.criteria[3:]] == [f"Tiêu chí {n}" for n in range(4, 16)]
    verified_top_bands = sorted(
        (line.id, band.points) for c in rules.criteria for line in c.lines if line.kind != "boolean"
        for band in line.bands if not band.provisional)
    assert verified_top_bands == [("2.1", 50), ("3.1", 75), ("4.1", 75), ("5.1", 75), ("6.1", 75),
                                  ("7.1", 50), ("8.1", 50)]
    assert all(key.startswith(("v2014_", "c")) for key in rules.indicators)
    assert all(item.meaning for key, item in rules.indicators.items() if key.startswith("v2014_"))
    assert rules.provisional_numbers() == 36


def line_of(text: str, needle: str, after: str = "") -> int:
    """1-based line of the first `needle` after `after` in `text`."""
    start = text.index(after) if after else 0
    return text[: text.index(needle, start)].count("\n") + 1


def broken(tmp_path: Path, text: str) -> RuleFileError:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        load_rules_file(path)
    assert str(path) in str(caught.value)
    return caught.value


def replace_once(text: str, old: str, new: str, after: str = "") -> str:
    start = text.index(after) if after else 0
    at = text.index(old, start)
    return text[:at] + new + text[at + len(old):]


def test_maxima_that_do_not_add_up(tmp_path):
    text = replace_once(VN_2019, "{at_least: 98, points: 50}", "{at_least: 98, points: 55}", after='id: "7.1"')
    error = broken(tmp_path, text)
    expected = line_of(VN_2019, "max: 50", after="- id: 7\n")
    assert error.problems == [(expected, "criteria[6].max", "criterion 7: max is 50 but its lines add up to 55")]
    assert f"broken.yaml:{expected}: criteria[6].max:" in str(error)


def test_criteria_that_do_not_add_up_to_the_total(tmp_path):
    text = replace_once(VN_2019, "max: 50", "max: 60", after="- id: 13\n")
    text = replace_once(text, "{at_least: 90, points: 50, provisional: true}",
                        "{at_least: 90, points: 60, provisional: true}", after='id: "13.1"')
    error = broken(tmp_path, text)
    assert error.problems == [(line_of(VN_2019, "total_max: 1000"), "total_max",
                               "total_max is 1000 but the criteria add up to 1010")]


def test_band_gap(tmp_path):
    text = replace_once(VN_2019, "{at_least: 95, below: 98, points: 40", "{at_least: 95, below: 97.5, points: 40",
                        after='id: "7.1"')
    error = broken(tmp_path, text)
    assert error.problems == [(line_of(VN_2019, "{at_least: 98, points: 50}"), "criteria[6].lines[0].bands[0]",
                               "gap between 97.5 and 98")]


def test_band_overlap(tmp_path):
    text = replace_once(VN_2019, "{at_least: 80, below: 90, points: 35", "{at_least: 80, below: 91, points: 35",
                        after='id: "13.1"')
    error = broken(tmp_path, text)
    assert error.problems == [(line_of(VN_2019, "{at_least: 90, points: 50", after='id: "13.1"'),
                               "criteria[12].lines[0].bands[0]", "overlap with the band ending at 91")]


def test_count_bands_that_skip_a_number(tmp_path):
    text = replace_once(VN_2019, "{at_least: 2, points: 0, provisional: true}",
                        "{at_least: 3, points: 0, provisional: true}", after='id: "3.1"')
    error = broken(tmp_path, text)
    assert error.problems == [(line_of(VN_2019, "{at_least: 2, points: 0", after='id: "3.1"'),
                               "criteria[2].lines[0].bands[2]", "gap between 1 and 3")]


def test_missing_threshold_duplicate_id_and_wrong_type_all_reported(tmp_path):
    text = VN_2019.replace("  other: {points: 850}\n", "")
    text = replace_once(text, 'id: "5.2"', 'id: "5.1"')
    text = replace_once(text, "input: c3_abused_children", "input: c1_protection_officer")
    error = broken(tmp_path, text)
    assert [(line, where) for line, where, _ in error.problems] == [
        (line_of(text, "thresholds:"), "thresholds"),
        (line_of(text, "input: c1_protection_officer", after='id: "3.1"'), "criteria[2].lines[0].input"),
        (line_of(text, 'id: "5.1"', after="input: c5_accident_deaths"), "criteria[4].lines[1].id"),
        (line_of(text, "c3_abused_children: {type: count}"), "indicators.c3_abused_children"),
    ]
    assert "no threshold for commune type 'other'" in str(error)


def test_schema_errors_point_at_the_line(tmp_path):
    text = replace_once(VN_2019, "kind: boolean", "kind: yes_no")
    text = replace_once(text, "points: 15", "points: fifteen")
    error = broken(tmp_path, text)
    lines = [line for line, _, _ in error.problems]
    assert lines == [line_of(text, "- id: \"1.1\""), line_of(text, "points: fifteen")]


def test_not_yaml_and_duplicate_keys(tmp_path):
    error = broken(tmp_path, "id: vn-x\ncriteria: [\n")
    assert error.problems[0][0] == 3 and "not valid YAML" in error.problems[0][2]
    text = replace_once(VN_2019, "  c3_abused_children: {type: count}\n",
                        "  c3_abused_children: {type: count}\n  c3_abused_children: {type: bool}\n")
    error = broken(tmp_path, text)
    assert error.problems == [(line_of(text, "c3_abused_children: {type: bool}"), "indicators.c3_abused_children",
                               "duplicate key 'c3_abused_children'")]


def test_a_line_with_a_denominator_must_say_what_zero_earns(tmp_path):
    text = replace_once(VN_2019, "        not_applicable: {points: full, provisional: true}\n", "",
                        after='id: "9.1"')
    error = broken(tmp_path, text)
    assert error.problems == [(line_of(text, '- id: "9.1"'), "criteria[8].lines[0]",
                               "a line with a denominator needs not_applicable (what a denominator of 0 earns)")]


def test_a_corrected_provisional_number_is_a_file_edit(tmp_path):
    # the annex says (say) 2.1's top band is worth 50 and VERIFIED: only the file changes
    text = replace_once(VN_2019, "{at_least: 100, points: 50, provisional: true}", "{at_least: 100, points: 50}")
    path = tmp_path / "vn-2019.yaml"
    path.write_text(text, encoding="utf-8")
    rules = load_rules_file(path)
    assert rules.provisional_numbers() == load_rules("vn-2019").provisional_numbers() - 1
    assert rules.sha256 != load_rules("vn-2019").sha256
