"""`phuhop rules ...`: which rule sets exist and what they contain, provisional numbers marked."""

from __future__ import annotations

import json

import click

from scoring import COMMUNE_TYPES, RuleSet, list_rules, load_rules
from scoring.ruleset import BAND_KINDS, BooleanLine
from server.cli.score import PROVISIONAL_MARK


@click.group("rules")
def rules() -> None:
    """List and show the scoring rule sets (one per decision)."""


@rules.command("list")
def list_command() -> None:
    """Each rule set: source, criteria, total, thresholds and how many numbers are PROVISIONAL."""
    for rule_id in list_rules():
        ruleset = load_rules(rule_id)
        thresholds = ", ".join(
            f"{name} {ruleset.thresholds[name].points}{' (provisional)' if ruleset.thresholds[name].provisional else ''}"
            for name in COMMUNE_TYPES)
        click.echo(f"{ruleset.id}  {ruleset.source.decision} of {ruleset.source.date}  "
                   f"{len(ruleset.criteria)} criteria  total {ruleset.total_max}  thresholds: {thresholds}  "
                   f"{ruleset.provisional_numbers()} provisional numbers")


@rules.command("show")
@click.argument("rule_id", type=click.Choice(list_rules()))
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--lang", type=click.Choice(["vi", "en"]), default="en", show_default=True)
def show(rule_id: str, output_format: str, lang: str) -> None:
    """Criteria and lines of RULE_ID with their points; every PROVISIONAL number is marked."""
    ruleset = load_rules(rule_id)
    if output_format == "json":
        document = {"sha256": ruleset.sha256, **ruleset.model_dump(mode="json")}
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    click.echo(_table(ruleset, lang))


def _table(ruleset: RuleSet, lang: str) -> str:
    mark = f"  [{PROVISIONAL_MARK}]"
    out = [f"{ruleset.id} — {getattr(ruleset.source.title, lang)}",
           f"version {ruleset.version}, sha256 {ruleset.sha256[:12]}; {ruleset.status}", ""]
    for criterion in ruleset.criteria:
        out.append(f"{criterion.id:>3}. {getattr(criterion.title, lang)} — max {criterion.max}"
                   f"{mark if criterion.provisional else ''}")
        for line in criterion.lines:
            out.append(f"     {line.id:<6} {getattr(line.label, lang)}")
            if isinstance(line, BooleanLine):
                out.append(f"            yes ({line.input}) → {line.points}{mark if line.provisional else ''}")
                continue
            reads = line.input or f"{line.numerator} / {line.denominator}"
            out.append(f"            {line.kind}: {reads}")
            unit = BAND_KINDS[line.kind].unit
            for band, interval in zip(line.bands, line.intervals):
                out.append(f"              {interval.label(unit):<22} → {band.points}{mark if band.provisional else ''}")
            if line.not_applicable is not None:
                out.append(f"              denominator 0 (not applicable) → {line.na_points}"
                           f"{mark if line.not_applicable.provisional else ''}")
    out.append("")
    out.append(f"Total {ruleset.total_max}; recognised when no criterion scores 0 and the total reaches:")
    for name in COMMUNE_TYPES:
        threshold = ruleset.thresholds[name]
        out.append(f"  {name:<27} {threshold.points}{mark if threshold.provisional else ''}")
    out.append(f"{ruleset.provisional_numbers()} numbers are PROVISIONAL.")
    return "\n".join(out)


COMMANDS = [rules]
