"""Admin upload of commune boundaries: validated, matched by official code, unmatched codes
reported; then the map draws those communes as polygons (a choropleth)."""

from __future__ import annotations

import json

import pytest

from conftest import csrf_header, login
from public_data import BAC_NINH, build_scenario, count_colour
from server.core.errors import InputError
from server.maps import boundaries, legend
from server.core.tables import AuditLog, Boundary

GREEN = legend.RESULTS[0].colour


def _square(lon: float, lat: float, half: float = 0.02) -> dict:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half],
            [lon - half, lat - half]]
    return {"type": "Polygon", "coordinates": [ring]}


def _collection(features: list[dict]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def _feature(geometry: dict, **properties: object) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


@pytest.fixture()
def scenario(world: dict) -> dict:
    return build_scenario(world)


def _upload(client, content: bytes, unit_set: str = "2025", code_property: str = ""):
    return client.post("/admin/boundaries", headers=csrf_header(client),
                       data={"unit_set": unit_set, "code_property": code_property},
                       files={"file": ("communes.geojson", content, "application/geo+json")})


def test_upload_matches_codes_and_the_map_becomes_a_choropleth(client, scenario: dict) -> None:
    period = scenario["period"]
    before = client.get(f"/public/{period.id}/map/png", params={"area": BAC_NINH}).content
    features = [_feature(_square(c.lon, c.lat), ma_xa=int(c.code)) for c in scenario["recognised"]]
    features.append(_feature(_square(106.0, 21.1), ma_xa="99998"))
    login(client, "admin")
    response = _upload(client, _collection(features))
    assert response.status_code == 200, response.text
    assert "99998" in response.text  # the unmatched code, named
    assert Boundary.count().run_sync() == len(scenario["recognised"])
    entry = AuditLog.objects().where(AuditLog.action == "boundaries_uploaded").first().run_sync()
    after = json.loads(entry.after) if isinstance(entry.after, str) else entry.after
    assert after["inserted"] == 20 and after["unmatched"] == ["99998"]
    after = client.get(f"/public/{period.id}/map/png", params={"area": BAC_NINH})
    assert after.headers["x-phuhop-cache"] == "miss"
    # Polygons of ±0.02° cover more pixels than the recognised communes' dots did.
    assert count_colour(after.content, GREEN) > 1.5 * count_colour(before, GREEN)
    geo = json.loads(client.get(f"/public/{period.id}/map/geojson", params={"area": BAC_NINH}).content)
    kinds = [f["geometry"]["type"] for f in geo["features"]]
    assert kinds.count("Polygon") == 20 and kinds.count("Point") == 79
    # A second upload replaces the boundaries, it does not add rows.
    assert _upload(client, _collection(features[:3])).status_code == 200
    assert Boundary.count().run_sync() == 20


def test_a_bad_file_is_refused_whole_with_every_problem_named(client, scenario: dict) -> None:
    good = scenario["recognised"][0]
    swapped = {"type": "Polygon", "coordinates": [[[p[1], p[0]] for p in _square(good.lon, good.lat)["coordinates"][0]]]}
    open_ring = {"type": "Polygon", "coordinates": [_square(good.lon, good.lat)["coordinates"][0][:-1] + [[0, 0]]]}
    features = [_feature(_square(good.lon, good.lat), code=good.code), _feature(swapped, code=scenario["recognised"][1].code),
                _feature(_square(good.lon, good.lat), name="no code here"),
                _feature({"type": "Point", "coordinates": [106, 21]}, code=scenario["recognised"][2].code),
                _feature(_square(good.lon, good.lat), code=good.code)]
    login(client, "admin")
    response = _upload(client, _collection(features))
    assert response.status_code == 422
    for field in ("features[1].geometry", "features[2].properties", "features[3]", "features[4].properties"):
        assert field in response.text, response.text[response.text.find("<main>"):][:1500]
    assert Boundary.count().run_sync() == 0
    with pytest.raises(InputError) as refused:
        boundaries.parse(_collection([_feature(open_ring, code="1")]))
    assert refused.value.errors[0].code in ("ring_not_closed", "outside_vietnam")
    for content in (b"{not json", b'{"type": "Feature"}', _collection([])):
        assert _upload(client, content).status_code == 422
    assert _upload(client, _collection([_feature(_square(106, 21), code="99999")])).status_code == 422


@pytest.mark.parametrize("username", ["reviewer_x", "collab_a"])
def test_only_admins_upload(client, scenario: dict, username: str) -> None:
    login(client, username)
    assert client.get("/admin/boundaries").status_code == 403
    good = scenario["recognised"][0]
    assert _upload(client, _collection([_feature(_square(good.lon, good.lat), code=good.code)])).status_code == 403
    assert Boundary.count().run_sync() == 0


def test_upload_needs_login_and_csrf(client, scenario: dict) -> None:
    assert client.get("/admin/boundaries", follow_redirects=False).status_code in (302, 303, 307)
    login(client, "admin")
    assert client.get("/admin/boundaries").status_code == 200
    good = scenario["recognised"][0]
    refused = client.post("/admin/boundaries", data={"unit_set": "2025"},
                          files={"file": ("b.geojson", _collection([_feature(_square(good.lon, good.lat),
                                                                              code=good.code)]))})
    assert refused.status_code == 403 and Boundary.count().run_sync() == 0
