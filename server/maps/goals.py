"""Each public goal said the way a children's forum says it: what the commune achieved for children.

A criterion's official title names a harm ("Trẻ em bị xâm hại"); read alone on a list of what
went well, a 14-year-old takes it as praise for the harm. So every goal has a sentence of its
own, true when the goal is reached ("Không có trẻ em bị xâm hại…"), and shown as a goal still to
reach otherwise. Goals are those of `privacy.PublicResult` (criteria 3–5 of vn-2019 are one).
A rule set without sentences here falls back to "Criterion N: title".
"""

from __future__ import annotations

from server.core.i18n import N_, gettext
from server.maps.privacy import Goal

SENTENCES: dict[str, dict[str, str]] = {
    "vn-2019": {
        "1": N_("The commune has people and money set aside to protect children"),
        "2": N_("Every baby born was given a birth certificate on time"),
        "3-5": N_("No child was abused, broke the law or died in an accident, and very few children were injured"),
        "6": N_("Children in special circumstances got the help they need"),
        "7": N_("Babies under one year old got all their vaccines"),
        "8": N_("Young children are well fed and growing well"),
        "9": N_("Children had their regular health check-ups"),
        "10": N_("Children go to preschool and to school"),
        "11": N_("Children were listened to and took part in decisions about them"),
        "12": N_("Children have safe places to play and many activities to join"),
        "13": N_("Children and grown-ups are happy with their commune"),
    },
    "vn-2014": {
        "1": N_("Local leaders take care of protecting, caring for and educating children"),
        "2": N_("Babies were given a birth certificate on time"),
        "3": N_("Children do not have to work as child labourers"),
        "4": N_("No child was abused"),
        "5": N_("Children in special circumstances got the help they need"),
        "6": N_("Children go to school"),
        "7": N_("Children had their yearly health check-up"),
        "8": N_("Pupils finished lower-secondary school"),
    },
}
FALLBACK = N_("Criterion %(number)s: %(title)s")


def sentence(rules: str, goal: Goal, titles: dict[int, str]) -> str:
    """The goal in the current language; `titles` (criterion id → localized title) for the fallback."""
    msgid = SENTENCES.get(rules, {}).get(goal.key)
    if msgid:
        return gettext(msgid)
    return "; ".join(gettext(FALLBACK, number=c, title=titles.get(c, "")) for c in goal.criteria)
