"""10,000 generated hostile requests against a real server: how many 5xx? (The target is 0.)

Usage: python bench/hostile_flood.py [--requests 10000] [--seed 1]

Every route of the app's route table (parameters filled with junk: huge numbers, traversal,
invalid UTF-8, markup, SQL), and POST /api/submissions with valid answers mutated at random
(wrong types, injection strings, deep nesting, unknown keys, oversize texts), as a logged-in
collaborator with a CSRF token, as an anonymous visitor, and with forged tokens. Prints counts per
status and every 5xx with its request, then exits non-zero if there was one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import submit_load as load
from served import httpx_session, start_server

JUNK = ["0", "-1", "99999999999999999999999999", "1e999", "NaN", "../../etc/passwd", "%2e%2e%2f", "%FF%FE",
        "%00", "{{7*7}}", "'; DROP TABLE unit;--", "<script>alert(1)</script>", "ü" * 300, "a" * 5000, " ",
        "00004", "play-area", "1", "true", "null", "[]", "%C0%AF"]
VALUES = [None, True, False, 0, -1, 10**40, 1.5, float("inf"), "", "{{7*7}}", "'; DROP TABLE unit;--",
          "<img src=x onerror=alert(1)>", "x" * 70_000, [], {}, ["a"] * 1000, {"lat": "x"}, "2026-02-30",
          "\ud800", "\u0000"]


def routes() -> list[tuple[str, str]]:
    from server.app import create_app

    found = []
    for route in create_app().routes:
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods - {"OPTIONS"}:
                found.append((method, route.path))
    return sorted(set(found))


def fill(path: str, rng: random.Random) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: rng.choice(JUNK), path)


def mutated_submission(rng: random.Random) -> bytes:
    from forms import registry as form_registry
    from server.collection.samples import sample_answers

    form = rng.choice([f for f in form_registry.list_forms() if f.status == "published"])
    answers = sample_answers(form, rng)
    for _ in range(rng.randint(1, 4)):
        key = rng.choice(sorted(answers) + ["__proto__", "x" * 200, ""])
        answers[key] = rng.choice(VALUES)
    body = {"uuid": str(uuid.uuid4()), "form_id": form.form_id, "form_version": form.version, "answers": answers}
    if rng.random() < 0.2:
        body[rng.choice(["uuid", "form_id", "form_version", "commune_code", "client_created_at"])] = rng.choice(VALUES)
    roll = rng.random()
    if roll < 0.05:
        return ('{{"uuid": "{}", "answers": {}}}'.format(uuid.uuid4(), "[" * 50_000 + "]" * 50_000)).encode()
    encoded = json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")  # Infinity, lone surrogates
    if roll < 0.1:
        return encoded[:-7] + b"\xff\xfe\x00"
    return encoded


async def flood(base: str, total: int, seed: int) -> Counter:
    import httpx

    rng = random.Random(seed)
    table = routes()
    collaborator = await httpx_session(base, "load0", load.PASSWORD)
    anonymous = httpx.AsyncClient(base_url=base, timeout=30)
    statuses: Counter = Counter()
    failures = []

    async def one(number: int) -> None:
        client = collaborator if rng.random() < 0.8 else anonymous
        headers = {"x-csrftoken": "forged"} if rng.random() < 0.05 else {}
        if rng.random() < 0.5:
            body = mutated_submission(rng)
            request = client.build_request("POST", "/api/submissions", content=body,
                                           headers={**headers, "content-type": "application/json"})
        else:
            method, path = rng.choice(table)
            data = {rng.choice(["username", "password", "next", "language", "reason", "comment", "name"]): rng.choice(JUNK)
                    for _ in range(rng.randint(0, 4))}
            request = client.build_request(method, fill(path, rng), headers=headers,
                                           data=data if method == "POST" else None)
        try:
            response = await client.send(request)
        except httpx.TransportError as error:
            statuses["transport error"] += 1
            failures.append((request.method, str(request.url)[:200], repr(error)))
            return
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            failures.append((request.method, str(request.url)[:200], response.text[:200]))

    for start in range(0, total, 50):
        await asyncio.gather(*(one(n) for n in range(start, min(total, start + 50))))
    await collaborator.aclose()
    await anonymous.aclose()
    for failure in failures[:20]:
        print("FAIL", *failure)
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args()
    data_dir = load.configure()
    load.prepare(1, 1)
    server = start_server(args.port, 2, data_dir / "server.log")
    started = time.monotonic()
    try:
        statuses = asyncio.run(flood(f"http://127.0.0.1:{args.port}", args.requests, args.seed))
    finally:
        import os
        import signal

        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    errors = sum(count for status, count in statuses.items() if not isinstance(status, int) or status >= 500)
    print(f"hostile: {sum(statuses.values())} requests in {time.monotonic() - started:.0f} s, "
          f"server errors={errors}; statuses: " + " ".join(f"{s}×{c}" for s, c in sorted(statuses.items(), key=str)))
    print(f"integrity_check={load.integrity()}")
    raise SystemExit(1 if errors else 0)


if __name__ == "__main__":
    main()
