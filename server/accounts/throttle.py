"""Login throttling that slows guessing down without locking the real user out.

Every attempt is written (a `LoginAttempt` row: user name, address, time) *before* its password is
checked, in a transaction that lets one attempt at a time decide (SQLite: BEGIN IMMEDIATE;
PostgreSQL: an advisory lock), so a burst of parallel guesses is counted one by one: 100 parallel
wrong passwords for one name from one address get 5 checks and 95 answers "wait". A successful
login removes the attempts of its name from its address. Three counters, each with free attempts,
then a wait before the next one that doubles per attempt up to a ceiling:

- name + address: 5 free in 24 hours, then 1 s, 2 s, 4 s … up to 15 minutes: the guesser's counter;
  the same name from another address is not slowed by it;
- name, any address: 20 free in an hour, then at most 60 s: a guesser with many addresses;
- address, any name: 100 free in an hour, then at most 2 s: one password tried on many names.
  Many people behind one carrier NAT share an address: they are slowed by 2 s at worst.

The last two skip a browser where this name logged in before: a successful login leaves a signed
"known browser" cookie for the name (OWASP's device cookies), so a flood of guesses from elsewhere
never makes the real user wait. Addresses are counted per IPv4 address and per IPv6 /64 network.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from litestar import Response
from piccolo.query.functions.aggregate import Count, Max

from server.core.db import DB, write_transaction
from server.core.settings import get_settings
from server.core.tables import LoginAttempt

KNOWN_COOKIE = "phuhop_known"
KNOWN_LIFETIME = timedelta(days=365)
_LOCK = 7_243_001  # PostgreSQL advisory lock key of the login counters


@dataclass(frozen=True)
class Counter:
    free: int
    window: timedelta
    ceiling_seconds: int


PAIR = Counter(free=5, window=timedelta(hours=24), ceiling_seconds=15 * 60)
NAME = Counter(free=20, window=timedelta(hours=1), ceiling_seconds=60)
ADDRESS = Counter(free=100, window=timedelta(hours=1), ceiling_seconds=2)


class Throttled(Exception):
    """Too many attempts: `seconds` to wait before the next one."""

    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def address_key(ip: str) -> str:
    """An IPv4 address as it is, an IPv6 address as its /64 network (one customer's block)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def wait_after(counter: Counter, attempts: int) -> int:
    """Seconds between the `attempts`-th attempt in the window and the next one."""
    if attempts < counter.free:
        return 0
    return min(counter.ceiling_seconds, 2 ** (attempts - counter.free))


async def reserve(username: str, ip: str, known_browser: bool) -> None:
    """Count this attempt, or raise Throttled when it comes too early (it is then not counted)."""
    now = datetime.now(timezone.utc)
    address = address_key(ip)
    async with write_transaction():
        if DB.engine_type == "postgres":
            await LoginAttempt.raw("SELECT pg_advisory_xact_lock({})", _LOCK)
        await LoginAttempt.delete().where(LoginAttempt.at < now - PAIR.window)
        checks = [(PAIR, (LoginAttempt.username == username) & (LoginAttempt.ip == address))]
        if not known_browser:
            checks += [(NAME, LoginAttempt.username == username), (ADDRESS, LoginAttempt.ip == address)]
        wait = 0
        for counter, where in checks:
            [row] = await LoginAttempt.select(Count(), Max(LoginAttempt.at)).where(
                where & (LoginAttempt.at > now - counter.window))
            if row["count"]:
                latest = _aware(row["max"])
                wait = max(wait, round((latest + timedelta(seconds=wait_after(counter, row["count"])) - now)
                                       .total_seconds() + 0.5))
        if wait > 0:
            raise Throttled(wait)
        await LoginAttempt(username=username, ip=address, at=now).save()


async def succeeded(username: str, ip: str) -> None:
    """A successful login: its name starts afresh from this address."""
    async with write_transaction():
        await LoginAttempt.delete().where((LoginAttempt.username == username) & (LoginAttempt.ip == address_key(ip)))


async def clear_throttle(username: str) -> None:
    """An admin's "unlock": forget every counted attempt of this user name (the caller audits it)."""
    from server.accounts.users import normalise_username

    async with write_transaction():
        await LoginAttempt.delete().where(LoginAttempt.username == normalise_username(username))


def _aware(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


# ---------------------------------------------------------------- the known-browser cookie

def _known_value(username: str) -> str:
    key = get_settings().secret_key()
    return hmac.new(key, f"known-browser:{username}".encode(), hashlib.sha256).hexdigest()[:32]


def is_known_browser(cookie: str | None, username: str) -> bool:
    return bool(cookie) and any(hmac.compare_digest(part, _known_value(username)) for part in cookie.split(".")[:8])


def remember_browser(response: Response, cookie: str | None, username: str) -> None:
    """After a successful login: add this name to the browser's known-browser cookie (a few names at most)."""
    mine = _known_value(username)
    parts = [part for part in (cookie or "").split(".") if part and part != mine][:7]
    response.set_cookie(KNOWN_COOKIE, ".".join([mine, *parts]), max_age=int(KNOWN_LIFETIME.total_seconds()),
                        path="/login", httponly=True, samesite="lax", secure=get_settings().secure_cookies)
