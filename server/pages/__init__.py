"""Server-rendered pages (Jinja2, phone-first)."""

from server.pages import account, admin, assessment, boundaries, collect, odk_admin, public, review, review_lists

ROUTES = [*account.ROUTES, *collect.ROUTES, *public.ROUTES, *boundaries.ROUTES, *review.ROUTES, *review_lists.ROUTES, *assessment.ROUTES, *admin.ROUTES, *odk_admin.ROUTES]
