"""Downloads of a final list: the list (CSV, XLSX) and its figures per scored line.

Headers are in the page language. Every row computed with PROVISIONAL values says so in its own
column (a spreadsheet row is often copied alone), and the XLSX sheets open with a red note.
Sensitive counts go through `privacy` exactly as on the pages.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from server.core.i18n import format_number
from server.maps import privacy


@dataclass
class Table:
    title: str  # sheet name
    header: list[str]
    rows: list[list[Any]]


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens Vietnamese names correctly; measured values
    (Decimal) are written in the page language ("98,5" in vi), whole numbers plain."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.header)
    writer.writerows([format_number(cell) if isinstance(cell, Decimal) else cell for cell in row] for row in table.rows)
    return buffer.getvalue().encode("utf-8-sig")


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
        for row in table.rows:  # numbers stay numbers: Excel shows them in its reader's language
            sheet.append([float(cell) if isinstance(cell, Decimal) else cell for cell in row])
        sheet.freeze_panes = sheet.cell(row=sheet.max_row - len(table.rows) + 1, column=1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def figure_rows(code: str, name: str, result: dict[str, Any], label: Any, provisional_mark: str) -> list[list[Any]]:
    """One row per scored line of one commune; small sensitive counts as "< 5", their ratios dropped."""
    rows = []
    for criterion in result.get("criteria", []):
        for raw in criterion.get("lines", []):
            line = privacy.public_line(raw)
            inputs = "; ".join(f"{key} = {value}" for key, value in line["inputs"].items())
            rows.append([code, name, line["id"], label(line["label"]), inputs,
                         Decimal(line["value"]) if line.get("value") else "",
                         line.get("unit") or "", line["points"], line["max"],
                         provisional_mark if line.get("provisional") else ""])
    return rows
