"""Progress toward the targets on a generated country, checked against a direct count.

The whole legacy and 2025 registries are imported; three national legacy rounds, one 2025 round and
three years of registrations are generated as spreadsheets and go through the real import; then the
country's and one merged province's figures (registered, meeting the standard with recognitions
carried until the next result, lost, the 2025 view of legacy years) are counted again here, directly
from what was generated, and must agree."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict

import pytest

from history_data import full_country
from server.core.tables import Unit
import itertools

pytestmark = pytest.mark.slow

LEGACY_ROUNDS = {2019: 0.45, 2021: 0.52, 2023: 0.57}  # share recognised among the communes assessed
ROUND_2025 = 0.6
REGISTRATIONS = {("legacy", 2021): 0.8, ("legacy", 2023): 0.9, ("2025", 2025): 0.95}
BAC_NINH_2025, BAC_NINH_LEGACY = "24", ("24", "27")  # 2025 Bắc Ninh = legacy Bắc Giang + Bắc Ninh


def run(coro):
    return asyncio.run(coro)


def csv_file(header: list[str], rows: list[list[str]]) -> bytes:
    return ("\n".join(",".join(cells) for cells in [header, *rows]) + "\n").encode("utf-8")


@pytest.fixture(scope="module")
def country(migrated_db: str) -> dict:
    """The generated history: results[set][code][year] = recognised, registered[(set, year)] = codes."""
    from server.history import imports

    full_country()
    rng = random.Random(16)
    communes = {unit_set: {row["code"]: row for row in Unit.select(Unit.code, Unit.name, Unit.path).where(
        (Unit.unit_set == unit_set) & (Unit.kind == "commune")).run_sync()} for unit_set in ("legacy", "2025")}
    results: dict[str, dict[str, dict[int, bool]]] = {"legacy": defaultdict(dict), "2025": defaultdict(dict)}

    async def generate() -> None:
        for year, share in LEGACY_ROUNDS.items():
            rows = []
            for code in communes["legacy"]:
                if rng.random() < 0.8:  # a round assesses most communes, not all
                    passed = rng.random() < share
                    results["legacy"][code][year] = passed
                    rows.append([code, str(rng.randint(700, 990)), "Đạt" if passed else "Không đạt"])
            await imports.import_file(csv_file(["Mã xã", "Tổng điểm", "Kết quả"], rows), f"{year}.csv", "results",
                                      year, "legacy", by="test")
        rows = []
        for code in communes["2025"]:
            passed = rng.random() < ROUND_2025
            results["2025"][code][2025] = passed
            rows.append([code, "900", "x" if passed else ""])
        await imports.import_file(csv_file(["Mã xã", "Tổng điểm", "Đạt chuẩn"], rows), "2025.csv", "results", 2025,
                                  "2025", by="test")
        for (unit_set, year), share in REGISTRATIONS.items():
            chosen = [code for code in communes[unit_set] if rng.random() < share]
            registered[(unit_set, year)] = set(chosen)
            await imports.import_file(csv_file(["Mã xã"], [[code] for code in chosen]), f"dk{year}.csv",
                                      "registrations", year, unit_set, by="test")

    registered: dict[tuple[str, int], set[str]] = {}
    run(generate())
    return {"communes": communes, "results": results, "registered": registered}


def direct(results: dict[str, dict[int, bool]], codes: set[str], years: list[int]) -> dict[int, int]:
    """Communes meeting the standard in each year: the latest result up to it, counted one by one."""
    counts = {}
    for year in years:
        count = 0
        for code in codes:
            before = [y for y in results.get(code, {}) if y <= year]
            if before and results[code][max(before)]:
                count += 1
        counts[year] = count
    return counts


def lost(results: dict[str, dict[int, bool]], codes: set[str]) -> dict[int, int]:
    found: dict[int, int] = defaultdict(int)
    for code in codes:
        years = sorted(results.get(code, {}))
        for earlier, later in itertools.pairwise(years):
            if results[code][earlier] and not results[code][later]:
                found[later] += 1
    return found


def check(found, generated: dict, legacy_codes: set[str], new_codes: set[str]) -> None:
    legacy_years = sorted(set(LEGACY_ROUNDS) | {y for (s, y) in REGISTRATIONS if s == "legacy"})
    rows = {(row.unit_set, row.year): row for row in found.rows}
    assert sorted(year for unit_set, year in rows if unit_set == "legacy") == legacy_years
    assert [year for unit_set, year in rows if unit_set == "2025"] == [2025]
    meeting = direct(generated["results"]["legacy"], legacy_codes, legacy_years)
    losses = lost(generated["results"]["legacy"], legacy_codes)
    for year in legacy_years:
        row = rows[("legacy", year)]
        assert row.communes == len(legacy_codes)
        assert row.meeting == meeting[year], year
        assert row.registered == len(generated["registered"].get(("legacy", year), set()) & legacy_codes), year
        assert row.lost == losses.get(year, 0), year
        assert row.meeting_share == pytest.approx(100 * meeting[year] / len(legacy_codes))
        known = {code for code in legacy_codes if any(y <= year for y in generated["results"]["legacy"].get(code, {}))}
        assert row.known == len(known) and row.complete == (len(known) == len(legacy_codes)), year
        provinces = {code: generated["communes"]["legacy"][code]["path"].split("/")[1] for code in legacy_codes}
        assert (row.provinces_known, row.provinces) == (len({provinces[c] for c in known}),
                                                        len(set(provinces.values()))), year
    row = rows[("2025", 2025)]
    assert row.communes == len(new_codes)
    assert row.meeting == sum(1 for code in new_codes if generated["results"]["2025"][code][2025])
    assert row.registered == len(generated["registered"][("2025", 2025)] & new_codes)
    assert (row.target_meeting, row.target_registered) == (65, 100)  # the targets as seeded


def test_the_country_progress_agrees_with_a_direct_count(country) -> None:
    from server.history import progress

    found = run(progress.build(None, "2025"))
    assert found.communes == {"legacy": 10_035, "2025": 3_321}
    check(found, country, set(country["communes"]["legacy"]), set(country["communes"]["2025"]))


def test_a_merged_province_counts_its_former_provinces_communes_in_their_years(country) -> None:
    """2025 Bắc Ninh: its legacy years are counted over the communes of legacy Bắc Giang and Bắc Ninh."""
    from server.history import progress
    from server.history.crosswalk import source_links

    area = Unit.objects().where(Unit.key == f"2025:{BAC_NINH_2025}").first().run_sync()
    found = run(progress.build(area))
    legacy_codes = {code for code, row in country["communes"]["legacy"].items()
                    if row["path"].split("/")[1] in BAC_NINH_LEGACY}
    new_codes = {code for code, row in country["communes"]["2025"].items()
                 if row["path"].split("/")[1] == BAC_NINH_2025}
    assert (len(legacy_codes), len(new_codes)) == (313, 99)
    assert found.communes == {"legacy": 313, "2025": 99}
    check(found, country, legacy_codes, new_codes)
    # The 2025 view of a legacy year: new communes whose every predecessor met the standard then.
    predecessors: dict[str, set[str]] = defaultdict(set)
    for link in source_links():
        if link.new_code in new_codes:
            predecessors[link.new_code].add(link.legacy_code)
    legacy = country["results"]["legacy"]
    for row in found.rows:
        if row.unit_set != "legacy":
            continue
        expected = sum(1 for code in new_codes
                       if all(direct(legacy, {old}, [row.year])[row.year] for old in predecessors[code]))
        assert (row.successors, row.successors_meeting) == (99, expected), row.year


def test_lost_and_closest_lists_name_the_right_communes(country) -> None:
    from server.history import progress

    area = Unit.objects().where(Unit.key == f"2025:{BAC_NINH_2025}").first().run_sync()
    found = run(progress.build(area))
    legacy = country["results"]["legacy"]
    expected = sorted((year, code) for code in legacy for year in range(2000, 2030)
                      if year in legacy[code] and not legacy[code][year]
                      and any(y < year and legacy[code][y] and not any(y < z < year for z in legacy[code])
                              for y in legacy[code]))
    shown = sorted((note.year, note.code) for note in found.lost if note.unit_set == "legacy")
    inside = {note.code for note in found.lost}
    assert shown == [item for item in expected if item[1] in inside]
    assert len(shown) == sum(row.lost for row in found.rows if row.unit_set == "legacy")
    # closest (as of 2025, in the 2025 registry): imported results give only a total, and every generated
    # 2025 total is 900, at or above any threshold, so every commune that failed in 2025 is closest.
    failing = {code for code, years in country["results"]["2025"].items() if not years[2025]
               and country["communes"]["2025"][code]["path"].split("/")[1] == BAC_NINH_2025}
    assert {note.code for note in found.closest} == failing
    assert all(note.criteria_short is None and note.points_short == 0 for note in found.closest)


def test_criteria_short_counts_zero_criteria_first_then_the_largest_gaps() -> None:
    from server.history.progress import criteria_short

    def result(points: list[tuple[int, int]], total: int, threshold: int = 850) -> dict:
        return {"total": total, "threshold": threshold,
                "criteria": [{"id": i + 1, "points": p, "max": m} for i, (p, m) in enumerate(points)]}

    # total 830 < 850 with no zero: the criterion with the largest gap (50) is enough
    assert criteria_short(result([(50, 100), (75, 75), (100, 125)], 830)) == (1, ["1"])
    # one criterion at 0 (max 100) and total 920: fixing it alone reaches the threshold
    assert criteria_short(result([(0, 100), (75, 75), (125, 125)], 920)) == (1, ["1"])
    # two zeros, and the total reaches the threshold once they are fixed: two criteria
    assert criteria_short(result([(0, 50), (0, 50), (100, 125), (80, 100)], 830, 900)) == (2, ["1", "2"])
    # out of reach even with every criterion at its maximum: more than the number of criteria
    assert criteria_short(result([(0, 50), (0, 50), (100, 125), (80, 100)], 600, 900))[0] == 5
    # already enough total, no zero: nothing short (it would be recognised)
    assert criteria_short(result([(100, 100)], 900))[0] == 0
