"""Schemathesis against the running server's OpenAPI schema: generated requests, no 5xx.

The server is a real `phuhop serve` on 127.0.0.1 (the `live_server` fixture); requests carry the
session cookie and CSRF token of an admin, a collaborator or a reviewer, so that generation reaches the handlers behind the guards
and not only the 401 in front of them. Both valid and invalid data are generated.
"""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from conftest import PASSWORD

pytestmark = pytest.mark.fuzz


@pytest.fixture(params=["admin", "collab_a", "reviewer_x"])
def user_session(request: pytest.FixtureRequest, live_server: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{live_server}/login")
    token = session.cookies["csrftoken"]
    response = session.post(f"{live_server}/login", data={"username": request.param, "password": PASSWORD},
                            headers={"x-csrftoken": token}, allow_redirects=False)
    assert response.status_code == 303, response.text
    session.headers["x-csrftoken"] = token
    return session


def test_no_generated_request_gets_a_server_error(live_server: str, user_session: requests.Session) -> None:
    """Every operation of the schema, 30 generated cases each (schemathesis' pytest plugin does not
    work with this pytest version, so the operations are driven through its Python API)."""
    schema = schemathesis.openapi.from_url(f"{live_server}/schema/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 3, "the schema lost its operations"
    calls = []

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case) -> None:
            response = case.call_and_validate(base_url=live_server, session=user_session, checks=[not_a_server_error])
            calls.append((operation.label, response.status_code))  # noqa: B023 - run() runs in this iteration

        run()
    assert len(calls) >= 30 * len(operations) // 2
    assert all(status < 500 for _, status in calls)
