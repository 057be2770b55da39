"""Accounts on the web (admins): the whole life of an account through real HTTP, and many accounts
imported from a spreadsheet (preview with per-row errors, then all or nothing)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import unicodedata

import pytest
from conftest import CHROMIUM, PASSWORD, csrf_header, login
from litestar.testing import TestClient
from openpyxl import Workbook
from page_text import read

from server.core.tables import AuditLog, User


def _temporary_passwords(html: str) -> list[str]:
    return re.findall(r'<code class="secret">([^<]+)</code>', html)


def _post(client, path: str, **data):
    return client.post(path, headers=csrf_header(client), data=data, follow_redirects=False)


def _login(client, username: str, password: str):
    client.get("/login")
    return client.post("/login", data={"username": username, "password": password}, headers=csrf_header(client),
                       follow_redirects=False)


def _user(username: str) -> User:
    return asyncio.run(User.objects().where(User.username == username).first().run())


def _actions(user_id: int) -> list[tuple[str, str | None, str | None]]:
    rows = asyncio.run(AuditLog.select(AuditLog.action, AuditLog.username, AuditLog.reason).where(
        (AuditLog.entity == "user") & (AuditLog.entity_id == str(user_id))).order_by(AuditLog.id).run())
    return [(row["action"], row["username"], row["reason"]) for row in rows]


def test_an_account_from_creation_to_deactivation(client, app, world) -> None:
    """create → first login with the temporary password → own password → reset → throttled → unlock →
    deactivate → refused; each step audited with who and why."""
    login(client, "admin")
    decomposed = unicodedata.normalize("NFD", "Nguyễn   Văn An")  # as some phones send it
    created = _post(client, "/admin/users", username=unicodedata.normalize("NFD", "nguyễn.an"),
                    display_name=decomposed, role="collaborator", unit="phuong ba dinh")
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    [temporary] = _temporary_passwords(created.text)
    user = _user("nguyễn.an")  # stored composed (NFC), spaces collapsed
    assert user.display_name == "Nguyễn Văn An" and user.must_change_password and user.unit == world["commune_a"].id

    with TestClient(app=app, base_url="http://127.0.0.1:8000") as person:
        first = _login(person, unicodedata.normalize("NFD", "nguyễn.an"), temporary)
        assert first.status_code == 303 and first.headers["location"] == "/account/password"
        held = person.get("/my", follow_redirects=False)  # every page waits for the new password
        assert held.status_code in (302, 303) and held.headers["location"] == "/account/password"
        api = person.get("/api/me", headers={"accept": "application/json"})
        assert api.status_code == 403 and "mật khẩu tạm thời" in api.json()["detail"]
        page = person.get("/account/password")
        assert "mật khẩu tạm thời do quản trị viên cấp" in read(page.text)[0]
        same = _post(person, "/account/password", current=temporary, new=temporary, again=temporary)
        assert same.status_code == 422 and "khác mật khẩu hiện tại" in same.text
        changed = _post(person, "/account/password", current=temporary, new="mat-khau-cua-an", again="mat-khau-cua-an")
        assert changed.status_code == 303
        assert person.get("/my").status_code == 200
        assert not _user("nguyễn.an").must_change_password

        reset = _post(client, f"/admin/users/{user.id}/password", reason="Quên mật khẩu, gọi điện ngày 2/12")
        assert reset.status_code == 200, reset.text
        [again] = _temporary_passwords(reset.text)
        assert again != temporary
        assert _login(person, "nguyễn.an", "mat-khau-cua-an").status_code == 401  # the old password is gone
        assert _login(person, "nguyễn.an", again).headers["location"] == "/account/password"

        statuses = [_login(person, "nguyễn.an", "sai-mat-khau").status_code for _ in range(12)]
        assert 429 in statuses, statuses  # slowed down by the login throttle
        page = client.get(f"/admin/users/{user.id}")
        assert "lần đăng nhập sai" in read(page.text)[0]
        unlocked = _post(client, f"/admin/users/{user.id}/unlock")
        assert unlocked.status_code == 303 and unlocked.headers["location"].endswith("done=unlocked")
        assert _login(person, "nguyễn.an", again).status_code == 303  # at once, without waiting

        refused = _post(client, f"/admin/users/{user.id}/active", active="0", reason="")
        assert refused.status_code == 422 and _user("nguyễn.an").active  # a reason is required
        off = _post(client, f"/admin/users/{user.id}/active", active="0", reason="Đã chuyển công tác")
        assert off.status_code == 303
        assert person.get("/account/password", follow_redirects=False).status_code in (302, 303)  # logged out
        assert _login(person, "nguyễn.an", again).status_code == 401
    assert [(action, by) for action, by, _ in _actions(user.id) if action != "login_failed"] == [
        ("user_created", "admin"), ("login", "nguyễn.an"), ("password_changed", "nguyễn.an"),
        ("sessions_ended", "nguyễn.an"), ("login", "nguyễn.an"),  # every other device out, this one stays in
        ("password_reset", "admin"), ("sessions_ended", "admin"), ("login", "nguyễn.an"), ("user_unlocked", "admin"),
        ("login", "nguyễn.an"), ("user_deactivated", "admin"), ("sessions_ended", "admin")]
    reasons = {action: reason for action, _, reason in _actions(user.id)}
    assert reasons["password_reset"] == "Quên mật khẩu, gọi điện ngày 2/12"
    assert reasons["user_deactivated"] == "Đã chuyển công tác"
    history = " ".join(read(client.get(f"/admin/users/{user.id}").text)[0].split())
    assert "Tạo tài khoản" in history and "Ngừng hoạt động tài khoản" in history and "Đã chuyển công tác" in history


def test_role_and_unit_change_reactivation_and_the_admin_own_account(client, world) -> None:
    login(client, "admin")
    collab = world["users"]["collab_a"]
    no_reason = _post(client, f"/admin/users/{collab.id}", display_name="A", role="reviewer", unit="01", reason="")
    assert no_reason.status_code == 422 and _user("collab_a").role == "collaborator"
    wrong = _post(client, f"/admin/users/{collab.id}", display_name="A", role="collaborator", unit="01",
                  reason="Chuyển lên tỉnh")
    assert wrong.status_code == 422 and "không phải là xã" in read(wrong.text)[0]
    moved = _post(client, f"/admin/users/{collab.id}", display_name="Lê Thị A", role="reviewer",
                  unit="Thành phố Hà Nội", reason="Chuyển lên Sở")
    assert moved.status_code == 303
    user = _user("collab_a")
    assert (user.role, user.unit, user.display_name) == ("reviewer", world["province"].id, "Lê Thị A")
    logged = asyncio.run(AuditLog.select(AuditLog.before, AuditLog.after).where(
        AuditLog.action == "user_changed").output(load_json=True).first().run())
    assert logged["before"] == {"display_name": "collab_a", "role": "collaborator", "unit": "00004"}
    assert logged["after"] == {"display_name": "Lê Thị A", "role": "reviewer", "unit": "01"}

    admin = world["users"]["admin"]
    assert _post(client, f"/admin/users/{admin.id}/active", active="0", reason="thử").status_code == 422
    own = _post(client, f"/admin/users/{admin.id}/password", reason="thử")  # would lock the admin out of the pages
    assert own.status_code == 422 and "trang Đổi mật khẩu" in own.text and not _user("admin").must_change_password
    assert _post(client, f"/admin/users/{admin.id}", role="reviewer", unit="01", reason="thử").status_code == 422
    off = _post(client, f"/admin/users/{collab.id}/active", active="0", reason="Nghỉ phép dài")
    on = _post(client, f"/admin/users/{collab.id}/active", active="1", reason="Đi làm lại")
    assert off.status_code == on.status_code == 303 and _user("collab_a").active
    assert _post(client, "/admin/users/999999/active", active="1", reason="x").status_code == 404

    listed = client.get("/admin/users", params={"q": "le thi", "role": "reviewer"})
    assert "collab_a" in listed.text and "reviewer_x" not in listed.text


def test_creation_refusals_name_the_field(client, world) -> None:
    login(client, "admin")
    for data, field, words in (
        ({"username": "collab_a", "role": "admin"}, "username", "đã có người dùng"),
        ({"username": "có dấu cách", "role": "admin"}, "username", "không có dấu cách"),
        ({"username": "=cmd", "role": "admin"}, "username", "không có dấu cách"),
        ({"username": "ok.name", "role": "collaborator", "unit": ""}, "unit", "đơn vị"),
        ({"username": "ok.name", "role": "collaborator", "unit": "99999"}, "unit", "Không có đơn vị"),
        ({"username": "ok.name", "role": "chief"}, "role", "Chọn vai trò"),
        ({"username": "ok.name", "role": "admin", "display_name": "x" * 201}, "display_name", "200"),
        ({"username": "ok.name", "role": "collaborator", "unit": "\x00"}, "unit", "đơn vị"),
        ({"username": "ok.name", "role": "admin", "reason": "r" * 501}, "reason", "500"),
    ):
        refused = _post(client, "/admin/users", **data)
        assert refused.status_code == 422, (data, refused.status_code)
        assert f'data-field="{field}"' in refused.text and words in refused.text, (data, read(refused.text)[0][:400])
    assert asyncio.run(User.count().run()) == 5
    control = _post(client, "/admin/users", username="ok.name", role="admin", display_name="An\x00\x07 Bình\n")
    assert control.status_code == 201 and _user("ok.name").display_name == "An Bình"  # (PostgreSQL refuses NUL)


# ---------------------------------------------------------------- many accounts

def _xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _preview(client, name: str, content: bytes, **data: str):
    return client.post("/admin/users/import/preview", headers=csrf_header(client),
                       data={"unit_set": "2025", **data}, files={"file": (name, content)})


def _rows_of(html: str) -> str:
    [value] = re.findall(r'name="rows" value="([^"]*)"', html)
    return value.replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&").replace("&#39;", "'")


def test_a_spreadsheet_of_accounts_is_previewed_then_imported_whole(client, app, world) -> None:
    login(client, "admin")
    content = _xlsx([["Danh sách cộng tác viên (kèm Công văn 12/UBND)"], [],
                     ["STT", "Tên đăng nhập", "Họ và tên", "Vai trò", "Mã xã"],
                     [1, "ctv.badinh", unicodedata.normalize("NFD", "Phạm Thị Hoa"), "Cộng tác viên", 4],
                     [2, "ctv.ngocha", "Đỗ Văn Minh", "CTV", "Phường Ngọc Hà"],
                     [3, "td.hanoi", "Vũ Thị Lan", "Thẩm định", "01"]])
    shown = _preview(client, "ds.xlsx", content)
    assert shown.status_code == 200, shown.text
    assert "3 tài khoản sẵn sàng để tạo" in read(shown.text)[0]
    assert asyncio.run(User.count().run()) == 5  # a preview stores nothing
    done = client.post("/admin/users/import", headers=csrf_header(client),
                       data={"unit_set": "2025", "file_name": "ds.xlsx", "rows": _rows_of(shown.text)})
    assert done.status_code == 201, done.text
    passwords = _temporary_passwords(done.text)
    assert len(set(passwords)) == 3
    hoa = _user("ctv.badinh")
    assert hoa.display_name == "Phạm Thị Hoa" and hoa.unit == world["commune_a"].id and hoa.must_change_password
    assert _user("td.hanoi").role == "reviewer"
    with TestClient(app=app, base_url="http://127.0.0.1:8000") as person:
        assert _login(person, "ctv.ngocha", passwords[1]).headers["location"] == "/account/password"
    summary = asyncio.run(AuditLog.select(AuditLog.after, AuditLog.username).where(
        AuditLog.action == "users_imported").output(load_json=True).run())
    assert summary == [{"after": {"file": "ds.xlsx", "accounts": 3}, "username": "admin"}]
    again = client.post("/admin/users/import", headers=csrf_header(client),  # the same page sent twice
                        data={"unit_set": "2025", "file_name": "ds.xlsx", "rows": _rows_of(shown.text)})
    assert again.status_code == 409 and asyncio.run(User.count().run()) == 8


def test_rows_in_error_are_all_shown_and_nothing_is_imported(client, world) -> None:
    login(client, "admin")
    csv = ("Tài khoản;Họ tên;Vai trò;Đơn vị\n"
           "moi.mot;Người Mới;cộng tác viên;00004\n"
           "collab_a;Trùng Tài Khoản;cộng tác viên;00004\n"
           "moi.mot;Trùng Trong Tệp;cộng tác viên;00008\n"
           "moi.ba;=HYPERLINK(\"http://x\");cộng tác viên;00004\n"
           "moi.bon;Sai Vai Trò;trưởng thôn;00004\n"
           "moi.nam;Không Có Xã;cộng tác viên;Xã Không Có\n"
           "moi.sau;Tỉnh Không Phải Xã;CTV;01\n"
           "có cách;Tên Sai;quản trị;\n").encode()
    shown = _preview(client, "ds.csv", csv)
    assert shown.status_code == 200
    prose = " ".join(read(shown.text)[0].split())
    assert "7 trên 8 dòng có lỗi" in prose
    for words in ("Tên đăng nhập collab_a đã có người dùng", "Trùng tên đăng nhập với dòng 2",
                  "không được bắt đầu bằng", "Không đọc được vai trò trưởng thôn",
                  "Không có đơn vị nào có mã hoặc tên Xã Không Có", "Thành phố Hà Nội không phải là xã",
                  "không có dấu cách"):
        assert words in prose, words
    assert 'id="apply-import"' not in shown.text
    forced = client.post("/admin/users/import", headers=csrf_header(client), data={
        "unit_set": "2025", "file_name": "ds.csv",
        "rows": json.dumps([[2, "moi.mot", "Người Mới", "collaborator", "00004"],
                            [3, "collab_a", "Trùng", "collaborator", "00004"]])})
    assert forced.status_code == 409 and asyncio.run(User.count().run()) == 5  # no partial import
    for rows in ("", "[[1]]", "{}", json.dumps([[1, "a", "b", "c", "d"]] * 2001), "[" * 5000):
        refused = client.post("/admin/users/import", headers=csrf_header(client),
                              data={"unit_set": "2025", "rows": rows})
        assert refused.status_code in (409, 422), (rows[:20], refused.status_code)
    assert asyncio.run(User.count().run()) == 5


def test_odd_files_are_refused_with_a_reason(client, world) -> None:
    login(client, "admin")
    assert "tên đăng nhập" in _preview(client, "x.csv", b"a;b\n1;2\n").text  # no user-name column
    assert _preview(client, "x.pdf", b"%PDF-1.4").status_code == 422
    assert _preview(client, "x.xlsx", b"not a zip").status_code == 422
    assert _preview(client, "x.csv", "Tên đăng nhập\nmot\n".encode("utf-16")).status_code == 422
    no_role = _preview(client, "x.csv", "Tên đăng nhập;Đơn vị\nmot;00004\n".encode())
    assert no_role.status_code == 422 and 'data-field="default_role"' in no_role.text
    with_role = _preview(client, "x.csv", "Tên đăng nhập;Đơn vị\nmot;00004\n".encode(), default_role="collaborator")
    assert "1 tài khoản sẵn sàng để tạo" in read(with_role.text)[0]
    many = ("Tên đăng nhập;Vai trò\n" + "".join(f"u{i};admin\n" for i in range(2001))).encode()
    assert "2.000" in _preview(client, "x.csv", many).text
    huge = client.post("/admin/users/import/preview", headers=csrf_header(client), data={"unit_set": "2025"},
                       files={"file": ("x.csv", b"a" * (6 * 2**20))})
    assert huge.status_code == 413
    template = client.get("/admin/users/import/template.xlsx")
    assert template.status_code == 200 and template.headers["content-disposition"].endswith('.xlsx"')
    back = _preview(client, "mau.xlsx", template.content)  # the example imports as it is
    assert back.status_code == 200 and "2 tài khoản sẵn sàng để tạo" in read(back.text)[0]


@pytest.mark.browser
def test_an_administrator_creates_an_account_and_the_person_chooses_a_password_in_chromium(live_server) -> None:
    """At 1366×900 the admin creates a collaborator; on a 360 px phone the person logs in with the temporary
    password, is held on the password page, chooses one, and reaches their commune's page."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        admin = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN",
                                    base_url=live_server).new_page()
        admin.goto("/login")
        admin.fill("#username", "admin")
        admin.fill("#password", PASSWORD)
        admin.click("form[action='/login'] button[type=submit]")
        admin.goto("/admin/users")
        admin.click("text=Tạo tài khoản")
        admin.fill("#username", "le.thi.hoa")
        admin.fill("#display_name", "Lê Thị Hoa")
        admin.check("input[name=role][value=collaborator]")
        admin.fill("#unit", "Phường Ba Đình")
        admin.click("#new-user button[type=submit]")
        temporary = admin.inner_text("code.secret")
        assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", temporary)

        phone = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN", base_url=live_server,
                                    is_mobile=True, has_touch=True).new_page()
        phone.goto("/login")
        phone.fill("#username", "le.thi.hoa")
        phone.fill("#password", temporary)
        phone.click("form[action='/login'] button[type=submit]")
        phone.wait_for_url("**/account/password")
        assert "mật khẩu tạm thời" in phone.inner_text("main")
        assert phone.locator("nav.main-nav a[href='/my']").count() == 0  # nothing else to open yet
        phone.goto("/my")
        assert phone.url.endswith("/account/password")
        phone.fill("#current", temporary)
        phone.fill("#new", "hoa-mat-khau-moi")
        phone.fill("#again", "hoa-mat-khau-moi")
        phone.click("form[action='/account/password'] button[type=submit]")
        phone.click("text=Tiếp tục")
        phone.wait_for_url("**/my")
        assert "Phường Ba Đình" in phone.inner_text("main")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360

        admin.goto("/admin/users?q=le thi hoa")
        assert "Đang hoạt động" in admin.inner_text("#accounts")
        browser.close()


def test_a_code_as_typed_wins_over_a_shortened_one() -> None:
    """"001" is district 001 even though commune 00001 exists; "4" still finds commune 00004 (a spreadsheet's 4)."""
    from server.accounts.users import Place, UnitIndex

    district = Place(1, "001", "Quận Ba Đình", "district")
    commune = Place(2, "00001", "Phường Phúc Xá", "commune")
    other = Place(3, "00004", "Phường Trúc Bạch", "commune")
    index = UnitIndex(by_code={p.code: p for p in (district, commune, other)})
    assert index.find("reviewer", "001") == district
    assert index.find("reviewer", "00001") == commune
    assert index.find("collaborator", "4") == other
