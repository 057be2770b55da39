"""The JSON API (documented at /schema, OpenAPI JSON at /schema/openapi.json)."""

from server.api import forms_api, submissions_api

ROUTES = [*forms_api.ROUTES, *submissions_api.ROUTES]
