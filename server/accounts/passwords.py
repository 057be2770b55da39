"""Password hashing (argon2) in a small bounded thread pool, never on the event loop.

argon2 costs about a tenth of a second of CPU and 64 MiB per hash by design; run on the event loop
it stalls every other request of the worker (100 parallel logins held `/api/forms` at a median of
470 ms). Its C code releases the GIL, so the pool's threads hash beside the loop. The pool is
bounded: HASH_THREADS hashes at once per process and at most MAX_WAITING more queued; beyond that
a login is answered "busy, try again" at once instead of piling up memory and latency.

An unknown user name costs the same work as a real one (a dummy hash is verified), so the time of
an answer does not tell which user names exist.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASH_THREADS = 2
MAX_WAITING = 32

_hasher = PasswordHasher()
# A temporary password is 12 random characters (~60 bits) and lives until the first login: guessing it from
# its hash is out of reach at any cost, so it is hashed cheaply and an import of 2,000 accounts takes seconds.
# The person's own password gets the full cost when they choose it.
_temporary_hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
_pool = ThreadPoolExecutor(max_workers=HASH_THREADS, thread_name_prefix="phuhop-argon2")  # threads start on first use
_pending = 0
_pending_lock = threading.Lock()
_dummies: dict[PasswordHasher, str] = {}  # the hash verified for unknown users, made on first use


class Busy(Exception):
    """Too many password checks are already waiting in this process."""


async def _in_pool(function: Callable[..., Any], *args: Any) -> Any:
    global _pending
    with _pending_lock:
        if _pending >= HASH_THREADS + MAX_WAITING:
            raise Busy()
        _pending += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(_pool, function, *args)
    finally:
        with _pending_lock:
            _pending -= 1


async def hash_password(password: str) -> str:
    return await _in_pool(_hasher.hash, password)


async def hash_temporary_password(password: str) -> str:
    return await _in_pool(_temporary_hasher.hash, password)


async def verify(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; `password_hash` None (no such user) costs the same and is False."""
    if password_hash is None:
        if _hasher not in _dummies:
            _dummies[_hasher] = await hash_password(secrets.token_hex(16))
        await _in_pool(_check, _dummies[_hasher], password)
        return False
    return await _in_pool(_check, password_hash, password)


def _check(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
