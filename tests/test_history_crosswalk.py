"""The 2025 merger crosswalk, built from the `vietnamadminunits` conversion data, checked against the
package's own converter (`convert_address`) on known mergers and on a sample of the whole country."""

from __future__ import annotations

import asyncio
import random

import pytest
from click.testing import CliRunner

from history_data import LINKS, full_country
from server.core.tables import AuditLog, Unit, UnitLink

pytestmark = pytest.mark.slow


def run(coro):
    return asyncio.run(coro)


@pytest.fixture()
def country(migrated_db: str) -> None:
    full_country()


def unit(unit_set: str, code: str) -> Unit:
    return Unit.objects().where(Unit.key == f"{unit_set}:{code}").first().run_sync()


def links_of(legacy_code: str) -> list[dict]:
    return UnitLink.select(UnitLink.successor.code, UnitLink.successor.name, UnitLink.whole, UnitLink.main) \
        .where(UnitLink.legacy.key == f"legacy:{legacy_code}").order_by(UnitLink.key).run_sync()


def test_every_legacy_commune_has_one_main_successor_and_every_2025_commune_a_predecessor(country) -> None:
    assert UnitLink.count().run_sync() == LINKS
    main = UnitLink.select(UnitLink.legacy).where(UnitLink.main == True).run_sync()  # noqa: E712
    legacy_communes = Unit.count().where((Unit.unit_set == "legacy") & (Unit.kind == "commune")).run_sync()
    assert len(main) == len({row["legacy"] for row in main}) == legacy_communes + 5  # + the 5 island districts
    with_predecessor = {row["successor"] for row in UnitLink.select(UnitLink.successor).run_sync()}
    assert len(with_predecessor) == Unit.count().where((Unit.unit_set == "2025") & (Unit.kind == "commune")).run_sync()
    # A split commune: every part is a link that is not whole, exactly one of them main.
    split = UnitLink.select(UnitLink.legacy, UnitLink.main).where(UnitLink.whole == False).run_sync()  # noqa: E712
    parts: dict[int, list[bool]] = {}
    for row in split:
        parts.setdefault(row["legacy"], []).append(bool(row["main"]))
    assert len(parts) == 471 and all(len(mains) >= 2 and sum(mains) == 1 for mains in parts.values())


KNOWN = [  # legacy address and code → the 2025 commune (code, name) the package's README and converter give
    ("Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh", "26740", "26740", "Phường Sài Gòn"),
    ("Xã Lê Ninh, Thị xã Kinh Môn, Tỉnh Hải Dương", "10684", "10678", "Phường Bắc An Phụ"),
    ("Thị trấn La Hà, Huyện Tư Nghĩa, Tỉnh Quảng Ngãi", "21235", "21235", "Xã Tư Nghĩa"),
    ("Phường Trúc Bạch, Quận Ba Đình, Thành phố Hà Nội", "00004", "00004", "Phường Ba Đình"),
]


@pytest.mark.parametrize("address, legacy_code, new_code, new_name", KNOWN)
def test_known_mergers_match_the_package(country, address: str, legacy_code: str, new_code: str,
                                         new_name: str) -> None:
    from vietnamadminunits import convert_address

    from server.history.crosswalk import predecessors

    converted = convert_address(address)
    assert (converted.OldAdminUnit.ward_code, converted.ward_code, converted.ward) == (legacy_code, new_code, new_name)
    [main] = [link for link in links_of(legacy_code) if link["main"]]
    assert (main["successor.code"], main["successor.name"]) == (new_code, new_name)
    successor = unit("2025", new_code)
    assert legacy_code in [link.legacy_code for link in run(predecessors([successor.id]))[successor.id]]


def test_a_split_commune_is_a_predecessor_of_each_part_and_counts_once_toward_its_default(country) -> None:
    """Phường An Biên (Lê Chân, Hải Phòng) was split between Phường An Biên and Phường Lê Chân; the package
    converts it to Lê Chân (its default part) when no street is given."""
    from vietnamadminunits import convert_address

    from server.history.crosswalk import predecessors, successors

    legacy = unit("legacy", convert_address("Phường An Biên, Quận Lê Chân, Thành phố Hải Phòng").OldAdminUnit.ward_code)
    parts = run(successors([legacy.id]))[legacy.id]
    assert sorted(link.successor_name for link in parts) == ["Phường An Biên", "Phường Lê Chân"]
    assert [link.successor_name for link in parts if link.main] == ["Phường Lê Chân"] == [parts[0].successor_name]
    assert not any(link.whole for link in parts)
    for link in parts:
        assert legacy.id in [p.legacy_id for p in run(predecessors([link.successor_id]))[link.successor_id]]
    converted = convert_address("Phường An Biên, Quận Lê Chân, Thành phố Hải Phòng")
    assert converted.ward == "Phường Lê Chân"


def test_a_sample_of_the_country_agrees_with_the_package_converter(country) -> None:
    """300 random legacy communes and every split one: our main successor is what `convert_address` answers."""
    from vietnamadminunits import convert_address

    rows = Unit.select(Unit.id, Unit.code, Unit.name, Unit.parent.name, Unit.parent.parent.name) \
        .where((Unit.unit_set == "legacy") & (Unit.kind == "commune")).run_sync()
    split = {row["legacy"] for row in UnitLink.select(UnitLink.legacy).where(UnitLink.whole == False).run_sync()}  # noqa: E712
    sample = random.Random(2025).sample(rows, 300) + [row for row in rows if row["id"] in split]
    main = {row["legacy"]: row["successor.code"]
            for row in UnitLink.select(UnitLink.legacy, UnitLink.successor.code).where(UnitLink.main == True).run_sync()}  # noqa: E712
    compared = 0
    for row in sample:
        converted = convert_address(f"{row['name']}, {row['parent.name']}, {row['parent.parent.name']}")
        if converted.OldAdminUnit.ward_code != row["code"]:
            continue  # the package's address parser read another commune: nothing to compare
        compared += 1
        assert main[row["id"]] == converted.ward_code, (row["name"], row["parent.name"])
    assert compared >= 0.95 * len(sample)


def test_the_crosswalk_import_is_idempotent_and_audited(country) -> None:
    from server.history.crosswalk import import_links

    summary = run(import_links())
    assert (summary.inserted, summary.updated, summary.unchanged, summary.missing) == (0, 0, LINKS, 0)
    assert summary.line() == ("10,602 links (9,569 whole, 1,033 parts of 471 split communes): 0 new, 0 updated")
    entries = AuditLog.select(AuditLog.after).where(AuditLog.action == "crosswalk_imported").output(load_json=True).run_sync()
    assert [entry["after"] for entry in entries] == [{"inserted": LINKS, "updated": 0, "skipped": 0}]


def test_island_districts_are_the_predecessors_of_their_special_zones(country) -> None:
    from server.history.crosswalk import predecessors

    ly_son = Unit.objects().where((Unit.unit_set == "2025") & (Unit.name == "Đặc khu Lý Sơn")).first().run_sync()
    [link] = run(predecessors([ly_son.id]))[ly_son.id]
    assert (link.legacy_name, link.legacy_kind, link.whole) == ("Huyện Lý Sơn", "district", True)


def test_cli_crosswalk_and_registry_import_link_the_sets(country) -> None:
    from server.cli import main

    result = CliRunner().invoke(main, ["history", "crosswalk"])
    assert result.exit_code == 0, result.output
    assert "10,602 links" in result.output and "0 new, 0 updated" in result.output
    result = CliRunner().invoke(main, ["registry", "import", "--set", "2025", "--province", "bac ninh"])
    assert result.exit_code == 0, result.output
    assert "2025 merger crosswalk: 10,602 links" in result.output


def test_a_one_province_registry_links_what_it_has(db: str) -> None:
    from server.history.crosswalk import import_links, link_if_both_sets
    from server.registry.units import import_units

    run(import_units("2025", "bac ninh"))
    assert run(link_if_both_sets()) is None  # no legacy commune yet
    run(import_units("legacy", "27"))
    run(import_units("legacy", "24"))
    summary = run(import_links())
    assert summary.missing == LINKS - summary.inserted > 0
    bac_ninh = unit("2025", "24")
    communes = Unit.select(Unit.id).where(Unit.parent == bac_ninh.id).run_sync()
    linked = {row["successor"] for row in UnitLink.select(UnitLink.successor).run_sync()}
    assert {row["id"] for row in communes} == linked  # all 99 communes of Bắc Ninh know their predecessors
