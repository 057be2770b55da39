"""Surveyed play areas as points, each with a safety rating derived from the play-area form.

Only what was reviewed is public: the play areas of communes on a final list of the period, and of
those only the forms the listed score was computed from (received before it was computed; a form
sent after approval is not part of what was reviewed). Only answers chosen from a list are shown
(the kind of place, the rating) with the GPS point: never a name or a remark typed on the phone.

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

from server.core.tables import Score, Submission, Unit
from server.core.templating import localized
from server.maps import results
from server.maps.results import json_value

FORM_ID = "play-area"
NOT_SHOWN_STATES = ("rejected", "deleted")


@dataclass(frozen=True)
class PlayArea:
    lat: float
    lon: float
    kind: str  # a choice key of the form ("playground", …); "other" never carries its typed text
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


def kind_labels() -> dict[str, str]:
    """The kinds of place as the form words them, in the current language."""
    field = form_registry.latest(FORM_ID).field_map["kind"]
    return {choice.key: localized(choice.label) for choice in getattr(field, "choices", [])}


async def reviewed_cutoffs(period_id: int, area: Unit | None) -> dict[int, Any]:
    """Commune id → when its listed score was computed, for the communes of the area on a final list."""
    listed = [entry for entry in (await results.period_entries(period_id)).values()
              if area is None or entry.path == area.path or entry.path.startswith(area.path + "/")]
    if not listed:
        return {}
    computed = {row["id"]: row["computed_at"] for row in await Score.select(Score.id, Score.computed_at)
                .where(Score.id.is_in([entry.score_id for entry in listed]))}
    return {entry.commune_id: computed[entry.score_id] for entry in listed if entry.score_id in computed}


async def play_areas(period_id: int, unit_set: str, area: Unit | None) -> list[PlayArea]:
    """The reviewed play areas of the period inside the area (a commune, district or province)."""
    cutoffs = await reviewed_cutoffs(period_id, area)
    if not cutoffs:
        return []
    rows = await Submission.select(
        Submission.uuid, Submission.replaces, Submission.commune, Submission.form_version, Submission.answers,
        Submission.received_at,
        Submission.commune.code, Submission.commune.name,
    ).where((Submission.form_id == FORM_ID) & (Submission.period == period_id)
            & Submission.state.not_in(list(NOT_SHOWN_STATES))
            & Submission.commune.is_in(list(cutoffs))).order_by(Submission.id)
    # Sent after the score was computed: not reviewed. An edit that was reviewed shows instead of its original.
    rows = [row for row in rows if row["received_at"] <= cutoffs[row["commune"]]]
    replaced = {row["replaces"] for row in rows if row["replaces"] is not None}
    places = []
    for row in rows:
        if row["uuid"] in replaced:
            continue
        answers = normalise(form_registry.get_form(FORM_ID, row["form_version"]), json_value(row["answers"]))
        location = answers.get("location") or {}
        if "lat" not in location or "lon" not in location:
            continue
        places.append(PlayArea(lat=float(location["lat"]), lon=float(location["lon"]),
                               kind=str(answers.get("kind") or ""), rating=rating(answers),
                               commune_code=row["commune.code"], commune_name=row["commune.name"]))
    return places


async def fingerprint_parts(period_id: int) -> tuple[str, ...]:
    """Counts and highest ids of the period's play-area submissions (see results.fingerprint)."""
    row = await Submission.select(Count(), Max(Submission.id), Sum(Submission.id)).where(
        (Submission.form_id == FORM_ID) & (Submission.period == period_id)
        & Submission.state.not_in(list(NOT_SHOWN_STATES))).first()
    return tuple(str(value) for value in (row or {}).values())
