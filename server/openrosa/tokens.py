"""Device tokens: how ODK Collect / KoboCollect phones of one collaborator reach phuhop.

Like ODK Central's app users, the token travels in the server URL the phone is given
(`https://host/openrosa/key/<token>`), because Collect has no login form for us. Only the sha256 of
a token is stored, so the database cannot give tokens away; an admin can revoke one at any time.
A token names the commune it was made for (`<commune code>.<secret>`): if the collaborator is later
moved to another commune, the phone's old token is refused instead of filing data under the new one.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from server.core import audit
from server.core.db import write_transaction
from server.core.errors import FieldError, InputError
from server.core.i18n import N_
from server.core.tables import DeviceToken, Unit, User

TOUCH_EVERY = timedelta(minutes=5)  # how stale `last_used_at` may get: no write on every request


class TokenRefused(Exception):
    """The token does not let this phone in: `status` 401 (unknown, revoked) or 403 (wrong commune)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_token(username: str, label: str, *, by: User, ip: str | None = None) -> tuple[str, DeviceToken]:
    """A new token for an active collaborator bound to a commune; the clear token is returned only here."""
    from server.accounts.users import normalise_username

    user = await User.objects(User.unit).where(User.username == normalise_username(username)).first()
    if user is None or not user.active or user.role != "collaborator":
        raise InputError([FieldError("username", "unknown", N_("There is no active collaborator with this user name."))])
    if not isinstance(user.unit, Unit) or user.unit.id is None or user.unit.kind != "commune":
        raise InputError([FieldError("username", "no_commune",
                                     N_("This collaborator is not bound to a commune: set their commune first."))])
    token = f"{user.unit.code}.{secrets.token_urlsafe(24)}"
    row = DeviceToken(token_hash=digest(token), user=user.id, label=label.strip()[:200], created_by=by.id)
    async with write_transaction():
        await row.save()
        await audit.record("device_token_created", "device_token", row.id, user=by, ip=ip,
                           after={"user": user.username, "commune": user.unit.code, "label": row.label})
    return token, row


async def revoke_token(token_id: int, *, by: User, ip: str | None = None) -> DeviceToken:
    async with write_transaction():
        row = await DeviceToken.objects().where(DeviceToken.id == token_id).first()
        if row is None:
            raise InputError([FieldError("token", "unknown", N_("This device token does not exist."))], status_code=404)
        if row.revoked_at is None:
            row.revoked_at = datetime.now(timezone.utc)
            await row.save([DeviceToken.revoked_at])
            await audit.record("device_token_revoked", "device_token", row.id, user=by, ip=ip,
                               before={"revoked_at": None}, after={"revoked_at": row.revoked_at.isoformat()})
    return row


async def list_tokens() -> list[dict]:
    """Every token, newest first, with its collaborator and commune (never the token itself)."""
    return await DeviceToken.select(
        DeviceToken.id, DeviceToken.label, DeviceToken.created_at, DeviceToken.revoked_at, DeviceToken.last_used_at,
        DeviceToken.user.username, DeviceToken.user.display_name, DeviceToken.user.unit.code,
        DeviceToken.user.unit.name,
    ).order_by(DeviceToken.id, ascending=False)


@dataclass(frozen=True)
class Device:
    user: User
    token: DeviceToken


async def authenticate(token: str) -> Device:
    """The collaborator behind a token, with their commune loaded, or TokenRefused."""
    row = await DeviceToken.objects().where(DeviceToken.token_hash == digest(token)).first() if token else None
    if row is None or row.revoked_at is not None:
        raise TokenRefused(401, N_("This device token is not valid or was revoked. Ask your administrator for a "
                                   "new server URL."))
    user = await User.objects(User.unit).where((User.id == row.user) & (User.active == True)).first()  # noqa: E712
    if user is None:
        raise TokenRefused(401, N_("This device token is not valid or was revoked. Ask your administrator for a "
                                   "new server URL."))
    commune = user.unit if isinstance(user.unit, Unit) and user.unit.id is not None else None
    if commune is None or token.split(".", 1)[0] != commune.code:
        raise TokenRefused(403, N_("This device token was made for another commune. Ask your administrator for a "
                                   "new server URL."))
    now = datetime.now(timezone.utc)
    if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
        # A usage stamp, not data: kept out of the audit log, which would otherwise grow with every phone sync.
        async with write_transaction():
            await DeviceToken.update({DeviceToken.last_used_at: now}).where(DeviceToken.id == row.id)
    return Device(user, row)
