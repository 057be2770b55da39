"""Accounts: creating them, their role and unit, temporary passwords, deactivating; shared by the CLI,
the admin pages and the demo.

User names and display names are stored in Unicode NFC: a Vietnamese name typed on a phone that
sends the decomposed form (NFD: "Lê" as "L", "e", U+0302, …) is the same as the composed one.
Errors are `AccountError`s whose message is an English msgid (the CLI prints it as it is, the
pages translate it) naming the field it is about.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asyncpg.exceptions import UniqueViolationError

from server.core import audit
from server.accounts import passwords
from server.accounts.auth import ROLES
from server.accounts.sessions import end_user_sessions
from server.core.db import write_transaction
from server.core.i18n import N_
from server.core.tables import Unit, User
from server.registry.units import fold

MIN_PASSWORD = 8
MAX_PASSWORD = 200  # the login form takes no longer one
MAX_NAME = 200
USERNAME = re.compile(r"[\w.@-]{2,64}")  # letters (any script), digits, . _ - @; no spaces
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or copied by hand


class AccountError(ValueError):
    """A refused account change: `message` is a msgid with `params`, `field` the form field it is about."""

    def __init__(self, field: str, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.field, self.message, self.params = field, message, params


AREA_KINDS = {"collaborator": {"commune"}, "reviewer": {"commune", "district", "province"}, "admin": set()}
"""A reviewer of a commune is its own people's committee, where a period lets communes review themselves."""


def normalise_username(username: str) -> str:
    """The one spelling of a user name: NFC, without surrounding spaces."""
    return unicodedata.normalize("NFC", username).strip()


def normalise_name(name: str) -> str:
    """A name (a person's, a unit's, a reason) as stored: NFC, no control characters, single spaces."""
    text = unicodedata.normalize("NFC", name)
    return " ".join("".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text).split())


def check_username(username: str) -> str:
    username = normalise_username(username)
    if not USERNAME.fullmatch(username):
        raise AccountError("username", N_("A user name has 2 to 64 letters, digits or the signs . _ - @, "
                                          "without spaces (for example nguyen.van.an)."))
    return username


def check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError("password", N_("The password must have %(min)s to %(max)s characters."),
                           min=MIN_PASSWORD, max=MAX_PASSWORD)


def check_display_name(name: str) -> str:
    name = normalise_name(name)
    if len(name) > MAX_NAME:
        raise AccountError("display_name", N_("The full name is longer than %(max)s characters."), max=MAX_NAME)
    return name


def temporary_password() -> str:
    """12 random characters in three groups ("k7mq-x3pt-9rwa", ~60 bits): easy to dictate, changed at first login."""
    letters = "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(12))
    return "-".join(letters[i:i + 4] for i in range(0, 12, 4))


_PREFIXES = re.compile(r"^(xa|phuong|thi tran|thi xa|tinh|thanh pho|huyen|quan|dac khu) ")


@dataclass(frozen=True)
class Place:
    id: int
    code: str
    name: str
    kind: str


@dataclass
class UnitIndex:
    """Units of a registry set by official code and by folded name (with and without "Xã", "Tỉnh"…)."""

    by_code: dict[str, Place] = field(default_factory=dict)
    by_name: dict[str, list[Place]] = field(default_factory=dict)

    @classmethod
    async def _of(cls, where: Any) -> UnitIndex:
        index = cls()
        for row in await Unit.select(Unit.id, Unit.code, Unit.name, Unit.name_ascii, Unit.kind).where(where).run():
            place = Place(row["id"], row["code"], row["name"], row["kind"])
            index.by_code[place.code] = place
            for name in {row["name_ascii"], _PREFIXES.sub("", row["name_ascii"])}:
                index.by_name.setdefault(name, []).append(place)
        return index

    @classmethod
    async def load(cls, unit_set: str) -> UnitIndex:
        """Every unit of the set: for checking a whole spreadsheet."""
        return await cls._of(Unit.unit_set == unit_set)

    @classmethod
    async def around(cls, unit_set: str, text: str) -> UnitIndex:
        """Only the units `text` could name: for one account."""
        text = normalise_name(text)
        folded = fold(text)
        return await cls._of((Unit.unit_set == unit_set) & (
            Unit.code.is_in(_codes(text)) | Unit.name_ascii.is_in([folded, *_prefixed(folded)])))

    def find(self, role: str, text: str | None) -> Place | None:
        """The unit a `role` is bound to, given by its official code or its name (unique in the registry)."""
        if role not in ROLES:
            raise AccountError("role", N_("Choose a role: collaborator, reviewer or administrator."))
        kinds = AREA_KINDS[role]
        text = normalise_name(text or "")
        if not kinds:
            return None
        if not text:
            raise AccountError("unit", N_("Give the unit this account works for (its official code or its name)."))
        # The code exactly as typed wins ("001" is a district even though commune 00001 exists); a code a
        # spreadsheet shortened is tried only when nothing has the exact one.
        exact = [self.by_code[text]] if text in self.by_code else []
        coded = exact or [self.by_code[code] for code in _codes(text) if code in self.by_code]
        found = [place for place in coded if place.kind in kinds]
        if coded and not found:  # only a collaborator's units are narrower than every kind
            raise AccountError("unit", N_("%(name)s is not a commune: a collaborator works for a commune."),
                               name=coded[0].name)
        if not found:
            folded = fold(text)
            named = self.by_name.get(folded) or self.by_name.get(_PREFIXES.sub("", folded)) or []
            found = list({place.id: place for place in named if place.kind in kinds}.values())
        if len(found) > 1:
            raise AccountError("unit", N_("Several units are called %(name)s: give the official code."), name=text)
        if not found:
            raise AccountError("unit", N_("No unit with the code or name %(name)s in the registry."), name=text)
        return found[0]


def _codes(text: str) -> list[str]:
    """A code as typed, and as a spreadsheet may have shortened it (00004 read as the number 4)."""
    return list(dict.fromkeys([text, text.zfill(2), text.zfill(3), text.zfill(5)])) if text.isdigit() else [text]


def _prefixed(folded: str) -> list[str]:
    return [f"{prefix} {folded}" for prefix in ("xa", "phuong", "thi tran", "thi xa", "tinh", "thanh pho", "huyen",
                                                 "quan", "dac khu")]


async def create_users(accounts: list[tuple[str, str, str, str | None]], *, password_for: Callable[[str], str],
                       unit_set: str = "2025", by: str = "system", temporary: bool = True, reason: str | None = None,
                       ip: str | None = None, summary: tuple[str, dict] | None = None) -> list[User]:
    """Create (user name, full name, role, unit code or name) accounts in one transaction: all or none.

    `password_for(username)` gives each password; `temporary`: to be changed at the first login.
    `summary`: an (action, details) audit entry for the whole batch (an import).
    """
    index = await UnitIndex.load(unit_set) if len(accounts) > 1 else None
    checked = []
    for username, display_name, role, unit_text in accounts:
        username = check_username(username)
        name = check_display_name(display_name or "") or username
        unit = (index or await UnitIndex.around(unit_set, unit_text or "")).find(role, unit_text)
        password = password_for(username)
        check_password(password)
        checked.append((username, name, role, unit, password))
    hashed = [await (passwords.hash_temporary_password if temporary else passwords.hash_password)(password)
              for *_, password in checked]
    users: list[User] = []
    try:
        async with write_transaction():
            taken = await User.select(User.username).where(User.username.is_in([c[0] for c in checked])).first().run()
            if taken:
                raise AccountError("username", N_("The user name %(username)s is already taken."),
                                   username=taken["username"])
            for (username, name, role, unit, _), password_hash in zip(checked, hashed):
                user = User(username=username, password_hash=password_hash, role=role, display_name=name,
                            unit=unit.id if unit else None, must_change_password=temporary)
                await user.save().run()
                after = {"username": username, "display_name": name, "role": role, "unit": unit.code if unit else None}
                await audit.record("user_created", "user", user.id, username=by, reason=reason, ip=ip,
                                   after={**after, "temporary_password": True} if temporary else after)
                users.append(user)
            if summary:
                await audit.record(summary[0], "user", None, username=by, reason=reason, ip=ip, after=summary[1])
    except (sqlite3.IntegrityError, UniqueViolationError) as clash:  # the same name created by a parallel request
        raise AccountError("username", N_("One of these user names was taken meanwhile: try again.")) from clash
    return users


async def create_user(username: str, password: str, role: str, *, unit_set: str = "2025",
                      unit_code: str | None = None, display_name: str | None = None,
                      by: str = "system") -> User:
    """One account with a password of its own (the CLI, the demo, the tests)."""
    [user] = await create_users([(username, display_name or "", role, unit_code)], password_for=lambda _: password,
                                unit_set=unit_set, by=by, temporary=False)
    return user


async def find_user(username: str) -> User | None:
    return await User.objects().where(User.username == normalise_username(username)).first()


async def change_password(user: User, new_password: str, *, by: str, reason: str | None = None,
                          temporary: bool = False, ip: str | None = None) -> int:
    """Set a new password and end every session of the user (a stolen session dies with the old password).
    `temporary`: set by an administrator, to be changed at the next login.

    Returns how many sessions were ended; the caller starts a new one for the browser that changed it.
    """
    check_password(new_password)
    password_hash = await (passwords.hash_temporary_password if temporary else passwords.hash_password)(new_password)
    async with write_transaction():
        await User.update({User.password_hash: password_hash, User.must_change_password: temporary}).where(
            User.id == user.id)
        await audit.record("password_reset" if temporary else "password_changed", "user", user.id, username=by,
                           reason=reason, ip=ip)
    return await end_user_sessions(user.id, by=by, reason="password_reset" if temporary else "password_changed")


async def set_active(user: User, active: bool, *, by: str, reason: str, ip: str | None = None) -> int:
    """Activate or deactivate an account: a deactivated account cannot log in and its sessions end at once.
    Returns the sessions ended."""
    async with write_transaction():
        await User.update({User.active: active}).where(User.id == user.id)
        await audit.record("user_activated" if active else "user_deactivated", "user", user.id, username=by,
                           reason=reason, ip=ip, before={"active": user.active}, after={"active": active})
    return 0 if active else await end_user_sessions(user.id, by=by, reason="deactivated")
