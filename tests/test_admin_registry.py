"""Commune types in bulk from a decision's list (CSV or XLSX): preview, then apply, audited, and
"what changed" on the registry page. Nothing changes at the preview or on a refused list."""

from __future__ import annotations

import asyncio
import io

from conftest import csrf_header, login
from openpyxl import Workbook
from page_text import read

from server.core.tables import AuditLog, Unit

LIST_CSV = ("Danh sách xã miền núi (kèm theo Quyết định 1/QĐ-UBND)\n"
            "STT;Tên đơn vị;Tỉnh;Phân loại\n"
            "1;Phường Ba Đình;Thành phố Hà Nội;Xã miền núi\n"
            "2;Phường Ngọc Hà;;ĐBKK\n"
            "3;Xã Không Có;;miền núi\n"
            "4;Phường Ba Đình;;hải đảo\n").encode("utf-8-sig")


def _types() -> dict[str, str | None]:
    rows = asyncio.run(Unit.select(Unit.code, Unit.commune_type).where(Unit.kind == "commune").run())
    return {row["code"]: row["commune_type"] for row in rows}


def _preview(client, name: str, content: bytes, **data: str):
    return client.post("/admin/registry/types/preview", headers=csrf_header(client),
                       data={"unit_set": "2025", "province": "01", "reason": "Quyết định 1/QĐ-UBND ngày 02/01/2026",
                             **data}, files={"file": (name, content)})


def test_a_decision_list_sets_commune_types_after_a_preview(client, world) -> None:
    login(client, "admin")
    before = _types()
    preview = _preview(client, "xa-mien-nui.csv", LIST_CSV, default_type="")
    assert preview.status_code == 200, preview.text
    assert _types() == before  # a preview stores nothing
    prose = read(preview.text)[0]
    assert "2 cần thay đổi, 0 đã đúng, 2 không áp dụng" in prose
    assert "Không có xã nào mang tên hoặc mã này trong danh mục." in prose  # row 3
    assert "Trùng với xã ở dòng 3." in prose  # row 4 names Ba Đình again (as the spreadsheet numbers rows)
    changes = [value for value in ('value="00004:mountain_island_difficult"', 'value="00008:mountain_island_difficult"')
               if value in preview.text]
    assert len(changes) == 2

    applied = client.post("/admin/registry/types", headers=csrf_header(client), follow_redirects=False,
                          data={"unit_set": "2025", "province": "01", "reason": "Quyết định 1/QĐ-UBND ngày 02/01/2026",
                                "file_name": "xa-mien-nui.csv",
                                "change": ["00004:mountain_island_difficult", "00008:mountain_island_difficult"]})
    assert applied.status_code == 303 and applied.headers["location"].endswith("done=2")
    assert _types() == {**before, "00004": "mountain_island_difficult", "00008": "mountain_island_difficult"}
    logged = asyncio.run(AuditLog.select(AuditLog.action, AuditLog.reason).where(
        AuditLog.action.is_in(["commune_type_set", "commune_types_imported"])).run())
    assert sorted(row["action"] for row in logged) == ["commune_type_set", "commune_type_set", "commune_types_imported"]
    assert {row["reason"] for row in logged} == {"Quyết định 1/QĐ-UBND ngày 02/01/2026"}
    page = " ".join(read(client.get("/admin/registry?province=01").text)[0].split())
    assert "Xã, phường, thị trấn còn lại → Xã, thị trấn miền núi, hải đảo, xã đặc biệt khó khăn" in page  # what changed


def test_an_excel_list_without_a_type_column_takes_the_chosen_type(client, world) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Mã xã", "Tên xã"])
    sheet.append(["26734", "Phường Sài Gòn"])
    buffer = io.BytesIO()
    book.save(buffer)
    login(client, "admin")
    refused = _preview(client, "ds.xlsx", buffer.getvalue(), default_type="")
    assert refused.status_code == 422 and "Danh sách không có cột phân loại" in refused.text
    shown = _preview(client, "ds.xlsx", buffer.getvalue(), default_type="urban_ward")
    assert 'value="26734:urban_ward"' in shown.text


def test_bad_lists_and_bad_changes_are_refused_with_nothing_changed(client, world) -> None:
    login(client, "admin")
    before = _types()
    assert _preview(client, "x.csv", LIST_CSV, reason="").status_code == 422  # the decision is required
    assert "CSV" in _preview(client, "x.pdf", b"%PDF-1.4").text
    assert _preview(client, "x.xlsx", b"not a workbook").status_code == 422
    for change in ("00004:village", "../00004:other", "99999:other", ""):
        response = client.post("/admin/registry/types", headers=csrf_header(client),
                               data={"unit_set": "2025", "reason": "Quyết định 1/QĐ-UBND", "change": change})
        assert response.status_code == 422, change
    assert _types() == before
    client.cookies.clear()
    login(client, "reviewer_x")
    assert client.get("/admin/registry").status_code == 403
