"""The shared core: settings, the database engine and tables, i18n, templating, errors, middleware,
the audit log, backups and migrations. Domain packages build on it; it imports none of them."""
