"""One account per person however the name was typed: user names are Unicode NFC at creation, login and
search (a phone keyboard may send "Lê" decomposed: "L", "e", U+0302, …)."""

from __future__ import annotations

import asyncio
import importlib
import unicodedata

import pytest

from conftest import PASSWORD, csrf_header
from server.accounts.users import AccountError, create_user
from server.core.tables import User

NAME = "lê.thị.hằng"
NFC, NFD = unicodedata.normalize("NFC", NAME), unicodedata.normalize("NFD", NAME)


def test_nfd_and_nfc_spellings_are_one_account(client, world: dict) -> None:
    assert NFC != NFD
    asyncio.run(create_user(NFD, PASSWORD, "collaborator", unit_code="00004"))
    assert User.exists().where(User.username == NFC).run_sync()
    assert not User.exists().where(User.username == NFD).run_sync()
    with pytest.raises(AccountError, match="already taken"):
        asyncio.run(create_user(NFC, PASSWORD, "collaborator", unit_code="00004"))
    for typed in (NFC, NFD, f"  {NFD} "):
        client.cookies.clear()
        client.get("/login")
        response = client.post("/login", data={"username": typed, "password": PASSWORD}, headers=csrf_header(client),
                               follow_redirects=False)
        assert response.status_code == 303, typed


def test_device_tokens_and_the_audit_filter_find_the_account_by_either_spelling(client, world: dict) -> None:
    from server.accounts.auth import authenticate
    from server.openrosa.tokens import create_token

    asyncio.run(create_user(NFC, PASSWORD, "collaborator", unit_code="00004"))
    _token, row = asyncio.run(create_token(NFD, "điện thoại", by=world["users"]["admin"]))
    assert row.user == User.select(User.id).where(User.username == NFC).first().run_sync()["id"]
    asyncio.run(authenticate(NFD, PASSWORD, "203.0.113.1"))  # an audited login of the composed name
    from conftest import login
    login(client, "admin")
    page = client.get("/admin/audit", params={"username": NFD})
    assert page.status_code == 200 and "login" in page.text


def test_the_migration_composes_names_stored_decomposed(world: dict) -> None:
    User.update({User.username: NFD}).where(User.username == "collab_b").run_sync()
    migration = importlib.import_module("server.migrations.phuhop_2026_12_02t16_35_00_000003")

    async def run() -> None:
        manager = await migration.forwards()
        for step in manager.raw:
            await step()

    asyncio.run(run())
    assert User.exists().where(User.username == NFC).run_sync()
    assert not User.exists().where(User.username == NFD).run_sync()
