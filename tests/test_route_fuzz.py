"""Every parameter of every route, fed odd numbers and text: never a 5xx.

The routes come from the app's route table; a valid URL for each comes from the authorization
matrix (which fails for a route without a row). Each route is called logged in as a role that gets
past its guards, with, one at a time:

- each path parameter replaced by each odd value;
- every query parameter the handler (or its dependencies) declares, set to each odd value;
- a form body holding every field name of every template and of the matrix's bodies, each odd value;
- a JSON body holding every field of the handler's model, each odd value (and JSON's own odd numbers).

Odd values: '²', '٣' (an Arabic-Indic digit), '1_000', '+1', 10**23, 5,000 nines, '1e400', 'NaN',
empty, spaces, a NUL, hex, decimals, traversal and markup (the issue's list and more).
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from urllib.parse import quote

import pytest
from litestar.params import QueryParameter

from conftest import csrf_header, login
from test_authorization_matrix import MATRIX, SKIPPED_METHODS, _resolve

pytestmark = pytest.mark.slow

ODD = ["²", "٣", "1_000", "+1", "-1", "-0", "0", "99999999999999999999999", "9" * 5000, "1e400", "NaN", "inf", "",
       " ", "0x1f", "1.5", "\x00", "%00", "../../etc/passwd", "<script>x</script>", "x" * 3000]
ODD_JSON = [*ODD, 10 ** 400, -(10 ** 400), 12345678901234567891, 1e308, -1, True, None, [], {}]
TEMPLATES = Path(__file__).resolve().parent.parent / "server" / "templates"
ROLES = ("admin", "reviewer_x", "collab_a")
PARAM = re.compile(r"\{([^}:]+):([^}]+)\}")
SPECIAL = {"request", "data", "state", "headers", "cookies", "query", "scope", "socket", "body"}


def form_field_names() -> set[str]:
    names = {name for page in TEMPLATES.glob("*.html") for name in re.findall(r'name="([A-Za-z_][\w-]*)"', page.read_text())}
    for case in MATRIX.values():
        if isinstance(case.body, dict):
            names |= set(case.body)
    return names


def declared_queries(handler) -> set[str]:
    """Query parameters of the handler and of its dependencies, from their annotations."""
    functions = [handler.fn, *(provide.dependency for provide in handler.resolve_dependencies().values())]
    names = set()
    for function in functions:
        try:
            hints = typing.get_type_hints(function, include_extras=True)
        except Exception:
            continue
        for name, hint in hints.items():
            if name in SPECIAL or name == "return":
                continue
            for meta in getattr(hint, "__metadata__", ()):
                if isinstance(meta, QueryParameter):
                    names.add(meta.name or name)
    return names


def json_fields(handler) -> list[str]:
    hints = typing.get_type_hints(handler.fn, include_extras=True)
    data = hints.get("data")
    model = getattr(data, "__origin__", data)
    return list(getattr(model, "model_fields", {}))


def route_cases():
    from server.app import create_app

    for route in create_app().routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods - SKIPPED_METHODS):
                yield method, route.path, handler


def valid_params(template: str, url: str) -> dict[str, str]:
    """The path parameters of `url` (a matrix URL of this template)."""
    pattern = "^" + PARAM.sub(lambda m: f"(?P<{m.group(1)}>.+)", re.escape(template).replace(r"\{", "{")
                              .replace(r"\}", "}").replace(r"\:", ":")) + "$"
    match = re.match(pattern, url.split("?")[0])
    assert match, (template, url)
    return match.groupdict()


def build(template: str, params: dict[str, str]) -> str:
    return PARAM.sub(lambda m: quote(params[m.group(1)], safe="/" if m.group(2) == "path" else ""), template)


def test_no_route_answers_odd_input_with_a_server_error(client, world: dict) -> None:
    """One client, logged in as each role in turn (three clients entering the app's lifespan at once hung
    at their exit)."""
    import asyncio

    from server.openrosa.tokens import create_token

    token, _ = asyncio.run(create_token("collab_a", "fuzz", by=world["users"]["admin"]))
    fields = sorted(form_field_names())
    failures: list[str] = []
    done_setups: set = set()
    sent = 0
    cases = []
    for method, template, handler in route_cases():
        case = MATRIX[(method, template)]
        cases.append((ROLES.index(next((r for r in ROLES if case.expect[r] not in (302, 401, 403)), "admin")),
                      method, template, handler, case))
    logged_in = None
    for role_index, method, template, handler, case in sorted(cases, key=lambda found: found[0]):
        role = ROLES[role_index]
        if case.setup is not None and case.setup not in done_setups:  # each setup once: it makes rows
            case.setup(world)
            done_setups.add(case.setup)
        if role != logged_in:
            login(client, role)
            logged_in = role
        url = _resolve(case.url, world)
        params = valid_params(template, url)
        if "token" in params:
            params["token"] = token
        base = build(template, params)
        requests = []
        for name in params:
            requests += [(build(template, {**params, name: value}), {}) for value in ODD]
        for name in declared_queries(handler):
            requests += [(base, {"params": {name: value}}) for value in ODD]
        if method in ("POST", "PUT", "PATCH"):
            requests += [(base, {"data": dict.fromkeys(fields, value)}) for value in ODD]
            keys = json_fields(handler)
            if keys:
                requests += [(base, {"json": dict.fromkeys(keys, value)}) for value in ODD_JSON]
        for target, extra in requests:
            response = client.request(method, target, headers=csrf_header(client), follow_redirects=False, **extra)
            sent += 1
            if response.status_code >= 500:
                failures.append(f"{response.status_code} {method} {target[:80]} {str(extra)[:80]}")
                print("FUZZFAIL", failures[-1], flush=True)
            if template in ("/logout", "/login"):
                login(client, role)  # stay logged in for the next requests
    assert sent > 2500, sent
    assert not failures, f"{len(failures)} server errors of {sent} requests:\n" + "\n".join(failures[:40])
