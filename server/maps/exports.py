"""Downloads of a final list: the list (CSV, XLSX) and its goals per commune.

Headers are in the page language. Every row computed with PROVISIONAL values says so in its own
column (a spreadsheet row is often copied alone), and the XLSX sheets open with a red note.
The rows are built from `privacy.PublicResult` only (public_pages), exactly as on the pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from server.core.export_cells import csv_bytes, xlsx_bytes


@dataclass
class Table:
    title: str  # sheet name
    header: list[str]
    rows: list[list[Any]]


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens Vietnamese names correctly; formula-like cells made safe."""
    return csv_bytes([table.header, *table.rows])


def to_xlsx(tables: list[Table], note: str | None) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        sheet = workbook.create_sheet(table.title[:31])
        if note:
            sheet.append([note])
            sheet.cell(row=1, column=1).font = Font(bold=True, color="B02A37")
        sheet.append(table.header)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(row)
        sheet.freeze_panes = sheet.cell(row=sheet.max_row - len(table.rows) + 1, column=1)
    return xlsx_bytes(workbook)
