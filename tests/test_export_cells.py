"""Every CSV and XLSX export neutralises cells that a spreadsheet would run as a formula (OWASP).

Text that anyone can type or import — a user name tried at the login form, a commune's name, a
reviewer's name, a reason — starts with `=`, `+`, `-`, `@`, a tab or a carriage return; every export
route of the app (found in its route table) is downloaded and read back: in a CSV such a cell starts
with an apostrophe, in an XLSX it is a string cell with the quote-prefix style, never a formula.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re

from openpyxl import load_workbook

from conftest import csrf_header, login
from public_data import make_list, recognised_indicators
from server.core.export_cells import TRIGGERS
from server.core.tables import Unit

HOSTILE = {"commune": '=HYPERLINK("http://x.example","bấm vào đây")', "province": "\t+Tỉnh",
           "login": "-2+3+cmd|' /C calc'!A0", "login2": "@SUM(1+1)*cmd|' /C calc'!A0"}
EXPORT_WORDS = re.compile(r"csv|xlsx|export|download", re.I)


def test_the_rule_covers_every_trigger_and_leaves_numbers_alone() -> None:
    from server.core.export_cells import csv_bytes

    rows = list(csv.reader(io.StringIO(csv_bytes([["=1", "+1", "-1", "@1", "\t1", "\r1", "a=1", -5, 3.5]]).decode("utf-8-sig"))))
    assert rows == [["'=1", "'+1", "'-1", "'@1", "'\t1", "'\r1", "a=1", "-5", "3.5"]]


def export_urls(world: dict, list_id: int) -> dict[str, str]:
    """The export routes of the app, each with a URL that downloads something from this test's data."""
    from test_authorization_matrix import draft_rules_of_admin

    period = world["period"].id
    draft_rules_of_admin(world)
    rules = world["rule_version_id"]
    return {
        "/admin/rules/{version_id:int}/table.xlsx": f"/admin/rules/{rules}/table.xlsx",
        "/admin/rules/{version_id:int}/whatif/{period_id:int}/preview.xlsx":
            f"/admin/rules/{rules}/whatif/{period}/preview.xlsx",
        "/progress/export.xlsx": "/progress/export.xlsx",
        "/public/progress/export.xlsx": "/public/progress/export.xlsx",
        "/registration/export.xlsx": "/registration/export.xlsx",
        "/admin/users/import/template.xlsx": "/admin/users/import/template.xlsx",
        "/admin/audit.csv": "/admin/audit.csv",
        "/admin/forms/{form_id:str}/{file_name:str}": "/admin/forms/satisfaction/1.xlsx",
        "/review/lists/{list_id:int}/export/{fmt:str}": f"/review/lists/{list_id}/export/{{csv,xlsx}}",
        "/public/{period_id:int}/lists/{list_id:int}/download/{name:str}":
            f"/public/{period}/lists/{list_id}/download/{{list.csv,list.xlsx,figures.csv}}",
    }


def text_cells(content: bytes, kind: str) -> list[tuple[str, bool]]:
    """(text, made safe) of every text cell; safe: CSV apostrophe, XLSX quote prefix (and never a formula)."""
    if kind == "csv":
        rows = csv.reader(io.StringIO(content.decode("utf-8-sig")))
        return [(cell[1:], True) if cell.startswith("'") else (cell, False) for row in rows for cell in row]
    book = load_workbook(io.BytesIO(content))
    cells = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    cells.append((cell.value, bool(cell.quotePrefix)))
    return cells


def test_every_export_neutralises_formula_cells(client, world: dict) -> None:
    from server.app import create_app

    Unit.update({Unit.name: HOSTILE["commune"]}).where(Unit.code == "00004").run_sync()
    Unit.update({Unit.name: HOSTILE["province"]}).where(Unit.code == "01").run_sync()
    client.get("/login")
    for name in (HOSTILE["login"], HOSTILE["login2"]):  # failed logins land in the audit log
        client.post("/login", data={"username": name, "password": "x" * 10}, headers=csrf_header(client))
    fresh = {unit.code: unit for unit in Unit.objects().where(Unit.code.is_in(["01", "00004"])).run_sync()}
    cert_list = asyncio.run(make_list(world["period"], fresh["01"], world["users"]["admin"],
                                      [(fresh["00004"], recognised_indicators())]))
    login(client, "admin")

    routes = {route.path for route in create_app().routes if EXPORT_WORDS.search(route.path)
              and "GET" in {m for h in getattr(route, "route_handlers", []) for m in h.http_methods}}
    urls = export_urls(world, cert_list.id)
    assert routes <= set(urls), f"export routes without a case here: {sorted(routes - set(urls))}"

    seen: set[str] = set()
    for _template, url in urls.items():
        variants = re.fullmatch(r"(.*)\{(.*)\}", url)
        for target in ([f"{variants.group(1)}{v}" for v in variants.group(2).split(",")] if variants else [url]):
            response = client.get(target)
            assert response.status_code == 200, (target, response.status_code)
            kind = "csv" if "csv" in response.headers["content-type"] else "xlsx"
            for text, safe in text_cells(response.content, kind):
                if text.startswith(TRIGGERS):
                    assert safe, (target, text)
                    seen.add(text)
                else:
                    assert not safe or kind == "xlsx", (target, text)
    # The hostile texts reached the exports (else the check above proved nothing).
    for name in HOSTILE:
        assert any(HOSTILE[name] in text for text in seen), (name, sorted(seen)[:10])
