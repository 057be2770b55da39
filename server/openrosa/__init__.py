"""OpenRosa server for ODK Collect / KoboCollect: device tokens, form list, XForms, submissions."""

from server.openrosa.routes import router

ROUTES = [router]
