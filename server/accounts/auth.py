"""Logging in (throttled, hashing off the event loop), the session user on every request, and the role guards."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from server.accounts import passwords, sessions, throttle
from server.core import audit
from server.core.db import write_atomically
from server.core.i18n import N_
from server.core.tables import Unit, User

ROLES = ("collaborator", "reviewer", "admin")
WRONG_LOGIN = N_("Wrong user name or password.")
log = logging.getLogger("phuhop.auth")


@dataclass(frozen=True)
class LoginError(Exception):
    """A refused login; `message` is a msgid with `params`; `status` 401, 429 (wait `retry_after` s) or 503."""

    message: str
    status: int = 401
    retry_after: int | None = None
    params: dict | None = None


async def authenticate(username: str, password: str, ip: str, *, known_browser: bool = False) -> User:
    """Check a login: throttled (server/accounts/throttle.py), the same work whether the name exists or not."""
    from server.accounts.users import normalise_username

    name = normalise_username(username)
    try:
        await throttle.reserve(name, ip, known_browser)
    except throttle.Throttled as wait:
        raise LoginError(N_("Too many attempts for this user name. Wait %(seconds)s seconds and try again."),
                         429, wait.seconds, {"seconds": wait.seconds}) from wait
    user = await User.objects().where(User.username == name).first()
    try:
        matches = await passwords.verify(user.password_hash if user is not None else None, password)
    except passwords.Busy as busy:
        raise LoginError(N_("The server is busy. Please try again in a few seconds."), 503, 5) from busy
    if user is None or not matches or not user.active:
        await _record("login_failed", None, name, ip)
        raise LoginError(WRONG_LOGIN)
    await throttle.succeeded(name, ip)
    return user


async def _record(action: str, user: User | None, username: str, ip: str) -> None:
    """An audit entry of a login step. When it cannot be written (the disk is full) the login goes on and
    the server log keeps the entry: people must still be able to log in and read."""
    try:
        await write_atomically(audit.entry(action, "user", user.id if user else None, user=user, username=username,
                                           ip=ip))
    except Exception as error:
        log.warning("audit entry %s for %r from %s not written: %s", action, username, ip, error)


_ACTIVE_USER = (f'SELECT {sessions.USER_AND_UNIT} FROM "{User._meta.tablename}" u '
                f'LEFT JOIN "{Unit._meta.tablename}" n ON n."id" = u."unit" WHERE u."id" = {{}} AND u."active" = {{}}')


async def active_user_with_unit(user_id: Any) -> User | None:
    """The active user with their unit loaded, as `User.objects(User.unit)` would return it."""
    rows = await User.raw(_ACTIVE_USER, user_id, True)
    return sessions.user_of(rows[0]) if rows else None


class SessionUserMiddleware(AbstractAuthenticationMiddleware):
    """Puts the logged-in user (or None) on every request, and the session id in `auth`; guards decide."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        token = connection.cookies.get(sessions.COOKIE)
        found = await sessions.user_for(token) if token else None
        if found is None:
            return AuthenticationResult(user=None, auth=None)
        return AuthenticationResult(user=found.user, auth=found.session_id)


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
