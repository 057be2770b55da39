"""Rule set versions in the database: `phuhop rules import` writes a draft, a second administrator checks
each changed line against the paper source, only then is it published, and a published version never
changes. Real database, the real command line."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import PASSWORD
from scoring import score_document
from scoring.ruleset import load_rules
from server.core.errors import InputError
from server.core.tables import AuditLog, RuleCheck, RuleVersion
from server.review.errors import NotAllowed
from server.rules import items, versions
from server.rules.spreadsheet import SCORES, export_workbook, read_workbook

ROOT = Path(__file__).resolve().parent.parent
PHUHOP = str(Path(sys.executable).parent / "phuhop")


def run(coro):
    return asyncio.run(coro)


def phuhop(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PHUHOP, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


@pytest.fixture()
def admins(world):
    from server.accounts.users import create_user

    second = run(create_user("admin2", PASSWORD, "admin", display_name="Quản trị viên thứ hai"))
    return world["users"]["admin"], second


def edited_table(tmp_path: Path, **points: int) -> Path:
    """The shipped vn-2019 table with some bands' points changed ({"2.1:1": 45} = second band of 2.1)."""
    book = load_workbook(io.BytesIO(export_workbook(load_rules("vn-2019"))))
    sheet = book[SCORES]
    rows = {row[5].value: row[5].row for row in sheet.iter_rows(min_row=4) if row[5].value}
    for where, value in points.items():
        line, band = where.replace("_", ".").split(":")
        sheet.cell(rows[line] + int(band), 12, value)
    path = tmp_path / "bieu-diem.xlsx"
    book.save(path)
    return path


SOURCE = versions.Source("123/LĐTBXH-TE", "2019-03-15", "4", "")


def test_shipped_files_are_registered_once_as_published_versions(db):
    first = run(versions.in_force("vn-2019"))
    again = run(versions.in_force("vn-2019"))
    assert first.id == again.id and (first.state, first.origin, first.version) == ("published", "shipped", "2019.1")
    assert first.sha256 == load_rules("vn-2019").sha256
    assert versions.rules_of(first).sha256 == load_rules("vn-2019").sha256
    assert run(versions.rule_set_ids()) == ["vn-2014", "vn-2019"]
    assert RuleVersion.count().where(RuleVersion.rule_set == "vn-2019").run_sync() == 1


def test_scores_of_the_shipped_rules_are_the_same_through_a_stored_version_and_a_spreadsheet(db):
    shipped = load_rules("vn-2019")
    stored = versions.rules_of(run(versions.in_force("vn-2019")))
    read_back = read_workbook(export_workbook(shipped)).rules
    totals = {}
    for path in sorted((ROOT / "examples").glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        expected = score_document(shipped, document).model_dump()
        assert score_document(stored, document).model_dump() == expected
        assert score_document(read_back, document).model_dump() == expected
        totals[path.stem] = expected["total"]
    assert totals == EXAMPLE_TOTALS  # the shipped vn-2019 scores, as before rule sets were stored


EXAMPLE_TOTALS = {"phuong-urban-ward": 945, "xa-mountain": 805, "xa-not-certified": 770, "xa-other": 870}


def test_cli_export_then_import_of_the_shipped_table_changes_nothing(admins, tmp_path):
    out = tmp_path / "bieu-diem.xlsx"
    done = phuhop("rules", "export", "vn-2019", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert read_workbook(out.read_bytes()).rules.sha256 == load_rules("vn-2019").sha256
    done = phuhop("rules", "import", str(out), "--by", "admin", "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert "Stored draft vn-2019 2019.1.1 (made from 2019.1): 0 items changed." in done.stdout
    draft = RuleVersion.objects().where(RuleVersion.key == "vn-2019:2019.1.1").first().output(load_json=True).run_sync()
    assert (draft.state, draft.origin, draft.source_name, draft.sha256) == (
        "draft", "spreadsheet", "bieu-diem.xlsx", load_rules("vn-2019").sha256)


def test_cli_import_prints_what_changed_and_stores_a_draft(admins, tmp_path):
    path = edited_table(tmp_path, **{"2_1:1": 45, "2_1:2": 20})
    done = phuhop("rules", "import", str(path), "--by", "admin", "--note", "Công văn 123", "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert "1 item changed" in done.stdout
    assert "Line 2.1 — Share of births registered on time (changed)" in done.stdout
    assert "before: ≥ 100% → 50 points · ≥ 98%, < 100% → 40 points · ≥ 95%, < 98% → 25 points" in done.stdout
    assert "after: ≥ 100% → 50 points · ≥ 98%, < 100% → 45 points · ≥ 95%, < 98% → 20 points" in done.stdout
    draft = RuleVersion.objects().where(RuleVersion.state == "draft").first().output(load_json=True).run_sync()
    rules = versions.rules_of(draft)
    assert [band.points for band in rules.criteria[1].lines[0].bands] == [50, 45, 20, 0]
    entry = AuditLog.objects().where(AuditLog.action == "rules_draft_created").first().output(load_json=True).run_sync()
    assert entry.username == "admin" and entry.after["changed"] == ["line:2.1"] and entry.reason == "Công văn 123"


def test_cli_import_refuses_a_wrong_table_naming_the_cell_and_stores_nothing(admins, tmp_path):
    path = edited_table(tmp_path, **{"2_1:1": 60})
    done = phuhop("rules", "import", str(path), "--by", "admin")
    assert done.returncode == 2
    assert "Trang Biểu điểm, dòng" in done.stderr and "(D" in done.stderr  # the criterion's maximum cell
    assert RuleVersion.count().where(RuleVersion.state == "draft").run_sync() == 0
    done = phuhop("rules", "import", str(edited_table(tmp_path)), "--by", "collab_a")
    assert done.returncode == 2 and "no active administrator" in done.stderr


def test_a_second_administrator_checks_every_changed_line_then_it_is_published(admins, tmp_path):
    first, second = admins
    _read, report = run(versions.draft_from_workbook(edited_table(tmp_path, **{"2_1:1": 45}).read_bytes(), first,
                                                    source_name="bieu-diem.xlsx"))
    draft = report.row
    assert [change.key for change in report.changes] == ["line:2.1"]
    # the one who entered it cannot check it
    with pytest.raises(NotAllowed):
        run(versions.check_item(draft, "line:2.1", first, SOURCE))
    with pytest.raises(InputError, match="data sent has errors"):  # nothing checked yet
        run(versions.publish(draft, second, draft.revision))
    run(versions.check_item(draft, "line:2.1", second, SOURCE))
    # an unchanged provisional line may be checked too (the paper confirms it): it stops being provisional
    run(versions.check_item(draft, "criterion:2", second, versions.Source("06/QĐ-TTg", "2019-01-03", "7", "")))
    with pytest.raises(InputError):  # an unchanged verified line has nothing to check
        run(versions.check_item(draft, "line:1.1", second, SOURCE))
    published = run(versions.publish(draft, second, draft.revision))
    rules = versions.rules_of(published)
    line = rules.criteria[1].lines[0]
    assert [band.provisional for band in line.bands] == [False] * 4 and not line.not_applicable.provisional
    assert not rules.criteria[1].provisional
    assert rules.criteria[2].provisional  # nobody checked criterion 3
    assert rules.provisional_numbers() == load_rules("vn-2019").provisional_numbers() - 6
    assert "Entered by admin, checked by Quản trị viên thứ hai" in rules.status
    assert (published.state, published.published_by) == ("published", second.id)
    assert run(versions.in_force("vn-2019")).id == published.id
    checks = RuleCheck.select(RuleCheck.item, RuleCheck.document_number, RuleCheck.page).where(
        RuleCheck.rule_version == published.id).run_sync()
    assert {row["item"]: (row["document_number"], row["page"]) for row in checks} == {
        "line:2.1": ("123/LĐTBXH-TE", "4"), "criterion:2": ("06/QĐ-TTg", "7")}
    # published: immutable
    with pytest.raises(InputError):
        run(versions.save_draft(published, published.document, first, published.revision))
    with pytest.raises(InputError):
        run(versions.check_item(published, "line:3.1", second, SOURCE))


def test_two_drafts_of_one_version_published_at_once_only_one_counts(admins, tmp_path):
    """Two administrators publish drafts made from the same version at the same moment: the second would silently
    undo the first's checked changes, so it is refused (made again from the version in force)."""
    first, second = admins
    drafts = []
    for points in (45, 44):
        _, report = run(versions.draft_from_workbook(edited_table(tmp_path, **{"2_1:1": points}).read_bytes(), first,
                                                     source_name="x.xlsx"))
        run(versions.check_item(report.row, "line:2.1", second, SOURCE))
        drafts.append(run(versions.get(report.row.id)))

    async def both():
        return await asyncio.gather(*(versions.publish(draft, second, draft.revision) for draft in drafts),
                                    return_exceptions=True)

    outcomes = run(both())
    published = [outcome for outcome in outcomes if isinstance(outcome, RuleVersion)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, InputError)]
    assert len(published) == 1 and [error.code for error in refused[0].errors] == ["base_moved"], outcomes
    assert run(versions.in_force("vn-2019")).id == published[0].id
    assert RuleVersion.count().where((RuleVersion.state == "published") & (RuleVersion.origin != "shipped")
                                     & (RuleVersion.rule_set == "vn-2019")).run_sync() == 1


def test_drafts_made_at_once_each_get_their_own_number(admins):
    """Administrators making drafts at the same moment: each is stored under its own version (no 500)."""
    base = run(versions.in_force("vn-2019"))
    document = items.document_of(versions.rules_of(base))

    async def four():
        return await asyncio.gather(*(versions.create_draft(document, admins[index % 2], origin="web")
                                      for index in range(4)))

    made = sorted(report.row.version for report in run(four()))
    assert made == ["2019.1.1", "2019.1.2", "2019.1.3", "2019.1.4"]


def test_editing_a_checked_line_voids_its_check(admins, tmp_path):
    first, second = admins
    _, report = run(versions.draft_from_workbook(edited_table(tmp_path, **{"2_1:1": 45}).read_bytes(), first,
                                                 source_name="x.xlsx"))
    draft = report.row
    run(versions.check_item(draft, "line:2.1", second, SOURCE))
    assert not run(versions.item_states(draft))["line:2.1"].needs_check
    document = items.document_of(versions.rules_of(draft))
    document["criteria"][1]["lines"][0]["bands"][1]["points"] = 44
    with pytest.raises(NotAllowed):  # only the one who entered it edits its numbers
        run(versions.save_draft(draft, document, second, draft.revision))
    assert run(versions.save_draft(draft, document, first, draft.revision)) == ["line:2.1"]
    with pytest.raises(InputError, match="changed this draft"):  # the page was made from the older revision
        run(versions.save_draft(draft, document, first, draft.revision))
    draft = run(versions.get(draft.id))
    assert run(versions.item_states(draft))["line:2.1"].needs_check
    with pytest.raises(InputError):
        run(versions.publish(draft, second, draft.revision))


def test_a_new_indicator_no_form_collects_is_refused_naming_its_cell(admins, tmp_path):
    book = load_workbook(io.BytesIO(export_workbook(load_rules("vn-2019"))))
    sheet = book[SCORES]
    row = next(r[5].row for r in sheet.iter_rows(min_row=4) if r[5].value == "3.1")
    sheet.cell(row, 15, "c3_abused_online")
    indicators = book["Chỉ số"]
    indicators.append(["c3_abused_online", "Số đếm (count)"])
    for line in indicators.iter_rows(min_row=2):
        if line[0].value == "c3_abused_children":
            line[0].value = "c3_unused"
    indicators.delete_rows(next(r[0].row for r in indicators.iter_rows(min_row=2) if r[0].value == "c3_unused"))
    buffer = io.BytesIO()
    book.save(buffer)
    read, report = run(versions.draft_from_workbook(buffer.getvalue(), admins[0], source_name="x.xlsx"))
    assert report is None
    assert [problem.render() for problem in read.errors] == [
        f"Chỉ số, row {indicators.max_row}, column Chỉ số (kỹ thuật) (A{indicators.max_row}): No form collects the "
        "indicator c3_abused_online: a new indicator needs a new form version first."]
