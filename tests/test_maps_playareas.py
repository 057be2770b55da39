"""Play areas: a safety rating from the play-area form's answers, a map of one commune or district
coloured by it, and the same points as GeoJSON."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from public_data import build_scenario, count_colour, image_size, make_list, recognised_indicators
from server.collection import submissions
from server.maps import legend, playareas

SAFE_PLACE = {
    "place_name": "Sân chơi nhà văn hóa tổ 3", "kind": "playground", "location": {"lat": 21.03, "lon": 105.83},
    "opening": "every_day", "adult_present": True, "equipment_condition": "good", "hazards": ["none"],
    "fenced": True, "shade": True, "toilets": True, "disability_access": True,
}
COLOURS = {c.key: c.colour for c in legend.SAFETY}


def _place(**changes: object) -> dict:
    return {**SAFE_PLACE, **changes}


@pytest.mark.parametrize(("answers", "expected"), [
    (_place(), "safe"),
    (_place(equipment_condition="worn"), "caution"),
    (_place(hazards=["open_water"], fenced=True), "caution"),
    (_place(adult_present=False), "caution"),
    (_place(hazards=["traffic"], fenced=False), "unsafe"),
    (_place(equipment_condition="broken"), "unsafe"),
    (_place(opening="closed"), "closed"),
])
def test_rating_follows_the_forms_own_safe_value(answers: dict, expected: str) -> None:
    from forms import registry
    from forms.compat import normalise

    form = registry.get_form("play-area", 1)
    assert playareas.rating(normalise(form, answers)) == expected


@pytest.fixture()
def places(world: dict) -> dict:
    scenario = build_scenario(world, recognised=2, failing=1)

    async def submit_all() -> None:
        user = world["users"]["collab_a"]
        from server.core.tables import User

        user = await User.objects(User.unit).where(User.id == user.id).first()
        for answers in (_place(), _place(location={"lat": 21.04, "lon": 105.84}, equipment_condition="worn"),
                        _place(location={"lat": 21.02, "lon": 105.82}, hazards=["open_water"], fenced=False)):
            await submissions.submit(user, uuid=uuid.uuid4(), form_id="play-area", form_version=1, answers=answers)

    asyncio.run(submit_all())
    # Commune A is reviewed: on a final list whose score was computed after its forms arrived.
    asyncio.run(make_list(scenario["period"], world["province"], world["users"]["admin"],
                          [(world["commune_a"], recognised_indicators())], revision=2))
    return scenario


def test_play_area_map_of_a_commune(client, world: dict, places: dict) -> None:
    period = places["period"]
    response = client.get(f"/public/{period.id}/play-areas/png", params={"area": world["commune_a"].code})
    assert response.status_code == 200 and image_size(response.content)[0] == 800
    for rating in ("safe", "caution", "unsafe"):
        assert count_colour(response.content, COLOURS[rating]) > 100, rating  # a marker is ≈ 170 px
    assert count_colour(response.content, COLOURS["closed"]) < 30  # a few edge pixels of the background at most
    geo = json.loads(client.get(f"/public/{period.id}/play-areas/geojson",
                                params={"area": world["commune_a"].code}).content)
    assert geo["type"] == "FeatureCollection"
    assert sorted(f["properties"]["safety"] for f in geo["features"]) == ["caution", "safe", "unsafe"]
    assert all(f["geometry"]["coordinates"][0] > 100 for f in geo["features"])  # longitude first
    # Another commune has none; a province is refused (too many to read on one map).
    empty = client.get(f"/public/{period.id}/play-areas/geojson", params={"area": world["commune_b"].code})
    assert json.loads(empty.content)["features"] == []
    assert client.get(f"/public/{period.id}/play-areas/png", params={"area": "01"}).status_code == 404
    nowhere = client.get(f"/public/{period.id}/play-areas/geojson", headers={"accept": "application/json"})
    assert nowhere.status_code == 400 and nowhere.json()["errors"] == [
        {"field": "area", "code": "required", "message": "Cần nhập thông tin này."}]


def test_only_reviewed_places_and_no_typed_text_are_public(client, world: dict, places: dict) -> None:
    """Issue 13 item 8: a form sent after the listed score, or by a commune on no final list, is not shown;
    names and remarks typed on the phone never are."""
    from server.core.tables import Submission, User

    period = places["period"]

    async def late() -> None:
        user = await User.objects(User.unit).where(User.id == world["users"]["collab_a"].id).first()
        await submissions.submit(user, uuid=uuid.uuid4(), form_id="play-area", form_version=1,
                                 answers=_place(place_name="<script>alert(1)</script>", opening="closed",
                                                location={"lat": 21.05, "lon": 105.85}))

    asyncio.run(late())
    assert Submission.count().where(Submission.form_id == "play-area").run_sync() == 4
    response = client.get(f"/public/{period.id}/play-areas/geojson", params={"area": world["commune_a"].code})
    geo = json.loads(response.content)
    assert len(geo["features"]) == 3 and "closed" not in {f["properties"]["safety"] for f in geo["features"]}
    assert "<script>" not in response.text and "Sân chơi nhà văn hóa" not in response.text
    assert set(geo["features"][0]["properties"]) == {"kind", "kind_label", "commune_code", "commune", "safety",
                                                     "safety_label"}
    png = client.get(f"/public/{period.id}/play-areas/png", params={"area": world["commune_a"].code}).content
    assert count_colour(png, COLOURS["closed"]) < 30  # the late, closed place is not drawn (a marker is ≈ 170 px)
