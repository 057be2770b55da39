"""`phuhop score` and `phuhop score-batch`: score communes from files with a rule set.

Exit codes: 0 when every input was scored (certified or not); 2 when the input is invalid
(unreadable JSON, a missing or wrong indicator — every problem goes to stderr as "key: message"),
and for `score-batch` when any row was invalid (the other rows are still scored and written).
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import click

from scoring import (COMMUNE_TYPE_LABELS, N_, InputProblem, RuleSet, ScoreResult, ScoringInputError, list_rules, load_rules,
                     score_document, score_document_totals)
from server.core import i18n
from server.core.export_cells import csv_cell

INVALID = 2

PROVISIONAL_MARK = "PROVISIONAL / TẠM TÍNH"

_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}
_INTEGER = re.compile(r"-?\d+")


def rules_option(function):
    return click.option("--rules", "rule_id", type=click.Choice(list_rules()), default="vn-2019",
                        show_default=True, help="Rule set (decision) to score with.")(function)


# ---------------------------------------------------------------- phuhop score

@click.command("score")
@rules_option
@click.option("--format", "output_format", type=click.Choice(["json", "table"]), default=None,
              help="json (default when stdout is not a terminal) or a readable table (default on a terminal).")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True,
              help="Language of titles in the table.")
@click.argument("file", type=click.File("rb"))
def score(rule_id: str, output_format: str | None, lang: str, file: io.BufferedReader) -> None:
    """Score one commune from FILE (JSON; - for stdin).

    FILE holds {"commune_type": "urban_ward" | "mountain_island_difficult" | "other",
    "indicators": {...}} with the indicator keys of the rule set. Exit 0 when scored (certified
    or not), 2 on invalid input (every problem on stderr).
    """
    rules = load_rules(rule_id)
    try:
        document = json.loads(file.read())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        _fail(f"{file.name}: not valid JSON: {error}")
    try:
        result = score_document(rules, document)
    except ScoringInputError as error:
        _fail(*(f"{problem.key}: {problem.text()}" for problem in error.problems))
    if output_format is None:
        output_format = "table" if sys.stdout.isatty() else "json"
    if output_format == "json":
        click.echo(result.model_dump_json(indent=2))
    else:
        click.echo(render_table(rules, result, lang))


def _fail(*lines: str) -> None:
    for line in lines:
        click.echo(line, err=True)
    sys.exit(INVALID)


def render_table(rules: RuleSet, result: ScoreResult, lang: str) -> str:
    """Criterion by criterion, every PROVISIONAL line marked, then the verdict and why, in `lang`."""
    with i18n.use_language(lang):
        return "\n".join(_table_lines(rules, result, lang))


def _table_lines(rules: RuleSet, result: ScoreResult, lang: str) -> Iterator[str]:
    _ = i18n.gettext
    # Babel does not look inside f-strings: every text is translated before it is formatted.
    version, kind, line_head, value_head, points_head = (
        _("version"), _("Commune type"), _("criterion / line"), _("value"), _("points"))
    total, threshold, certified = _("Total"), _("threshold"), _("yes") if result.certified else _("no")
    yield (f"{rules.id} — {rules.source.decision} ({rules.source.date}), {version} {rules.version}, "
           f"sha256 {rules.sha256[:12]}")
    yield f"{kind}: {_(COMMUNE_TYPE_LABELS[result.commune_type])} ({result.commune_type})"
    yield ""
    yield f"{'#':<6} {_cut(line_head, 58):<58} {_cut(value_head, 26):<26} {points_head:>9}"
    for criterion in result.criteria:
        mark = f"  {PROVISIONAL_MARK}" if criterion.provisional else ""
        title = getattr(criterion.title, lang)
        yield f"{criterion.id:<6} {_cut(title, 58):<58} {'':<26} {criterion.points:>4}/{criterion.max:<4}{mark}"
        for line in criterion.lines:
            mark = f"  {PROVISIONAL_MARK}" if line.provisional else ""
            yield (f"  {line.id:<6} {_cut(getattr(line.label, lang), 56):<56} {_cut(_line_value(line), 26):<26} "
                   f"{line.points:>4}/{line.max:<4}{mark}")
    threshold_mark = f" ({PROVISIONAL_MARK})" if result.threshold_provisional else ""
    yield ""
    yield (f"{total}: {result.total} / {result.max}    {threshold} ({result.commune_type}): "
           f"{result.threshold}{threshold_mark}")
    yield _("Certified") + ": " + certified
    for reason in result.reasons:
        yield "  - " + _(reason.message) % reason.model_dump()
    if result.uses_provisional:
        lines = ", ".join(result.provisional)
        if result.threshold_provisional:
            lines += "; " + threshold
        yield ""
        yield "* " + PROVISIONAL_MARK + ": " + _(
            "this total uses PROVISIONAL values (%(lines)s). It is not an official score until the "
            "decision's scoring annex is transcribed.", lines=lines)


def _line_value(line) -> str:
    _ = i18n.gettext
    if line.not_applicable is not None:
        return _("n/a") + f": {line.not_applicable.key} = 0"
    if line.kind == "boolean":
        return _(line.band or "")
    if line.value is not None:
        return f"{line.value}{' ' + line.unit if line.unit else ''} → {line.band}"
    return line.band or ""


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# ---------------------------------------------------------------- phuhop score-batch

@dataclass(frozen=True)
class Row:
    """One commune of a batch: where it was in the file, its code, and its score input."""

    number: int
    commune_code: str | None
    document: dict | None
    problems: tuple[InputProblem, ...] = ()


FIELDS = ["row", "commune_code", "status", "total", "max", "threshold", "certified", "provisional",
          "threshold_provisional", "reasons", "errors"]


def read_rows(path: Path, rules: RuleSet) -> list[Row]:
    """The communes of a .csv or .jsonl file (format from the extension)."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        return list(_csv_rows(text, rules))
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return list(_jsonl_rows(text))
    raise click.UsageError(f"{path}: the input must be .csv or .jsonl")


def _csv_rows(text: str, rules: RuleSet) -> Iterator[Row]:
    """CSV cells are text: convert them by the rule set's declared types; an empty cell is missing."""
    reader = csv.DictReader(io.StringIO(text))
    for record in reader:
        indicators = {key: _cell(rules, key, value.strip()) for key, value in record.items()
                      if key not in ("commune_code", "commune_type") and key is not None and value and value.strip()}
        document = {"commune_type": record.get("commune_type") or None, "indicators": indicators}
        yield _row(reader.line_num, record.get("commune_code") or None, document)


def _cell(rules: RuleSet, key: str, text: str) -> object:
    """A typed value, or the text itself so that validation reports it as the wrong type."""
    kind = rules.indicators[key].type if key in rules.indicators else None
    if kind == "bool":
        lowered = text.lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else text
    if kind == "count" and _INTEGER.fullmatch(text):
        return int(text)
    if kind == "percent":
        try:
            return float(text)
        except ValueError:
            return text
    return text


def _jsonl_rows(text: str) -> Iterator[Row]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            yield Row(number, None, None, (InputProblem("(line)", "not_json", N_("Not valid JSON: %(error)s"),
                                                        {"error": str(error)}),))
            continue
        if not isinstance(record, dict):
            yield Row(number, None, None, (InputProblem("(line)", "wrong_type", N_("The line must be a JSON object.")),))
            continue
        code = record.pop("commune_code", None)
        yield _row(number, code, record)


def _row(number: int, code: object, document: dict) -> Row:
    if code is None or code == "":
        return Row(number, None, document, (InputProblem("commune_code", "missing_key", N_("%(key)s is missing.")),))
    return Row(number, str(code), document)


def score_rows(rules: RuleSet, rows: Iterable[Row]) -> Iterator[dict]:
    """One output record per row; an invalid row becomes a record with its errors, the batch goes on."""
    for row in rows:
        problems = list(row.problems)
        result = None
        if row.document is not None:
            try:
                result = score_document_totals(rules, row.document)  # totals only: nobody reads the lines here
            except ScoringInputError as error:
                problems += error.problems
        if problems or result is None:
            yield {"row": row.number, "commune_code": row.commune_code, "status": "invalid",
                   "errors": [{"key": p.key, "code": p.code, "message": p.text()} for p in problems]}
            continue
        yield {"row": row.number, "commune_code": row.commune_code, "status": "scored", "total": result.total,
               "max": result.max, "threshold": result.threshold, "certified": result.certified,
               "provisional": len(result.provisional), "threshold_provisional": result.threshold_provisional,
               "reasons": [{key: value for key, value in vars(reason).items() if key != "message"}
                           for reason in result.reasons],
               "errors": []}


def _csv_record(record: dict) -> dict:
    """Lists flattened for a spreadsheet: "criterion_zero:3; below_threshold:770<850"."""
    flat = dict(record)
    flat["reasons"] = "; ".join(
        f"{r['code']}:{r['criterion']}" if "criterion" in r else f"{r['code']}:{r['total']}<{r['threshold']}"
        for r in record.get("reasons", []))
    flat["errors"] = "; ".join(f"{e['key']}: {e['message']}" for e in record["errors"])
    for key in ("certified", "threshold_provisional"):
        if key in flat:
            flat[key] = "true" if flat[key] else "false"
    return {key: csv_cell(value) for key, value in flat.items()}  # a commune code "=…" stays text in Excel


@click.command("score-batch")
@rules_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write results to OUT.csv or OUT.jsonl (format from the extension); default JSONL on stdout.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def score_batch(rule_id: str, output: Path | None, file: Path) -> None:
    """Score many communes from FILE.csv or FILE.jsonl, one result per commune.

    CSV: columns commune_code, commune_type and the indicator keys (yes/no as true/false, 1/0 or
    yes/no; an empty cell is missing). JSONL: one {"commune_code": ..., "commune_type": ...,
    "indicators": {...}} per line. Invalid rows are reported (row number and every problem) on
    stderr and in the output, and do not stop the batch. Exit 0 when every row was scored, 2 when
    any row was invalid.
    """
    rules = load_rules(rule_id)
    rows = read_rows(file, rules)
    if output is not None and output.suffix.lower() not in (".csv", ".jsonl"):
        raise click.UsageError(f"{output}: the output must be .csv or .jsonl")
    as_csv = output is not None and output.suffix.lower() == ".csv"
    sink = output.open("w", encoding="utf-8", newline="") if output is not None else sys.stdout
    scored = certified = invalid = 0
    try:
        writer = csv.DictWriter(sink, FIELDS) if as_csv else None
        if writer:
            writer.writeheader()
        with click.progressbar(rows, label="Scoring", file=sys.stderr) if sys.stderr.isatty() else nullcontext(rows) as bar:
            for record in score_rows(rules, bar):
                if record["status"] == "invalid":
                    invalid += 1
                    where = f"row {record['row']}" + (f" ({record['commune_code']})" if record["commune_code"] else "")
                    for error in record["errors"]:
                        click.echo(f"{where}: {error['key']}: {error['message']}", err=True)
                else:
                    scored += 1
                    certified += record["certified"]
                if writer:
                    writer.writerow(_csv_record(record))
                else:
                    sink.write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        if output is not None:
            sink.close()
    click.echo(f"{scored} scored ({certified} certified), {invalid} invalid rows — rules {rules.id} "
               f"{rules.version}", err=True)
    if invalid:
        sys.exit(INVALID)


COMMANDS = [score, score_batch]
