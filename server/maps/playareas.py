"""Surveyed play areas as points, each with a safety rating derived from the play-area form.

The rating builds on the form's own derived `safe` (defined in forms/definitions/play-area, the
same value `forms.derive` uses for indicator 12.1), so the map and the score never disagree:

- `closed`  — the place is not usable at present (`opening` = closed);
- `unsafe`  — not `safe`: broken equipment, or a danger nearby (open water, traffic, power lines,
  construction) and no fence all round;
- `caution` — safe, but something to improve: worn equipment, a danger nearby behind a fence,
  or no adult present when children play;
- `safe`    — safe, equipment in good condition, no danger nearby, an adult present.

Answers of every form version are first made comparable (`forms.compat.normalise`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from forms import registry as form_registry
from forms.compat import normalise
from piccolo.query.functions.aggregate import Count, Max, Sum

from server.maps.results import json_value
from server.core.tables import Submission, Unit

FORM_ID = "play-area"
NOT_SHOWN_STATES = ("rejected", "deleted")


@dataclass(frozen=True)
class PlayArea:
    lat: float
    lon: float
    name: str
    kind: str
    rating: str
    commune_code: str
    commune_name: str


def rating(answers: dict[str, Any]) -> str:
    """The safety rating of one place from its normalised answers."""
    if answers.get("opening") == "closed":
        return "closed"
    if answers.get("safe") is not True:
        return "unsafe"
    hazards = [h for h in answers.get("hazards") or [] if h != "none"]
    supervised = answers.get("adult_supervision", answers.get("adult_present"))
    if answers.get("equipment_condition") != "good" or hazards or supervised is not True:
        return "caution"
    return "safe"


async def play_areas(period_id: int, unit_set: str, area: Unit | None) -> list[PlayArea]:
    """Every surveyed play area of the period inside the area (a commune, district or province)."""
    inside = (Submission.commune.unit_set == unit_set) & (Submission.form_id == FORM_ID) \
        & (Submission.period == period_id) & Submission.state.not_in(list(NOT_SHOWN_STATES))
    if area is not None:
        path = area.path
        inside &= (Submission.commune.path == path) | Submission.commune.path.like(f"{path}/%")
    rows = await Submission.select(Submission.form_version, Submission.answers, Submission.commune.code,
                                   Submission.commune.name).where(inside).order_by(Submission.id)
    places = []
    for row in rows:
        form = form_registry.get_form(FORM_ID, row["form_version"])
        answers = normalise(form, json_value(row["answers"]))
        location = answers.get("location") or {}
        if "lat" not in location or "lon" not in location:
            continue
        places.append(PlayArea(lat=float(location["lat"]), lon=float(location["lon"]),
                               name=str(answers.get("place_name") or ""), kind=str(answers.get("kind") or ""),
                               rating=rating(answers), commune_code=row["commune.code"],
                               commune_name=row["commune.name"]))
    return places


async def fingerprint_parts(period_id: int) -> tuple[str, ...]:
    """Counts and highest ids of the period's play-area submissions (see results.fingerprint)."""
    row = await Submission.select(Count(), Max(Submission.id), Sum(Submission.id)).where(
        (Submission.form_id == FORM_ID) & (Submission.period == period_id)
        & Submission.state.not_in(list(NOT_SHOWN_STATES))).first()
    return tuple(str(value) for value in (row or {}).values())
