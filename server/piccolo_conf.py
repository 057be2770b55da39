"""Piccolo's configuration module (PICCOLO_CONF=server.piccolo_conf)."""

from piccolo.conf.apps import AppRegistry

from server.db import DB

APP_REGISTRY = AppRegistry(apps=["server.piccolo_app"])

__all__ = ["DB", "APP_REGISTRY"]
