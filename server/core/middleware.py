"""Per-request language choice, security headers, and which replies are not compressed."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.core import i18n

LANGUAGE_COOKIE = "lang"

# A route opt (`opt={SMALL_REPLY: True}`) for replies that are always a few hundred bytes: the
# compression middleware skips them instead of setting up a gzip stream it will not use.
SMALL_REPLY = "small_reply"

SECURITY_HEADERS = {
    # No inline script anywhere: page data travels in <script type="application/json"> blocks.
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "geolocation=(self), camera=(self), microphone=()",
}


class LanguageMiddleware(ASGIMiddleware):
    """Choose the language: the user's setting, then the `lang` cookie, then Accept-Language, then vi."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        user = scope.get("user")
        choice = getattr(user, "language", None) or _cookie(scope, LANGUAGE_COOKIE)
        if choice not in i18n.LANGUAGES:
            choice = i18n.best_language(_header(scope, b"accept-language"))
        i18n.set_language(choice)
        await next_app(scope, receive, send)


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A `before_send` hook: it sees every response, also the 404/405 that Litestar's router answers
    before any middleware runs (a middleware left those without CSP and frame-ancestors)."""
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        for name, value in SECURITY_HEADERS.items():
            headers.setdefault(name, value)
        if scope.get("scheme") == "https":
            _secure_cookies(message)


def _secure_cookies(message: Message) -> None:
    """Served over HTTPS (also behind a proxy that says so: uvicorn's proxy headers), every cookie is
    Secure, whatever PHUHOP_SECURE_COOKIES says: the language cookie was never sent Secure."""
    message["headers"] = [
        (key, value + b"; Secure") if key.lower() == b"set-cookie" and not _is_secure(value) else (key, value)
        for key, value in message["headers"]]


def _is_secure(set_cookie: bytes) -> bool:
    return any(part.strip().lower() == b"secure" for part in set_cookie.split(b";")[1:])


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie") or ""
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None
