"""`phuhop demo`: migrate, load the demo province and serve it (what `make demo` runs)."""

from __future__ import annotations

import asyncio

import click


@click.command("demo")
@click.option("--province", default="bac ninh", show_default=True,
              help="Province of the 2025 registry to load (name without diacritics, or its code).")
@click.option("--communes", default=30, show_default=True, type=int, help="Communes that get demo submissions.")
@click.option("--serve/--no-serve", default=True, show_default=True, help="Start the web server afterwards.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def demo_command(province: str, communes: int, serve: bool, host: str, port: int) -> None:
    """Load demo data (a real province, accounts, submissions) and serve it."""
    from server.core.db import DatabaseMissing
    from server.core.migrate import migrate
    from server.demo import DEMO_PASSWORD, load_demo
    from server.registry.units import UnknownProvince

    try:
        migrate()
    except DatabaseMissing as missing:
        raise click.ClickException(str(missing)) from missing
    try:
        summary = asyncio.run(load_demo(province, communes, progress=lambda line: click.echo(f"  {line}", err=True)))
    except UnknownProvince as error:
        raise click.BadParameter(str(error), param_hint="'--province'") from error
    if not summary.already_loaded:
        click.echo(f"Demo: {summary.province}, {summary.communes} communes, {summary.submissions} submissions "
                   f"from {summary.communes_with_data} communes.")
    click.echo(f"Accounts (password {DEMO_PASSWORD}):")
    for username, what in summary.accounts.items():
        click.echo(f"  {username:<14} {what}")
    if serve:
        from server.cli.serve import serve_command

        click.get_current_context().invoke(serve_command, host=host, port=port, workers=1, no_migrate=True)


COMMANDS = [demo_command]
