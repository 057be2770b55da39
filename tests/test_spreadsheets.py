"""Reading a province's table (server/core/spreadsheets.py): rows numbered as the spreadsheet shows them,
cells with their types, and hostile workbooks refused with a clear error before they take memory or time."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from openpyxl import Workbook

from server.core.spreadsheets import MAX_UNPACKED, SpreadsheetError, read_table
from server.history.imports import classify

REQUIRED = ("commune|code", "recognised")


def _xlsx(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _with_sheet_xml(data: bytes, change) -> bytes:
    """The workbook with its first sheet's XML changed (as a hostile or unusual writer would write it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info.filename, change(content) if info.filename == "xl/worksheets/sheet1.xml" else content)
    return out.getvalue()


def _list_book() -> Workbook:
    book = Workbook()
    sheet = book.active
    sheet["C2"] = "Danh sách xã đạt chuẩn"
    sheet.append([])
    sheet["C4"], sheet["D4"], sheet["E4"], sheet["F4"] = "Tên xã", "Kết quả", "Tổng điểm", "Ngày QĐ"
    sheet["C5"], sheet["D5"], sheet["E5"], sheet["F5"] = "Xã Hoà Bình", "Đạt", 912.5, dt.datetime(2023, 12, 31)
    sheet["C7"], sheet["D7"], sheet["E7"] = "Xã Tân Lập", "", 880
    return book


def test_rows_keep_their_numbers_and_cells_their_types() -> None:
    table = read_table(_xlsx(_list_book()), "list.xlsx", classify, REQUIRED)
    assert table.header_row == 4
    assert [number for number, _ in table.rows] == [5, 7]  # the empty row 6 is dropped, numbers kept
    first, second = (cells for _, cells in table.rows)
    assert [table.value(first, c) for c in ("commune", "recognised", "total")] == ["Xã Hoà Bình", "Đạt", 912.5]
    assert table.value(first, "decision_date") == dt.date(2023, 12, 31)
    assert (table.value(second, "recognised"), table.value(second, "total")) == (None, 880)


def test_a_zip_bomb_is_refused_even_when_its_sizes_lie() -> None:
    bomb = b"<sst>" + b"A" * (MAX_UNPACKED + 2**20) + b"</sst>"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_xlsx(_list_book()))) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        target.writestr("xl/sharedStrings.xml", bomb)
    data = bytearray(out.getvalue())
    assert len(data) < 1_000_000
    # the central directory and the local header declare 1 KB unpacked (a lie)
    size = len(bomb).to_bytes(4, "little")
    data = data.replace(size, (1024).to_bytes(4, "little"))
    with pytest.raises(SpreadsheetError) as refused:
        read_table(bytes(data), "bomb.xlsx", classify, REQUIRED)
    assert refused.value.params == {"size": MAX_UNPACKED // 2**20}


def test_a_cell_far_away_is_refused_before_a_reader_lays_out_the_grid() -> None:
    book = _list_book()
    book.active["XFD1048576"] = "x"  # two cells apart by 17 billion: a reader's grid would not fit in memory
    with pytest.raises(SpreadsheetError) as refused:
        read_table(_xlsx(book), "far.xlsx", classify, REQUIRED)
    assert "millions of cells" in refused.value.message


def test_cells_without_positions_are_counted() -> None:
    """A writer may omit the cells' `r` positions: the grid is then bounded by counting rows and cells."""
    def strip(xml: bytes) -> bytes:
        row = b"<row>" + b"<c/>" * 20_000 + b"</row>"
        return re.sub(rb'\sr="[A-Z]*[0-9]+"', b"", xml).replace(b"</sheetData>", row * 300 + b"</sheetData>")

    with pytest.raises(SpreadsheetError) as refused:
        read_table(_with_sheet_xml(_xlsx(_list_book()), strip), "flat.xlsx", classify, REQUIRED)
    assert "millions of cells" in refused.value.message
    small = _with_sheet_xml(_xlsx(_list_book()), lambda xml: re.sub(rb'\s(?:r|spans)="[^"]*"', b"", xml))
    table = read_table(small, "flat.xlsx", classify, REQUIRED)  # positions counted: C2 became A1, and so on
    assert [table.value(cells, "commune") for _, cells in table.rows] == ["Xã Hoà Bình", "Xã Tân Lập"]


@pytest.mark.parametrize("data", [b"PK\x03\x04 not really a zip", b"", b"\x00" * 100])
def test_what_is_no_workbook_is_refused(data: bytes) -> None:
    with pytest.raises(SpreadsheetError) as refused:
        read_table(data, "x.xlsx", classify, REQUIRED)
    assert "is not an Excel workbook" in refused.value.message
