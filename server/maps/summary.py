"""A commune's result told for a children's forum: the goals reached, and the goals still to reach.

Built only from `privacy.PublicResult` (no points, no counts), with each goal's sentence from
`goals`. The stored ScoreResult is read for the criterion titles of the fallback sentence only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.core.templating import localized
from server.maps import goals, privacy


@dataclass
class Summary:
    reached: list[str]
    to_reach: list[str]
    certified: bool
    provisional: bool
    count: int  # goals in all


def titles_of(result: dict[str, Any]) -> dict[int, str]:
    return {c["id"]: localized(c["title"]) for c in result.get("criteria", [])}


def summarise(result: dict[str, Any]) -> Summary:
    public = privacy.public_result(result)
    titles = titles_of(result)
    said = [(goal.reached, goals.sentence(public.rules, goal, titles)) for goal in public.goals]
    return Summary(reached=[text for ok, text in said if ok], to_reach=[text for ok, text in said if not ok],
                   certified=public.certified, provisional=public.provisional, count=len(public.goals))
