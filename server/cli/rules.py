"""`phuhop rules ...`: which rule sets exist and what they contain, provisional numbers marked; the
official table as a spreadsheet (export, import as a draft version)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

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


@rules.command("export")
@click.argument("rule_id")
@click.option("--version", "version", default=None, help="A stored version (default: the version in force).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The .xlsx file to write.")
def export_command(rule_id: str, version: str | None, output: Path) -> None:
    """Write RULE_ID as a spreadsheet laid out like the decision's scoring annex (one row per band)."""
    from server.core.migrate import migrate
    from server.rules import spreadsheet, versions

    migrate()

    async def find():
        row = await (versions.by_name(rule_id, version) if version else versions.in_force(rule_id))
        if row is None:
            raise click.UsageError(f"no rule set {rule_id!r}" + (f" version {version!r}" if version else "") +
                                   f"; known: {', '.join(await versions.rule_set_ids())}")
        return row

    row = asyncio.run(find())
    rules = versions.rules_of(row)
    output.write_bytes(spreadsheet.export_workbook(rules))
    click.echo(f"Wrote {rules.id} {rules.version} ({row.state}, sha256 {rules.sha256[:12]}, "
               f"{rules.provisional_numbers()} provisional numbers) to {output}")


@rules.command("import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "username", required=True, help="The administrator entering the table (an admin account).")
@click.option("--note", default="", help="Where the numbers come from, e.g. the guidance letter.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True,
              help="Language of the messages.")
def import_command(source: Path, username: str, note: str, lang: str) -> None:
    """Check SOURCE (a spreadsheet from `rules export`) and store it as a new DRAFT version.

    Every problem is named by sheet, row and cell, and nothing is stored. On success, prints what
    changed against the version in force; a second administrator then checks the changed lines on
    the web before the draft can be published. Exit 0 stored, 2 refused.
    """
    from server.core.i18n import gettext, ngettext, use_language
    from server.core.migrate import migrate
    from server.core.tables import User
    from server.core.errors import InputError
    from server.rules import describe, versions

    with use_language(lang):
        migrate()

        async def store():
            user = await User.objects().where(User.username == username).first().run()
            if user is None or user.role != "admin" or not user.active:
                raise click.UsageError(f"--by {username!r}: no active administrator has this user name")
            content = source.read_bytes()  # noqa: ASYNC240 - a command line tool: nothing else waits on its loop
            read, report = await versions.draft_from_workbook(content, user, source_name=source.name,
                                                              note=note)
            base = await versions.get(report.row.base) if report and report.row.base else None
            return read, report, base

        try:
            read, report, base = asyncio.run(store())
        except InputError as refused:
            for item in refused.errors:
                click.echo(f"{gettext('error')}: {item.render()['message']}", err=True)
            sys.exit(2)
        for warning in read.warnings:
            click.echo(f"{gettext('warning')}: {warning.render(gettext)}", err=True)
        if report is None:
            for error in read.errors:
                click.echo(f"{gettext('error')}: {error.render(gettext)}", err=True)
            click.echo(ngettext("%(file)s: %(num)s problem; nothing was stored.",
                                "%(file)s: %(num)s problems; nothing was stored.", len(read.errors),
                                file=source.name), err=True)
            sys.exit(2)
        draft = versions.rules_of(report.row)
        before = versions.rules_of(base) if base else None
        click.echo(ngettext("Stored draft %(rules)s %(version)s (made from %(base)s): %(num)s item changed.",
                            "Stored draft %(rules)s %(version)s (made from %(base)s): %(num)s items changed.",
                            len(report.changes), rules=draft.id, version=draft.version,
                            base=base.version if base else "–"))
        for change in report.changes:
            for text in describe.change_lines(change, before, draft):
                click.echo(text)
        for key in report.marks_not_taken:
            click.echo(gettext("%(item)s: the Provisional cells of the file were not taken: a changed line is "
                               "PROVISIONAL until a second administrator checks it.",
                               item=describe.title(draft, key)), err=True)
        if report.changes:
            click.echo(gettext("Next: a second administrator checks each changed line against the paper source at "
                               "/admin/rules/%(id)s, then publishes it.", id=report.row.id))
        else:
            click.echo(gettext("Nothing differs from %(base)s. The draft is kept so that a second administrator can "
                               "confirm PROVISIONAL lines against the paper source at /admin/rules/%(id)s; discard it "
                               "there if it is not needed.", base=base.version if base else "–", id=report.row.id))


@rules.command("versions")
@click.argument("rule_id", required=False)
def versions_command(rule_id: str | None) -> None:
    """Every stored version (shipped, drafts, published), newest first."""
    from server.core.migrate import migrate
    from server.rules import versions

    migrate()
    for row in asyncio.run(versions.listing(rule_id)):
        click.echo(f"{row['rule_set']:<10} {row['version']:<14} {row['state']:<10} {row['origin']:<12} "
                   f"sha256 {row['sha256'][:12]}  entered by {row['entered_by'] or '–'}, "
                   f"published by {row['published_by'] or '–'}")


COMMANDS = [rules]
