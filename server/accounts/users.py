"""Creating user accounts, shared by the CLI and the demo loader."""

from __future__ import annotations

from server.core import audit
from server.accounts.auth import ROLES, hash_password
from server.core.db import write_transaction
from server.core.tables import Unit, User


class AccountError(ValueError):
    pass


AREA_KINDS = {"collaborator": {"commune"}, "reviewer": {"commune", "district", "province"}, "admin": set()}
"""A reviewer of a commune is its own people's committee, where a period lets communes review themselves."""


async def create_user(username: str, password: str, role: str, *, unit_set: str = "2025",
                      unit_code: str | None = None, display_name: str | None = None,
                      by: str = "system") -> User:
    """A collaborator is bound to a commune, a reviewer to a district or province (or a commune that reviews
    itself), an admin to nothing."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}")
    if len(password) < 8:
        raise AccountError("the password must have at least 8 characters")
    if await User.exists().where(User.username == username):
        raise AccountError(f"user {username!r} already exists")
    unit = None
    if AREA_KINDS[role]:
        if not unit_code:
            raise AccountError(f"a {role} needs --unit (the official code of a {' or '.join(sorted(AREA_KINDS[role]))})")
        unit = await Unit.objects().where((Unit.unit_set == unit_set) & (Unit.code == unit_code)).first()
        if unit is None or unit.kind not in AREA_KINDS[role]:
            raise AccountError(f"no {' or '.join(sorted(AREA_KINDS[role]))} with code {unit_code!r} in the {unit_set} registry")
    user = User(username=username, password_hash=hash_password(password), role=role,
                display_name=display_name or username, unit=unit.id if unit else None)
    async with write_transaction():
        await user.save()
        await audit.record("user_created", "user", user.id, username=by,
                           after={"username": username, "role": role, "unit": unit_code})
    return user
