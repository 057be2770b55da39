"""`phuhop forms ...`: list form versions, write one as an XLSForm, turn an XLSForm into a draft version."""

from __future__ import annotations

from pathlib import Path

import click

from forms import registry
from forms.loader import DEFINITIONS_DIR
from forms.xlsform import export_xlsform, next_version_in, read_xlsform, save_draft
from server.core.strict import MAX_FORM_VERSION, parse_int


@click.group("forms")
def forms() -> None:
    """Form versions and XLSForms (ODK, KoboToolbox)."""


@forms.command("list")
def list_command() -> None:
    """Every form version: id, version, status, number of questions, title."""
    for form in registry.list_forms():
        click.echo(f"{form.form_id:<22} v{form.version:<3} {form.status:<9} {len(form.fields):>3} questions  "
                   f"{form.title['en']} / {form.title['vi']}")


@forms.command("export-xlsform")
@click.argument("form_id")
@click.argument("version")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The .xlsx file to write.")
def export_command(form_id: str, version: str, output: Path) -> None:
    """Write FORM_ID's VERSION (a number, or `latest` for the newest published one) as an XLSForm."""
    try:
        form = registry.latest(form_id) if version == "latest" else registry.get_form(form_id, _number(version))
    except registry.FormNotAccepted as missing:
        raise click.UsageError(str(missing)) from missing
    output.write_bytes(export_xlsform(form))
    click.echo(f"Wrote {form.form_id} v{form.version} ({form.status}) to {output}")


@forms.command("import-xlsform")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--definitions", type=click.Path(file_okay=False, path_type=Path), default=DEFINITIONS_DIR,
              show_default=True, help="Where the draft definition file is written.")
def import_command(source: Path, definitions: Path) -> None:
    """Read an XLSForm and write it as a new draft version (`<form_id>/v<N>.yaml`)."""
    result = read_xlsform(source.read_bytes(), next_version_in(DEFINITIONS_DIR, definitions))
    for warning in result.warnings:
        click.echo(f"warning: {warning.render()}", err=True)
    if result.form is None:
        for error in result.errors:
            click.echo(f"error: {error.render()}", err=True)
        raise click.ClickException(f"{source.name}: {len(result.errors)} problem(s); nothing was written")
    path = save_draft(result, definitions, source.name)
    click.echo(f"Wrote draft {result.form.form_id} v{result.form.version} to {path}")


def _number(text: str) -> int:
    number = parse_int(text, minimum=1, maximum=MAX_FORM_VERSION)
    if number is None:
        raise click.UsageError(f"VERSION must be a number or `latest`, not {text!r}")
    return number


COMMANDS = [forms]
