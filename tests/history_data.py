"""Both registry sets and the merger crosswalk in the test database, imported once per module that asks.

A test that empties the database (`db`) in between makes the next `full_country()` import them again.
"""

from __future__ import annotations

import asyncio

from server.core.tables import Unit, UnitLink
from server.core.testing import empty_all_tables

COMMUNES = {"legacy": 10_035, "2025": 3_321}
UNITS = 63 + 696 + 10_035 + 34 + 3_321
LINKS = 10_602


def full_country() -> None:
    """The legacy and 2025 registries and the crosswalk, nothing else."""
    from server.history.crosswalk import import_links
    from server.registry.units import import_units

    if Unit.count().run_sync() == UNITS and UnitLink.count().run_sync() == LINKS:
        return
    empty_all_tables()

    async def load() -> None:
        await import_units("legacy")
        await import_units("2025")
        await import_links()

    asyncio.run(load())
