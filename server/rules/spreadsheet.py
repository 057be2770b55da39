"""A rule set as a spreadsheet laid out like the decision's scoring annex, and back.

Sheets (Vietnamese names, bilingual headers):

- **Biểu điểm** — one row per band: criterion | line | how it is measured | from (≥ / >) |
  to (< / ≤) | points | provisional, with the criterion's and the line's cells filled on their
  first row only (a blank cell continues the row above). A yes/no line has one row ("Có"); a line
  with a denominator has a row "Mẫu số = 0" saying what it earns when there is nothing to measure.
  The indicator keys are in the trailing, grey columns.
- **Ngưỡng** — the threshold per commune type. **Chỉ số** — the indicators the lines read.
  **Thông tin** — the decision (number, date, titles), total, conditions, and how to fill it in.

Reading checks every cell as it is read (numbers are digits, bounds have their sign ≥ > < ≤), then
runs every check of a rule file (`scoring.ruleset.check_document`) and names each problem by
sheet, row and cell. Export → read gives back the same rules: the same canonical sha256.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from forms.xlsform import SheetProblem, cell_text
from scoring import COMMUNE_TYPE_LABELS, COMMUNE_TYPES
from scoring.ruleset import BandsLine, BooleanLine, RuleSet, check_document
from server.core.export_cells import xlsx_bytes
from server.core.i18n import N_, gettext, use_language
from server.registry.units import fold
from server.rules.messages import as_msgid

SCORES, THRESHOLDS, INDICATORS, ABOUT = "Biểu điểm", "Ngưỡng", "Chỉ số", "Thông tin"
MAX_ROWS = 5000  # a decision's table has a few hundred rows; a bigger sheet is not a scoring table
MAX_UNPACKED = 50 * 2**20  # an .xlsx is a zip: its parts unpacked (the exported table: ~0.2 MiB)
MAX_TEXT = 1000

PROVISIONAL_TEXT = "TẠM TÍNH"
YES_TEXT = "Có"
NA_TEXT = "Mẫu số = 0"
FULL_TEXT = "đủ điểm"

# The scoring table's columns: key, header (vi / en). Keys, not positions, are read back.
SCORE_COLUMNS: list[tuple[str, str]] = [
    ("criterion", "Tiêu chí\nCriterion"),
    ("criterion_vi", "Tên tiêu chí (tiếng Việt)\nCriterion title (Vietnamese)"),
    ("criterion_en", "Tên tiêu chí (tiếng Anh)\nCriterion title (English)"),
    ("criterion_max", "Điểm tối đa của tiêu chí\nCriterion maximum"),
    ("criterion_provisional", "Điểm tối đa tạm tính\nMaximum provisional"),
    ("line", "Chỉ tiêu\nLine"),
    ("line_vi", "Nội dung chỉ tiêu (tiếng Việt)\nLine (Vietnamese)"),
    ("line_en", "Nội dung chỉ tiêu (tiếng Anh)\nLine (English)"),
    ("measure", "Cách đo\nHow it is measured"),
    ("from", "Từ (≥ hoặc >)\nFrom (≥ or >)"),
    ("to", "Đến (< hoặc ≤)\nTo (< or ≤)"),
    ("points", "Điểm\nPoints"),
    ("provisional", "Tạm tính\nProvisional"),
    ("note", "Ghi chú (cách tính)\nNote (how it was derived)"),
    ("input", "Chỉ số (kỹ thuật)\nIndicator key"),
    ("denominator", "Mẫu số (kỹ thuật)\nDenominator key"),
    ("criterion_note", "Ghi chú tiêu chí (kỹ thuật)\nCriterion note"),
]
TECHNICAL = {"input", "denominator", "criterion_note"}
THRESHOLD_COLUMNS = [("type_vi", "Loại xã\nCommune type"), ("type_en", "Loại xã (tiếng Anh)\nCommune type (English)"),
                     ("points", "Ngưỡng điểm (từ … điểm trở lên)\nThreshold (points, inclusive)"),
                     ("provisional", "Tạm tính\nProvisional"), ("key", "Mã loại (kỹ thuật)\nType key")]
INDICATOR_COLUMNS = [("key", "Chỉ số (kỹ thuật)\nIndicator key"), ("type", "Kiểu\nType"),
                     ("denominator", "Mẫu số (kỹ thuật)\nDenominator key"), ("meaning", "Ý nghĩa\nMeaning")]
ABOUT_FIELDS = [
    ("id", "Mã bộ tiêu chí\nRule set id"), ("version", "Phiên bản\nVersion"),
    ("decision", "Số quyết định\nDecision number"), ("date", "Ngày ban hành (năm-tháng-ngày)\nDate (year-month-day)"),
    ("title_vi", "Tên quyết định (tiếng Việt)\nTitle (Vietnamese)"),
    ("title_en", "Tên quyết định (tiếng Anh)\nTitle (English)"),
    ("total_max", "Tổng điểm tối đa\nTotal maximum"),
    ("no_criterion_at_zero", "Không công nhận khi có tiêu chí 0 điểm\nNot recognised with a criterion at 0"),
    ("status", "Tình trạng\nStatus"),
]

MEASURES = {"boolean": "Có/Không (yes/no)", "percent_bands": "Tỷ lệ % (percent)",
            "rate_per_mille_bands": "Tỷ suất ‰ (per 1,000)", "count_bands": "Số lượng (count)"}
INDICATOR_TYPES = {"bool": "Có/Không (yes/no)", "count": "Số đếm (count)", "percent": "Tỷ lệ % (percent)"}

PROVISIONAL_FILL = PatternFill("solid", fgColor="FFD8A8")
PROVISIONAL_FONT = Font(bold=True, color="9A3412")
HEADER_FILL = PatternFill("solid", fgColor="E8EBF0")
TECHNICAL_FILL = PatternFill("solid", fgColor="F3F4F6")
TECHNICAL_FONT = Font(color="6B7280")
WRAP = Alignment(wrap_text=True, vertical="top")

INSTRUCTIONS = [
    "Cách điền (tiếng Việt)",
    "• Mỗi dòng của trang «Biểu điểm» là một mức điểm. Ô tiêu chí và ô chỉ tiêu chỉ ghi ở dòng đầu; ô để trống là "
    "tiếp tục dòng trên.",
    "• Cột «Từ» ghi «≥ 98» (từ 98 trở lên) hoặc «> 5» (trên 5); cột «Đến» ghi «< 100» (dưới 100) hoặc «≤ 10» "
    "(đến 10). Để trống: không có cận. Các mức của một chỉ tiêu phải phủ kín từ 0 (đến 100 % với tỷ lệ), không hở, "
    "không chồng lên nhau. Số thập phân viết 2,5 hoặc 2.5; không dùng dấu phân cách hàng nghìn.",
    "• Chỉ tiêu Có/Không: một dòng, cột «Từ» ghi «Có». Chỉ tiêu có mẫu số: thêm một dòng «Mẫu số = 0» với điểm "
    "(«đủ điểm» hoặc một số) khi xã không có trường hợp nào để tính.",
    "• Ô màu cam là số TẠM TÍNH. Nhập số mới không làm mất chữ TẠM TÍNH: một dòng chỉ hết tạm tính khi một quản trị "
    "viên thứ hai đối chiếu với văn bản gốc (số văn bản, ngày, trang) trên phuhop.",
    "• Không sửa các cột «kỹ thuật» (mã chỉ số), trừ khi thêm chỉ tiêu mới.",
    "How to fill it in (English)",
    "• One row of «Biểu điểm» per band; the criterion's and the line's cells are filled on their first row only, "
    "a blank cell continues the row above. «From» takes ≥ or >, «To» takes < or ≤; bands must cover every value "
    "from 0 (to 100 % for a percentage) with no gap or overlap.",
    "• Orange cells are PROVISIONAL. A line stops being provisional only when a second administrator checks it "
    "against the paper source on phuhop, never by editing this file.",
]


# ================================================================== export

def export_workbook(rules: RuleSet) -> bytes:
    """The rule set as an .xlsx laid out like the annex; provisional numbers highlighted."""
    book = Workbook()
    scores = book.active
    scores.title = SCORES
    _scores_sheet(scores, rules)
    _thresholds_sheet(book.create_sheet(THRESHOLDS), rules)
    _indicators_sheet(book.create_sheet(INDICATORS), rules)
    _about_sheet(book.create_sheet(ABOUT), rules)
    return xlsx_bytes(book)  # a name or reason typed as a formula stays text (server/core/export_cells.py)


def _put(sheet: Any, row: int, column: int, value: Any) -> Any:
    """A cell holding exactly `value`: text that starts like a formula stays text."""
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    cell.alignment = WRAP
    return cell


def _header(sheet: Any, row: int, columns: list[tuple[str, str]], widths: dict[str, int]) -> None:
    for index, (key, title) in enumerate(columns, start=1):
        cell = _put(sheet, row, index, title)
        cell.font = Font(bold=True, color="6B7280" if key in TECHNICAL else None)
        cell.fill = TECHNICAL_FILL if key in TECHNICAL else HEADER_FILL
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(key, 14)
    sheet.freeze_panes = sheet.cell(row=row + 1, column=1)


def _mark(cell: Any) -> None:
    cell.fill = PROVISIONAL_FILL
    cell.font = PROVISIONAL_FONT


def bound_text(band: Any, low: bool) -> str:
    names = (("at_least", "≥"), ("above", ">")) if low else (("below", "<"), ("at_most", "≤"))
    for name, sign in names:
        value = getattr(band, name)
        if value is not None:
            return f"{sign} {number_text(value)}"
    return ""


def number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace(".", ",")


def _scores_sheet(sheet: Any, rules: RuleSet) -> None:
    column = {key: index for index, (key, _) in enumerate(SCORE_COLUMNS, start=1)}
    _put(sheet, 1, 1, f"Biểu điểm — {rules.source.title.vi}").font = Font(bold=True, size=13)
    legend = _put(sheet, 2, 1, f"{rules.id} {rules.version} · Ô màu cam: số TẠM TÍNH (provisional) · "
                               f"{rules.source.title.en}")
    legend.alignment = Alignment(wrap_text=False)
    _header(sheet, 3, SCORE_COLUMNS, {"criterion": 9, "criterion_vi": 30, "criterion_en": 26, "criterion_max": 11,
                                      "criterion_provisional": 11, "line": 8, "line_vi": 42, "line_en": 34,
                                      "measure": 16, "from": 11, "to": 11, "points": 8, "provisional": 11,
                                      "note": 18, "input": 24, "denominator": 20, "criterion_note": 16})
    row = 4
    for criterion in rules.criteria:
        first_of_criterion = True
        for line in criterion.lines:
            for number, band in enumerate(_line_rows(line)):
                if first_of_criterion:
                    _put(sheet, row, column["criterion"], criterion.id)
                    _put(sheet, row, column["criterion_vi"], criterion.title.vi)
                    _put(sheet, row, column["criterion_en"], criterion.title.en)
                    top = _put(sheet, row, column["criterion_max"], criterion.max)
                    if criterion.provisional:
                        _mark(top)
                        _mark(_put(sheet, row, column["criterion_provisional"], PROVISIONAL_TEXT))
                    if criterion.derived:
                        _put(sheet, row, column["criterion_note"], criterion.derived)
                    first_of_criterion = False
                if number == 0:
                    _put(sheet, row, column["line"], line.id)
                    _put(sheet, row, column["line_vi"], line.label.vi)
                    _put(sheet, row, column["line_en"], line.label.en)
                    _put(sheet, row, column["measure"], MEASURES[line.kind])
                    if getattr(line, "derived", None):
                        _put(sheet, row, column["note"], line.derived)
                    reads = line.input if isinstance(line, BooleanLine) or line.input else line.numerator
                    _put(sheet, row, column["input"], reads)
                    if isinstance(line, BandsLine) and line.denominator:
                        _put(sheet, row, column["denominator"], line.denominator)
                low, high, points, provisional = band
                _put(sheet, row, column["from"], low)
                if high:
                    _put(sheet, row, column["to"], high)
                cell = _put(sheet, row, column["points"], points)
                if provisional:
                    _mark(cell)
                    _mark(_put(sheet, row, column["provisional"], PROVISIONAL_TEXT))
                for key in TECHNICAL:
                    sheet.cell(row=row, column=column[key]).font = TECHNICAL_FONT
                row += 1
    measures = DataValidation(type="list", formula1='"' + ",".join(MEASURES.values()) + '"', allow_blank=True)
    flags = DataValidation(type="list", formula1=f'"{PROVISIONAL_TEXT}"', allow_blank=True)
    sheet.add_data_validation(measures)
    sheet.add_data_validation(flags)
    measures.add(f"{get_column_letter(column['measure'])}4:{get_column_letter(column['measure'])}{MAX_ROWS}")
    for key in ("provisional", "criterion_provisional"):
        flags.add(f"{get_column_letter(column[key])}4:{get_column_letter(column[key])}{MAX_ROWS}")
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape"
    sheet.print_title_rows = "3:3"


def _line_rows(line: BooleanLine | BandsLine) -> list[tuple[str, str, Any, bool]]:
    """(from, to, points, provisional) of each row of a line: its bands, then its zero-denominator row."""
    if isinstance(line, BooleanLine):
        return [(YES_TEXT, "", line.points, line.provisional)]
    rows = [(bound_text(band, True), bound_text(band, False), band.points, band.provisional) for band in line.bands]
    if line.not_applicable is not None:
        points = line.not_applicable.points
        rows.append((NA_TEXT, "", FULL_TEXT if points == "full" else points, line.not_applicable.provisional))
    return rows


def _thresholds_sheet(sheet: Any, rules: RuleSet) -> None:
    _header(sheet, 1, THRESHOLD_COLUMNS, {"type_vi": 46, "type_en": 46, "points": 18, "provisional": 11, "key": 26})
    for row, commune_type in enumerate(rules.thresholds, start=2):
        threshold = rules.thresholds[commune_type]
        label = COMMUNE_TYPE_LABELS.get(commune_type, commune_type)
        with use_language("vi"):
            _put(sheet, row, 1, gettext(label))
        _put(sheet, row, 2, label)
        cell = _put(sheet, row, 3, threshold.points)
        if threshold.provisional:
            _mark(cell)
            _mark(_put(sheet, row, 4, PROVISIONAL_TEXT))
        _put(sheet, row, 5, commune_type).font = TECHNICAL_FONT


def _indicators_sheet(sheet: Any, rules: RuleSet) -> None:
    _header(sheet, 1, INDICATOR_COLUMNS, {"key": 34, "type": 18, "denominator": 26, "meaning": 60})
    for row, (key, indicator) in enumerate(rules.indicators.items(), start=2):
        _put(sheet, row, 1, key)
        _put(sheet, row, 2, INDICATOR_TYPES[indicator.type])
        _put(sheet, row, 3, indicator.denominator)
        _put(sheet, row, 4, indicator.meaning)


def _about_sheet(sheet: Any, rules: RuleSet) -> None:
    values = {"id": rules.id, "version": rules.version, "decision": rules.source.decision, "date": rules.source.date,
              "title_vi": rules.source.title.vi, "title_en": rules.source.title.en, "total_max": rules.total_max,
              "no_criterion_at_zero": YES_TEXT if rules.conditions.no_criterion_at_zero else "Không",
              "status": rules.status}
    _header(sheet, 1, [("label", "Trường\nField"), ("value", "Giá trị\nValue"), ("key", "Mã (kỹ thuật)\nKey")],
            {"label": 40, "value": 90, "key": 22})
    for row, (key, label) in enumerate(ABOUT_FIELDS, start=2):
        _put(sheet, row, 1, label)
        _put(sheet, row, 2, values[key])
        _put(sheet, row, 3, key).font = TECHNICAL_FONT
    for offset, text in enumerate(INSTRUCTIONS, start=len(ABOUT_FIELDS) + 3):
        cell = sheet.cell(row=offset, column=1, value=text)
        cell.font = Font(bold=not text.startswith("•"))
        sheet.merge_cells(start_row=offset, start_column=1, end_row=offset, end_column=2)
        cell.alignment = WRAP
        sheet.row_dimensions[offset].height = 15 * (1 + len(text) // 120)


# ================================================================== import

@dataclass
class SheetRead:
    """What reading a workbook gave: the rule set document (None when any error), problems by cell."""

    document: dict[str, Any] | None
    rules: RuleSet | None
    errors: list[SheetProblem] = field(default_factory=list)
    warnings: list[SheetProblem] = field(default_factory=list)
    places: dict[tuple, tuple[str, int, str, str]] = field(default_factory=dict)

    def refuse_unknown_indicators(self, known: set[str]) -> None:
        """An indicator that no form collects cannot be scored: refused, naming its cell."""
        if self.rules is None:
            return
        for key in sorted(set(self.rules.indicators) - known):
            sheet, row, column, cell = self.places.get(("indicators", key), (INDICATORS, None, None, None))
            self.errors.append(SheetProblem(sheet, row, column, cell or None, N_(
                "No form collects the indicator %(key)s: a new indicator needs a new form version first."),
                {"key": key}, True))
        if self.errors:
            self.document = self.rules = None


class _Stop(Exception):
    """The workbook cannot be read further (not an .xlsx, a sheet missing)."""


@dataclass
class _Table:
    """One sheet's rows (1-based numbers) and where each known column is."""

    name: str
    header_row: int
    columns: dict[str, int]  # key -> 0-based index
    headers: list[str]
    rows: list[tuple[int, list[Any]]]

    def cell(self, key: str, row: int) -> tuple[str, str]:
        """(column header, cell name) for problems."""
        index = self.columns.get(key)
        if index is None:
            return key, ""
        return self.headers[index].split("\n")[0], f"{get_column_letter(index + 1)}{row}"

    def get(self, cells: list[Any], key: str) -> Any:
        index = self.columns.get(key)
        return cells[index] if index is not None and index < len(cells) else None


_SIGNS = {"≥": "at_least", ">=": "at_least", "=>": "at_least", ">": "above",
          "<": "below", "≤": "at_most", "<=": "at_most", "=<": "at_most"}
_BOUND = re.compile(r"^(?P<sign>≥|>=|=>|>|≤|<=|=<|<)?\s*(?P<number>-?[0-9]{1,9}(?:[.,][0-9]{1,9})?)\s*(?:%|‰)?$")
_DATE_DMY = re.compile(r"^(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4})$")


class _Reader:
    def __init__(self) -> None:
        self.errors: list[SheetProblem] = []
        self.warnings: list[SheetProblem] = []
        self.places: dict[tuple, tuple[str, int, str, str]] = {}  # document location -> sheet, row, column, cell
        self.bad: list[tuple] = []  # document locations of cells that did not read (a placeholder stands in)

    # ---------------------------------------------------------------- problems
    def problem(self, table: _Table | str, row: int | None, key: str | None, message: str, *, error: bool = True,
                **params: Any) -> None:
        name = table.name if isinstance(table, _Table) else table
        column = cell = None
        if isinstance(table, _Table) and row is not None and key is not None:
            column, cell = table.cell(key, row)
            cell = cell or None
        (self.errors if error else self.warnings).append(
            SheetProblem(name, row, column, cell, message, {k: str(v) for k, v in params.items()}, error))

    def place(self, loc: tuple, table: _Table, row: int, key: str) -> None:
        column, cell = table.cell(key, row)
        self.places[loc] = (table.name, row, column, cell)

    # ---------------------------------------------------------------- workbook
    def read(self, content: bytes) -> SheetRead:
        try:
            if _unpacked_size(content) > MAX_UNPACKED:
                self.problem(gettext(N_("file")), None, None, N_("This file is far larger than a scoring table once "
                                                                 "unpacked: it was not read."))
                raise _Stop
            try:
                book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            except Exception:  # openpyxl raises many kinds (zip, XML, key errors) for a file that is not .xlsx
                self.problem(gettext(N_("file")), None, None, N_("This file is not an Excel workbook (.xlsx)."))
                raise _Stop from None
            try:
                sheets = {_fold(name): name for name in book.sheetnames}
                raw: dict[str, list[tuple[Any, ...]]] = {}
                for wanted in (SCORES, THRESHOLDS, INDICATORS, ABOUT):
                    found = sheets.get(_fold(wanted))
                    if found is None:
                        self.problem(wanted, None, None, N_("The workbook has no sheet named %(sheet)s."), sheet=wanted)
                        continue
                    rows = list(islice(book[found].iter_rows(values_only=True), MAX_ROWS + 1))
                    if len(rows) > MAX_ROWS:
                        self.problem(wanted, MAX_ROWS, None, N_("The sheet has more than %(rows)s rows: this is not "
                                                                "a scoring table."), rows=MAX_ROWS)
                        rows = rows[:MAX_ROWS]
                    raw[wanted] = rows
            finally:
                book.close()
            if self.errors:
                raise _Stop
            about = self.read_about(self.table(ABOUT, raw[ABOUT], [("label", "Trường\nField"),
                                                                 ("value", "Giá trị\nValue"),
                                                                 ("key", "Mã (kỹ thuật)\nKey")]))
            thresholds = self.read_thresholds(self.table(THRESHOLDS, raw[THRESHOLDS], THRESHOLD_COLUMNS))
            indicators = self.read_indicators(self.table(INDICATORS, raw[INDICATORS], INDICATOR_COLUMNS))
            criteria = self.read_scores(self.table(SCORES, raw[SCORES], SCORE_COLUMNS))
        except _Stop:
            return SheetRead(None, None, self.errors, self.warnings, self.places)
        document = {**about, "thresholds": thresholds, "indicators": indicators, "criteria": criteria}
        rules, problems = check_document(document)
        hidden = self.tainted()
        for loc, message in problems:
            if not any(loc[:len(prefix)] == prefix for prefix in hidden):
                self.located(loc, message)
        if rules is None or self.errors:
            return SheetRead(None, None, self.errors, self.warnings, self.places)
        return SheetRead(document, rules, self.errors, self.warnings, self.places)

    def tainted(self) -> set[tuple]:
        """Where the table's checks would only repeat a cell that did not read (or blame its placeholder):
        the cell itself, its whole line, and the sums it takes part in."""
        hidden: set[tuple] = set()
        for loc in self.bad:
            hidden.add(loc)
            if loc[:1] == ("criteria",):
                hidden.add(("total_max",))
                hidden.add(loc[:2] + ("max",))
                hidden.add(loc[:4] if len(loc) >= 4 else loc[:2])
        return hidden

    def located(self, loc: tuple, message: str) -> None:
        """A problem of the rule checks, named by the cell the location was read from."""
        parts = tuple(part for part in loc if part not in MEASURES)  # pydantic puts a line's kind in the path
        for end in range(len(parts), -1, -1):
            found = self.places.get(parts[:end])
            if found is not None:
                sheet, row, column, cell = found
                break
        else:
            sheet, row, column, cell = SCORES, None, None, None
        msgid, params = as_msgid(message)
        self.errors.append(SheetProblem(sheet, row, column, cell or None, msgid, params, True))

    def table(self, name: str, rows: list[tuple[Any, ...]], columns: list[tuple[str, str]]) -> _Table:
        """Find the header row (the first whose cells name our columns) and map the columns by header."""
        wanted = {_fold(title.split("\n")[0]): key for key, title in columns}
        wanted.update({_fold(title.split("\n")[1]): key for key, title in columns if "\n" in title})
        for number, cells in enumerate(rows[:10], start=1):
            found: dict[str, int] = {}
            headers = [cell_text(cell) for cell in cells]
            for index, header in enumerate(headers):
                for part in header.split("\n"):
                    key = wanted.get(_fold(part))
                    if key is not None and key not in found:
                        found[key] = index
                        break
            if len(found) >= 2:
                table = _Table(name, number, found, headers,
                               [(n, list(r)) for n, r in enumerate(rows[number:], start=number + 1)])
                for key, title in columns:
                    if key not in found:
                        self.problem(name, number, None, N_("The column %(column)s is missing."),
                                     column=title.split("\n")[0])
                for index, header in enumerate(headers):
                    if header and index not in found.values() and any(
                            cell_text(cells[index]) for _, cells in table.rows if index < len(cells)):
                        self.problem(name, number, None, N_("The column %(column)s is not read: its cells are "
                                                            "ignored."), error=False, column=header.split("\n")[0])
                if self.errors:
                    raise _Stop
                return table
        self.problem(name, None, None, N_("The header row of this sheet is missing (its first cells must be the "
                                          "column titles of the exported file)."))
        raise _Stop

    # ---------------------------------------------------------------- cells
    def text(self, table: _Table, row: int, cells: list[Any], key: str, *, required: bool = False,
             loc: tuple | None = None) -> str:
        value = table.get(cells, key)
        if isinstance(value, (datetime, date)):
            value = value.isoformat()[:10]
        text = unicodedata.normalize("NFC", cell_text(value))
        if required and not text:
            self.problem(table, row, key, N_("This cell must not be empty."))
            if loc is not None:
                self.bad.append(loc)
        elif len(text) > MAX_TEXT:
            self.problem(table, row, key, N_("This text is too long (at most %(max)s characters)."), max=MAX_TEXT)
            return text[:MAX_TEXT]
        return text

    def integer(self, table: _Table, row: int, cells: list[Any], key: str, loc: tuple) -> int:
        """A whole number from digits (0–9 only, no ², no thousands separators); 0 stands in for a bad cell."""
        value = table.get(cells, key)
        number = whole(value)
        if number is not None and number < 0:
            self.bad.append(loc)
            self.problem(table, row, key, N_("%(value)s is below 0: points, maxima and thresholds are 0 or more."),
                         value=number)
            return 0
        if number is None:
            self.bad.append(loc)
            if value is None or cell_text(value) == "":
                self.problem(table, row, key, N_("Enter a whole number here."))
            else:
                self.problem(table, row, key, N_("%(value)s is not a whole number (write digits only, for "
                                                 "example 50)."), value=_shown(value))
        return 0 if number is None else number

    def flag(self, table: _Table, row: int, cells: list[Any], key: str) -> bool:
        text = _fold(cell_text(table.get(cells, key)))
        if text in ("", "khong", "no", "false", "0"):
            return False
        if text in ("tam tinh", "x", "co", "yes", "provisional", "true", "1"):
            return True
        self.problem(table, row, key, N_("Write %(mark)s here, or leave the cell empty."), mark=PROVISIONAL_TEXT)
        return False

    # ---------------------------------------------------------------- sheets
    def read_about(self, table: _Table) -> dict[str, Any]:
        found: dict[str, tuple[int, list[Any]]] = {}
        keys = {key for key, _ in ABOUT_FIELDS}
        for number, cells in table.rows:
            key = cell_text(table.get(cells, "key"))
            if key in keys:
                found[key] = (number, cells)
        for key, label in ABOUT_FIELDS:
            if key not in found:
                self.problem(table, None, None, N_("The row %(field)s is missing."), field=label.split("\n")[0])
        if self.errors:
            raise _Stop

        def value(key: str, required: bool = True) -> str:
            number, cells = found[key]
            self.place((_ABOUT_LOCATIONS[key]), table, number, "value")
            return self.text(table, number, cells, "value", required=required, loc=_ABOUT_LOCATIONS[key])

        def number_of(key: str) -> int | None:
            number, cells = found[key]
            self.place(_ABOUT_LOCATIONS[key], table, number, "value")
            return self.integer(table, number, cells, "value", _ABOUT_LOCATIONS[key])

        self.place((), table, found["id"][0], "value")
        when = value("date")
        match = _DATE_DMY.match(when)
        if match:
            when = f"{match['y']}-{int(match['m']):02d}-{int(match['d']):02d}"
        try:
            date.fromisoformat(when)
        except ValueError:
            self.problem(table, found["date"][0], "value", N_("Enter a date as year-month-day (2019-01-03) or "
                                                              "day/month/year (03/01/2019)."))
        zero_text = _fold(value("no_criterion_at_zero"))
        if zero_text not in ("co", "yes", "khong", "no"):
            self.problem(table, found["no_criterion_at_zero"][0], "value", N_("Write Có (yes) or Không (no)."))
        return {
            "id": value("id"), "version": value("version"), "status": value("status"),
            "source": {"decision": value("decision"), "date": when,
                       "title": {"vi": value("title_vi"), "en": value("title_en")}},
            "total_max": number_of("total_max"),
            "conditions": {"all_criteria_assessed": True, "no_criterion_at_zero": zero_text in ("co", "yes")},
        }

    def read_thresholds(self, table: _Table) -> dict[str, Any]:
        self.place(("thresholds",), table, table.header_row, "key")
        out: dict[str, Any] = {}
        for number, cells in table.rows:
            if not any(cell_text(cell) for cell in cells):
                continue
            key = self.text(table, number, cells, "key")
            if key not in COMMUNE_TYPES:
                self.problem(table, number, "key", N_("%(value)s is not a commune type (one of %(expected)s)."),
                             value=key or "–", expected=", ".join(COMMUNE_TYPES))
                continue
            if key in out:
                self.problem(table, number, "key", N_("This commune type appears twice."))
                continue
            self.place(("thresholds", key), table, number, "key")
            self.place(("thresholds", key, "points"), table, number, "points")
            self.place(("thresholds", key, "provisional"), table, number, "provisional")
            entry: dict[str, Any] = {"points": self.integer(table, number, cells, "points",
                                                            ("thresholds", key, "points"))}
            if self.flag(table, number, cells, "provisional"):
                entry["provisional"] = True
            out[key] = entry
        return out

    def read_indicators(self, table: _Table) -> dict[str, Any]:
        self.place(("indicators",), table, table.header_row, "key")
        types = {_fold(label): kind for kind, label in INDICATOR_TYPES.items()}
        types.update({kind: kind for kind in INDICATOR_TYPES})
        out: dict[str, Any] = {}
        for number, cells in table.rows:
            if not any(cell_text(cell) for cell in cells):
                continue
            key = self.text(table, number, cells, "key", required=True)
            if key and not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", key):
                self.problem(table, number, "key", N_("An indicator key uses only lower-case letters, digits and _ "
                                                      "(for example c2_births_total)."))
                continue
            if key in out:
                self.problem(table, number, "key", N_("This indicator appears twice."))
                continue
            kind = types.get(_fold(self.text(table, number, cells, "type")))
            if kind is None:
                self.problem(table, number, "type", N_("Choose one of: %(expected)s."),
                             expected=", ".join(INDICATOR_TYPES.values()))
                continue
            entry: dict[str, Any] = {"type": kind}
            denominator = self.text(table, number, cells, "denominator")
            meaning = self.text(table, number, cells, "meaning")
            if denominator:
                entry["denominator"] = denominator
            if meaning:
                entry["meaning"] = meaning
            for part in ("", "type", "denominator", "meaning"):
                self.place(("indicators", key, part) if part else ("indicators", key), table, number,
                           {"": "key"}.get(part, part))
            out[key] = entry
        return out

    def read_scores(self, table: _Table) -> list[dict[str, Any]]:
        measures = {_fold(label): kind for kind, label in MEASURES.items()}
        measures.update({kind: kind for kind in MEASURES})
        criteria: list[dict[str, Any]] = []
        criterion: dict[str, Any] | None = None
        line: dict[str, Any] | None = None
        self.place(("criteria",), table, table.header_row, "criterion")
        for number, cells in table.rows:
            if not any(cell_text(cell) for cell in cells):
                continue
            if cell_text(table.get(cells, "criterion")):
                criterion = self.start_criterion(table, number, cells, len(criteria))
                criteria.append(criterion)
                line = None
                if not cell_text(table.get(cells, "line")):
                    self.problem(table, number, "line", N_("A criterion's first row also starts its first line: "
                                                           "write the line's number here."))
                    continue
            elif criterion is None:
                self.problem(table, number, "criterion", N_("The first row of the table must name a criterion."))
                raise _Stop
            else:
                self.continued(table, number, cells, ("criterion_vi", "criterion_en", "criterion_max",
                                                      "criterion_provisional", "criterion_note"))
            at = ("criteria", len(criteria) - 1, "lines")
            if cell_text(table.get(cells, "line")):
                line = self.start_line(table, number, cells, at + (len(criterion["lines"]),), measures)
                criterion["lines"].append(line)
            elif line is None:
                continue
            else:
                self.continued(table, number, cells, ("line_vi", "line_en", "measure", "note", "input", "denominator"))
            self.read_band(table, number, cells, line, at + (len(criterion["lines"]) - 1,))
        for criterion in criteria:
            for line in criterion["lines"]:
                line.pop("_rows", None)
        return criteria

    def continued(self, table: _Table, number: int, cells: list[Any], keys: tuple[str, ...]) -> None:
        """A row that continues the one above must leave the cells of what it continues empty."""
        for key in keys:
            if cell_text(table.get(cells, key)):
                self.problem(table, number, key, N_("This row continues the criterion or line above, so this cell "
                                                    "is not read; start a new criterion or line in the Criterion or "
                                                    "Line column, or empty the cell."), error=False)

    def start_criterion(self, table: _Table, number: int, cells: list[Any], index: int) -> dict[str, Any]:
        at = ("criteria", index)
        for part, key in (((), "criterion"), (("id",), "criterion"), (("title",), "criterion_vi"),
                          (("title", "vi"), "criterion_vi"), (("title", "en"), "criterion_en"),
                          (("max",), "criterion_max"), (("provisional",), "criterion_provisional"),
                          (("derived",), "criterion_note"), (("lines",), "line")):
            self.place(at + part, table, number, key)
        criterion: dict[str, Any] = {
            "id": self.integer(table, number, cells, "criterion", at),
            "title": {"vi": self.text(table, number, cells, "criterion_vi", required=True, loc=at + ("title",)),
                      "en": self.text(table, number, cells, "criterion_en", required=True, loc=at + ("title",))},
            "max": self.integer(table, number, cells, "criterion_max", at + ("max",)),
            "lines": [],
        }
        if self.flag(table, number, cells, "criterion_provisional"):
            criterion["provisional"] = True
        note = self.text(table, number, cells, "criterion_note")
        if note:
            criterion["derived"] = note
        return criterion

    def start_line(self, table: _Table, number: int, cells: list[Any], at: tuple, measures: dict[str, str]) -> dict:
        for part, key in (((), "line"), (("id",), "line"), (("label",), "line_vi"), (("label", "vi"), "line_vi"),
                          (("label", "en"), "line_en"), (("kind",), "measure"), (("input",), "input"),
                          (("numerator",), "input"), (("denominator",), "denominator"), (("derived",), "note"),
                          (("bands",), "from"), (("not_applicable",), "from")):
            self.place(at + part, table, number, key)
        kind = measures.get(_fold(self.text(table, number, cells, "measure")))
        if kind is None:
            self.problem(table, number, "measure", N_("Choose one of: %(expected)s."),
                         expected=", ".join(MEASURES.values()))
            kind = "count_bands"
            self.bad.append(at)
        line: dict[str, Any] = {"id": self.text(table, number, cells, "line", required=True, loc=at), "kind": kind,
                                "label": {"vi": self.text(table, number, cells, "line_vi", required=True, loc=at),
                                          "en": self.text(table, number, cells, "line_en", required=True, loc=at)},
                                "_rows": 0}
        reads = self.text(table, number, cells, "input", required=True, loc=at)
        denominator = self.text(table, number, cells, "denominator")
        if denominator:
            line["numerator"], line["denominator"] = reads, denominator
        else:
            line["input"] = reads
        note = self.text(table, number, cells, "note")
        if note:
            line["derived"] = note
        if kind != "boolean":
            line["bands"] = []
        return line

    def read_band(self, table: _Table, number: int, cells: list[Any], line: dict[str, Any], at: tuple) -> None:
        low_text = self.text(table, number, cells, "from")
        provisional = self.flag(table, number, cells, "provisional")
        line["_rows"] += 1
        if line["kind"] == "boolean":
            if line["_rows"] > 1:
                self.problem(table, number, "from", N_("A yes/no line has one row only (its points when the answer "
                                                       "is yes)."))
                return
            if _fold(low_text) not in ("", "co", "yes") or cell_text(table.get(cells, "to")):
                self.problem(table, number, "from", N_("A yes/no line earns its points for Có (yes): write Có here "
                                                       "and leave To empty."))
            for part, key in ((("points",), "points"), (("provisional",), "provisional")):
                self.place(at + part, table, number, key)
            line["points"] = self.integer(table, number, cells, "points", at + ("points",))
            if provisional:
                line["provisional"] = True
            return
        if _fold(low_text) in (_fold(NA_TEXT), "mau so bang 0", "denominator = 0", "n/a", "khong ap dung"):
            for part, key in (((), "from"), (("points",), "points"), (("provisional",), "provisional")):
                self.place(at + ("not_applicable",) + part, table, number, key)
            if "not_applicable" in line:
                self.problem(table, number, "from", N_("This line already has a row for a denominator of 0."))
                return
            raw = table.get(cells, "points")
            points: Any = "full" if _fold(cell_text(raw)) in (_fold(FULL_TEXT), "full", "du", "du diem") \
                else self.integer(table, number, cells, "points", at + ("not_applicable", "points"))
            line["not_applicable"] = {"points": points, **({"provisional": True} if provisional else {})}
            return
        index = len(line["bands"])
        for part, key in (((), "from"), (("at_least",), "from"), (("above",), "from"), (("below",), "to"),
                          (("at_most",), "to"), (("points",), "points"), (("provisional",), "provisional")):
            self.place(at + ("bands", index) + part, table, number, key)
        band: dict[str, Any] = {}
        for key, text, signs in (("from", low_text, ("at_least", "above")),
                                 ("to", self.text(table, number, cells, "to"), ("below", "at_most"))):
            if not text:
                continue
            parsed = bound(text)
            if parsed is None or parsed[0] not in signs:
                self.problem(table, number, key, N_("%(value)s is not a bound: write %(signs)s and a number, for "
                                                    "example %(example)s."), value=_shown(text),
                             signs=" / ".join(("≥", ">") if key == "from" else ("<", "≤")),
                             example="≥ 98" if key == "from" else "< 100")
                self.bad.append(at)
                continue
            band[parsed[0]] = parsed[1]
        band["points"] = self.integer(table, number, cells, "points", at + ("bands", index, "points"))
        if provisional:
            band["provisional"] = True
        line["bands"].append(band)


_ABOUT_LOCATIONS: dict[str, tuple] = {
    "id": ("id",), "version": ("version",), "status": ("status",), "decision": ("source", "decision"),
    "date": ("source", "date"), "title_vi": ("source", "title", "vi"), "title_en": ("source", "title", "en"),
    "total_max": ("total_max",), "no_criterion_at_zero": ("conditions",),
}


def read_workbook(content: bytes) -> SheetRead:
    """Read and check a scoring-table workbook; every problem names its sheet, row and cell."""
    return _Reader().read(content)


# ================================================================== cell values

def _unpacked_size(content: bytes) -> int:
    """What the zip's parts declare they unpack to (openpyxl would inflate them all); 0 when not a zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        return 0


def _fold(text: str) -> str:
    """Compare headers and words without case, accents or spacing differences."""
    return " ".join(fold(str(text)).split())


def _shown(value: Any) -> str:
    text = cell_text(value)
    return text if len(text) <= 40 else text[:39] + "…"


def whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < 10**9 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 10**9 else None
    text = cell_text(value)
    return int(text) if re.fullmatch(r"-?[0-9]{1,9}", text) else None


def bound(text: str) -> tuple[str, int | float] | None:
    """"≥ 98" → ("at_least", 98); "< 2,5 %" → ("below", 2.5); None when it is not a signed number."""
    match = _BOUND.match(text.strip())
    if match is None or match["sign"] is None:
        return None
    try:
        number = Decimal(match["number"].replace(",", "."))
    except InvalidOperation:
        return None
    value: int | float = int(number) if number == number.to_integral_value() else float(number)
    return _SIGNS[match["sign"]], value
