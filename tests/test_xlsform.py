"""XLSForm export/import: every shipped version converts with pyxform and passes ODK Validate, comes
back equal from its own export, and what phuhop cannot hold is reported by sheet, row and column."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from pyxform.validators.odk_validate import ODKValidateError, check_xform
from pyxform.xls2xform import convert

from forms import logic, registry
from forms.loader import parse
from forms.xlsform import export_xlsform, next_version_in, read_xlsform
from forms.xpath import XPathError, from_xpath, to_xpath

SHIPPED = registry.list_forms()
IDS = [f"{form.form_id}-v{form.version}" for form in SHIPPED]


@pytest.mark.parametrize("form", SHIPPED, ids=IDS)
def test_export_converts_with_pyxform_and_passes_odk_validate(form, tmp_path: Path) -> None:
    warnings: list[str] = []
    result = convert(export_xlsform(form), warnings=warnings, file_type=".xlsx")
    path = tmp_path / "form.xml"
    path.write_text(result.xform, encoding="utf-8")
    check_xform(str(path))  # ODK Validate (Java); raises ODKValidateError on a bad form
    assert warnings == []
    assert f'id="{form.form_id}"' in result.xform and f'version="{form.version}"' in result.xform


def test_odk_validate_really_runs_and_refuses_a_broken_xform(tmp_path: Path) -> None:
    form = registry.get_form("play-area", 1)
    xml = convert(export_xlsform(form), file_type=".xlsx").xform
    broken = tmp_path / "broken.xml"
    broken.write_text(xml.replace('relevant=" /data/place/kind  = \'other\'"', 'relevant="/data/nowhere = 1 +"'),
                      encoding="utf-8")
    assert "/data/nowhere" in broken.read_text()
    with pytest.raises(ODKValidateError):
        check_xform(str(broken))


@pytest.mark.parametrize("form", SHIPPED, ids=IDS)
def test_import_of_the_export_gives_the_same_form(form) -> None:
    result = read_xlsform(export_xlsform(form), lambda form_id: form.version)
    assert result.errors == [] and result.warnings == []
    assert result.form.status == "draft"
    assert result.form.model_dump(exclude={"status"}) == form.model_dump(exclude={"status"})
    reread = parse(result.yaml_text.encode(), Path(f"{form.form_id}/v{form.version}.yaml"))
    assert reread == result.form


def test_export_layout_uses_both_languages_and_settings() -> None:
    book = load_workbook(io.BytesIO(export_xlsform(registry.get_form("child-participation", 1))))
    survey = list(book["survey"].iter_rows(values_only=True))
    header = survey[0]
    assert {"label::Vietnamese (vi)", "label::English (en)", "hint::Vietnamese (vi)", "relevant", "constraint",
            "required", "calculation", "constraint_message::English (en)"} <= set(header)
    rows = {row[header.index("name")]: dict(zip(header, row)) for row in survey[1:]}
    assert rows["girls"]["constraint"] == ". >= 0 and (${girls} <= ${children_total})"
    assert rows["decision_title"]["relevant"] == "${about_commune_decision} = 'yes'"
    assert rows["about_commune_decision"]["type"] == "select_one yes_no"
    assert rows["topics"]["type"].startswith("select_multiple ")
    assert rows["girls_pct"]["type"] == "calculate"
    settings_rows = list(book["settings"].iter_rows(values_only=True))
    values = dict(zip(*settings_rows))
    assert values["form_id"] == "child-participation" and values["version"] == "1"
    assert values["default_language"] == "Vietnamese (vi)"


def test_version_of_an_import_is_the_next_free_one(tmp_path: Path) -> None:
    (tmp_path / "play-area").mkdir()
    (tmp_path / "play-area" / "v5.yaml").write_text("# placeholder\n")
    result = read_xlsform(export_xlsform(registry.get_form("play-area", 1)), next_version_in(tmp_path))
    assert result.form.version == 6


def _workbook(survey: list[list], choices: list[list] | None = None, settings_rows: list[list] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    if choices:
        choice_sheet = book.create_sheet("choices")
        for row in choices:
            choice_sheet.append(row)
    settings_sheet = book.create_sheet("settings")
    for row in settings_rows or [["form_id", "form_title", "phuhop_title_en", "default_language"],
                                 ["home-visit", "Thăm hộ gia đình", "Home visit", "Vietnamese (vi)"]]:
        settings_sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER = ["type", "name", "label::Vietnamese (vi)", "label::English (en)", "constraint", "choice_filter", "appearance"]


def test_unsupported_types_and_columns_are_reported_by_sheet_row_and_column() -> None:
    content = _workbook([
        HEADER,
        ["begin_group", "visit", "Thăm", "Visit", None, None, "field-list"],
        ["integer", "children", "Số trẻ", "Children", ". >= 0", None, None],
        ["time", "arrival", "Giờ đến", "Arrival time", None, None, None],
        ["select_one towns", "town", "Xã", "Town", None, "${children} > 0", None],
        ["text", "remarks", "Ghi chú", "Remarks", None, None, "multiline"],
        ["begin_repeat", "child", "Trẻ", "Child", None, None, None],
        ["text", "child_name", "Tên", "Name", None, None, None],
        ["end_repeat", None, None, None, None, None, None],
        ["start", "started", None, None, None, None, None],
        ["end_group", None, None, None, None, None, None],
    ], choices=[["list_name", "name", "label::Vietnamese (vi)", "label::English (en)"],
                ["towns", "a", "A", "A"]])
    result = read_xlsform(content, lambda form_id: 1)
    assert result.form is None
    errors = {(p.sheet, p.row, p.column, p.cell): p.render() for p in result.errors}
    assert ("survey", 4, "type", "A4") in errors and "time is not supported" in errors[("survey", 4, "type", "A4")]
    assert ("survey", 5, "choice_filter", "F5") in errors
    assert ("survey", 7, "type", "A7") in errors and "Repeats" in errors[("survey", 7, "type", "A7")]
    assert errors[("survey", 5, "choice_filter", "F5")].startswith("survey, row 5, column choice_filter (F5): ")
    assert not any(p.row in (8,) for p in result.errors)  # rows inside the repeat are covered by its one error
    warnings = {(p.row, p.column) for p in result.warnings}
    assert (6, "appearance") in warnings  # multiline: presentation only
    assert (10, "type") in warnings  # metadata `start` is not kept


def test_missing_english_label_and_untranslatable_expression_are_reported() -> None:
    content = _workbook([
        HEADER[:5] + ["relevant"],
        ["integer", "households", "Số hộ", None, None, None],
        ["integer", "visited", "Số hộ đã thăm", "Households visited", ". <= ${households} * 2", "today() > 0"],
    ])
    result = read_xlsform(content, lambda form_id: 1)
    rendered = [p.render() for p in result.errors]
    assert any(p.row == 2 and p.column == "label::English (en)" and p.cell == "D2" for p in result.errors), rendered
    assert any(p.row == 3 and p.column == "relevant" and "today()" in p.render() for p in result.errors), rendered
    assert any(p.row == 3 and p.column == "constraint" for p in result.errors), rendered


def test_plain_designer_form_becomes_a_valid_draft() -> None:
    content = _workbook([
        ["type", "name", "label::Vietnamese (vi)", "label::English (en)", "required", "relevant", "constraint",
         "constraint_message::Vietnamese (vi)", "constraint_message::English (en)"],
        ["integer", "households", "Số hộ", "Households", "yes", None, ". >= 1 and . <= 500", None, None],
        ["select_one yes_no", "has_water", "Có nước sạch?", "Clean water?", "TRUE", None, None, None, None],
        ["integer", "visited", "Số hộ đã thăm", "Visited", None, "${has_water} = 'yes'", ". <= ${households}",
         "Không quá số hộ", "At most the households"],
    ], choices=[["list_name", "name", "label::Vietnamese (vi)", "label::English (en)"],
                ["yes_no", "yes", "Có", "Yes"], ["yes_no", "no", "Không", "No"]])
    result = read_xlsform(content, lambda form_id: 3)
    assert result.errors == [], [p.render() for p in result.errors]
    form = result.form
    assert (form.form_id, form.version, form.status) == ("home-visit", 3, "draft")
    assert form.groups[0].key == "part_1"  # questions outside a group get one (reported as a warning)
    assert any("part_1" in p.render() for p in result.warnings)
    households, water, visited = form.fields
    assert (households.min, households.max, households.required) == (1, 500, True)
    assert water.type == "yes_no" and water.required
    assert visited.relevant == {"==": [{"var": "has_water"}, True]}
    assert visited.constraint == {"<=": [{"var": "visited"}, {"var": "households"}]}
    assert logic.evaluate(visited.constraint, {"visited": 3, "households": 2}) is False


def test_cli_lists_exports_and_imports(tmp_path: Path) -> None:
    from server.cli import main

    runner = CliRunner()
    listed = runner.invoke(main, ["forms", "list"])
    assert listed.exit_code == 0 and "play-area" in listed.output and "draft" in listed.output
    target = tmp_path / "pa.xlsx"
    exported = runner.invoke(main, ["forms", "export-xlsform", "play-area", "latest", "-o", str(target)])
    assert exported.exit_code == 0, exported.output
    assert "play-area v1" in exported.output
    drafts = tmp_path / "drafts"
    imported = runner.invoke(main, ["forms", "import-xlsform", str(target), "--definitions", str(drafts)])
    assert imported.exit_code == 0, imported.output
    written = drafts / "play-area" / "v3.yaml"  # v1 and v2 are shipped
    form = parse(written.read_bytes(), written)
    assert form.status == "draft" and form.fields == registry.get_form("play-area", 1).fields
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    refused = runner.invoke(main, ["forms", "import-xlsform", str(bad), "--definitions", str(drafts)])
    assert refused.exit_code != 0 and "not an Excel workbook" in refused.output
    unknown = runner.invoke(main, ["forms", "export-xlsform", "play-area", "9", "-o", str(target)])
    assert unknown.exit_code != 0


# ---------------------------------------------------------------------- the translator

TYPES = {"n": "integer", "m": "integer", "yn": "yes_no", "many": "select_many", "one": "select_one", "t": "text"}

_numbers = st.one_of(st.integers(-1000, 1000), st.sampled_from([0.5, 2.25, -3.5]))
_words = st.sampled_from(["a", "b", "other", "none", "x y"])
_vars = st.sampled_from([{"var": "n"}, {"var": "m"}, {"var": "one"}, {"var": "t"}])


def _expressions():
    leaf = st.one_of(_numbers, _words, _vars)
    return st.recursive(leaf, lambda inner: st.one_of(
        st.builds(lambda a, b, op: {op: [a, b]}, inner, inner, st.sampled_from(["==", "!=", "<", "<=", ">", ">="])),
        # one-operand and/or is written as its operand (same meaning for relevant and constraint)
        st.builds(lambda items, op: {op: items}, st.lists(inner, min_size=2, max_size=3), st.sampled_from(["and", "or"])),
        st.builds(lambda a: {"!": a}, inner),
        st.builds(lambda a, b, c: {"if": [a, b, c]}, inner, inner, inner),
        st.builds(lambda items: {"+": items}, st.lists(inner, min_size=2, max_size=3)),
        st.builds(lambda a, b: {"-": [a, b]}, inner, inner),
        st.builds(lambda a: {"in": [a, {"var": "many"}]}, _words),
        st.builds(lambda a, items: {"in": [a, items]}, inner, st.lists(st.sampled_from(["p", "q", "r"]), min_size=1)),
        st.builds(lambda b: {"==": [{"var": "yn"}, b]}, st.booleans()),
    ), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(_expressions())
def test_translator_round_trips_any_expression(expr) -> None:
    assert from_xpath(to_xpath(logic.check(expr), TYPES), TYPES) == expr


@pytest.mark.parametrize(("xpath_text", "expected"), [
    ("${n} > 3 and ${one} = 'a'", {"and": [{">": [{"var": "n"}, 3]}, {"==": [{"var": "one"}, "a"]}]}),
    ("not(${yn} = 'no')", {"!": {"==": [{"var": "yn"}, False]}}),
    ("selected(${many}, 'none')", {"in": ["none", {"var": "many"}]}),
    ("selected('a b c', ${one})", {"in": [{"var": "one"}, ["a", "b", "c"]]}),
    ("contains(${t}, 'x')", {"in": ["x", {"var": "t"}]}),
    ("(${n} + ${m} + 1) >= -2", {">=": [{"+": [{"var": "n"}, {"var": "m"}, 1]}, -2]}),
    ('${one} = "it\'s"', {"==": [{"var": "one"}, "it's"]}),
])
def test_xpath_reads_into_our_expressions(xpath_text: str, expected) -> None:
    assert from_xpath(xpath_text, TYPES) == expected


@pytest.mark.parametrize("xpath_text", ["${nowhere} = 1", "today() > 0", "${n} * 2", ". > 1", "${n} >", "${n} = 'a"])
def test_xpath_outside_our_subset_is_refused_with_a_reason(xpath_text: str) -> None:
    with pytest.raises(XPathError):
        from_xpath(xpath_text, TYPES)
