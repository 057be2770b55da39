"""`python -m server.cli` is the `phuhop` command (used where the script is not on PATH)."""

from server.cli import main

main()
