"""Past rounds from a province's spreadsheet: a deliberately messy list matched to the legacy registry
(names without diacritics, "xã" in lower case, a former district name, namesakes in two districts, a
row that matches nothing), held rows resolved by a person, and the same file imported twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import io

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from server.core.errors import InputError
from server.core.tables import AuditLog, HistoryImport, HistoryRow, Registration, Unit

HEADER = ["STT", "Tên xã/phường/thị trấn", "Huyện/thị xã/thành phố", "Tỉnh", "Tổng điểm", "Kết quả", "Số QĐ",
          "Ngày QĐ"]
# (commune as written, district, province, total, result) → the legacy commune it must match, or None if held.
MESSY = [
    ("dong tien", "Yên Thế", "Bắc Giang", 950, "Đạt", "07243"),  # no diacritics, no type, namesake told apart by district
    ("Xã Đồng Tiến", "", "Bắc Giang", 800, "Không đạt", None),  # the namesake without a district: ambiguous
    ("xã đông sơn", "Huyện Yên Thế", "bac giang", "912,5", "x", "07273"),  # "xã" in lower case
    ("Dong Son", "TP Bac Giang", "Bắc Giang", 870, "dat", "07696"),  # Phường Đồng Sơn, not Xã Đông Sơn
    ("Phu Luong", "Huyện Quế Võ", "Bắc Ninh", 905, "Đạt", "09274"),  # the district as a "huyện" (now Thị xã Quế Võ)
    ("phu luong", "Lương Tài", "Bac Ninh", 700, "chưa đạt", "09532"),  # Xã Phú Lương, Lương Tài
    ("Xã Không Có", "Huyện Yên Thế", "Bắc Giang", 880, "Đạt", None),  # matches nothing
    ("TT Phuong Son", "", "Bắc Giang", 860, "Đạt", "07477"),  # "TT": the township, not Phường Phượng Sơn
    ("Dĩnh Trì", "TP. Bắc Giang", "Bắc Giang", "abc", "Đạt", None),  # a total that cannot be read
    ("Trí Yên", "Huyện Yên Dũng", "Bắc Giang", 880, "Đạt", "07720"),  # a former district (merged into TP Bắc Giang)
]


def run(coro):
    return asyncio.run(coro)


def messy_xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Năm 2023"
    sheet.append(["DANH SÁCH XÃ, PHƯỜNG, THỊ TRẤN ĐẠT CHUẨN PHÙ HỢP VỚI TRẺ EM NĂM 2023"])
    sheet.append([])
    sheet.append(HEADER)
    for number, (commune, district, province, total, result, _) in enumerate(MESSY, start=1):
        sheet.append([number, commune, district, province, total, result, "123/QĐ-UBND", dt.datetime(2023, 12, 20)])
    sheet.append([None, "Tổng cộng", None, None, None, None, None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def messy_csv() -> bytes:
    lines = [";".join(["Mã xã", "Xã", "Huyện", "Tỉnh", "Điểm", "Đạt chuẩn", "Ngày quyết định"])]
    for commune, district, province, total, result, _ in MESSY:
        lines.append(";".join(["", commune, district, province, str(total), result, "20/12/2023"]))
    lines.append(";".join(["07201", "Phường bất kỳ", "", "", "900", "Đạt", "20/12/2023"]))  # the code decides
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


@pytest.fixture()
def provinces(db: str) -> None:
    from server.registry.units import import_units

    async def load() -> None:
        for code in ("24", "27"):
            await import_units("legacy", code)

    run(load())


def code_of(unit_id: int | None) -> str | None:
    if unit_id is None:
        return None
    return Unit.select(Unit.code).where(Unit.id == unit_id).first().run_sync()["code"]


def test_messy_spreadsheet_matches_the_right_communes_and_holds_the_rest(provinces) -> None:
    from server.history import imports

    planned, outcome = run(imports.import_file(messy_xlsx(), "Danh sach 2023.xlsx", "results", 2023, "legacy",
                                               by="Nguyễn Văn A"))
    assert outcome.created
    assert planned.header_row == 3 and planned.sheet == "Năm 2023"
    assert [row.row_number for row in planned.rows] == list(range(4, 4 + len(MESSY)))  # "Tổng cộng" is no commune
    rows = HistoryRow.select().where(HistoryRow.history_import == outcome.history_import.id) \
        .order_by(HistoryRow.row_number).output(load_json=True).run_sync()
    by_row = {row["row_number"]: row for row in rows}
    for number, (commune, *_, expected) in enumerate(MESSY, start=4):
        row = by_row[number]
        if expected is not None:
            assert (row["status"], code_of(row["commune"])) == ("matched", expected), commune
        else:
            assert row["status"] in imports.HELD and row["commune"] is None, commune
    assert by_row[5]["status"] == "ambiguous" and by_row[5]["note"] == "no_district"
    assert sorted(by_row[5]["candidates"]) == ["07243", "07816"]  # Đồng Tiến of Yên Thế and of Hiệp Hòa
    assert by_row[13]["note"] == "former_district_name"
    assert (by_row[10]["status"], by_row[10]["note"]) == ("unmatched", "not_found")
    assert by_row[12]["status"] == "invalid" and by_row[12]["source"]["problems"] == [{"field": "total", "value": "abc"}]
    # values as the officials wrote them
    assert (by_row[6]["total"], by_row[6]["recognised"]) == (912.5, True)
    assert (by_row[9]["recognised"], by_row[9]["decision_number"], by_row[9]["decision_date"]) == \
        (False, "123/QĐ-UBND", "2023-12-20")
    record = HistoryImport.objects().where(HistoryImport.id == outcome.history_import.id).first().run_sync()
    assert (record.file_name, record.imported_by_name, record.year, record.unit_set, record.rule_set) == \
        ("Danh sach 2023.xlsx", "Nguyễn Văn A", 2023, "legacy", "vn-2019")
    assert record.imported_at is not None
    assert AuditLog.count().where(AuditLog.action == "history_imported").run_sync() == 1


def test_importing_the_same_file_again_changes_nothing(provinces) -> None:
    from server.history import imports

    data = messy_xlsx()
    _, first = run(imports.import_file(data, "a.xlsx", "results", 2023, "legacy", by="a"))
    rows, audits = HistoryRow.count().run_sync(), AuditLog.count().run_sync()
    planned, second = run(imports.import_file(data, "renamed.xlsx", "results", "2023", "legacy", by="b"))
    assert not second.created and second.history_import.id == first.history_import.id
    assert planned.existing is not None
    assert (HistoryRow.count().run_sync(), AuditLog.count().run_sync(), HistoryImport.count().run_sync()) == \
        (rows, audits, 1)
    # the same bytes for another year is another round
    _, third = run(imports.import_file(data, "a.xlsx", "results", 2022, "legacy", by="a"))
    assert third.created and HistoryImport.count().run_sync() == 2


def test_a_csv_with_semicolons_and_a_code_column(provinces) -> None:
    from server.history import imports

    planned = run(imports.plan(messy_csv(), "2023.csv", "results", 2023, "legacy"))
    matched = {row.unit.code for row in planned.rows if row.status == "matched"}
    assert matched == {code for *_, code in MESSY if code} | {"07201"}
    last = planned.rows[-1]
    assert (last.note, last.unit.name) == ("by_code", Unit.select(Unit.name).where(Unit.key == "legacy:07201")
                                           .first().run_sync()["name"])
    assert HistoryImport.count().run_sync() == 0  # a plan stores nothing


def test_a_person_resolves_held_rows_and_every_decision_is_audited(provinces) -> None:
    from server.history import imports

    _, outcome = run(imports.import_file(messy_xlsx(), "a.xlsx", "results", 2023, "legacy", by="a"))
    held = {row["row_number"]: row for row in run(imports.held_rows(outcome.history_import.id))}
    assert set(held) == {5, 10, 12}
    assert [c["name"] for c in held[5]["candidate_units"]] == ["Xã Đồng Tiến", "Xã Đồng Tiến"]
    # the commune of row 4 cannot be counted twice
    with pytest.raises(InputError) as refused:
        run(imports.resolve(held[5]["id"], commune_code="07243", by="b"))
    assert refused.value.status_code == 409
    row = run(imports.resolve(held[5]["id"], commune_code="07816", by="b", reason="QĐ ghi huyện Hiệp Hòa"))
    assert (row.status, code_of(row.commune)) == ("resolved", "07816")
    with pytest.raises(InputError):  # decided rows stay decided
        run(imports.resolve(held[5]["id"], commune_code="07816", by="b"))
    with pytest.raises(InputError):  # an unreadable total can only be skipped
        run(imports.resolve(held[12]["id"], commune_code="07210", by="b"))
    assert run(imports.resolve(held[12]["id"], commune_code=None, by="b")).status == "skipped"
    with pytest.raises(InputError):
        run(imports.resolve(held[10]["id"], commune_code="99999", by="b"))
    assert run(imports.resolve(held[10]["id"], commune_code=None, by="b")).status == "skipped"
    assert run(imports.held_rows()) == []
    entries = AuditLog.select(AuditLog.username, AuditLog.reason, AuditLog.after) \
        .where(AuditLog.action == "history_row_resolved").order_by(AuditLog.id).output(load_json=True).run_sync()
    assert [e["after"]["status"] for e in entries] == ["resolved", "skipped", "skipped"]
    assert entries[0]["reason"] == "QĐ ghi huyện Hiệp Hòa" and entries[0]["username"] == "b"


def test_bad_requests_and_files_are_refused_naming_the_field(provinces) -> None:
    from server.history import imports

    for year, unit_set, field in (("²", "legacy", "year"), ("1" * 5000, "legacy", "year"), (2026, "legacy", "unit_set"),
                                  (2023, "2025", "unit_set"), (2023, "other", "unit_set")):
        with pytest.raises(InputError) as refused:
            run(imports.plan(messy_xlsx(), "a.xlsx", "results", year, unit_set))
        assert [e.field for e in refused.value.errors] == [field]
    for data, name in ((b"not a zip", "a.xlsx"), (b"\xff\xfe\x00bad", "a.csv"), (b"a,b\n1,2\n", "a.csv"),
                       (b"x", "a.pdf")):
        with pytest.raises(InputError) as refused:
            run(imports.plan(data, name, "results", 2023, "legacy"))
        assert [e.field for e in refused.value.errors] == ["file"]
    assert HistoryImport.count().run_sync() == 0


def test_registrations_from_a_list_register_the_matched_communes_once(provinces) -> None:
    from server.history import imports

    data = ("Xã,Huyện,Tỉnh,Ngày đăng ký\n"
            "dong tien,Yên Thế,Bắc Giang,15/03/2024\n"
            "Xã Đồng Tiến,,Bắc Giang,15/03/2024\n"
            "TT Phuong Son,,Bắc Giang,\n").encode()
    _, outcome = run(imports.import_file(data, "dk.csv", "registrations", 2024, "legacy", by="a"))
    regs = Registration.select(Registration.commune.code, Registration.registered_on, Registration.source) \
        .order_by(Registration.commune).run_sync()
    assert [(r["commune.code"], r["registered_on"]) for r in regs] == [("07243", "2024-03-15"), ("07477", None)]
    assert all(r["source"] == f"import:{outcome.history_import.id}" for r in regs)
    [held] = run(imports.held_rows(outcome.history_import.id))
    run(imports.resolve(held["id"], commune_code="07816", by="a"))
    assert Registration.count().run_sync() == 3
    run(imports.import_file(data, "dk.csv", "registrations", 2024, "legacy", by="a"))
    assert Registration.count().run_sync() == 3


def test_cli_import_reports_held_rows_and_resolves_them(provinces, tmp_path) -> None:
    from server.cli import main

    path = tmp_path / "2023.xlsx"
    path.write_bytes(messy_xlsx())
    runner = CliRunner()
    result = runner.invoke(main, ["history", "import", str(path), "--year", "2023", "--set", "legacy", "--dry-run",
                                  "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Matched: 7" in result.output and "row 5: Xã Đồng Tiến, Bắc Giang" in result.output
    assert HistoryImport.count().run_sync() == 0
    result = runner.invoke(main, ["history", "import", str(path), "--year", "2023", "--set", "legacy", "--by", "lan"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["history", "held", "--lang", "en"])
    lines = result.output.strip().splitlines()
    assert len(lines) == 3 and "07243 Xã Đồng Tiến (Huyện Yên Thế); 07816 Xã Đồng Tiến (Huyện Hiệp Hòa)" in lines[0]
    row_id = lines[0].split("\t")[0]
    result = runner.invoke(main, ["history", "resolve", row_id, "--commune", "07816", "--by", "lan"])
    assert result.exit_code == 0 and result.output.strip().endswith("resolved")
    result = runner.invoke(main, ["history", "resolve", row_id, "--skip", "--lang", "en"])
    assert result.exit_code == 2 and "row: This row was already decided." in result.output
    result = runner.invoke(main, ["history", "import", str(path), "--year", "2023", "--set", "legacy"])
    assert "không có gì thay đổi" in result.output  # Vietnamese by default
    result = runner.invoke(main, ["history", "import", str(path), "--year", "²", "--set", "legacy", "--lang", "en"])
    assert result.exit_code == 2 and "year: Give a year between 2000 and" in result.output


def test_names_that_differ_only_by_their_marks_are_told_apart_when_the_row_has_them() -> None:
    """Xã Minh Quán and Xã Minh Quân are both in Huyện Trấn Yên (Yên Bái): "Minh Quán" is one of them,
    "Minh Quan" without marks could be either and is held."""
    from server.history.matching import Matcher

    units = [{"id": 1, "code": "15", "name": "Tỉnh Yên Bái", "kind": "province", "parent": None, "path": "/15"},
             {"id": 2, "code": "141", "name": "Huyện Trấn Yên", "kind": "district", "parent": 1, "path": "/15/141"},
             {"id": 3, "code": "04525", "name": "Xã Minh Quán", "kind": "commune", "parent": 2, "path": "/15/141/04525"},
             {"id": 4, "code": "04531", "name": "Xã Minh Quân", "kind": "commune", "parent": 2, "path": "/15/141/04531"}]
    matcher = Matcher("legacy", units)
    assert matcher.match("xã Minh Quán", "Trấn Yên").unit.code == "04525"
    assert matcher.match("MINH QUÂN", "Huyện Trấn Yên").unit.code == "04531"
    held = matcher.match("Minh Quan", "Tran Yen")
    assert held.status == "ambiguous" and [c.code for c in held.candidates] == ["04525", "04531"]


def test_where_a_syllable_puts_its_tone_does_not_matter_but_its_marks_do() -> None:
    """"Hoà"/"Hòa", "Thuỷ"/"Thủy" and NFD text are one spelling; "Hòa" and "Hoa", "Thủy" and "Thụy" are two.
    Namesakes that differ only by their marks (one district) are told apart by the row's marks wherever
    it puts the tone; a row without marks is held."""
    import unicodedata

    from server.history.matching import Matcher, marked_key

    assert marked_key("Xã Hoà Bình") == marked_key("xã Hòa Bình") == marked_key(unicodedata.normalize("NFD", "Hoà Bình"))
    assert marked_key("Thuỷ Xuân") == marked_key("Thủy Xuân") != marked_key("Thụy Xuân")
    assert marked_key("Hòa Bình") != marked_key("Hoa Bình")
    units = [{"id": 1, "code": "15", "name": "Tỉnh Yên Bái", "kind": "province", "parent": None, "path": "/15"},
             {"id": 2, "code": "141", "name": "Huyện Trấn Yên", "kind": "district", "parent": 1, "path": "/15/141"},
             {"id": 3, "code": "90001", "name": "Xã Hòa Bình", "kind": "commune", "parent": 2, "path": "/15/141/90001"},
             {"id": 4, "code": "90002", "name": "Xã Hoa Bình", "kind": "commune", "parent": 2, "path": "/15/141/90002"},
             {"id": 5, "code": "90003", "name": "Xã Thủy Xuân", "kind": "commune", "parent": 2, "path": "/15/141/90003"},
             {"id": 6, "code": "90004", "name": "Xã Thụy Xuân", "kind": "commune", "parent": 2, "path": "/15/141/90004"}]
    matcher = Matcher("legacy", units)
    for written, code in (("Xã Hoà Bình", "90001"), ("hòa bình", "90001"), (unicodedata.normalize("NFD", "Hoà Bình"), "90001"),
                          (unicodedata.normalize("NFD", "xã Hoa Bình"), "90002"), ("Thuỷ Xuân", "90003"),
                          ("THỦY XUÂN", "90003"), ("Thuỵ Xuân", "90004")):
        found = matcher.match(written, "Trấn Yên")
        assert (found.status, found.unit and found.unit.code) == ("matched", code), written
    for written in ("Hoa Binh", "Thuy Xuan"):
        assert matcher.match(written, "Tran Yen").status == "ambiguous"
