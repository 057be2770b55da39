"""The `phuhop` command line: one click group, one module per area of work."""

from __future__ import annotations

import click

from server.cli import backup, demo, forms, history, registry, rules, score, serve, users


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="phuhop")
def main() -> None:
    """phuhop: đánh giá xã, phường, thị trấn phù hợp với trẻ em (child-friendly communes)."""


for module in (score, rules, serve, users, registry, demo, backup, forms, history):
    for command in module.COMMANDS:
        main.add_command(command)
