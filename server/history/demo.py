"""Demo history for a province of the 2025 registry: its legacy provinces, the crosswalk, past rounds and
registrations imported from spreadsheets made the way offices keep them.

The files are generated (seeded, so a second load makes the same bytes and changes nothing) and go
through the real import: names as officials type them (some without diacritics, "xã" in lower case),
district and province columns, a title row. About half the legacy communes met the standard in 2020,
57 % in 2024 (the national figure of mid-2024), a few lost it on the way; one row is left ambiguous
for the admin to resolve.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Callable

from openpyxl import Workbook

from server.core.tables import Unit, User
from server.history import imports
from server.history.crosswalk import import_links, source_links
from server.history.matching import commune_key
from server.registry.units import fold, import_units

LEGACY_ROUNDS = (2020, 2022, 2024)
ROUND_2025 = 2025
REGISTRATION_YEARS = {"legacy": (2022, 2024), "2025": (2025, max(2026, dt.date.today().year))}
BY = "Sở Y tế (dữ liệu minh họa)"


async def load_history_demo(province: Unit, admin: User, seed: int = 2026,
                            progress: Callable[[str], None] = lambda _: None) -> None:
    """Legacy provinces of `province`, the crosswalk, four rounds and four years of registrations."""
    rng = random.Random(seed)
    communes_2025 = await Unit.select(Unit.id, Unit.code, Unit.name).where(Unit.parent == province.id) \
        .order_by(Unit.code).run()
    new_codes = {row["code"] for row in communes_2025}
    legacy_codes = {link.legacy_code for link in source_links() if link.new_code in new_codes and link.main}
    provinces = legacy_provinces()
    for province_code in sorted({provinces[code] for code in legacy_codes if code in provinces}):
        await import_units("legacy", province=province_code)
    rows = await _legacy_rows(legacy_codes)
    summary = await import_links(by="demo")
    progress(f"history: {len(rows)} legacy communes, {summary.line()}")

    quality = {row["code"]: rng.gauss(0, 1) for row in rows}
    recognised: dict[str, bool] = {}
    for year in LEGACY_ROUNDS:
        shift = {2020: -0.05, 2022: 0.08, 2024: 0.18}[year]
        for row in rows:
            recognised[row["code"]] = quality[row["code"]] + shift + rng.gauss(0, 0.45) > 0
        by_province: dict[str, list[dict]] = {}
        for row in rows:
            by_province.setdefault(row["province"], []).append(row)
        for province_name, members in sorted(by_province.items()):
            data = _round_file(year, province_name, members, recognised, rng, ambiguous=year == 2024)
            name = f"Danh sach xa phu hop voi tre em {fold(province_name).replace(' ', '-')} {year}.xlsx"
            await imports.import_file(data, name, "results", year, "legacy", user=admin)
    # The new communes' first round, late 2025 (the 2025 registry).
    new_quality = {row["code"]: rng.gauss(0.25, 1) for row in communes_2025}
    data = _round_file(ROUND_2025, province.name, [{"code": r["code"], "name": r["name"], "district": "",
                                                    "province": province.name} for r in communes_2025],
                       {code: q + rng.gauss(0, 0.4) > 0 for code, q in new_quality.items()}, rng, ambiguous=False)
    await imports.import_file(data, f"Ket qua danh gia {ROUND_2025}.xlsx", "results", ROUND_2025, "2025", user=admin)
    for unit_set, years in REGISTRATION_YEARS.items():
        members = rows if unit_set == "legacy" else [{"code": r["code"], "name": r["name"], "district": "",
                                                       "province": province.name} for r in communes_2025]
        for year, share in zip(years, (0.88, 0.95) if unit_set == "legacy" else (0.96, 0.78)):
            data = _registration_file(year, [m for m in members if rng.random() < share], rng)
            await imports.import_file(data, f"Dang ky xay dung xa phu hop voi tre em {year}.csv", "registrations",
                                      year, unit_set, user=admin)
    progress("history: rounds 2020, 2022, 2024 (legacy) and 2025 imported, registrations since 2022")


def legacy_provinces() -> dict[str, str]:
    """Legacy unit code → its province's code, from the package's data."""
    from server.registry.units import source_units

    return {unit.code: unit.province_code for unit in source_units("legacy")}


async def _legacy_rows(codes: set[str]) -> list[dict]:
    found = await Unit.select(Unit.code, Unit.name, Unit.parent.name, Unit.parent.parent.name, Unit.path) \
        .where((Unit.unit_set == "legacy") & Unit.code.is_in(sorted(codes) or ["-"])).order_by(Unit.code).run()
    return [{"code": row["code"], "name": row["name"], "district": row["parent.name"],
             "province": row["parent.parent.name"], "province_code": row["path"].strip("/").split("/")[0]}
            for row in found]


def _as_typed(name: str, rng: random.Random) -> str:
    """A name as an official types it: sometimes without diacritics, sometimes "xã" in lower case."""
    roll = rng.random()
    if roll < 0.15:
        return fold(name).title()
    if roll < 0.30 and name.startswith("Xã "):
        return "xã " + name[3:]
    if roll < 0.40:
        return name.split(" ", 1)[1] if name.startswith(("Xã ", "Phường ")) else name
    return name


def _round_file(year: int, province: str, members: list[dict], recognised: dict[str, bool], rng: random.Random,
                ambiguous: bool) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = f"Năm {year}"
    sheet.append([f"KẾT QUẢ ĐÁNH GIÁ XÃ, PHƯỜNG, THỊ TRẤN PHÙ HỢP VỚI TRẺ EM NĂM {year} – {province.upper()}"])
    sheet.append([])
    sheet.append(["STT", "Tên xã, phường, thị trấn", "Huyện/thị xã/thành phố", "Tỉnh", "Tổng điểm", "Kết quả",
                  "Số quyết định", "Ngày quyết định"])
    decision = f"{rng.randint(100, 999)}/QĐ-UBND"
    day = dt.datetime(year, 12, rng.randint(10, 28))
    namesakes: dict[str, list[str]] = {}
    for member in members:
        namesakes.setdefault(commune_key(member["name"])[1], []).append(member["code"])
    blank = next((codes[0] for codes in namesakes.values() if len(codes) > 1), None) if ambiguous else None
    for number, member in enumerate(members, start=1):
        passed = recognised[member["code"]]
        total = rng.randint(855, 975) if passed else rng.randint(760, 905)
        district = "" if member["code"] == blank else member["district"]
        sheet.append([number, _as_typed(member["name"], rng), district, member["province"], total,
                      "Đạt" if passed else "Không đạt", decision, day])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _registration_file(year: int, members: list[dict], rng: random.Random) -> bytes:
    lines = ["Mã xã,Tên xã,Huyện,Tỉnh,Ngày đăng ký"]
    for member in members:
        day = dt.date(year, rng.randint(1, 3), rng.randint(1, 28)).strftime("%d/%m/%Y")
        lines.append(",".join([member["code"], member["name"], member["district"], member["province"], day]))
    return ("\n".join(lines) + "\n").encode("utf-8")
