"""`phuhop history ...`: the 2025 merger crosswalk, past rounds and registrations from spreadsheets."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from server.registry.units import UNIT_SETS

LANG = click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True,
                    help="Language of the report.")


@click.group("history")
def history() -> None:
    """Rounds over the years: registration, past results, the 2025 merger, progress toward the targets."""


@history.command("crosswalk")
def crosswalk_command() -> None:
    """Link every legacy commune to its 2025 commune(s) from the `vietnamadminunits` conversion data.

    Needs both registry sets (`phuhop registry import --set legacy` and `--set 2025`); links whose
    units are not imported are skipped. Running it again changes nothing.
    """
    from server.core.migrate import migrate
    from server.history.crosswalk import import_links

    migrate()
    click.echo(asyncio.run(import_links(by="cli")).line())


def _fail(error) -> None:
    from server.core.i18n import gettext

    for item in error.errors:
        click.echo(f"{item.field}: {gettext(item.message, **item.params)}", err=True)
    sys.exit(2)


def _held_lines(rows: list[dict]) -> list[str]:
    from server.history.reports import row_line

    return [row_line(row) for row in rows]


@history.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", required=True, help="The year of the round (or of the registrations).")
@click.option("--set", "unit_set", type=click.Choice(UNIT_SETS), required=True,
              help="Registry of that year: 'legacy' up to 2025, '2025' from 2025.")
@click.option("--kind", type=click.Choice(["results", "registrations"]), default="results", show_default=True,
              help="What the file lists: a round's results, or the communes registered that year.")
@click.option("--province", default=None, metavar="CODE_OR_NAME",
              help="The province the whole file belongs to (when its rows do not say).")
@click.option("--rules", "rule_set", default=None,
              help="Rule set in force that year (default: vn-2019 from 2020, vn-2014 before).")
@click.option("--by", "by", default="cli", show_default=True, help="Who imports (kept with the import).")
@click.option("--dry-run", is_flag=True, help="Only report how the rows match; store nothing.")
@LANG
def import_command(file: Path, year: str, unit_set: str, kind: str, province: str | None, rule_set: str | None,
                   by: str, dry_run: bool, lang: str) -> None:
    """Import a province's list (XLSX or CSV) as it is kept: commune with or without "Xã/Phường/Thị trấn",
    diacritics optional, its district and province, total points, recognised or not, decision number and
    date. Ambiguous and unmatched rows are held for a person (`phuhop history held`, then `resolve`).
    The same file imported again changes nothing."""
    from server.core.errors import InputError
    from server.core.i18n import use_language
    from server.core.migrate import migrate
    from server.history import imports, reports

    migrate()
    with use_language(lang):
        try:
            planned = asyncio.run(imports.plan(file.read_bytes(), file.name, kind, year, unit_set,
                                               province=province, rule_set=rule_set))
        except InputError as error:
            _fail(error)
        for line in reports.plan_lines(planned):
            click.echo(line)
        if dry_run:
            return
        outcome = asyncio.run(imports.store(planned, by=by))
        click.echo(reports.outcome_line(outcome))


@history.command("imports")
@LANG
def imports_command(lang: str) -> None:
    """List the imported files: id, kind, year, registry, file, who and when, rows per status."""
    from server.core.i18n import use_language
    from server.core.migrate import migrate
    from server.history import imports, reports

    migrate()
    with use_language(lang):
        for row in asyncio.run(imports.imports()):
            click.echo(reports.import_line(row))


@history.command("held")
@click.option("--import", "import_id", type=int, default=None, help="Only the rows of this import.")
@LANG
def held_command(import_id: int | None, lang: str) -> None:
    """The rows waiting for a person: row id, file, row number, what it said, why, the candidates."""
    from server.core.i18n import use_language
    from server.core.migrate import migrate
    from server.history import imports

    migrate()
    with use_language(lang):
        rows = asyncio.run(imports.held_rows(import_id))
        for line in _held_lines(rows):
            click.echo(line)
    if not rows:
        click.echo("0", err=True)


@history.command("resolve")
@click.argument("row_id", type=int)
@click.option("--commune", "commune_code", default=None, metavar="CODE", help="The commune the row names.")
@click.option("--skip", is_flag=True, help="The row names no commune of the registry.")
@click.option("--by", "by", default="cli", show_default=True, help="Who decides (kept in the audit log).")
@click.option("--reason", default="", help="Why (kept in the audit log).")
@LANG
def resolve_command(row_id: int, commune_code: str | None, skip: bool, by: str, reason: str, lang: str) -> None:
    """Decide a held row ROW_ID (see `phuhop history held`): --commune CODE or --skip."""
    from server.core.errors import InputError
    from server.core.i18n import use_language
    from server.core.migrate import migrate
    from server.history import imports

    if skip == (commune_code is not None):
        raise click.UsageError("give either --commune CODE or --skip")
    migrate()
    with use_language(lang):
        try:
            row = asyncio.run(imports.resolve(row_id, commune_code=None if skip else commune_code, by=by,
                                              reason=reason))
        except InputError as error:
            _fail(error)
    click.echo(f"{row.id}\t{row.status}")


COMMANDS = [history]
