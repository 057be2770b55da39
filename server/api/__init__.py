"""The JSON API (documented at /schema, OpenAPI JSON at /schema/openapi.json)."""

from server.api import forms_api, review_api, submissions_api
from server.openrosa import ROUTES as OPENROSA_ROUTES

ROUTES = [*forms_api.ROUTES, *submissions_api.ROUTES, *review_api.ROUTES, *OPENROSA_ROUTES]
