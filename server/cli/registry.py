"""`phuhop registry ...`: import the official lists of units, list them, set a commune's scoring type."""

from __future__ import annotations

import asyncio
import sys

import click

from scoring import COMMUNE_TYPES
from server.registry.units import UNIT_SETS

SET_HELP = "Registry set: 'legacy' (63 provinces, 3 tiers) or '2025' (34 provinces, 2 tiers)."


@click.group("registry")
def registry() -> None:
    """The registry of provinces, districts and communes (official codes)."""


@registry.command("import")
@click.option("--set", "unit_set", type=click.Choice(UNIT_SETS), required=True, help=SET_HELP)
@click.option("--province", default=None, metavar="CODE_OR_NAME",
              help="Import one province only: its official code ('24') or name, diacritics optional ('bac ninh').")
def import_command(unit_set: str, province: str | None) -> None:
    """Import (or update) the units of a set from the `vietnamadminunits` data.

    Running it again changes nothing; renamed units and moved coordinates are updated, and a
    commune's scoring type set by an admin is kept. New wards of centrally-run cities get the
    type 'urban_ward', other new communes 'other' (set mountain/island/difficult communes with
    `phuhop registry set-type`).
    """
    from server.history.crosswalk import link_if_both_sets
    from server.registry.units import UnknownProvince, find_province, import_units, source_units

    try:
        wanted = find_province(unit_set, province) if province is not None else None
    except UnknownProvince as error:
        raise click.BadParameter(str(error), param_hint="'--province'") from error
    total = sum(1 for u in source_units(unit_set) if wanted is None or u.province_code == wanted.code)

    _migrate()
    if sys.stderr.isatty():
        with click.progressbar(length=total, label=f"Importing the {unit_set} registry", file=sys.stderr) as bar:
            summary = asyncio.run(import_units(unit_set, province, progress=bar.update))
    else:
        summary = asyncio.run(import_units(unit_set, province))
    click.echo(summary.line())
    links = asyncio.run(link_if_both_sets(by="cli"))
    if links is not None:
        click.echo(f"2025 merger crosswalk: {links.line()}")


@registry.command("list")
@click.option("--set", "unit_set", type=click.Choice(UNIT_SETS), default="2025", show_default=True, help=SET_HELP)
@click.option("--parent", default=None, metavar="CODE",
              help="List the units directly below this one (a province or district code); default: the provinces.")
def list_command(unit_set: str, parent: str | None) -> None:
    """Print code, name and kind of units, one a line, tab-separated."""
    from server.registry.units import children_of, get_unit

    _migrate()

    async def rows():
        parent_unit = None
        if parent is not None:
            parent_unit = await get_unit(unit_set, parent)
            if parent_unit is None:
                raise click.BadParameter(f"no unit with code {parent!r} in the {unit_set} registry",
                                         param_hint="'--parent'")
        return await children_of(unit_set, parent_unit)

    units = asyncio.run(rows())
    if not units and parent is None:
        click.echo(f"The {unit_set} registry is empty: run `phuhop registry import --set {unit_set}`.", err=True)
    for unit in units:
        click.echo(f"{unit.code}\t{unit.name}\t{unit.kind}")


@registry.command("set-type")
@click.argument("code")
@click.argument("commune_type", metavar="TYPE", type=click.Choice(COMMUNE_TYPES))
@click.option("--set", "unit_set", type=click.Choice(UNIT_SETS), default="2025", show_default=True, help=SET_HELP)
@click.option("--reason", default=None, help="Why (kept in the audit log).")
def set_type_command(code: str, commune_type: str, unit_set: str, reason: str | None) -> None:
    """Set the scoring type of the commune with official code CODE.

    TYPE is one of: urban_ward, mountain_island_difficult, other. The change is written to the
    audit log and survives later imports.
    """
    from server.registry.units import RegistryError, set_commune_type

    _migrate()
    try:
        unit = asyncio.run(set_commune_type(unit_set, code, commune_type, by="cli", reason=reason))
    except RegistryError as error:
        raise click.BadParameter(str(error), param_hint="'CODE'") from error
    click.echo(f"{unit.code}\t{unit.name}\t{unit.commune_type}")


def _migrate() -> None:
    """Bring an existing database up to date; only `phuhop migrate`, `serve` and `demo` create one."""
    from server.core.db import DatabaseMissing
    from server.core.migrate import migrate

    try:
        migrate(create=False)
    except DatabaseMissing as missing:
        raise click.ClickException(str(missing)) from missing


COMMANDS = [registry]
