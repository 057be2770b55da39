"""`phuhop users ...`: accounts for collaborators, reviewers and admins."""

from __future__ import annotations

import asyncio

import click

from server.accounts.auth import ROLES


@click.group("users")
def users() -> None:
    """Create accounts, change passwords, deactivate, log out everywhere, unlock."""


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


def _account(username: str):
    """The account named USERNAME in an existing database, or a usage error."""
    from server.accounts.users import find_user
    from server.core.db import DatabaseMissing, require_database

    try:
        require_database()
    except DatabaseMissing as missing:
        raise click.UsageError(str(missing)) from missing
    user = asyncio.run(find_user(username))
    if user is None:
        raise click.UsageError(f"there is no user {username!r}")
    return user


@users.command("set-password")
@click.argument("username")
@click.password_option(help="The new password (asked for when not given).")
def set_password(username: str, password: str) -> None:
    """Set USERNAME's password; every session of the account ends at once (audited)."""
    from server.accounts.users import AccountError, change_password

    user = _account(username)
    try:
        ended = asyncio.run(change_password(user, password, by="cli"))
    except AccountError as error:
        raise click.UsageError(str(error)) from error
    click.echo(f"Password of {user.username} changed; {ended} session(s) ended")


@users.command("deactivate")
@click.argument("username")
@click.option("--reason", required=True, help="Why (kept in the audit log).")
def deactivate(username: str, reason: str) -> None:
    """Deactivate USERNAME: no login any more, every session ends at once (audited)."""
    from server.accounts.users import set_active

    user = _account(username)
    ended = asyncio.run(set_active(user, False, by="cli", reason=reason))
    click.echo(f"{user.username} deactivated; {ended} session(s) ended")


@users.command("activate")
@click.argument("username")
@click.option("--reason", required=True, help="Why (kept in the audit log).")
def activate(username: str, reason: str) -> None:
    """Let USERNAME log in again (audited)."""
    from server.accounts.users import set_active

    user = _account(username)
    asyncio.run(set_active(user, True, by="cli", reason=reason))
    click.echo(f"{user.username} activated")


@users.command("end-sessions")
@click.argument("username")
@click.option("--reason", default="logged_out_everywhere", show_default=True, help="Why (kept in the audit log).")
def end_sessions(username: str, reason: str) -> None:
    """Log USERNAME out everywhere at once (a lost phone, a shared computer)."""
    from server.accounts.sessions import end_user_sessions

    user = _account(username)
    ended = asyncio.run(end_user_sessions(user.id, by="cli", reason=reason))
    click.echo(f"{ended} session(s) of {user.username} ended")


@users.command("unlock")
@click.argument("username")
def unlock(username: str) -> None:
    """Forget the failed logins counted against USERNAME, so that it is not slowed down (audited)."""
    from server.accounts.throttle import clear_throttle
    from server.core import audit
    from server.core.db import write_atomically

    user = _account(username)

    async def run() -> None:
        await clear_throttle(user.username)
        await write_atomically(audit.entry("login_throttle_cleared", "user", user.id, username="cli"))

    asyncio.run(run())
    click.echo(f"Failed logins of {user.username} forgotten")


COMMANDS = [users]
