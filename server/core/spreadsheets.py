"""Read a table as people keep it: an XLSX workbook or a CSV file, with a title or notes above the
header row, columns in any order and named in the office's own words.

`read_table` finds the header row (the first of the top rows in which `classify` recognises the
required columns) on the first sheet that has one, and returns the rows below it with their row
numbers as the spreadsheet shows them. Cells keep their types (numbers, dates, text); empty rows
are dropped. Errors are `SpreadsheetError`s whose message is a msgid with its parameters.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from server.core.i18n import N_

HEADER_SCAN_ROWS = 15
MAX_ROWS = 50_000
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
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise SpreadsheetError(N_("This file is not an Excel workbook (.xlsx) that can be read: %(error)s"),
                               error=str(error)[:200]) from error
    for sheet in book.worksheets:
        yield sheet.title, ((number, list(values)) for number, values in
                            enumerate(sheet.iter_rows(values_only=True), start=1))


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
                           columns=", ".join(describe(need) for need in required), rows=HEADER_SCAN_ROWS, seen=", ".join(seen[:12]) or "–")
