"""The shipped form definitions: they load, collect every indicator, and published ones never change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from forms import registry
from forms.hashes import publish_hashes, read_recorded
from forms.loader import DEFINITIONS_DIR, FormDefinitionError, definition_files
from forms.model import FormVersion
from forms.registry import FormNotAccepted, load_all

# The contract with scoring/ (domain indicators.md), written out here on purpose.
DATA_DICTIONARY = [
    "c1_protection_officer", "c1_village_collaborators", "c1_board_meets_regularly", "c1_budget_allocated",
    "c2_births_total", "c2_births_registered", "c3_abused_children", "c4_children_offending",
    "c5_accident_deaths", "c5_injured_children", "children_total", "c6_special_total", "c6_special_supported",
    "c6_severe_cases", "c6_severe_cases_with_plan", "c7_under1_total", "c7_under1_immunised", "c8_under5_total",
    "c8_under5_underweight", "c8_under5_stunted", "c9_checkup_due", "c9_checkup_done", "c10_age5_total",
    "c10_age5_in_preschool", "c10_age6_14_total", "c10_age6_14_in_school", "c11_forum_held",
    "c11_decisions_total", "c11_decisions_consulted", "c11_children_club_active", "c12_safe_play_area",
    "c12_activities", "c12_pupils_total", "c12_pupils_swim_taught", "c13_respondents", "c13_satisfied",
]
BOOLEANS = {"c1_protection_officer", "c1_village_collaborators", "c1_board_meets_regularly", "c1_budget_allocated",
            "c11_forum_held", "c11_children_club_active", "c12_safe_play_area"}


@pytest.fixture()
def definitions(tmp_path: Path) -> Path:
    """A copy of the shipped definitions to break on purpose."""
    copy = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS_DIR, copy)
    return copy


def test_every_shipped_file_loads_and_the_five_forms_are_published() -> None:
    forms = registry.list_forms()
    assert len(forms) == len(definition_files(DEFINITIONS_DIR)) == 6
    for form_id in ("commune-annual", "play-area", "child-participation", "satisfaction", "commune-2014"):
        assert registry.latest(form_id).version == 1
        assert registry.check_accepting(form_id, 1).status == "published"
    assert registry.get_form("play-area", 2).status == "draft"


def test_every_data_dictionary_key_is_collected_by_the_annual_form_with_the_right_type() -> None:
    annual = registry.get_form("commune-annual", 1)
    by_indicator = {field.indicator: field for field in annual.fields if field.indicator}
    assert sorted(by_indicator) == sorted(DATA_DICTIONARY)
    for key in DATA_DICTIONARY:
        field = by_indicator[key]
        assert field.key == key
        assert field.type == ("yes_no" if key in BOOLEANS else "integer")
        if field.type == "integer":
            assert field.min == 0, key
    assert annual.field_map["period_year"].required


def test_every_numerator_is_constrained_to_its_denominator_with_a_message() -> None:
    annual = registry.get_form("commune-annual", 1)
    percents = [field for field in annual.fields if field.type == "percent"]
    assert len(percents) == 12
    for percent in percents:
        numerator = annual.field_map[percent.numerator]
        assert numerator.constraint == {"<=": [{"var": numerator.key}, {"var": percent.denominator}]}
        assert numerator.constraint_message["vi"] and numerator.constraint_message["en"]


def test_every_group_of_the_annual_form_is_one_criterion() -> None:
    groups = [group.key for group in registry.get_form("commune-annual", 1).groups]
    assert groups == ["general"] + [f"c{n}" for n in range(1, 14)]


def test_the_2014_form_collects_every_key_of_vn_2014_the_annual_form_does_not() -> None:
    from forms.indicators import LEGACY_2014
    from scoring import load_rules

    form = registry.get_form("commune-2014", 1)
    collected = {field.indicator: field for field in form.fields if field.indicator}
    assert sorted(collected) == sorted(LEGACY_2014)
    annual = {field.indicator for field in registry.get_form("commune-annual", 1).fields if field.indicator}
    assert set(load_rules("vn-2014").indicators) <= annual | set(collected)
    for key, kind in LEGACY_2014.items():
        field = collected[key]
        assert field.required and field.type == {"bool": "yes_no", "percent": "decimal"}[kind]
        if kind == "percent":
            assert (field.min, field.max) == (0, 100)


def test_client_json_is_plain_json_that_rebuilds_the_same_form() -> None:
    for form in registry.list_forms():
        data = json.loads(json.dumps(form.to_client_json()))
        assert FormVersion.model_validate(data) == form
        assert data["groups"][0]["fields"][0]["label"].keys() == {"vi", "en"}


def test_every_published_file_matches_its_recorded_hash() -> None:
    recorded = read_recorded(DEFINITIONS_DIR)
    published = [form for form in registry.list_forms() if form.status != "draft"]
    assert sorted(recorded) == sorted(f"{form.form_id}/{form.version}" for form in published)
    assert publish_hashes(DEFINITIONS_DIR) == {}  # nothing new, and every recorded file checked


def test_a_changed_published_file_is_refused(definitions: Path) -> None:
    path = definitions / "satisfaction" / "v1.yaml"
    path.write_bytes(path.read_bytes().replace("Độ tuổi".encode(), "Nhóm tuổi".encode(), 1))
    with pytest.raises(FormDefinitionError, match=r"satisfaction/v1.yaml: satisfaction/1 is published and must "
                                                  r"never change.*new version file"):
        load_all(definitions)
    with pytest.raises(FormDefinitionError, match="must never change"):
        publish_hashes(definitions)


def test_a_retired_version_loads_flagged_and_is_refused_for_new_submissions(definitions: Path) -> None:
    path = definitions / "play-area" / "v1.yaml"
    path.write_bytes(path.read_bytes().replace(b"status: published", b"status: retired"))
    forms = load_all(definitions)
    assert forms.get_form("play-area", 1).status == "retired"
    with pytest.raises(FormNotAccepted) as refused:
        forms.check_accepting("play-area", 1)
    assert refused.value.code == "retired"
    assert refused.value.message == "This form version is retired: refresh to get the new version."
    with pytest.raises(FormNotAccepted, match="no published version"):
        forms.latest("play-area")


def test_retiring_allows_no_other_change(definitions: Path) -> None:
    path = definitions / "play-area" / "v1.yaml"
    content = path.read_bytes().replace(b"status: published", b"status: retired")
    path.write_bytes(content.replace(b"max_length: 120", b"max_length: 150", 1))
    with pytest.raises(FormDefinitionError, match="must never change"):
        load_all(definitions)


def test_unknown_and_draft_versions_are_not_accepted() -> None:
    for form_id, version, code in (("play-area", 9, "unknown"), ("no-such-form", 1, "unknown"), ("play-area", 2, "draft")):
        with pytest.raises(FormNotAccepted) as refused:
            registry.check_accepting(form_id, version)
        assert refused.value.code == code
        assert refused.value.params["form_id"] == form_id


def test_a_new_published_version_needs_its_hash_recorded_by_publish_hashes(definitions: Path) -> None:
    path = definitions / "play-area" / "v2.yaml"
    path.write_bytes(path.read_bytes().replace(b"status: draft", b"status: published"))
    with pytest.raises(FormDefinitionError, match=r"not recorded in published\.json: call forms\.hashes\.publish_hashes"):
        load_all(definitions)
    assert list(publish_hashes(definitions)) == ["play-area/2"]
    assert load_all(definitions).latest("play-area").version == 2
    assert "play-area/2" in json.loads((definitions / "published.json").read_text())


def test_a_published_version_cannot_go_back_to_draft(definitions: Path) -> None:
    path = definitions / "child-participation" / "v1.yaml"
    path.write_bytes(path.read_bytes().replace(b"status: published", b"status: draft"))
    with pytest.raises(FormDefinitionError, match="cannot become a draft again"):
        load_all(definitions)


DRAFT = """form_id: demo
version: 1
status: draft
title: {vi: "Thử", en: "Demo"}
description: {vi: "Thử", en: "Demo"}
groups:
  - key: one
    title: {vi: "Một", en: "One"}
    fields:
FIELDS
"""


@pytest.mark.parametrize(("fields", "message"), [
    ('      - {key: a, type: integer, label: {vi: "A", en: "A"}}\n'
     '      - {key: a, type: integer, label: {vi: "B", en: "B"}}', r"field 'a': key used twice"),
    ('      - {key: a, type: integer, label: {vi: "A", en: "A"}, relevant: {"==": [{var: b}, 1]}}\n'
     '      - {key: b, type: integer, label: {vi: "B", en: "B"}}', r"field 'a': relevant reads 'b', which is not an earlier"),
    ('      - {key: a, type: integer, label: {vi: "A"}}', r"fields\[0\] \(key 'a'\).*label.*languages"),
    ('      - {key: a, type: integer, label: {vi: "A", en: ""}}', r"empty text in \['en'\]"),
    ('      - {key: a, type: integer, label: {vi: "A", en: "A"}, constraint: {"~": [1, 2]}}', "unknown operator '~'"),
    ('      - {key: a, type: integer, label: {vi: "A", en: "A"}, constraint: {"<=": [{var: a}, 1]}}',
     "constraint_message"),
    ('      - {key: a, type: colour, label: {vi: "A", en: "A"}}', r"fields\[0\] \(key 'a'\).*colour"),
    ('      - {key: a, type: select_one, label: {vi: "A", en: "A"}, choices: [{key: x, label: {vi: "X", en: "X"}},'
     ' {key: x, label: {vi: "Y", en: "Y"}}]}', r"choice keys used twice: \['x'\]"),
    ('      - {key: a, type: percent, numerator: b, denominator: c, label: {vi: "A", en: "A"}}',
     "numerator 'b' is not an earlier integer field"),
    ('      - {key: a, type: yes_no, indicator: c2_births_total, label: {vi: "A", en: "A"}}',
     "indicator 'c2_births_total' is a count: it needs a integer field"),
    ('      - {key: a, type: integer, indicator: c99_made_up, label: {vi: "A", en: "A"}}', "not in the data dictionary"),
    ('      - {key: a, type: integer, maximum: 3, label: {vi: "A", en: "A"}}', "maximum.*Extra inputs"),
])
def test_an_invalid_definition_is_refused_naming_the_file_and_field(tmp_path: Path, fields: str, message: str) -> None:
    path = tmp_path / "demo" / "v1.yaml"
    path.parent.mkdir()
    path.write_text(DRAFT.replace("FIELDS", fields), encoding="utf-8")
    with pytest.raises(FormDefinitionError, match=message) as refused:
        load_all(tmp_path)
    assert str(path) in str(refused.value)


def test_a_file_must_be_named_after_its_form_and_version(tmp_path: Path) -> None:
    path = tmp_path / "demo" / "v2.yaml"
    path.parent.mkdir()
    path.write_text(DRAFT.replace("FIELDS", '      - {key: a, type: integer, label: {vi: "A", en: "A"}}'))
    with pytest.raises(FormDefinitionError, match=r"so it must be demo/v1\.yaml"):
        load_all(tmp_path)


def test_renamed_from_must_name_a_field_of_an_earlier_version(definitions: Path) -> None:
    path = definitions / "play-area" / "v2.yaml"
    path.write_bytes(path.read_bytes().replace(b"renamed_from: [adult_present]", b"renamed_from: [adult_there]"))
    with pytest.raises(FormDefinitionError, match="renamed_from 'adult_there' must be a field of an earlier version"):
        load_all(definitions)
