"""Login throttling as a guesser and as the real user meet it, over real HTTP.

The real server (`phuhop serve`, uvicorn trusting X-Forwarded-For from 127.0.0.1 as behind nginx)
tells addresses apart; the history a counter sees is written as LoginAttempt rows where a test
needs hours of guessing (the throttle reads them as it reads its own).
"""

from __future__ import annotations

import asyncio
import math
import time
from datetime import datetime, timedelta, timezone

import argon2
import httpx
import pytest

from conftest import PASSWORD
from server.accounts import passwords, throttle
from server.core.tables import AuditLog, LoginAttempt


def attempt(base: str, username: str, password: str, address: str, cookies: dict | None = None) -> httpx.Response:
    with httpx.Client(base_url=base, timeout=120, cookies=cookies) as http:
        http.get("/login")
        return http.post("/login", data={"username": username, "password": password},
                         headers={"x-csrftoken": http.cookies["csrftoken"], "x-forwarded-for": address})


def history(username: str, address: str, count: int, minutes_ago: float = 0) -> None:
    """`count` attempts of this name from this address, the latest `minutes_ago`."""
    latest = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    LoginAttempt.insert(*[LoginAttempt(username=username, ip=address, at=latest - timedelta(seconds=index))
                          for index in range(count)]).run_sync()


def test_a_hundred_parallel_guesses_get_five_checks_and_the_real_user_still_logs_in(live_server: str) -> None:
    async def guess(http: httpx.AsyncClient, token: str) -> httpx.Response:
        return await http.post("/login", data={"username": "collab_a", "password": "doan-mo-1234"},
                               headers={"x-csrftoken": token, "x-forwarded-for": "203.0.113.7"})

    async def flood() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=live_server, timeout=300,
                                     limits=httpx.Limits(max_connections=100)) as http:
            await http.get("/login")
            token = http.cookies["csrftoken"]
            return await asyncio.gather(*(guess(http, token) for _ in range(100)))

    started = time.monotonic()
    answers = asyncio.run(flood())
    elapsed = time.monotonic() - started
    statuses = sorted(response.status_code for response in answers)
    # 5 free checks, then one more each time the doubling wait (1 s, 2 s, 4 s …) has passed: on a busy
    # machine the flood itself takes seconds, so a check or two more than 5 is the backoff working.
    checked = statuses.count(401)
    assert 5 <= checked <= 6 + math.log2(max(1.0, elapsed)), (checked, elapsed)
    assert statuses.count(429) == 100 - checked, statuses
    assert AuditLog.count().where(AuditLog.action == "login_failed").run_sync() == checked
    waiting = [response for response in answers if response.status_code == 429]
    assert all(int(response.headers["retry-after"]) >= 1 for response in waiting)
    assert "Vui lòng đợi" in waiting[0].text
    # The real user elsewhere is not slowed (that the guesser's address is, right password included:
    # the next test, whose history does not depend on how long the flood took).
    assert attempt(live_server, "collab_a", PASSWORD, "198.51.100.20").status_code == 303


def test_waits_double_up_to_fifteen_minutes_and_an_admin_can_clear_them(live_server: str) -> None:
    history("reviewer_x", "203.0.113.9", 12)  # the right password from the guesser's address waits too
    refused = attempt(live_server, "reviewer_x", PASSWORD, "203.0.113.9")
    assert refused.status_code == 429
    assert 120 <= int(refused.headers["retry-after"]) <= 130  # 2 ** (12 - 5) s after the latest
    LoginAttempt.delete(force=True).run_sync()
    history("reviewer_x", "203.0.113.9", 40)
    assert int(attempt(live_server, "reviewer_x", PASSWORD, "203.0.113.9").headers["retry-after"]) <= 15 * 60 + 1
    asyncio.run(throttle.clear_throttle("reviewer_x"))
    assert attempt(live_server, "reviewer_x", PASSWORD, "203.0.113.9").status_code == 303
    history("reviewer_x", "203.0.113.9", 12, minutes_ago=25 * 60)  # a day ago: forgotten
    assert attempt(live_server, "reviewer_x", PASSWORD, "203.0.113.9").status_code == 303


def test_a_name_guessed_from_many_addresses_waits_a_minute_at_most_and_never_on_a_known_browser(
        live_server: str) -> None:
    first = attempt(live_server, "admin", PASSWORD, "198.51.100.1")
    assert first.status_code == 303
    known = {throttle.KNOWN_COOKIE: first.cookies[throttle.KNOWN_COOKIE]}
    for number in range(40):
        history("admin", f"192.0.2.{number}", 1)
    slowed = attempt(live_server, "admin", PASSWORD, "198.51.100.2")
    assert slowed.status_code == 429 and int(slowed.headers["retry-after"]) <= 61
    assert attempt(live_server, "admin", PASSWORD, "198.51.100.2", cookies=known).status_code == 303
    forged = {throttle.KNOWN_COOKIE: "0" * 32}
    assert attempt(live_server, "admin", PASSWORD, "198.51.100.3", cookies=forged).status_code == 429


def test_many_people_behind_one_carrier_address_are_never_locked_out(live_server: str) -> None:
    """After 150 failed logins of 150 names from one NAT address, a colleague waits 2 s at most."""
    for number in range(150):
        history(f"someone{number}", "100.64.0.1", 1)
    answer = attempt(live_server, "collab_b", PASSWORD, "100.64.0.1")
    assert answer.status_code in (303, 429)
    if answer.status_code == 429:
        assert int(answer.headers["retry-after"]) <= 3
    assert attempt(live_server, "collab_a", PASSWORD, "100.64.0.2").status_code == 303


def test_unknown_names_cost_a_hash_with_the_same_parameters() -> None:
    real = asyncio.run(passwords.hash_password("mat-khau-that"))
    assert asyncio.run(passwords.verify(None, "mat-khau-that")) is False
    assert argon2.extract_parameters(passwords._dummies[passwords._hasher]) == argon2.extract_parameters(real)
    assert asyncio.run(passwords.verify(real, "mat-khau-that")) is True
    assert asyncio.run(passwords.verify(real, "khac")) is False
    assert asyncio.run(passwords.verify("not-a-hash", "khac")) is False


def test_the_hashing_pool_is_bounded() -> None:
    async def flood() -> list:
        return await asyncio.gather(*(passwords.verify(None, "x") for _ in range(passwords.HASH_THREADS +
                                                                             passwords.MAX_WAITING + 20)),
                                    return_exceptions=True)

    outcomes = asyncio.run(flood())
    busy = [outcome for outcome in outcomes if isinstance(outcome, passwords.Busy)]
    assert len(busy) >= 20 and all(outcome is False or isinstance(outcome, passwords.Busy) for outcome in outcomes)


@pytest.mark.parametrize("ip, key", [("203.0.113.7", "203.0.113.7"), ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
                                     ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"), ("::ffff:192.0.2.1", "192.0.2.1"),
                                     ("testclient", "testclient")])
def test_addresses_are_counted_per_ipv4_address_and_ipv6_network(ip: str, key: str) -> None:
    assert throttle.address_key(ip) == key


def test_nfc_and_nfd_spellings_share_one_counter(live_server: str) -> None:
    import unicodedata

    name = "Lê Thị Hằng"
    history(unicodedata.normalize("NFC", name), "203.0.113.50", 12)
    nfd = attempt(live_server, unicodedata.normalize("NFD", name), "x" * 10, "203.0.113.50")
    assert nfd.status_code == 429
