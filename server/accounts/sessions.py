"""Server-side sessions: a login is a row the server can end, the browser only holds a random token.

The cookie carries 32 random bytes; the `user_session` table keeps only their SHA-256, the user,
when the session expires and, once ended, when, by whom and why. Ending a session (logout,
password change, deactivation, an admin's "log out everywhere") takes effect on the next request
to any worker: every request looks its token up in the database. That look-up is the query that
already loaded the user and their unit on every request (one join more), so a request pays no
round trip more than before, and there is no cache that could let an ended session live on.

The cookie is set when a session starts and deleted when it ends; other responses never touch
it (a cookie session re-encrypted and re-set itself on every response).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from litestar import Response

from server.core import audit
from server.core.db import insert_row, write_atomically, write_transaction
from server.core.settings import get_settings
from server.core.tables import Unit, User, UserSession

COOKIE = "phuhop_session"
LIFETIME = timedelta(days=30)
REASONS = ("logout", "password_changed", "deactivated", "logged_out_everywhere")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class Found:
    session_id: int
    user: User


USER_AND_UNIT = ", ".join(
    [f'u."{column._meta.db_column_name}"' for column in User._meta.columns]
    + [f'n."{column._meta.db_column_name}" AS "unit.{column._meta.name}"' for column in Unit._meta.columns])
"""The columns of a user (`u`) and their unit (`n`, LEFT JOINed), as `user_of` reads them."""
_LOOKUP = (f'SELECT s."id" AS "session.id", s."expires_at" AS "session.expires_at", {USER_AND_UNIT} '
           f'FROM "{UserSession._meta.tablename}" s JOIN "{User._meta.tablename}" u ON u."id" = s."user" '
           f'LEFT JOIN "{Unit._meta.tablename}" n ON n."id" = u."unit" '
           f'WHERE s."token_hash" = {{}} AND s."ended_at" IS NULL AND u."active" = {{}}')
_UNIT_KEYS = [(f"unit.{column._meta.name}", column._meta.name) for column in Unit._meta.columns]


def user_of(row: dict[str, Any]) -> User:
    """A row of USER_AND_UNIT as `User.objects(User.unit)` would return it (prepared SQL: a tenth of the CPU
    of Piccolo building its join query on every request)."""
    row["unit"] = Unit(**{name: row.pop(key) for key, name in _UNIT_KEYS})
    row["unit"]._exists_in_db = True
    user = User(**row)
    user._exists_in_db = True
    return user


async def user_for(token: str) -> Found | None:
    """The session's active user with their unit loaded, or None (unknown, ended or expired token).

    It runs on every request: one prepared query, as `User.objects(User.unit)` would load it.
    """
    if not 20 <= len(token) <= 100:
        return None
    rows = await UserSession.raw(_LOOKUP, _digest(token), True)
    if not rows:
        return None
    row = rows[0]
    session_id, expires_at = row.pop("session.id"), row.pop("session.expires_at")
    if _aware(expires_at) <= datetime.now(timezone.utc):
        return None
    return Found(session_id, user_of(row))


def _aware(value: Any) -> datetime:
    """A stored timestamp as an aware datetime (drivers hand back datetimes or ISO text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


async def start(user: User, *, ip: str | None, user_agent: str | None) -> str:
    """A new session for `user` (after a successful login); its token, for the cookie. Audited as the login."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(timezone.utc)
    await write_atomically(
        insert_row(UserSession(token_hash=_digest(token), user=user.id, created_at=now, expires_at=now + LIFETIME,
                               ip=ip, user_agent=(user_agent or "")[:200] or None)),
        audit.entry("login", "user", user.id, user=user, ip=ip))
    return token


def _ending(by: str, reason: str) -> dict:
    return {UserSession.ended_at: datetime.now(timezone.utc), UserSession.ended_by: by[:64],
            UserSession.end_reason: reason[:32]}


async def end(session_id: int, *, by: str, reason: str) -> None:
    """End one session (a logout)."""
    await write_atomically(UserSession.update(_ending(by, reason)).where(
        (UserSession.id == session_id) & UserSession.ended_at.is_null()))


async def end_user_sessions(user_id: int, *, by: str, reason: str) -> int:
    """End every open session of a user at once (password change, deactivation, "log out everywhere").

    `by`: the user name of who did it (or "cli"); `reason`: why, kept with the sessions and in the
    audit log. Returns how many sessions were open.
    """
    async with write_transaction():
        ended = await UserSession.update(_ending(by, reason)).where(
            (UserSession.user == user_id) & UserSession.ended_at.is_null()).returning(UserSession.id)
        if ended:  # nothing to say when none was open
            await audit.record("sessions_ended", "user", user_id, username=by, reason=reason,
                               after={"sessions": len(ended)})
    return len(ended)


def set_cookie(response: Response, token: str) -> None:
    response.set_cookie(COOKIE, token, max_age=int(LIFETIME.total_seconds()), path="/", httponly=True,
                        samesite="lax", secure=get_settings().secure_cookies)


def delete_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")
