"""A published revision of a list stays at its address, marked as replaced by the newer one (issue 13, item 6)."""

from __future__ import annotations

import asyncio

from public_data import failing_indicators, make_list, recognised_indicators


def test_an_old_final_revision_stays_reachable_and_says_it_was_replaced(client, world: dict) -> None:
    period, area, admin = world["period"], world["province"], world["users"]["admin"]
    commune = world["commune_a"]
    first = asyncio.run(make_list(period, area, admin, [(commune, recognised_indicators())], revision=1))
    page = client.get(f"/public/{period.id}/lists/{first.id}")
    assert page.status_code == 200 and 'id="replaced"' not in page.text

    second = asyncio.run(make_list(period, area, admin, [(commune, failing_indicators())], revision=2))
    old = client.get(f"/public/{period.id}/lists/{first.id}")
    assert old.status_code == 200, old.text
    assert 'id="replaced"' in old.text and "Bản này đã được thay thế bằng bản lần 2" in old.text
    assert f'href="/public/{period.id}/lists/{second.id}"' in old.text
    assert client.get(f"/public/{period.id}/lists/{first.id}/download/list.csv").status_code == 200
    current = client.get(f"/public/{period.id}/lists/{second.id}")
    assert current.status_code == 200 and 'id="replaced"' not in current.text
    # The period page links the current revision only; the commune's result is the current one.
    period_page = client.get(f"/public/{period.id}").text
    assert f"/lists/{second.id}\"" in period_page and f"/lists/{first.id}\"" not in period_page
    # A list of another period is not reachable under this period's address.
    assert client.get(f"/public/{period.id + 1}/lists/{first.id}").status_code == 404


def test_a_draft_or_posted_revision_never_replaces_a_published_one(client, world: dict) -> None:
    period, area, admin = world["period"], world["province"], world["users"]["admin"]
    first = asyncio.run(make_list(period, area, admin, [(world["commune_a"], recognised_indicators())], revision=1))
    posted = asyncio.run(make_list(period, area, admin, [(world["commune_a"], failing_indicators())], revision=2,
                                   state="posted"))
    page = client.get(f"/public/{period.id}/lists/{first.id}")
    assert page.status_code == 200 and 'id="replaced"' not in page.text
    assert client.get(f"/public/{period.id}/lists/{posted.id}").status_code == 404
