"""The registry import from the `vietnamadminunits` data, on the real database (SQLite or PostgreSQL).

The full legacy and 2025 sets are imported once for the tests that read them (`full`); tests
that need an empty database (`db`) come after them in this file.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from click.testing import CliRunner

from server.cli import main
from server.registry.units import (
    ImportSummary,
    RegistryError,
    UnknownProvince,
    communes_in,
    find_province,
    fold,
    get_unit,
    import_units,
    is_within,
    set_commune_type,
)
from server.core.tables import AuditLog, Unit
from server.core.testing import empty_all_tables

# Counts checked against the package's dataset.db (SELECT COUNT(DISTINCT ...) per level).
LEGACY = {"province": 63, "district": 696, "commune": 10_035}
SET_2025 = {"province": 34, "commune": 3_321}
# Districts of the legacy set with no commune below them (islands run directly by the district).
EMPTY_LEGACY_DISTRICTS = {"318": "Huyện Bạch Long Vĩ", "471": "Huyện Cồn Cỏ", "498": "Huyện Hoàng Sa",
                          "536": "Huyện Lý Sơn", "755": "Huyện Côn Đảo"}
# Source communes named "Phường ..." in the centrally-run cities of each set (the source's wardType
# column says 'Xã' for two of the legacy ones, Phường 5 and Phường 15 in TP Hồ Chí Minh).
URBAN_WARDS = {"legacy": 524, "2025": 284}


def run(coro):
    return asyncio.run(coro)


def count(unit_set: str, **where: object) -> int:
    query = Unit.count().where(Unit.unit_set == unit_set)
    for column, value in where.items():
        query = query.where(getattr(Unit, column) == value)
    return query.run_sync()


# ---------------------------------------------------------------- the full sets, imported once

@pytest.fixture(scope="module")
def full_import(migrated_db: str):
    empty_all_tables()
    summaries = {"legacy": run(import_units("legacy")), "2025": run(import_units("2025"))}
    yield summaries
    empty_all_tables()


@pytest.fixture()
def full(full_import: dict[str, ImportSummary]) -> dict[str, ImportSummary]:
    """Both full sets in the database (imported again if a `db` test emptied it in between)."""
    if Unit.count().run_sync() != sum(LEGACY.values()) + sum(SET_2025.values()):
        empty_all_tables()
        run(import_units("legacy"))
        run(import_units("2025"))
    return full_import


def test_full_2025_import_has_34_provinces_and_3321_communes(full) -> None:
    summary = full["2025"]
    assert summary.counts == SET_2025
    assert (summary.inserted, summary.updated, summary.unchanged) == (3_355, 0, 0)
    assert summary.line() == "34 provinces, 3,321 communes (3,355 new, 0 updated)"
    assert count("2025", kind="province", level=1) == 34
    assert count("2025", kind="commune", level=2) == 3_321
    assert count("2025") == 3_355


def test_full_legacy_import_has_63_provinces_696_districts_10035_communes(full) -> None:
    summary = full["legacy"]
    assert summary.counts == LEGACY
    assert summary.line() == "63 provinces, 696 districts, 10,035 communes (10,794 new, 0 updated)"
    assert count("legacy", kind="province", level=1) == 63
    assert count("legacy", kind="district", level=2) == 696
    assert count("legacy", kind="commune", level=3) == 10_035
    for code, name in EMPTY_LEGACY_DISTRICTS.items():
        district = run(get_unit("legacy", code))
        assert district.name == name and district.kind == "district"
        assert run(communes_in(district)) == []


def test_every_unit_has_coordinates_and_a_consistent_parent(full) -> None:
    for unit_set, levels in (("legacy", 3), ("2025", 2)):
        assert Unit.count().where((Unit.unit_set == unit_set) & (Unit.lat.is_null() | Unit.lon.is_null())).run_sync() == 0
        rows = Unit.select(Unit.path, Unit.level, Unit.code, Unit.parent.path, Unit.parent.level) \
            .where(Unit.unit_set == unit_set).run_sync()
        for row in rows:
            assert row["path"].endswith("/" + row["code"])
            assert row["path"].count("/") == row["level"] <= levels
            if row["level"] == 1:
                assert row["parent.path"] is None
            else:
                assert row["parent.level"] == row["level"] - 1
                assert row["path"] == f"{row['parent.path']}/{row['code']}"


def test_known_units_have_their_official_code_name_parent_path_and_coordinates(full) -> None:
    hanoi = run(get_unit("legacy", "01"))
    assert (hanoi.name, hanoi.kind, hanoi.level, hanoi.path, hanoi.parent) == ("Thành phố Hà Nội", "province", 1, "/01", None)
    assert (hanoi.lat, hanoi.lon) == pytest.approx((21.027764, 105.83416))
    ba_dinh = run(get_unit("legacy", "001"))
    assert (ba_dinh.name, ba_dinh.kind, ba_dinh.parent, ba_dinh.path) == ("Quận Ba Đình", "district", hanoi.id, "/01/001")
    phuc_xa = run(get_unit("legacy", "00001"))
    assert (phuc_xa.key, phuc_xa.name, phuc_xa.name_ascii) == ("legacy:00001", "Phường Phúc Xá", "phuong phuc xa")
    assert (phuc_xa.kind, phuc_xa.level, phuc_xa.parent, phuc_xa.path) == ("commune", 3, ba_dinh.id, "/01/001/00001")
    assert (phuc_xa.lat, phuc_xa.lon) == pytest.approx((21.046798, 105.848112))
    assert phuc_xa.commune_type == "urban_ward"
    assert ba_dinh.commune_type is None and hanoi.commune_type is None

    hanoi_2025 = run(get_unit("2025", "01"))
    assert hanoi_2025.id != hanoi.id and hanoi_2025.key == "2025:01"
    assert (hanoi_2025.lat, hanoi_2025.lon) == pytest.approx((21.0001, 105.698))
    ward = run(get_unit("2025", "00004"))
    assert (ward.name, ward.parent, ward.path, ward.level) == ("Phường Ba Đình", hanoi_2025.id, "/01/00004", 2)
    assert (ward.lat, ward.lon) == pytest.approx((21.0386, 105.838))
    assert run(get_unit("2025", "001")) is None  # districts are not in the 2025 set


def test_default_commune_type_marks_wards_of_centrally_run_cities_only(full) -> None:
    assert count("legacy", commune_type="urban_ward") == URBAN_WARDS["legacy"]
    assert count("2025", commune_type="urban_ward") == URBAN_WARDS["2025"]
    assert count("legacy", commune_type="other") == LEGACY["commune"] - URBAN_WARDS["legacy"]
    assert count("2025", commune_type="mountain_island_difficult") == 0
    assert run(get_unit("2025", "07210")).commune_type == "other"  # Phường Bắc Giang: a ward of a province
    assert run(get_unit("2025", "31078")).commune_type == "other"  # Đặc khu Phú Quốc
    assert run(get_unit("legacy", "19777")).commune_type == "other"  # Phường Vỹ Dạ, Huế: not counted in legacy
    hue_2025 = run(get_unit("2025", "46"))
    assert hue_2025.name == "Thành phố Huế"
    assert {c.commune_type for c in run(communes_in(hue_2025)) if c.name.startswith("Phường")} == {"urban_ward"}


def test_a_second_import_changes_nothing(full) -> None:
    for unit_set, counts in (("2025", SET_2025), ("legacy", LEGACY)):
        ids_before = {r["key"]: r["id"] for r in Unit.select(Unit.key, Unit.id).where(Unit.unit_set == unit_set).run_sync()}
        again = run(import_units(unit_set))
        assert again.counts == counts
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, sum(counts.values()))
        assert again.line().endswith("(0 new, 0 updated)")
        assert count(unit_set) == sum(counts.values())
        ids_after = {r["key"]: r["id"] for r in Unit.select(Unit.key, Unit.id).where(Unit.unit_set == unit_set).run_sync()}
        assert ids_after == ids_before


def test_communes_in_an_area_follow_the_path(full) -> None:
    hanoi = run(get_unit("legacy", "01"))
    communes = run(communes_in(hanoi))
    assert len(communes) == 526
    assert all(c.kind == "commune" and c.unit_set == "legacy" and is_within(c.path, hanoi.path) for c in communes)
    assert len(run(communes_in(run(get_unit("legacy", "001"))))) == 13  # Quận Ba Đình
    assert len(run(communes_in(run(get_unit("2025", "01"))))) == 126
    phuc_xa = run(get_unit("legacy", "00001"))
    assert [c.id for c in run(communes_in(phuc_xa))] == [phuc_xa.id]
    assert not is_within(phuc_xa.path, run(get_unit("legacy", "79")).path)


# ---------------------------------------------------------------- pure helpers

def test_fold_drops_diacritics_and_case() -> None:
    assert fold("Hoàn Kiếm") == "hoan kiem"
    assert fold("Đống Đa") == "dong da"
    assert fold("  Phường   Phúc Xá ") == "phuong phuc xa"
    assert fold("Thừa Thiên Huế") == "thua thien hue"
    assert fold("Bà Rịa - Vũng Tàu") == "ba ria - vung tau"


def test_is_within_is_a_prefix_test_on_whole_segments() -> None:
    assert is_within("/01/001/00001", "/01")
    assert is_within("/01/001/00001", "/01/001")
    assert is_within("/01/001/00001", "/01/001/")
    assert is_within("/01/001", "/01/001")
    assert not is_within("/01/0010/00001", "/01/001")
    assert not is_within("/01", "/01/001")
    assert not is_within("/79/760/26734", "/01")
    assert not is_within("/01/001", "")


def test_find_province_by_code_or_name_without_diacritics() -> None:
    assert find_province("2025", "bac ninh").code == "24"
    assert find_province("legacy", "bac ninh").code == "27"
    assert find_province("2025", "Bắc Ninh").code == "24"
    assert find_province("2025", "Tỉnh Bắc Ninh").code == "24"
    assert find_province("2025", "hcm").code == "79"
    assert find_province("2025", "1").code == "01"
    assert find_province("legacy", "Hà Giang").name == "Tỉnh Hà Giang"
    with pytest.raises(UnknownProvince, match="ha giang"):
        find_province("2025", "ha giang")  # merged into Tuyên Quang in 2025
    with pytest.raises(UnknownProvince, match="'99'"):
        find_province("2025", "99")


# ---------------------------------------------------------------- from an empty database

def test_province_filter_imports_one_province(db: str) -> None:
    seen: list[int] = []
    summary = run(import_units("2025", "bac ninh", progress=seen.append))
    assert summary.province == "24"
    assert summary.counts == {"province": 1, "commune": 99}
    assert summary.line() == "1 province, 99 communes (100 new, 0 updated)"
    assert sum(seen) == 100
    assert count("2025") == 100 and Unit.count().run_sync() == 100
    assert {c.path.split("/")[1] for c in Unit.objects().run_sync()} == {"24"}
    again = run(import_units("2025", "24"))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 100)
    with pytest.raises(UnknownProvince, match="atlantis"):
        run(import_units("2025", "atlantis"))
    legacy = run(import_units("legacy", "bac ninh"))  # legacy Bắc Ninh is code 27, with 8 districts
    assert legacy.counts == {"province": 1, "district": 8, "commune": 121}
    assert count("legacy") == 130 and count("2025") == 100


def test_reimport_updates_changed_units_and_keeps_the_admin_commune_type(db: str) -> None:
    run(import_units("2025", "24"))
    run(set_commune_type("2025", "07210", "mountain_island_difficult", by="tester", reason="trial"))
    Unit.update({Unit.name: "Phường Cũ", Unit.name_ascii: "phuong cu", Unit.lat: 1.0}) \
        .where(Unit.key == "2025:07210").run_sync()
    summary = run(import_units("2025", "24"))
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 1, 99)
    ward = run(get_unit("2025", "07210"))
    assert (ward.name, ward.name_ascii) == ("Phường Bắc Giang", "phuong bac giang")
    assert ward.lat == pytest.approx(21.2849)
    assert ward.commune_type == "mountain_island_difficult"
    entry = AuditLog.objects().where(AuditLog.action == "commune_type_set").first().run_sync()
    assert (entry.username, entry.reason) == ("tester", "trial")
    before, after = (json.loads(v) if isinstance(v, str) else v for v in (entry.before, entry.after))
    assert (before["commune_type"], after["commune_type"]) == ("other", "mountain_island_difficult")
    assert AuditLog.count().where(AuditLog.action == "registry_imported").run_sync() == 2
    with pytest.raises(RegistryError, match="no commune"):
        run(set_commune_type("2025", "24", "other"))  # a province has no scoring type
    with pytest.raises(RegistryError, match="unknown commune type"):
        run(set_commune_type("2025", "07210", "rural"))


# ---------------------------------------------------------------- the command line

def test_cli_import_list_and_set_type(db: str) -> None:
    command, prefix = main, ["registry"]
    runner = CliRunner()

    result = runner.invoke(command, [*prefix, "import", "--set", "2025", "--province", "bac ninh"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == "1 province, 99 communes (100 new, 0 updated)"
    result = runner.invoke(command, [*prefix, "import", "--set", "2025", "--province", "24"])
    assert result.stdout.strip() == "1 province, 99 communes (0 new, 0 updated)"

    result = runner.invoke(command, [*prefix, "import", "--set", "2025", "--province", "xyz"])
    assert result.exit_code == 2
    assert "'xyz'" in result.output
    assert count("2025") == 100

    result = runner.invoke(command, [*prefix, "list", "--set", "2025"])
    assert result.stdout.splitlines() == ["24\tTỉnh Bắc Ninh\tprovince"]
    result = runner.invoke(command, [*prefix, "list", "--set", "2025", "--parent", "24"])
    assert len(result.stdout.splitlines()) == 99
    assert "07210\tPhường Bắc Giang\tcommune" in result.stdout.splitlines()
    result = runner.invoke(command, [*prefix, "list", "--parent", "99"])
    assert result.exit_code == 2 and "'99'" in result.output

    result = runner.invoke(command, [*prefix, "set-type", "07210", "bogus"])
    assert result.exit_code == 2
    result = runner.invoke(command, [*prefix, "set-type", "07210", "urban_ward", "--set", "2025"])
    assert result.exit_code == 0, result.output
    assert run(get_unit("2025", "07210")).commune_type == "urban_ward"

    for args in ([], ["import"], ["list"], ["set-type"]):
        result = runner.invoke(command, [*prefix, *args, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.stdout
