"""Read a table as people keep it: an XLSX workbook or a CSV file, with a title or notes above the
header row, columns in any order and named in the office's own words.

`read_table` finds the header row (the first of the top rows in which `classify` recognises the
required columns) on the first sheet that has one, and returns the rows below it with their row
numbers as the spreadsheet shows them. Cells keep their types (numbers, dates, text); empty rows
are dropped. Errors are `SpreadsheetError`s whose message is a msgid with its parameters.
"""

from __future__ import annotations

import copy
import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from server.core.i18n import N_

HEADER_SCAN_ROWS = 15
MAX_ROWS = 50_000
MAX_UNPACKED = 64 * 2**20  # a list of 50,000 communes unpacks to about 25 MB
CHUNK = 2**20
MAX_CELLS = 5_000_000  # rows × columns of a sheet's grid: 50,000 rows of 100 columns
Row = tuple[int, list[Any]]


class SpreadsheetError(ValueError):
    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


@dataclass
class Table:
    columns: dict[str, int]  # canonical column → its index
    headers: list[str]  # the header row as written
    header_row: int
    rows: list[Row] = field(default_factory=list)
    sheet: str = ""

    def value(self, row: list[Any], column: str) -> Any:
        index = self.columns.get(column)
        if index is None or index >= len(row):
            return None
        return row[index]


def _xlsx_sheets(data: bytes) -> Iterable[tuple[str, Iterable[Row]]]:
    """Each sheet's rows, numbered as the spreadsheet shows them, empty cells as None.

    python-calamine (Rust) reads a national list of 10,035 rows in 0.13 s where openpyxl's
    read-only mode took 1.3-2.5 s (it parses a sheet twice when the file gives no dimension).
    It reads a whole sheet at once, as a grid: `_check_workbook` first refuses what would not fit.
    """
    from python_calamine import CalamineError, CalamineWorkbook

    _check_workbook(data)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError, OSError) as error:
        raise SpreadsheetError(N_("This file is not an Excel workbook (.xlsx) that can be read: %(error)s"),
                               error=str(error)[:200]) from error
    for name in book.sheet_names:
        try:
            sheet = book.get_sheet_by_name(name)
        except (CalamineError, ValueError) as error:
            raise SpreadsheetError(N_("This file is not an Excel workbook (.xlsx) that can be read: %(error)s"),
                                   error=str(error)[:200]) from error
        # the whole grid from A1: rows and columns where the spreadsheet shows them
        yield name, ((number, [_cell(value) for value in values])
                     for number, values in enumerate(sheet.to_python(skip_empty_area=False), start=1))


def _cell(value: Any) -> Any:
    """A cell as openpyxl gives it: None when empty, whole numbers as int."""
    if isinstance(value, str) and not value:
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _check_workbook(data: bytes) -> None:
    """Refuse a workbook that would take the server's memory or time: parts that unpack to more than
    MAX_UNPACKED bytes (a zip bomb; inflated in chunks, since the sizes a zip declares can lie), or a
    sheet whose cells span more than MAX_CELLS (a reader lays a sheet out as a grid: two cells at A1
    and XFD1048576 make 17 billion)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            left = MAX_UNPACKED
            for declared in archive.infolist():
                info = copy.copy(declared)
                info.file_size = left + 2 * CHUNK  # read past a declared size that lies, beyond the limit
                chunks = []
                with archive.open(info) as part:
                    while chunk := part.read(CHUNK):
                        left -= len(chunk)
                        if left < 0:
                            raise SpreadsheetError(N_("This workbook unpacks to more than %(size)s MB: it is not a "
                                                      "list of communes."), size=MAX_UNPACKED // 2**20)
                        chunks.append(chunk)
                if declared.filename.startswith("xl/worksheets/") and _grid_size(b"".join(chunks)) > MAX_CELLS:
                    raise SpreadsheetError(N_("A sheet of this workbook spans millions of cells (some far below or far "
                                              "to the right of the others): it is not a list of communes."))
    except SpreadsheetError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, ValueError,
            EOFError, OSError, zlib.error) as error:
        raise SpreadsheetError(N_("This file is not an Excel workbook (.xlsx) that can be read: %(error)s"),
                               error=str(error)[:200]) from error


_CELL_REF = re.compile(rb'\sr="([A-Z]{1,3})([0-9]{1,9})"')
_ROW_REF = re.compile(rb'\sr="([0-9]{1,9})"')
_TAG = re.compile(rb"<(?:[A-Za-z_][-.\w]*:)?(c|row)[\s/>]")


def _grid_size(xml: bytes) -> int:
    """Rows × columns of the grid a sheet's XML spans: by the cells' positions, or by counting rows and
    cells where some give no position (an upper bound)."""
    refs = _CELL_REF.findall(xml)
    width = max((_column_number(letters) for letters in {letters for letters, _ in refs}), default=0)
    height = max(max((int(row) for _, row in refs), default=0),
                 max((int(row) for row in _ROW_REF.findall(xml)), default=0))
    tags = _TAG.findall(xml)
    cells, rows = tags.count(b"c"), tags.count(b"row")
    return max(height, rows) * (width if cells <= len(refs) else max(width, cells))


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _csv_rows(data: bytes) -> Iterable[Row]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SpreadsheetError(N_("This CSV file is not in UTF-8. In Excel, save it as \"CSV UTF-8\".")) from error
    # Sniffed on lines that hold a delimiter: a title line above the table ("Danh sách …") has none.
    sample = "\n".join(line for line in text[:8192].splitlines() if any(d in line for d in ",;\t"))[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample or text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return [(number, row) for number, row in enumerate(csv.reader(io.StringIO(text), dialect), start=1)]
    except csv.Error as error:
        raise SpreadsheetError(N_("This CSV file cannot be read: %(error)s"), error=str(error)[:200]) from error


def _blank(row: list[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row)


def read_table(data: bytes, file_name: str, classify: Callable[[str], str | None],
               required: tuple[str, ...], describe: Callable[[str], str] = str) -> Table:
    """The table of the first sheet whose header row has the `required` columns.

    `classify(header text)` names the canonical column a header stands for (or None). A required
    entry "a|b" is satisfied by either column. `describe(entry)` words a required entry for the
    error message (in the reader's language).
    """
    lowered = file_name.lower()
    if lowered.endswith(".xlsx"):
        sheets = list(_xlsx_sheets(data))
    elif lowered.endswith((".csv", ".txt")):
        sheets = [("", _csv_rows(data))]
    else:
        raise SpreadsheetError(N_("Give an Excel workbook (.xlsx) or a CSV file, not %(name)s."), name=file_name)
    seen: list[str] = []
    for title, rows in sheets:
        iterator = iter(rows)
        top: list[Row] = []
        for row in iterator:
            top.append(row)
            if len(top) >= HEADER_SCAN_ROWS:
                break
        for position, (number, cells) in enumerate(top):
            headers = ["" if cell is None else str(cell).strip() for cell in cells]
            columns: dict[str, int] = {}
            for index, header in enumerate(headers):
                name = classify(header) if header else None
                if name and name not in columns:
                    columns[name] = index
            if columns and all(any(option in columns for option in need.split("|")) for need in required):
                table = Table(columns=columns, headers=headers, header_row=number, sheet=title)
                for later in [*top[position + 1:], *iterator]:
                    if not _blank(later[1]):
                        table.rows.append(later)
                        if len(table.rows) > MAX_ROWS:
                            raise SpreadsheetError(N_("The file has more than %(count)s rows."), count=MAX_ROWS)
                return table
            seen.extend(h for h in headers if h)
    raise SpreadsheetError(N_("No header row with the columns %(columns)s was found in the first %(rows)s rows "
                              "(headers seen: %(seen)s)."),
                           columns=", ".join(describe(need) for need in required), rows=HEADER_SCAN_ROWS,
                           seen=", ".join(seen[:12]) or "–")
