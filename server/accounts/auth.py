"""Users, passwords (argon2), login throttling and the role guards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from server.core import audit
from server.core.db import write_transaction
from server.core.i18n import N_
from server.core.tables import LoginAttempt, Unit, User

ROLES = ("collaborator", "reviewer", "admin")
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)

_hasher = PasswordHasher()
# A temporary password is 12 random characters (~60 bits) and lives until the first login: guessing it from
# its hash is out of reach at any cost, so it is hashed cheaply and an import of 2,000 accounts takes seconds.
# The person's own password gets the full cost when they choose it.
_temporary_hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def hash_temporary_password(password: str) -> str:
    return _temporary_hasher.hash(password)


@dataclass(frozen=True)
class LoginError(Exception):
    """A refused login; `message` is a msgid, `throttled` tells 429 from 401."""

    message: str
    throttled: bool = False


async def authenticate(username: str, password: str, ip: str) -> User:
    """Check a login, counting failures per user name and per address to slow guessing."""
    since = datetime.now(timezone.utc) - FAILURE_WINDOW
    recent = await LoginAttempt.count().where(
        (LoginAttempt.at > since) & ((LoginAttempt.username == username) | (LoginAttempt.ip == ip))
    )
    if recent >= MAX_FAILURES:
        raise LoginError(N_("Too many failed attempts. Please wait 15 minutes and try again."), True)
    user = await User.objects().where((User.username == username) & (User.active == True)).first()  # noqa: E712
    if user is None or not _verify(user.password_hash, password):
        async with write_transaction():
            await LoginAttempt.insert(LoginAttempt(username=username, ip=ip)).run()
            await audit.record("login_failed", "user", username=username, ip=ip)
        raise LoginError(N_("Wrong user name or password."))
    async with write_transaction():
        await LoginAttempt.delete().where(LoginAttempt.username == username)
        await audit.record("login", "user", user.id, user=user, ip=ip)
    return user


def password_matches(user: User, password: str) -> bool:
    """Whether `password` is the user's (the person confirming a change)."""
    return _verify(user.password_hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class SessionUserMiddleware(AbstractAuthenticationMiddleware):
    """Puts the logged-in user (or None) on every request; guards decide what is allowed."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        user_id = connection.scope.get("session", {}).get("uid") if connection.scope.get("session") else None
        user = await active_user_with_unit(user_id) if user_id is not None else None
        return AuthenticationResult(user=user, auth=None)


def _user_with_unit_sql() -> str:
    user_columns = ", ".join(f'u."{column._meta.db_column_name}"' for column in User._meta.columns)
    unit_columns = ", ".join(f'n."{column._meta.db_column_name}" AS "unit.{column._meta.name}"'
                             for column in Unit._meta.columns)
    return (f'SELECT {user_columns}, {unit_columns} FROM "{User._meta.tablename}" u '
            f'LEFT JOIN "{Unit._meta.tablename}" n ON n."id" = u."unit" WHERE u."id" = {{}} AND u."active" = {{}}')


_USER_WITH_UNIT = _user_with_unit_sql()
_UNIT_KEYS = [(f"unit.{column._meta.name}", column._meta.name) for column in Unit._meta.columns]


async def active_user_with_unit(user_id: Any) -> User | None:
    """The active user with their unit loaded, as `User.objects(User.unit)` would return it.

    It runs on every request: one prepared query here costs a tenth of the CPU of building
    Piccolo's join query each time.
    """
    rows = await User.raw(_USER_WITH_UNIT, user_id, True)
    if not rows:
        return None
    row = rows[0]
    row["unit"] = Unit(**{name: row.pop(key) for key, name in _UNIT_KEYS})
    row["unit"]._exists_in_db = True
    user = User(**row)
    user._exists_in_db = True
    return user


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> User | None:
    return connection.scope.get("user")


class PasswordChangeRequired(PermissionDeniedException):
    """A temporary password is in use: pages send the person to choose their own, the API answers 403."""

    redirect_to = "/account/password"


TEMPORARY_PASSWORD_OK = "temporary_password_ok"
"""Set in a route's `opt` when it serves a person who still has a temporary password (changing it)."""


async def requires_login(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """A guard. Guards are coroutines: Litestar runs a plain function guard in a worker thread,
    a hop that costs more than the check itself on every request."""
    user = current_user(connection)
    if user is None:
        raise NotAuthorizedException(N_("Please log in."))
    if user.must_change_password and not handler.opt.get(TEMPORARY_PASSWORD_OK):
        raise PasswordChangeRequired(N_("Your password is a temporary one: choose your own password first."))


def requires_role(*roles: str):
    """A guard that lets only the named roles through (after login)."""

    async def guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        await requires_login(connection, handler)
        if current_user(connection).role not in roles:
            raise PermissionDeniedException(N_("You do not have permission to do this."))

    guard.__name__ = f"requires_{'_or_'.join(roles)}"
    return guard


def unit_of(user: User) -> Unit | None:
    """The unit a user is bound to, loaded with the user by the middleware."""
    return user.unit if isinstance(user.unit, Unit) and user.unit.id is not None else None
