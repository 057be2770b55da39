"""`phuhop migrate`, `phuhop serve`: set up the database and run the web server."""

from __future__ import annotations

import click


@click.command("migrate")
def migrate_command() -> None:
    """Apply database migrations (SQLite file under ./data, or PHUHOP_DATABASE_URL)."""
    from server.core.migrate import migrate
    from server.core.settings import get_settings

    migrate()
    click.echo(f"Database is up to date: {get_settings().database_url}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes.")
@click.option("--no-migrate", is_flag=True, help="Do not apply migrations first.")
@click.option("--limit-concurrency", default=500, show_default=True, type=int,
              help="Connections and requests at once per worker before new ones get 503 (a slow or hostile "
                   "client flood cannot take all the memory).")
@click.option("--timeout-keep-alive", default=5, show_default=True, type=int,
              help="Seconds an idle keep-alive connection is kept open.")
def serve_command(host: str, port: int, workers: int, no_migrate: bool, limit_concurrency: int,
                  timeout_keep_alive: int) -> None:
    """Run the web server (uvicorn) with the phuhop application.

    uvicorn has no timeout for a client that sends its request slowly: in production put nginx in
    front (client_header_timeout, client_body_timeout, send_timeout; docs/operations.md).
    """
    import uvicorn

    from server.core import serving
    from server.core.db import DatabaseMissing, DatabaseReadOnly, require_database, require_writable
    from server.core.migrate import migrate
    from server.core.settings import get_settings

    try:
        if no_migrate:
            require_database()
        with serving.serving(get_settings()):  # held while serving: `phuhop restore` refuses meanwhile
            if not no_migrate:
                migrate()
            require_writable()  # a read-only file or server: say so now, not as 503s to every user
            click.echo(f"phuhop: http://{host}:{port}/  (Ctrl+C to stop)")
            uvicorn.run("server.app:create_served_app", factory=True, host=host, port=port, workers=workers,
                        log_level="warning", proxy_headers=True, limit_concurrency=limit_concurrency,
                        timeout_keep_alive=timeout_keep_alive, timeout_graceful_shutdown=30,
                        h11_max_incomplete_event_size=16 * 1024)
    except (serving.Busy, DatabaseMissing, DatabaseReadOnly) as refused:
        raise click.ClickException(str(refused)) from refused


COMMANDS = [migrate_command, serve_command]
