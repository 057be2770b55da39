"""The Litestar application factory."""

from __future__ import annotations

import gc
from pathlib import Path

from litestar import Litestar, Request, Response
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.routes import base as litestar_routes
from litestar.static_files import create_static_files_router

from forms import registry as form_registry
from server.accounts import pages as account_pages
from server.collection import api as submissions_api
from server.collection import assessment_pages, forms_api, offline
from server.collection import pages as collect_pages
from server.accounts import admin_pages as account_admin_pages
from server.history import admin_pages as history_admin_pages
from server.history import pages as history_pages
from server.history import public_pages as history_public_pages
from server.maps import boundary_pages, public_pages
from server.registry import admin_pages as registry_pages
from server.openrosa import ROUTES as OPENROSA_ROUTES
from server.openrosa import admin_pages as odk_admin_pages
from server.openrosa.routes import openrosa_error
from server.review import admin_pages, list_pages, submission_pages
from server.rules import pages as rules_pages
from server.review import api as review_api
from server.review import pages as review_pages
from server.accounts.auth import SessionUserMiddleware
from server.core.db import close_pool, open_pool
from server.core.errors import EXCEPTION_CLASSES, handle_exception
from server.core.middleware import SMALL_REPLY, LanguageMiddleware, add_security_headers
from server.core.requests import SafeRequest, sane_static_path
from server.core.settings import get_settings
from server.core.strict import path_int
from server.core.templating import template_config

# `{name:int}` path parameters are read by the same strict parser as every other number from outside
# (server/core/strict.py): Litestar's own `int()` took '٣' for 3 and choked on 5,000 digits. A
# ValueError there makes the router answer 404. Installed before any route is built.
litestar_routes.parsers_map[int] = path_int

STATIC_DIRS = [Path(__file__).parent / "static", Path(__file__).parent.parent / "forms" / "static"]
MACHINE_PATHS = ["/openrosa"]  # token-authenticated clients: no cookies, so no CSRF


def _handle_exception(request: Request, exc: Exception) -> Response:
    """Errors before any route is found (404, 405) under /openrosa are OpenRosa messages too: Collect shows
    their text, where an HTML page would reach it as garbage."""
    if request.url.path.startswith("/openrosa/"):
        return openrosa_error(request, exc)
    return handle_exception(request, exc)

# Server-rendered pages (Jinja2, phone-first), then the JSON API (OpenAPI at /schema) and OpenRosa.
PAGE_ROUTES = [*account_pages.ROUTES, *collect_pages.ROUTES, *offline.ROUTES, *public_pages.ROUTES, *boundary_pages.ROUTES,
               *review_pages.ROUTES, *list_pages.ROUTES, *submission_pages.ROUTES, *assessment_pages.ROUTES,
               *admin_pages.ROUTES, *registry_pages.ROUTES,
               *odk_admin_pages.ROUTES, *rules_pages.ROUTES, *history_pages.ROUTES, *history_public_pages.ROUTES,
               *history_admin_pages.ROUTES, *account_admin_pages.ROUTES]
API_ROUTES = [*forms_api.ROUTES, *submissions_api.ROUTES, *review_api.ROUTES, *OPENROSA_ROUTES]


def create_app() -> Litestar:
    settings = get_settings()
    secret = settings.secret_key()
    return Litestar(
        route_handlers=[
            *PAGE_ROUTES,
            *API_ROUTES,
            create_static_files_router(path="/static", directories=STATIC_DIRS, name="static",
                                       guards=[sane_static_path]),
        ],
        middleware=[
            # Server-side sessions (server/accounts/sessions.py): no session middleware re-sets a cookie.
            DefineMiddleware(SessionUserMiddleware, exclude=["^/static", "^/schema"]),
            LanguageMiddleware(),
        ],
        csrf_config=CSRFConfig(
            secret=secret.hex(), cookie_secure=settings.secure_cookies, cookie_samesite="lax",
            exclude=MACHINE_PATHS,
        ),
        template_config=template_config(),
        # Litestar sets up and tears down a gzip stream for every reply, even one below minimum_size:
        # routes whose replies are always small (opt SMALL_REPLY) skip the middleware.
        compression_config=CompressionConfig(backend="gzip", minimum_size=500, exclude_opt_key=SMALL_REPLY),
        openapi_config=OpenAPIConfig(
            title="phuhop API", version="1", path="/schema",
            render_plugins=[JsonRenderPlugin()],
            description="Submissions and forms of the child-friendly commune assessment.",
        ),
        exception_handlers=dict.fromkeys(EXCEPTION_CLASSES, _handle_exception),
        before_send=[add_security_headers, offline.add_user_header],
        on_startup=[open_pool],
        on_shutdown=[close_pool],
        request_class=SafeRequest,
        request_max_body_size=settings.max_body_bytes,
    )


def create_served_app() -> Litestar:
    """The application as `phuhop serve` runs it in each worker process."""
    app = create_app()
    app.on_startup.append(freeze_startup_objects)
    return app


def freeze_startup_objects() -> None:
    """Load the form definitions, then take everything alive at start-up out of the cyclic garbage
    collector's view (`gc.freeze`).

    A worker holds about 150,000 long-lived objects after start-up (Litestar's routes, pydantic
    models, the forms); each full collection rescanned them all, stopping every request of that
    worker for about 100 ms a few times a minute under load. Only for served workers: a process
    that builds many apps (the test suite) would keep their garbage forever.
    """
    form_registry.list_forms()
    gc.collect()
    gc.freeze()
