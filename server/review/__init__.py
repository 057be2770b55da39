"""Review, scoring and certification: from a commune's submitted data to a signed-off list.

Services only (no HTTP): pages and the API call them. Every write goes through one of these
modules, inside `write_transaction()`, with an audit record.
"""
