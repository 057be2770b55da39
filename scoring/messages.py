"""Messages for people: English msgids with `%(name)s` params, translated where they are shown."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a msgid for Babel (`make catalogs` extracts `N_`); scoring never translates itself."""
    return message


COMMUNE_TYPE_LABELS: dict[str, str] = {
    "urban_ward": N_("Ward of a centrally-run city"),
    "mountain_island_difficult": N_("Mountain, island or especially disadvantaged commune"),
    "other": N_("Other commune, ward or township"),
}
"""How people read a commune type (the codes are the rule files' and the data dictionary's)."""
