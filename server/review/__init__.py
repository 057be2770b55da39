"""Review, scoring and certification: from a commune's submitted data to a signed-off list.

Services (`assessments`, `scoring_service`, `lists`, `periods`, …) hold the rules and every write, inside
`write_transaction()` with an audit record; the handler layers (`pages`, `list_pages`, `admin_pages`, `api`)
only read the request and call them.
"""
