"""The history pages over real HTTP: progress (reviewers and the public), the chart and the XLSX, a 2025
commune's former communes, the admin import with its preview, resolving held rows, registration and targets."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from conftest import csrf_header, login
from public_data import build_scenario
from server.core.tables import AuditLog, HistoryImport, HistoryRow, ProgressTarget, Registration, Unit
from test_history_import import messy_xlsx


def run(coro):
    return asyncio.run(coro)


@pytest.fixture()
def bac_ninh(world: dict) -> dict:
    """2025 Bắc Ninh with phuhop's final lists (20 recognised, 10 failing on criterion 3 in 2026), its two
    legacy provinces, the crosswalk and the messy 2023 round imported."""
    from server.history import imports
    from server.history.crosswalk import import_links
    from server.registry.units import import_units

    scenario = build_scenario(world)

    async def more() -> None:
        for code in ("24", "27"):
            await import_units("legacy", code)
        await import_links()
        await imports.import_file(messy_xlsx(), "2023.xlsx", "results", 2023, "legacy", by="test")

    run(more())
    return scenario


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_public_progress_shows_the_shares_the_targets_and_the_communes_closest(client, bac_ninh) -> None:
    from server.history import progress

    response = client.get("/public/progress?area=24")
    assert response.status_code == 200
    page = text(response.text)
    found = run(progress.build(bac_ninh["area"]))
    last = [row for row in found.rows if row.unit_set == "2025"][-1]
    assert last.year == 2026 and last.meeting == 20 and last.communes == 99
    assert ("20,2 %" in page and "20 trên 99" in page) or "20 of 99" in page
    # the failing communes are one criterion short (criterion 3 at 0 points): the public sees their names only
    for commune in bac_ninh["failing"]:
        assert commune.name in page
    assert "tiêu chí 3" not in page.lower() and "criteria 3" not in page
    assert 'layout=phone' in response.text and 'layout=wide' in response.text
    assert client.get("/public/progress?area=99999").status_code == 404
    assert client.get("/public/progress?area=%C2%B2").status_code == 404


def test_the_figures_say_how_much_of_the_area_they_cover(client, bac_ninh) -> None:
    """Only 30 of Bắc Ninh's 99 communes have a result in 2026 and a few legacy communes in 2023: the heading,
    the chart's title, the note and the XLSX say so instead of giving the share as the province's."""
    from server.history import figures, progress

    found = run(progress.build(bac_ninh["area"]))
    rows = {row.unit_set: row for row in found.rows}  # the latest year of each registry
    history = run(progress.results_by_commune("2025"))
    known = {unit_id for unit_id, years in history.items() if any(year <= 2026 for year in years)}
    assert (rows["2025"].year, rows["2025"].known, rows["2025"].communes) == (2026, len(known), 99)
    assert not rows["2025"].complete and not rows["legacy"].complete
    page = text(client.get("/public/progress?area=24", headers={"Accept-Language": "en"}).text)
    assert f"Progress toward the targets: Tỉnh Bắc Ninh (results for {len(known)} of 99 communes)" in page
    assert "Not every list is in yet." in page
    assert (f"2026 (2025 registry): results are known for {len(known)} of 99 communes. The others count as not "
            "meeting the standard") in page
    assert f"{rows['legacy'].known} of 313 communes, in 2 of 2 provinces" in page
    book = load_workbook(io.BytesIO(client.get("/public/progress/export.xlsx?area=24").content))
    years = list(book.worksheets[0].iter_rows(values_only=True))
    assert "(" in years[0][0] and str(len(known)) in years[0][0]  # the title says what part it covers
    header = years[1]
    last = next(row for row in years[2:] if row[0] == 2026)
    assert last[header.index("Số xã có kết quả")] == len(known)

    # The country, in a registry that holds a few of its 34 provinces, is not called "Việt Nam" alone
    provinces = Unit.count().where((Unit.unit_set == "2025") & (Unit.level == 1)).run_sync()
    country_page = text(client.get("/public/progress").text)
    assert re.search(r"Tiến độ thực hiện mục tiêu: Việt Nam \(mới có kết quả của \d+ trên 34 tỉnh, thành phố\)",
                     country_page), country_page[:600]
    assert provinces < 34 and "Chưa nhập đủ danh sách của mọi nơi." in country_page
    # The whole country with the results of one province only is not called the country's
    row = progress.YearRow(year=2024, unit_set="legacy", communes=10_035, meeting=150, known=300, provinces=63,
                           provinces_known=1)
    country = progress.Progress(area=None, unit_set="legacy", rows=[row], lost=[], closest=[], targets=[],
                                communes={"legacy": 10_035})
    assert figures.scope_name(country) in ("Việt Nam (mới có kết quả của 1 trên 63 tỉnh, thành phố)",
                                           "Viet Nam (results from 1 of 63 provinces)")
    row.known, row.provinces_known = 10_035, 63
    assert figures.scope_name(country) in ("Việt Nam", "Viet Nam") and figures.coverage_notes(country) == []


def test_reviewers_see_which_criteria_are_short_and_own_results_win_over_an_import(client, world, bac_ninh) -> None:
    login(client, "admin")
    response = client.get("/progress?area=24&set=2025")
    assert response.status_code == 200
    page = text(response.text)
    failing = bac_ninh["failing"][0]
    assert f'href="/progress/communes/2025/{failing.code}"' in response.text
    assert re.search(r"1 (tiêu chí|criterion)", page) and "3" in page
    response = client.get("/progress/export.xlsx?area=24&set=2025")
    book = load_workbook(io.BytesIO(response.content))
    progress_sheet, _lost_sheet, closest_sheet = book.worksheets
    rows = list(progress_sheet.iter_rows(values_only=True))[2:]  # note, header
    assert any(row[0] == 2026 and row[2] == 99 and row[6] == 20 for row in rows)
    closest = list(closest_sheet.iter_rows(values_only=True))[2:]
    assert {row[0] for row in closest} >= {c.code for c in bac_ninh["failing"]}
    assert all(row[7] == 1 and row[8] == "3" for row in closest if row[0] in {c.code for c in bac_ninh["failing"]})


def test_the_chart_is_an_image_cached_with_an_etag(client, bac_ninh) -> None:
    first = client.get("/public/progress/chart/png?area=24&layout=phone")
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert first.content[:8] == b"\x89PNG\r\n\x1a\n"
    again = client.get("/public/progress/chart/png?area=24&layout=phone", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304
    wide = client.get("/public/progress/chart/svg?area=24&layout=wide")
    assert wide.headers["content-type"].startswith("image/svg+xml") and b"<svg" in wide.content
    for bad in ("/public/progress/chart/gif", "/public/progress/chart/png?layout=tv"):
        assert client.get(bad).status_code == 404


def test_a_2025_commune_shows_its_former_communes_results(client, world, bac_ninh) -> None:
    """Xã Yên Thế (2025) took Đồng Tiến and Đông Sơn of Yên Thế district, both recognised in the 2023 list."""
    from server.history import progress
    from server.history.crosswalk import successors

    legacy = Unit.objects().where(Unit.key == "legacy:07243").first().run_sync()  # Xã Đồng Tiến, Yên Thế
    [main] = [link for link in run(successors([legacy.id]))[legacy.id] if link.main]
    successor = Unit.objects().where(Unit.id == main.successor_id).first().run_sync()
    summary = progress.predecessor_summary(run(progress.predecessor_results(successor)))
    assert summary["year"] == 2023 and summary["met"] >= 1
    login(client, "admin")
    response = client.get(f"/progress/communes/2025/{successor.code}")
    assert response.status_code == 200
    page = text(response.text)
    assert "Xã Đồng Tiến" in page
    assert re.search(rf"{summary['count']} (xã cũ|former communes): {summary['met']}", page)
    review = client.get(f"/review/{world['period'].id}/{successor.code}")  # the commune's page for its reviewer
    assert review.status_code == 200
    assert re.search(rf"{summary['count']} (xã cũ|former communes): {summary['met']}", text(review.text))
    response = client.get("/progress/communes/legacy/07243")
    assert successor.name in text(response.text)
    assert client.get("/progress/communes/legacy/99999").status_code == 404
    assert client.get("/progress/communes/other/07243").status_code == 404


def test_admin_previews_imports_and_resolves_over_http(client, world, bac_ninh) -> None:
    login(client, "admin")
    files = {"file": ("Danh sách 2022.xlsx", messy_xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
    form = {"kind": "results", "year": "2022", "unit_set": "legacy", "province": ""}
    before = HistoryImport.count().run_sync()
    response = client.post("/admin/history/preview", data=form, files=files, headers=csrf_header(client))
    assert response.status_code == 200
    assert HistoryImport.count().run_sync() == before  # the preview stores nothing
    page = text(response.text)
    assert "Xã Đồng Tiến" in page and "07816" in page  # the ambiguous row with its candidates
    sha = re.search(r'name="sha256" value="([0-9a-f]{64})"', response.text).group(1)
    confirm = {**form, "sha256": sha, "file_name": "Danh sách 2022.xlsx"}
    response = client.post("/admin/history/import", data=confirm, headers=csrf_header(client), follow_redirects=False)
    assert response.status_code == 303
    record = HistoryImport.objects().where(HistoryImport.year == 2022).first().run_sync()
    assert (record.file_name, record.imported_by_name) == ("Danh sách 2022.xlsx", "admin")
    # confirming again: the previewed file is gone, nothing is stored twice
    response = client.post("/admin/history/import", data=confirm, headers=csrf_header(client))
    assert response.status_code == 409 and HistoryImport.count().run_sync() == before + 1
    held = HistoryRow.objects().where((HistoryRow.history_import == record.id) & (HistoryRow.status == "ambiguous")) \
        .first().run_sync()
    detail = client.get(f"/admin/history/{record.id}")
    assert f'action="/admin/history/rows/{held.id}"' in detail.text
    response = client.post(f"/admin/history/rows/{held.id}", data={"commune": "07816", "reason": "QĐ"},
                           headers=csrf_header(client), follow_redirects=False)
    assert response.status_code == 303
    assert HistoryRow.select(HistoryRow.status).where(HistoryRow.id == held.id).first().run_sync()["status"] == "resolved"
    response = client.post(f"/admin/history/rows/{held.id}", data={"decision": "skip"}, headers=csrf_header(client))
    assert response.status_code == 409
    # a file that is no spreadsheet comes back with the field named, nothing stored
    bad = {"file": ("x.xlsx", b"not a workbook", "application/octet-stream")}
    response = client.post("/admin/history/preview", data=form, files=bad, headers=csrf_header(client))
    assert response.status_code == 422 and "file" in response.text


def test_registration_by_the_collaborator_the_reviewer_and_the_follow_up_list(client, world) -> None:
    today = dt.date.today()
    login(client, "collab_a")
    data = {"action": "register", "year": str(today.year), "date": today.isoformat()}
    response = client.post("/registration/2025/00004", data=data, headers=csrf_header(client), follow_redirects=False)
    assert response.status_code == 303
    assert client.post("/registration/2025/00008", data=data, headers=csrf_header(client)).status_code == 403
    assert client.post("/registration/2025/00004", data=data, headers=csrf_header(client)).status_code == 409
    for bad in ({**data, "date": "31/02/2026"}, {**data, "year": "²"}, {**data, "year": "2024"}):
        response = client.post("/registration/2025/00008", data=bad, headers=csrf_header(client))
        assert response.status_code == 403  # commune B is not theirs, whatever the values
    client.cookies.clear()
    login(client, "reviewer_x")
    page = text(client.get(f"/registration?year={today.year}").text)
    assert "50 %" in page and "Phường Ba Đình" in page
    missing = text(client.get(f"/registration?year={today.year}&show=missing").text)
    assert "Phường Ngọc Hà" in missing and "Phường Ba Đình" not in missing
    book = load_workbook(io.BytesIO(client.get(f"/registration/export.xlsx?year={today.year}").content))
    assert [row[0] for row in book.active.iter_rows(values_only=True)][1:] == ["00008"]
    withdraw = {"action": "withdraw", "year": str(today.year), "date": today.isoformat(), "note": ""}
    response = client.post("/registration/2025/00004", data=withdraw, headers=csrf_header(client))
    assert response.status_code == 422  # a withdrawal needs its reason
    assert Registration.select(Registration.withdrawn_on).first().run_sync()["withdrawn_on"] is None
    response = client.post("/registration/2025/00004", data={**withdraw, "note": "Xã xin rút"},
                           headers=csrf_header(client), follow_redirects=False)
    assert response.status_code == 303
    row = Registration.objects().where(Registration.key.like("%:" + str(today.year))).first().run_sync()
    assert (row.withdrawn_on, row.note) == (today.isoformat(), "Xã xin rút")
    actions = [r["action"] for r in AuditLog.select(AuditLog.action).where(AuditLog.action.like("registration_%"))
               .order_by(AuditLog.id).run_sync()]
    assert actions == ["registration_register", "registration_withdraw"]
    client.cookies.clear()
    login(client, "admin")
    log = text(client.get("/admin/audit").text)  # the log in people's words, the commune by its name
    assert "Ghi nhận đăng ký" in log and "Rút đăng ký" in log and "Xã xin rút" in log
    assert f"Đăng ký của Phường Ba Đình năm {today.year}" in log and "registration_" not in log
    # the country: each province's share, the country's, and how many provinces have any registration recorded
    provinces = Unit.count().where((Unit.unit_set == "2025") & (Unit.level == 1)).run_sync()
    communes = Unit.count().where((Unit.unit_set == "2025") & (Unit.kind == "commune")).run_sync()
    country = text(client.get(f"/registration?year={today.year}&set=2025").text)
    assert f"Cả nước 0 % 0 {communes}" in country
    assert f"Mới ghi nhận đăng ký ở 0 trên {provinces} tỉnh, thành phố" in country
    client.cookies.clear()
    login(client, "reviewer_x")
    for bad in ({**data, "date": "31/02/2026"}, {**data, "year": "²"}, {**data, "year": "2024"},
                {**data, "date": (today + dt.timedelta(days=3)).isoformat()}, {**data, "action": "delete"}):
        response = client.post("/registration/2025/00004", data=bad, headers=csrf_header(client))
        assert response.status_code == 422, bad


def test_admin_edits_the_targets_and_the_progress_follows(client, world) -> None:
    login(client, "admin")
    assert "75" in text(client.get("/admin/targets").text)
    response = client.post("/admin/targets", data={"measure": "meeting", "year": "2030", "percent": "80", "source": "QĐ"},
                           headers=csrf_header(client), follow_redirects=False)
    assert response.status_code == 303
    assert ProgressTarget.select(ProgressTarget.percent).where(ProgressTarget.key == "meeting:2030").first() \
        .run_sync()["percent"] == 80
    for bad in ({"measure": "x", "year": "2030", "percent": "1"}, {"measure": "meeting", "year": "²", "percent": "1"},
                {"measure": "meeting", "year": "2030", "percent": "101"}):
        assert client.post("/admin/targets", data=bad, headers=csrf_header(client)).status_code == 422
    response = client.post("/admin/targets", data={"measure": "registered", "year": "2025", "remove": "1"},
                           headers=csrf_header(client), follow_redirects=False)
    assert response.status_code == 303
    assert not ProgressTarget.exists().where(ProgressTarget.key == "registered:2025").run_sync()
    entries = AuditLog.select(AuditLog.action).where(AuditLog.action.like("progress_target%")) \
        .order_by(AuditLog.id).run_sync()
    assert [e["action"] for e in entries] == ["progress_targets_seeded", "progress_target_changed",
                                              "progress_target_changed"]
    page = text(client.get("/public/progress").text)
    assert "80 %" in page
    log = text(client.get("/admin/audit").text)
    assert "Đã lưu các mục tiêu quốc gia" in log and "Xã đạt chuẩn 2030: 75 %" in log
    assert "Thay đổi mục tiêu" in log and "Mục tiêu: Xã đạt chuẩn, năm 2030" in log and "75 % → 80 %" in log
    assert "progress_target" not in log


ODD = ["²", "1" * 5000, "#", "?", " ", "%00", "../../etc/passwd", "<script>x</script>", "-1", "2025:01", "legacy"]


def test_odd_query_values_on_every_history_page_are_never_a_server_error(client, world) -> None:
    login(client, "admin")
    for path in ("/progress", "/progress/chart/png", "/progress/export.xlsx", "/registration",
                 "/registration/export.xlsx", "/public/progress", "/public/progress/chart/svg",
                 "/public/progress/export.xlsx"):
        for value in ODD:
            for name in ("area", "set", "year", "layout", "show"):
                response = client.get(path, params={name: value})
                assert response.status_code < 500, (path, name, value[:20], response.status_code)
    for value in ODD:
        for path in (f"/progress/communes/2025/{value}", f"/progress/communes/{value}/00004",
                     f"/admin/history/{value}"):
            assert client.get(path).status_code < 500, path[:60]
    assert client.get("/admin/history/" + "9" * 40).status_code == 404


def test_markup_in_a_spreadsheet_is_shown_escaped(client, world) -> None:
    login(client, "admin")
    data = "Xã,Kết quả\n<script>alert('phuhop-xss')</script>,Đạt\n".encode()
    files = {"file": ("<b>x</b>.csv", data, "text/csv")}
    response = client.post("/admin/history/preview", data={"kind": "results", "year": "2026", "unit_set": "2025"},
                           files=files, headers=csrf_header(client))
    assert response.status_code == 200
    assert "<script>alert('phuhop-xss')</script>" not in response.text
    assert "&lt;script&gt;" in response.text and "<b>x</b>" not in response.text
