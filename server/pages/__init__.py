"""Server-rendered pages (Jinja2, phone-first)."""

from server.pages import account, collect

ROUTES = [*account.ROUTES, *collect.ROUTES]
