"""Piccolo's configuration module (PICCOLO_CONF=server.piccolo_conf)."""

from piccolo.conf.apps import AppRegistry

from server.core.db import DB

APP_REGISTRY = AppRegistry(apps=["server.core.piccolo_app"])

__all__ = ["APP_REGISTRY", "DB"]
