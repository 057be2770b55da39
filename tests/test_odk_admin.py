"""Admin pages for ODK: a token shown once and usable at once, revocation audited, XLSForm upload
and download, and who may use them."""

from __future__ import annotations

import asyncio
import io
import re

import pytest
from conftest import csrf_header, login
from openpyxl import Workbook, load_workbook

from forms import registry
from forms.xlsform import export_xlsform
from server.openrosa import drafts
from server.core.tables import AuditLog, DeviceToken


def query(statement):
    return asyncio.run(statement.run())


def test_admin_creates_a_token_that_odk_collect_can_use_then_revokes_it(client) -> None:
    login(client, "admin")
    page = client.post("/admin/odk/tokens", data={"username": "collab_a", "label": "Samsung A14"},
                       headers=csrf_header(client))
    assert page.status_code == 200
    url = re.search(r'id="server-url">([^<]+)<', page.text).group(1)
    assert url.startswith("http://127.0.0.1:8000/openrosa/key/00004.")
    token = url.rsplit("/", 1)[1]
    assert client.get(f"/openrosa/key/{token}/formList").status_code == 200
    assert token not in client.get("/admin/odk").text  # shown once only
    row = query(DeviceToken.objects().first())
    assert row.label == "Samsung A14" and row.token_hash != token
    revoked = client.post(f"/admin/odk/tokens/{row.id}/revoke", headers=csrf_header(client), follow_redirects=False)
    assert revoked.status_code == 303
    assert client.get(f"/openrosa/key/{token}/formList").status_code == 401
    actions = [r["action"] for r in query(AuditLog.select(AuditLog.action).where(AuditLog.entity == "device_token"))]
    assert sorted(actions) == ["device_token_created", "device_token_revoked"]


@pytest.mark.parametrize("username", ["reviewer_x", "nobody"])
def test_tokens_are_only_for_collaborators(client, username: str) -> None:
    login(client, "admin")
    page = client.post("/admin/odk/tokens", data={"username": username, "label": ""}, headers=csrf_header(client))
    assert page.status_code == 422
    assert query(DeviceToken.count()) == 0


def test_token_pages_need_an_admin_and_csrf(client) -> None:
    login(client, "reviewer_x")
    assert client.get("/admin/odk").status_code == 403
    assert client.post("/admin/odk/tokens", data={"username": "collab_a"}, headers=csrf_header(client)).status_code == 403
    login(client, "admin")
    assert client.post("/admin/odk/tokens", data={"username": "collab_a"}).status_code == 403  # no CSRF token
    assert query(DeviceToken.count()) == 0


@pytest.mark.parametrize(("username", "status"), [("admin", 200), ("reviewer_y", 200), ("collab_a", 403)])
def test_xlsform_download_for_admins_and_reviewers(client, username: str, status: int) -> None:
    login(client, username)
    response = client.get("/admin/forms/satisfaction/1.xlsx")
    assert response.status_code == status
    if status == 200:
        assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
        book = load_workbook(io.BytesIO(response.content))
        assert book.sheetnames == ["survey", "choices", "settings"]
    assert client.get("/admin/forms/satisfaction/9.xlsx").status_code in (403 if status == 403 else 404,)


def test_xlsform_upload_writes_a_draft_and_reports_problems_by_row(client) -> None:
    login(client, "admin")
    content = export_xlsform(registry.get_form("satisfaction", 1))
    page = client.post("/admin/odk/xlsform", files={"file": ("satisfaction.xlsx", content)},
                       headers=csrf_header(client))
    assert page.status_code == 200, page.text
    written = drafts.drafts_dir() / "satisfaction" / "v2.yaml"
    assert written.exists() and "status: draft" in written.read_text()
    assert query(AuditLog.count().where(AuditLog.action == "form_draft_imported")) == 1

    book = Workbook()
    book.active.title = "survey"
    for row in (["type", "name", "label::Vietnamese (vi)", "label::English (en)"],
                ["range", "score", "Điểm", "Score"]):
        book.active.append(row)
    book.create_sheet("settings").append(["form_id"])
    book["settings"].append(["bad_id"])
    buffer = io.BytesIO()
    book.save(buffer)
    refused = client.post("/admin/odk/xlsform", files={"file": ("bad.xlsx", buffer.getvalue())},
                          headers={**csrf_header(client), "Accept-Language": "en"})
    assert refused.status_code == 422
    assert "survey, row 2, column type (A2)" in refused.text
    assert "settings, row 2, column form_id (A2)" in refused.text
    assert not (drafts.drafts_dir() / "bad_id").exists()
