"""`phuhop users ...`: accounts for collaborators, reviewers and admins."""

from __future__ import annotations

import asyncio

import click

from server.accounts.auth import ROLES


@click.group("users")
def users() -> None:
    """Create and list user accounts."""


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do.")
@click.option("--unit", "unit_code", default=None,
              help="Official code of the commune (collaborator) or district/province (reviewer).")
@click.option("--set", "unit_set", type=click.Choice(["legacy", "2025"]), default="2025", show_default=True)
@click.option("--name", "display_name", default=None, help="Name shown on pages.")
@click.password_option(help="Password (asked for when not given).")
def create(username: str, role: str, unit_code: str | None, unit_set: str, display_name: str | None,
           password: str) -> None:
    """Create a user account (the change is written to the audit log)."""
    from server.accounts.users import AccountError, create_user
    from server.core.db import DatabaseMissing
    from server.core.migrate import migrate

    try:
        migrate(create=False)
        asyncio.run(create_user(username, password, role, unit_set=unit_set, unit_code=unit_code,
                                display_name=display_name, by="cli"))
    except (AccountError, DatabaseMissing) as error:
        raise click.UsageError(str(error)) from error
    click.echo(f"Created {role} {username}")


COMMANDS = [users]
