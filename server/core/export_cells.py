"""CSV and XLSX exports that are safe to open in a spreadsheet (OWASP's "CSV injection" rule).

A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel
and LibreOffice: `=HYPERLINK("http://x","x")` typed as a user name at the login form became a live
link in the audit log's export. Every export writes its cells through here:

- CSV: such a text gets a leading apostrophe, which spreadsheets show as typed and never evaluate;
- XLSX: such a cell is stored as a string with Excel's "quote prefix" style; its text is unchanged
  (an XLSForm read back by pyxform, say, reads the same text).

Numbers stay numbers: only text is touched.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    return "'" + value if isinstance(value, str) and value.startswith(TRIGGERS) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(value) for value in values]


def csv_bytes(rows: Iterable[Iterable[Any]]) -> bytes:
    """UTF-8 with a byte-order mark (so that Excel reads Vietnamese correctly), every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(csv_row(row))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(book: Workbook) -> bytes:
    """The workbook saved, after every formula-like text cell of every sheet was made a plain string."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and (cell.data_type == "f" or cell.value.startswith(TRIGGERS)):
                    cell.data_type = "s"
                    cell.quotePrefix = True
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
