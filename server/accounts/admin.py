"""What an administrator does to accounts on the web: find them, create one with a temporary password,
change its role, unit or name, reset its password, unlock it after failed logins, deactivate or
reactivate it, and import many from a spreadsheet (preview, then all or nothing).

Each change is audited by `server.accounts.users` (who, when, before → after, why). A temporary
password is shown once to the administrator and must be changed at the next login.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from piccolo.query.functions.aggregate import Count, Max

from server.accounts.auth import ROLES
from server.accounts.users import (
    AccountError,
    UnitIndex,
    change_password,
    check_display_name,
    check_username,
    create_users,
    normalise_name,
    set_active,
    temporary_password,
)
from server.core import audit
from server.core.db import write_transaction
from server.core.errors import FieldError, InputError
from server.core.export_cells import xlsx_bytes
from server.core.i18n import N_, gettext
from server.core.spreadsheets import SpreadsheetError, read_table
from server.core.tables import AuditLog, LoginAttempt, Unit, User
from server.registry.units import UNIT_SETS, fold

ROLE_LABELS = {"collaborator": N_("Collaborator"), "reviewer": N_("Reviewer"), "admin": N_("Administrator")}
STATES = {"active": N_("Active"), "inactive": N_("Deactivated"), "temporary": N_("Waiting for a new password"),
          "locked": N_("Failed logins")}
PAGE_SIZE = 100
MAX_REASON = 500
MAX_IMPORT_ROWS = 2_000
# The words a spreadsheet uses for each role (folded: lower case, no diacritics).
ROLE_WORDS = {
    "collaborator": ("collaborator", "cong tac vien", "ctv", "thu thap"),
    "reviewer": ("reviewer", "tham dinh", "can bo tham dinh", "danh gia"),
    "admin": ("admin", "administrator", "quan tri", "quan tri vien", "quan tri he thong"),
}
COLUMN_LABELS = {"username": N_("user name")}
TEMPLATE_HEADERS = (N_("User name"), N_("Full name"), N_("Role"), N_("Unit (code or name)"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@")


def as_error(refused: AccountError) -> InputError:
    return InputError([FieldError(refused.field, "invalid", refused.message, refused.params)])


def check_reason(reason: str | None, *, required: bool = True) -> str | None:
    reason = normalise_name(reason or "")
    if required and len(reason) < 3:
        raise InputError([FieldError("reason", "required",
                                     N_("Say why (at least 3 characters): it is kept in the audit log."))])
    if len(reason) > MAX_REASON:
        raise InputError([FieldError("reason", "invalid", N_("The reason is longer than %(max)s characters."),
                                     {"max": MAX_REASON})])
    return reason or None


def parse_role(value: Any) -> str | None:
    """A role as a spreadsheet writes it ("Cộng tác viên", "CTV", "thẩm định", "admin"…), or None."""
    text = re.sub(r"[^0-9a-z]+", " ", fold(str(value or ""))).strip()
    for role, words in ROLE_WORDS.items():
        if text in words:
            return role
    return None


# ---------------------------------------------------------------- the list

@dataclass
class Account:
    user: dict[str, Any]
    unit: dict[str, Any] | None
    failed_logins: int = 0
    last_login: datetime | None = None

    @property
    def state(self) -> str:
        if not self.user["active"]:
            return "inactive"
        return "temporary" if self.user["must_change_password"] else "active"


async def failed_logins(usernames: list[str]) -> dict[str, int]:
    """Failed logins counted against each user name by the login throttle (what "unlock" forgets)."""
    rows = await LoginAttempt.select(LoginAttempt.username, Count(alias="n")).where(
        LoginAttempt.username.is_in(usernames or [""])).group_by(LoginAttempt.username).run()
    return {row["username"]: row["n"] for row in rows}


async def search(query: str = "", role: str = "", state: str = "", page: int = 1) -> tuple[list[Account], int]:
    """Accounts whose user name, name or unit contains `query` (without accents), of a role and state; one page
    and the count of all that match."""
    where = User.id > 0
    if role in ROLES:
        where &= User.role == role
    if state == "active":
        where &= User.active == True  # noqa: E712
    elif state == "inactive":
        where &= User.active == False  # noqa: E712
    elif state == "temporary":
        where &= (User.must_change_password == True) & (User.active == True)  # noqa: E712
    users = await User.select(User.id, User.username, User.display_name, User.role, User.active,
                              User.must_change_password, User.unit, User.created_at).where(where).order_by(
        User.username).run()
    units = {row["id"]: row for row in await Unit.select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.unit_set).where(
        Unit.id.is_in([u["unit"] for u in users if u["unit"]] or [-1])).run()}
    if state == "locked":
        counted = await failed_logins([u["username"] for u in users])
        users = [u for u in users if counted.get(u["username"])]
    words = fold(query).split()
    if words:
        def text(user: dict[str, Any]) -> str:
            unit = units.get(user["unit"]) or {}
            return fold(" ".join((user["username"], user["display_name"], unit.get("name", ""), unit.get("code", ""))))
        users = [u for u in users if all(word in text(u) for word in words)]
    shown = users[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    counted = await failed_logins([u["username"] for u in shown])
    last = await last_logins([u["id"] for u in shown])
    return [Account(u, units.get(u["unit"]), counted.get(u["username"], 0), last.get(str(u["id"])))
            for u in shown], len(users)


async def last_logins(user_ids: list[int]) -> dict[str, datetime]:
    rows = await AuditLog.select(AuditLog.entity_id, Max(AuditLog.at, alias="at")).where(
        (AuditLog.action == "login") & (AuditLog.entity == "user") &
        AuditLog.entity_id.is_in([str(i) for i in user_ids] or [""])).group_by(AuditLog.entity_id).run()
    return {row["entity_id"]: _aware(row["at"]) for row in rows}


def _aware(value: datetime | str) -> datetime:
    """A timestamp from an aggregate (SQLite hands back text) as an aware datetime."""
    value = datetime.fromisoformat(value) if isinstance(value, str) else value
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


async def account(user_id: int) -> Account | None:
    user = await User.select(User.id, User.username, User.display_name, User.role, User.active,
                             User.must_change_password, User.unit, User.created_at, User.language).where(
        User.id == user_id).first().run()
    if user is None:
        return None
    unit = await Unit.select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.unit_set).where(
        Unit.id == user["unit"]).first().run() if user["unit"] else None
    counted = await failed_logins([user["username"]])
    last = await last_logins([user["id"]])
    return Account(user, unit, counted.get(user["username"], 0), last.get(str(user["id"])))


# ---------------------------------------------------------------- one account

async def _user(user_id: int) -> User:
    user = await User.objects().where(User.id == user_id).first().run()
    if user is None:
        raise InputError([FieldError("user", "not_found", N_("This account does not exist."))], status_code=404)
    return user


async def create(data: dict[str, str], by: User, ip: str | None) -> tuple[User, str]:
    """A new account with a temporary password (returned, to be shown once)."""
    unit_set = data.get("unit_set") or "2025"
    if unit_set not in UNIT_SETS:
        raise InputError([FieldError("unit_set", "invalid", N_("Choose the registry of administrative units."))])
    reason = check_reason(data.get("reason"), required=False)
    password = temporary_password()
    try:
        [user] = await create_users([(data.get("username", ""), data.get("display_name", ""), data.get("role", ""),
                                      data.get("unit", ""))], password_for=lambda _: password, unit_set=unit_set,
                                    by=by.username, reason=reason, ip=ip)
    except AccountError as refused:
        raise as_error(refused) from refused
    return user, password


async def change(user_id: int, data: dict[str, str], by: User, ip: str | None) -> bool:
    """Change an account's name, role and unit (with a reason); False when nothing changed."""
    user = await _user(user_id)
    reason = check_reason(data.get("reason"))
    role = data.get("role", "")
    unit_set = data.get("unit_set") or "2025"
    try:
        name = check_display_name(data.get("display_name", "")) or user.username
        if unit_set not in UNIT_SETS:
            raise AccountError("unit_set", N_("Choose the registry of administrative units."))
        unit = (await UnitIndex.around(unit_set, data.get("unit", ""))).find(role, data.get("unit", ""))
    except AccountError as refused:
        raise as_error(refused) from refused
    if user.id == by.id and role != user.role:
        raise InputError([FieldError("role", "invalid", N_("You cannot change your own role: ask another administrator."))])
    old_unit = await Unit.select(Unit.code).where(Unit.id == user.unit).first().run() if user.unit else None
    before = {"display_name": user.display_name, "role": user.role, "unit": old_unit["code"] if old_unit else None}
    after = {"display_name": name, "role": role, "unit": unit.code if unit else None}
    if before == after and (unit.id if unit else None) == user.unit:
        return False
    async with write_transaction():
        await User.update({User.display_name: name, User.role: role, User.unit: unit.id if unit else None}).where(
            User.id == user.id).run()
        await audit.record("user_changed", "user", user.id, user=by, ip=ip, reason=reason,
                           before={k: v for k, v in before.items() if v != after[k]},
                           after={k: v for k, v in after.items() if v != before[k]})
    return True


async def reset_password(user_id: int, data: dict[str, str], by: User, ip: str | None) -> tuple[User, str]:
    """A new temporary password for the account (returned, to be shown once); the old one stops working."""
    user = await _user(user_id)
    if user.id == by.id:
        raise InputError([FieldError("reason", "invalid", N_("Change your own password on the page Change my password."))])
    reason = check_reason(data.get("reason"))
    password = temporary_password()
    await change_password(user, password, by=by.username, reason=reason, temporary=True, ip=ip)
    return user, password


async def unlock(user_id: int, by: User, ip: str | None) -> int:
    """Forget the failed logins counted against the account, so that it is not slowed down; returns how many."""
    user = await _user(user_id)
    async with write_transaction():
        counted = await LoginAttempt.count().where(LoginAttempt.username == user.username).run()
        await LoginAttempt.delete().where(LoginAttempt.username == user.username).run()
        await audit.record("user_unlocked", "user", user.id, user=by, ip=ip, before={"attempts": counted},
                           after={"attempts": 0})
    return counted


async def activate(user_id: int, active: bool, data: dict[str, str], by: User, ip: str | None) -> User:
    user = await _user(user_id)
    reason = check_reason(data.get("reason"))
    if user.id == by.id and not active:
        raise InputError([FieldError("active", "invalid", N_("You cannot deactivate your own account."))])
    if user.active != active:
        await set_active(user, active, by=by.username, reason=reason, ip=ip)
    return user


# ---------------------------------------------------------------- many accounts from a spreadsheet

def classify(header: str) -> str | None:
    """A column of an account list, in the words offices use (Vietnamese or English)."""
    text = re.sub(r"[^0-9a-z]+", " ", fold(header)).strip()
    words = set(text.split())
    if "dang nhap" in text or "tai khoan" in text or words & {"username", "login", "user"}:
        return "username"
    if "vai tro" in text or "quyen" in words or "role" in words:
        return "role"
    if "ho ten" in text or "ho va ten" in text or "name" in words or text in ("ten", "ten nguoi dung"):
        return "display_name"
    if "don vi" in text or text.split()[0] == "ma" or words & {"unit", "code", "xa", "phuong", "tinh", "commune"}:
        return "unit"
    return None


@dataclass
class ImportRow:
    number: int  # as the spreadsheet numbers it
    username: str
    display_name: str
    role: str  # as parsed ("" when unreadable)
    role_written: str
    unit: str  # as written: a code or a name
    unit_name: str = ""  # the unit found, its name and code
    unit_code: str = ""
    errors: list[str] = field(default_factory=list)  # in the page's language


@dataclass
class ImportPreview:
    file_name: str
    unit_set: str
    rows: list[ImportRow] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for row in self.rows if row.errors)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalise_name(str(value))


def template_xlsx() -> bytes:
    """An example list in the page's language, with the columns `classify` reads."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = gettext(N_("Accounts"))[:31]
    sheet.append([gettext(header) for header in TEMPLATE_HEADERS])
    sheet.append(["nguyen.van.an", "Nguyễn Văn An", gettext(ROLE_LABELS["collaborator"]), "00004"])
    sheet.append(["tran.thi.binh", "Trần Thị Bình", gettext(ROLE_LABELS["reviewer"]), "01"])
    for column, width in zip("ABCD", (22, 28, 18, 24)):
        sheet.column_dimensions[column].width = width
    return xlsx_bytes(book)


def read_rows(data: bytes, file_name: str, default_role: str) -> list[tuple[int, str, str, str, str]]:
    """(row number, user name, full name, role as written, unit as written) of every row of the file."""
    if default_role and default_role not in ROLES:
        raise InputError([FieldError("default_role", "invalid", N_("Choose a role."))])
    try:
        table = read_table(data, file_name, classify, ("username",),
                           describe=lambda need: gettext(COLUMN_LABELS[need]))
    except SpreadsheetError as error:
        raise InputError([FieldError("file", "invalid", error.message, error.params)]) from error
    if "role" not in table.columns and not default_role:
        raise InputError([FieldError("default_role", "required", N_(
            "The list has no column for the role: choose the role of every account it lists."))])
    if len(table.rows) > MAX_IMPORT_ROWS:
        raise InputError([FieldError("file", "invalid", N_("The list has more than %(count)s accounts: split it."),
                                     {"count": MAX_IMPORT_ROWS})])
    if not table.rows:
        raise InputError([FieldError("file", "invalid", N_("The list has no account below its header row."))])
    return [(number, _cell(table.value(cells, "username")), _cell(table.value(cells, "display_name")),
             _cell(table.value(cells, "role")) or default_role, _cell(table.value(cells, "unit")))
            for number, cells in table.rows]


async def check_rows(rows: list[tuple[int, str, str, str, str]], unit_set: str) -> ImportPreview:
    """Every row checked as `create_users` would, all errors of each row listed; nothing is stored."""
    if unit_set not in UNIT_SETS:
        raise InputError([FieldError("unit_set", "invalid", N_("Choose the registry of administrative units."))])
    index = await UnitIndex.load(unit_set)
    taken = {name.casefold() for name in await User.select(User.username).output(as_list=True).run()}
    seen: dict[str, int] = {}
    preview = ImportPreview("", unit_set)
    for number, username, display_name, role_written, unit in rows:
        role = parse_role(role_written) or ""
        row = ImportRow(number, username, display_name, role, role_written, unit)
        try:
            username = row.username = check_username(username)
            if username.casefold() in taken:
                row.errors.append(gettext(N_("The user name %(username)s is already taken."), username=username))
            elif username.casefold() in seen:
                row.errors.append(gettext(N_("The same user name as row %(row)s."), row=seen[username.casefold()]))
            seen.setdefault(username.casefold(), number)
        except AccountError as refused:
            row.errors.append(gettext(refused.message, **refused.params))
        try:
            row.display_name = check_display_name(display_name)
            if row.display_name.startswith(FORMULA_START):
                row.errors.append(gettext(N_("A full name cannot begin with =, +, - or @.")))
        except AccountError as refused:
            row.errors.append(gettext(refused.message, **refused.params))
        if not role:
            row.errors.append(gettext(N_("The role %(value)s cannot be read: write collaborator, reviewer or "
                                         "administrator."), value=role_written or "–"))
        try:  # without a role, the unit is looked for among every kind (a reviewer's)
            found = index.find(role or "reviewer", unit) if role or unit else None
            row.unit_name, row.unit_code = (found.name, found.code) if found else ("", "")
        except AccountError as refused:
            row.errors.append(gettext(refused.message, **refused.params))
        preview.rows.append(row)
    return preview


async def import_accounts(rows: list[tuple[int, str, str, str, str]], unit_set: str, file_name: str,
                          by: User, ip: str | None) -> list[tuple[User, str]]:
    """Create every account of the list, each with its temporary password, or none (a row in error refuses all)."""
    file_name = normalise_name(file_name)[:200]
    preview = await check_rows(rows, unit_set)
    if preview.errors:
        raise InputError([FieldError("file", "invalid", N_("%(count)s rows have errors: nothing was imported. "
                                                           "Correct the file and preview it again."),
                                     {"count": preview.errors})])
    passwords: dict[str, str] = {}

    def password_for(username: str) -> str:
        passwords[username] = temporary_password()
        return passwords[username]

    try:
        users = await create_users([(r.username, r.display_name, r.role, r.unit) for r in preview.rows],
                                   password_for=password_for, unit_set=unit_set, by=by.username,
                                   reason=file_name or None, ip=ip,
                                   summary=("users_imported", {"file": file_name, "accounts": len(preview.rows)}))
    except AccountError as refused:  # taken meanwhile by a parallel request
        raise as_error(refused) from refused
    return [(user, passwords[user.username]) for user in users]
