"""The official scoring table as a spreadsheet: export → import gives back the same rules (the same
canonical sha256), and every kind of mistake is refused naming its sheet, row and cell."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import pytest
from openpyxl import load_workbook

from scoring.ruleset import canonical_json, check_document, list_rules, load_rules
from server.rules.items import document_of
from server.rules.spreadsheet import ABOUT, INDICATORS, SCORES, THRESHOLDS, export_workbook, read_workbook


@pytest.mark.parametrize("rule_id", list_rules())
def test_export_then_import_gives_back_the_same_rules(rule_id):
    shipped = load_rules(rule_id)
    read = read_workbook(export_workbook(shipped))
    assert read.errors == [] and read.warnings == []
    assert read.rules.sha256 == shipped.sha256
    assert canonical_json(read.rules) == canonical_json(shipped)
    assert (read.rules.version, read.rules.status) == (shipped.version, shipped.status)
    # the stored form of a version (what the database keeps) checks to the same hash too
    stored, problems = check_document(json.loads(json.dumps(document_of(shipped))))
    assert problems == [] and stored.sha256 == shipped.sha256


def test_the_canonical_form_ignores_how_a_number_or_a_default_is_written():
    rules = load_rules("vn-2019")
    document = document_of(rules)
    band = document["criteria"][1]["lines"][0]["bands"][1]  # 2.1: ≥ 98, < 100 → 40
    band["at_least"], band["below"] = 98.0, 100.0
    document["criteria"][0]["lines"][0]["provisional"] = False  # written out at its default
    document["version"], document["status"] = "9.9", "another edition name"
    same, _ = check_document(document)
    assert same.sha256 == rules.sha256
    band["points"] = 41
    band_moved = document["criteria"][1]["lines"][0]["bands"]
    band_moved[0]["points"] = 51
    document["criteria"][1]["max"] = 51
    document["total_max"] = 1001
    other, problems = check_document(document)
    assert problems == [] and other.sha256 != rules.sha256


def test_the_sheet_looks_like_the_annex_with_provisional_cells_highlighted():
    book = load_workbook(io.BytesIO(export_workbook(load_rules("vn-2019"))))
    assert book.sheetnames == [SCORES, THRESHOLDS, INDICATORS, ABOUT]
    sheet = book[SCORES]
    headers = [cell.value.split("\n")[0] for cell in sheet[3]]
    assert headers[:13] == ["Tiêu chí", "Tên tiêu chí (tiếng Việt)", "Tên tiêu chí (tiếng Anh)",
                            "Điểm tối đa của tiêu chí", "Điểm tối đa tạm tính", "Chỉ tiêu",
                            "Nội dung chỉ tiêu (tiếng Việt)", "Nội dung chỉ tiêu (tiếng Anh)", "Cách đo",
                            "Từ (≥ hoặc >)", "Đến (< hoặc ≤)", "Điểm", "Tạm tính"]
    assert headers[14:16] == ["Chỉ số (kỹ thuật)", "Mẫu số (kỹ thuật)"]  # the keys trail, in grey
    rows = {row[5].value: row for row in sheet.iter_rows(min_row=4) if row[5].value}
    verified, provisional = rows["1.1"], rows["2.1"]
    assert (verified[11].value, verified[11].fill.fgColor.rgb) == (50, "00000000")
    assert provisional[11].value == 50 and provisional[11].fill.fgColor.rgb.endswith("FFD8A8")
    assert provisional[12].value == "TẠM TÍNH"
    assert (provisional[9].value, provisional[14].value, provisional[15].value) == (
        "≥ 100", "c2_births_registered", "c2_births_total")
    band_rows = list(sheet.iter_rows(min_row=4, values_only=True))
    first = next(i for i, row in enumerate(band_rows) if row[5] == "2.1")
    assert [row[9:12] for row in band_rows[first:first + 5]] == [
        ("≥ 100", None, 50), ("≥ 98", "< 100", 40), ("≥ 95", "< 98", 25), (None, "< 95", 0), ("Mẫu số = 0", None, "đủ điểm")]


# ---------------------------------------------------------------- every kind of mistake names its cell

def _workbook():
    return load_workbook(io.BytesIO(export_workbook(load_rules("vn-2019"))))


def _row(book, line_id: str, band: int = 0) -> int:
    for row in book[SCORES].iter_rows(min_row=4):
        if row[5].value == line_id:
            return row[5].row + band
    raise AssertionError(line_id)


def _problems(book) -> list[str]:
    buffer = io.BytesIO()
    book.save(buffer)
    read = read_workbook(buffer.getvalue())
    assert read.document is None and read.rules is None
    return [problem.render() for problem in read.errors]


def _edit(**cells):
    def apply(book):
        for address, value in cells.items():
            sheet, cell = address.split("!")
            book[{"S": SCORES, "T": THRESHOLDS, "I": INDICATORS, "A": ABOUT}[sheet]][cell] = value
    return apply


MISTAKES = {
    "points not a number": (lambda b: b[SCORES].cell(_row(b, "1.2"), 12, "²"),
                            lambda b: f"Biểu điểm, row {_row(b, '1.2')}, column Điểm (L{_row(b, '1.2')}): "
                                      "² is not a whole number"),
    "points absurdly large": (lambda b: b[SCORES].cell(_row(b, "1.2"), 12, "1" + "0" * 5000),
                              lambda b: f"(L{_row(b, '1.2')}): 100000000000000000000000000000000000000… is not a "
                                        "whole number"),
    "points below 0": (lambda b: b[SCORES].cell(_row(b, "2.1", 1), 12, -40),
                       lambda b: f"(L{_row(b, '2.1', 1)}): -40 is below 0"),
    "a date for points": (lambda b: b[SCORES].cell(_row(b, "2.1", 1), 12, date(2019, 1, 3)),
                          lambda b: f"(L{_row(b, '2.1', 1)}): 2019-01-03 00:00:00 is not a whole number"),
    "a bound absurdly large": (lambda b: b[SCORES].cell(_row(b, "2.1", 1), 10, "≥ 1" + "0" * 5000),
                               lambda b: f"(J{_row(b, '2.1', 1)}): ≥ 1{'0' * 36}… is not a bound: write ≥ / > and a "
                                         "number"),
    "lines do not add up to the criterion": (
        lambda b: b[SCORES].cell(_row(b, "1.1"), 4, 110),
        lambda b: f"(D{_row(b, '1.1')}): Criterion 1: its maximum is 110 points but its lines add up to 100."),
    "criteria do not add up to the total": (
        _edit(**{"A!B8": 990}), lambda b: "Thông tin, row 8, column Giá trị (B8): The total maximum is 990 points "
                                          "but the criteria add up to 1000."),
    "a gap between bands": (lambda b: b[SCORES].cell(_row(b, "2.1", 2), 10, "≥ 96"),
                            lambda b: f"(J{_row(b, '2.1', 2)}): Gap: no band covers the values between 95 and 96."),
    "overlapping bands": (lambda b: b[SCORES].cell(_row(b, "2.1", 2), 10, "≥ 94"),
                          lambda b: f"(J{_row(b, '2.1', 2)}): Overlap: this band and the band ending at 95"),
    "a percentage not covered up to 100 %": (
        lambda b: b[SCORES].cell(_row(b, "2.1"), 10, "≥ 100,5"),
        lambda b: f"(J{_row(b, '2.1')}): A band starts above 100."),
    "a bound without its sign": (lambda b: b[SCORES].cell(_row(b, "2.1", 1), 11, 100),
                                 lambda b: f"(K{_row(b, '2.1', 1)}): 100 is not a bound"),
    "an unknown way of measuring": (lambda b: b[SCORES].cell(_row(b, "2.1"), 9, "Điểm cộng"),
                                    lambda b: f"(I{_row(b, '2.1')}): Choose one of:"),
    "a line reading an undeclared indicator": (
        lambda b: b[SCORES].cell(_row(b, "3.1"), 15, "c3_abused_childen"),
        lambda b: f"(O{_row(b, '3.1')}): c3_abused_childen is not an indicator of the Indicators sheet."),
    "a line id of another criterion": (lambda b: b[SCORES].cell(_row(b, "3.1"), 6, "4.1"),
                                       lambda b: f"(F{_row(b, '3.1')}): Line 4.1 must be numbered 3.1"),
    "a yes/no line with two rows": (
        lambda b: (b[SCORES].insert_rows(_row(b, "1.2")), b[SCORES].cell(_row(b, "1.1") + 1, 12, 5)),
        lambda b: f"(J{_row(b, '1.1') + 1}): A yes/no line has one row only"),
    "zero-denominator points above the line's maximum": (
        lambda b: b[SCORES].cell(_row(b, "2.1", 4), 12, 80),
        lambda b: f"(L{_row(b, '2.1', 4)}): The points for a denominator of 0 must be \"full\" or a number from 0 to 50."),
    "a threshold out of range": (_edit(**{"T!C4": 0}),
                                 lambda b: "Ngưỡng, row 4, column Ngưỡng điểm (từ … điểm trở lên) (C4): A threshold "
                                           "must be between 1 and 1000 points."),
    "a threshold missing": (lambda b: b[THRESHOLDS].delete_rows(3),
                            lambda b: "Ngưỡng, row 1, column Mã loại (kỹ thuật) (E1): There is no threshold for the "
                                      "commune type mountain_island_difficult."),
    "an unknown commune type": (_edit(**{"T!E2": "city"}), lambda b: "Ngưỡng, row 2, column Mã loại (kỹ thuật) (E2): "
                                                                     "city is not a commune type"),
    "a numerator counted out of another denominator": (
        lambda b: b[SCORES].cell(_row(b, "2.1"), 16, "children_total"),
        lambda b: f"(P{_row(b, '2.1')}): c2_births_registered is counted out of c2_births_total"),
    "an empty title": (lambda b: setattr(b[SCORES].cell(_row(b, "2.1"), 7), "value", None),
                       lambda b: f"(G{_row(b, '2.1')}): This cell must not be empty."),
    "a bad date": (_edit(**{"A!B5": "31/02/2019"}), lambda b: "Thông tin, row 5, column Giá trị (B5): Enter a date"),
    "a sheet missing": (lambda b: b.remove(b[THRESHOLDS]), lambda b: "Ngưỡng: The workbook has no sheet named Ngưỡng."),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_each_kind_of_mistake_is_refused_naming_its_cell(mistake):
    change, expected = MISTAKES[mistake]
    book = _workbook()
    wanted = expected(book)
    change(book)
    problems = _problems(book)
    assert any(wanted in problem for problem in problems), problems


def test_merged_cells_read_as_the_row_above():
    """An office that merges a criterion's cells over its rows, as the paper annex does, changes nothing."""
    book = _workbook()
    first, last = _row(book, "2.1"), _row(book, "2.1", 4)
    for column in (1, 2, 3, 4, 5):
        book[SCORES].merge_cells(start_row=first, start_column=column, end_row=last, end_column=column)
    buffer = io.BytesIO()
    book.save(buffer)
    read = read_workbook(buffer.getvalue())
    assert read.errors == [] and read.rules.sha256 == load_rules("vn-2019").sha256


def test_every_problem_is_listed_at_once():
    book = _workbook()
    book[SCORES].cell(_row(book, "1.2"), 12, "mười lăm")
    book[SCORES].cell(_row(book, "2.1", 2), 10, "≥ 96")
    book[THRESHOLDS]["C2"] = 5000
    problems = _problems(book)
    assert len(problems) == 3, problems  # the bad cell's sums are not blamed on its placeholder


def test_a_file_that_is_not_a_workbook():
    read = read_workbook(b"PK\x03\x04 not really a zip")
    [problem] = read.errors
    assert (problem.sheet, problem.row, problem.message) == ("tệp", None, "This file is not an Excel workbook (.xlsx).")


def test_a_zip_bomb_is_not_unpacked():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"<sst>" + b"A" * (60 * 2**20) + b"</sst>")
    assert len(buffer.getvalue()) < 200_000
    [problem] = read_workbook(buffer.getvalue()).errors
    assert "far larger than a scoring table" in problem.message


def test_a_formula_in_a_label_stays_text():
    rules = load_rules("vn-2019")
    document = document_of(rules)
    document["criteria"][0]["title"]["en"] = "=HYPERLINK(\"http://example.com\")"
    tricky, _ = check_document(document)
    book = load_workbook(io.BytesIO(export_workbook(tricky)))
    cell = book[SCORES]["C4"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    assert read_workbook(export_workbook(tricky)).rules.sha256 == tricky.sha256


def test_a_formula_counts_by_the_value_excel_saved_with_it():
    """An office computing a cell (=50-5) sends the value Excel shows; a formula never computed is a missing number."""
    book = _workbook()
    row = _row(book, "2.1", 1)
    book[SCORES].cell(row, 12, "=50-5")
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    [sheet] = [name for name in source.namelist() if name.startswith("xl/worksheets/sheet")][:1]
    computed = io.BytesIO()
    with zipfile.ZipFile(computed, "w") as target:  # as Excel saves it: the formula and its value
        for name in source.namelist():
            data = source.read(name)
            if name == sheet:
                data = data.replace(b"<f>50-5</f><v></v>", b"<f>50-5</f><v>45</v>").replace(
                    b"<f>50-5</f><v />", b"<f>50-5</f><v>45</v>")
                assert b"<v>45</v>" in data
            target.writestr(name, data)
    read = read_workbook(computed.getvalue())
    assert read.errors == [] and read.rules.criteria[1].lines[0].bands[1].points == 45
    assert f"(L{row}): Enter a whole number here." in " ".join(_problems(book))
