"""Categories shown on maps and charts: their msgids and their colours (one place for both).

Colours are opaque and exact (no alpha), so a test can count a category's pixels in the image.
They are told apart in greyscale and by the common colour-blindnesses (blue / orange / grey).
"""

from __future__ import annotations

from dataclasses import dataclass

from server.core.i18n import N_, gettext


@dataclass(frozen=True)
class Category:
    key: str
    label: str  # msgid
    colour: str  # "#rrggbb"


RESULTS = (
    Category("recognised", N_("Recognised as child-friendly"), "#1a7f37"),
    Category("not_recognised", N_("Not recognised"), "#e8590c"),
    Category("not_listed", N_("Not on a final list"), "#b4bac4"),
)

STATES = (
    Category("not_started", N_("Not started"), "#c9ced6"),
    Category("collecting", N_("Collecting data"), "#74c0fc"),
    Category("submitted", N_("Submitted for review"), "#4263eb"),
    Category("under_review", N_("Under review"), "#7048e8"),
    Category("returned", N_("Returned to the commune"), "#f59f00"),
    Category("approved", N_("Approved"), "#0ca678"),
    Category("posted", N_("Posted for comment"), "#66a80f"),
    Category("recognised", N_("Recognised as child-friendly"), "#1a7f37"),
    Category("not_recognised", N_("Not recognised"), "#e8590c"),
)

SAFETY = (
    Category("safe", N_("Safe"), "#1a7f37"),
    Category("caution", N_("Safe, with things to improve"), "#f59f00"),
    Category("unsafe", N_("Not safe"), "#c92a2a"),
    Category("closed", N_("Not usable at present"), "#868e96"),
)

MAXIMUM = "#dee2e6"  # bars of the maximum
PROVISIONAL = "#b02a37"


def rgb(colour: str) -> tuple[int, int, int]:
    """"#1a7f37" → (26, 127, 55), to count pixels of a colour."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def translated(categories: tuple[Category, ...]) -> dict[str, tuple[str, str]]:
    """key → (label in the current language, colour)."""
    return {c.key: (gettext(c.label), c.colour) for c in categories}
