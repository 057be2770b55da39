"""Past rounds and registrations from a province's spreadsheets.

`plan` reads a file and matches every row to the registry without storing anything (the preview);
`store` keeps the file as an import — read-only, marked with its file name, who imported it and
when — and its rows: matched rows count at once, ambiguous, unmatched and invalid rows are held
until a person resolves them (`resolve`: choose the commune, or say the row is no commune).
The same file (same bytes) imported again for the same kind, year and registry set finds the
earlier import and changes nothing. A later file for the same year does not touch earlier ones;
where two imports give a result for the same commune and year, the later import counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from scoring import UnknownRulesError, load_rules
from server.core import audit
from server.core.db import insert_many, write_transaction
from server.core.errors import FieldError, InputError
from server.core.i18n import N_, gettext
from server.core.spreadsheets import SpreadsheetError, Table, read_table
from server.core.tables import HistoryImport, HistoryRow, Registration, Unit, User
from server.history.matching import Candidate, Matcher
from server.registry.units import UNIT_SETS, fold

KINDS = ("results", "registrations")
KIND_LABELS = {"results": N_("Results of a past round"), "registrations": N_("Registrations of a year")}
REQUIRED = {"results": ("commune|code", "recognised"), "registrations": ("commune|code",)}
COLUMN_LABELS = {"commune": N_("commune"), "code": N_("commune code"), "district": N_("district"),
                 "province": N_("province"), "total": N_("total points"), "recognised": N_("recognised"),
                 "decision_number": N_("decision number"), "decision_date": N_("decision date"),
                 "registered_on": N_("registered on")}
COUNTED = ("matched", "resolved")
HELD = ("ambiguous", "unmatched", "invalid")
STATUS_LABELS = {"matched": N_("Matched"), "resolved": N_("Resolved by a person"), "ambiguous": N_("Ambiguous"),
                 "unmatched": N_("Not found"), "invalid": N_("Invalid value"), "skipped": N_("Not a commune (skipped)")}
NOTE_LABELS = {
    "by_code": N_("matched by its official code"),
    "former_commune_name": N_("matched by a former name of the commune"),
    "former_district_name": N_("the district is named by a former name"),
    "unknown_district": N_("the district %(district)s is not in the registry; the commune's name is unique"),
    "district_mismatch": N_("no commune of this name in the district %(district)s"),
    "no_district": N_("several communes have this name: the row gives no district"),
    "same_name": N_("several communes have this name"),
    "unknown_province": N_("the province %(province)s is not in the registry"),
    "not_found": N_("no commune of this name in the registry"),
    "duplicate": N_("the same commune as row %(row)s"),
    "invalid": N_("a value cannot be read"),
}
MAX_TOTAL = 1000
FIRST_YEAR = 2000
MERGER_YEAR = 2025  # legacy registry up to 2025, the 2025 registry from 2025 (the reform of 1 July 2025)

_TRUE = {"x", "dat", "dat chuan", "co", "1", "cong nhan", "duoc cong nhan", "yes", "true", "v", "phu hop",
         "phu hop voi tre em", "recognised", "recognized", "passed"}
_FALSE = {"khong dat", "chua dat", "khong", "0", "no", "false", "khong cong nhan", "chua dat chuan",
          "khong dat chuan", "-", "chua", "not recognised", "not recognized", "failed"}


# ---------------------------------------------------------------- headers and values

def classify(header: str) -> str | None:
    """The canonical column a header stands for, in the words offices use (Vietnamese or English)."""
    text = re.sub(r"[^0-9a-z]+", " ", fold(header)).strip()
    words = set(text.split())
    if not text:
        return None
    if "dang ky" in text or "registered" in words or "registration" in words:
        return "registered_on"
    if ("ngay" in words and ("quyet dinh" in text or words & {"qd", "ky"})) or "decision date" in text:
        return "decision_date"
    if "quyet dinh" in text or "qd" in words or "decision" in words:
        return "decision_number"
    if "diem" in words or words & {"total", "points", "score"}:
        return "total"
    if any(part in text for part in ("dat chuan", "cong nhan", "ket qua", "xep loai", "recogni", "result")) \
            or text == "dat":
        return "recognised"
    if text.split()[0] == "ma" or "code" in words:
        return "code"
    if "tinh" in words or "province" in words:
        return "province"
    if words & {"huyen", "quan", "district"}:
        return "district"
    if words & {"xa", "phuong", "commune", "ward"} or text in ("ten", "don vi", "ten don vi"):
        return "commune"
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", " ", str(value)).strip()


def parse_total(value: Any) -> float | None:
    """Points: a number 0–1,000 ("950", "912,5", "1.000"); None when the cell is empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = value.strip().replace(" ", "").replace("\u00a0", "")
        if re.fullmatch(r"\d{1,3}([.,]\d{3})+", text):  # thousands separated: "1.000"
            text = re.sub(r"[.,]", "", text)
        elif re.fullmatch(r"\d+([.,]\d+)?", text):
            text = text.replace(",", ".")
        else:
            raise ValueError
        number = float(text)
    if not 0 <= number <= MAX_TOTAL:
        raise ValueError
    return number


def parse_recognised(value: Any) -> bool:
    """"Đạt", "x", "có", 1 → True; "Không đạt", "chưa đạt", 0 and an empty cell → False."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    text = re.sub(r"[^0-9a-z]+", " ", fold(_text(value))).strip()
    if text in _TRUE:
        return True
    if text in _FALSE or not text:
        return False
    raise ValueError


_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d/%m/%y")


def parse_date(value: Any) -> str | None:
    """An ISO date from a date cell or "31/12/2023", "2023-12-31"…; None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = _text(value)
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError


# ---------------------------------------------------------------- the plan (preview)

@dataclass
class PlannedRow:
    row_number: int
    source: dict[str, Any]
    status: str
    unit: Candidate | None = None
    candidates: list[Candidate] = field(default_factory=list)
    note: str = ""
    total: float | None = None
    recognised: bool | None = None
    decision_number: str | None = None
    decision_date: str | None = None
    registered_on: str | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Plan:
    kind: str
    year: int
    unit_set: str
    rule_set: str | None
    file_name: str
    sha256: str
    sheet: str
    header_row: int
    columns: dict[str, str]  # canonical column → the header as written
    rows: list[PlannedRow]
    existing: HistoryImport | None = None  # this very file was imported before

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.unit_set}:{self.year}:{self.sha256}"

    def counts(self) -> dict[str, int]:
        found = dict.fromkeys(STATUS_LABELS, 0)
        for row in self.rows:
            found[row.status] += 1
        return found


def default_rule_set(year: int) -> str:
    """The decision in force in a year: Decision 06/QĐ-TTg from 2020, Decision 34/2014/QĐ-TTg before."""
    return "vn-2019" if year >= 2020 else "vn-2014"


def check_request(kind: str, year: Any, unit_set: str, rule_set: str | None = None) -> tuple[int, str | None]:
    """The year and rule set of an import request, or an InputError naming each bad field."""
    errors: list[FieldError] = []
    if kind not in KINDS:
        errors.append(FieldError("kind", "invalid", N_("Choose what the file holds.")))
    this_year = dt.date.today().year
    text = str(year).strip()
    year = int(text) if text.isascii() and text.isdecimal() and len(text) <= 4 else None
    if year is None or not FIRST_YEAR <= year <= this_year + 1:
        errors.append(FieldError("year", "invalid", N_("Give a year between %(first)s and %(last)s."),
                                 {"first": FIRST_YEAR, "last": this_year + 1}))
    if unit_set not in UNIT_SETS:
        errors.append(FieldError("unit_set", "invalid", N_("Choose the registry: legacy or 2025.")))
    elif year is not None and unit_set == "legacy" and year > MERGER_YEAR:
        errors.append(FieldError("unit_set", "invalid",
                                 N_("The legacy registry ended in %(year)s: choose the 2025 registry."),
                                 {"year": MERGER_YEAR}))
    elif year is not None and unit_set == "2025" and year < MERGER_YEAR:
        errors.append(FieldError("unit_set", "invalid",
                                 N_("The 2025 registry did not exist before %(year)s: choose the legacy registry."),
                                 {"year": MERGER_YEAR}))
    if kind == "results" and year is not None:
        rule_set = rule_set or default_rule_set(year)
        try:
            load_rules(rule_set)
        except UnknownRulesError:
            errors.append(FieldError("rules", "invalid", N_("There is no rule set %(rules)s."), {"rules": rule_set}))
    if errors:
        raise InputError(errors)
    return year, (rule_set if kind == "results" else None)  # type: ignore[return-value]


def _read(data: bytes, file_name: str, kind: str) -> Table:
    try:
        return read_table(data, file_name, classify, REQUIRED[kind], describe=_describe)
    except SpreadsheetError as error:
        raise InputError([FieldError("file", "invalid", error.message, error.params)]) from error


def _describe(need: str) -> str:
    return " / ".join(gettext(COLUMN_LABELS[name]) for name in need.split("|"))


def _parse_row(table: Table, number: int, cells: list[Any], kind: str) -> PlannedRow:
    source = {name: _text(table.value(cells, name)) for name in ("commune", "district", "province", "code")}
    row = PlannedRow(row_number=number, source={k: v for k, v in source.items() if v}, status="unmatched")
    parsers: dict[str, Any] = {"results": {"total": parse_total, "recognised": parse_recognised,
                                           "decision_date": parse_date},
                               "registrations": {"registered_on": parse_date}}[kind]
    for name, parse in parsers.items():
        if name not in table.columns:
            continue
        raw = table.value(cells, name)
        try:
            setattr(row, name, parse(raw))
        except ValueError:
            row.problems.append({"field": name, "value": _text(raw)[:60]})
    if kind == "results":
        row.decision_number = _text(table.value(cells, "decision_number"))[:64] or None
    return row


async def plan(data: bytes, file_name: str, kind: str, year: Any, unit_set: str, *, province: str | None = None,
               rule_set: str | None = None, matcher: Matcher | None = None) -> Plan:
    """Read and match every row; store nothing. `province`: a code or name the whole file belongs to."""
    year, rule_set = check_request(kind, year, unit_set, rule_set)
    table = _read(data, file_name, kind)
    matcher = matcher or await Matcher.load(unit_set)
    within = None
    if province:
        within = matcher.province_code(province)
        if within is None:
            raise InputError([FieldError("province", "invalid", N_("There is no province %(province)s in the "
                                                                   "registry."), {"province": province})])
    sha256 = hashlib.sha256(data).hexdigest()
    result = Plan(kind=kind, year=year, unit_set=unit_set, rule_set=rule_set, file_name=_safe_name(file_name),
                  sha256=sha256, sheet=table.sheet, header_row=table.header_row,
                  columns={name: table.headers[index] for name, index in table.columns.items()}, rows=[])
    first_row_of: dict[str, int] = {}
    for number, cells in table.rows:
        row = _parse_row(table, number, cells, kind)
        if not row.source.get("code") and _is_total_line(row.source.get("commune", "")):
            continue  # "Tổng cộng", a signature line: no commune named
        match = matcher.match(row.source.get("commune", ""), row.source.get("district", ""),
                              row.source.get("province", ""), row.source.get("code", ""), within_province=within)
        row.status, row.unit, row.candidates, row.note = match.status, match.unit, match.candidates, match.note
        if row.unit is not None:
            earlier = first_row_of.setdefault(row.unit.code, number)
            if earlier != number:
                row.status, row.note, row.source["duplicate_of"] = "ambiguous", "duplicate", earlier
                row.unit = None
        if row.problems:
            row.status, row.note = "invalid", "invalid"
        result.rows.append(row)
    result.existing = await HistoryImport.objects().where(HistoryImport.key == result.key).first().run()
    return result


def _is_total_line(commune: str) -> bool:
    text = re.sub(r"[^0-9a-z]+", " ", fold(commune)).strip()
    return not text or text in ("tong", "cong", "total") or text.startswith(("tong cong", "tong so"))


def _safe_name(file_name: str) -> str:
    """The file's own name, without folders or control characters (shown on pages and in the audit log)."""
    name = re.split(r"[\\/]", file_name)[-1]
    return re.sub(r"[\x00-\x1f\x7f]", "", name).strip()[:255] or "file"


# ---------------------------------------------------------------- storing

@dataclass
class Outcome:
    history_import: HistoryImport
    created: bool
    counts: dict[str, int]


async def store(planned: Plan, *, user: User | None = None, by: str | None = None) -> Outcome:
    """Keep the import and its rows (and, for registrations, register the matched communes).

    The same file for the same kind, year and set is stored once: a second call returns the first.
    """
    existing = await HistoryImport.objects().where(HistoryImport.key == planned.key).first().run()
    if existing is not None:
        return Outcome(existing, False, await import_counts(existing.id))
    name = user.username if user else (by or "system")
    try:
        async with write_transaction():
            record = HistoryImport(key=planned.key, kind=planned.kind, year=planned.year, unit_set=planned.unit_set,
                                   rule_set=planned.rule_set, file_name=planned.file_name, sha256=planned.sha256,
                                   rows=len(planned.rows), imported_by=user.id if user else None,
                                   imported_by_name=name)
            await record.save().run()
            await insert_many(HistoryRow, [_history_row(record.id, row) for row in planned.rows])
            registered = 0
            if planned.kind == "registrations":
                registered = await _register(planned.year, [(row.unit.id, row.registered_on) for row in planned.rows
                                                            if row.status in COUNTED and row.unit],
                                             source=f"import:{record.id}", user=user)
            counts = planned.counts()
            await audit.record("history_imported", "history_import", record.id, user=user, username=name,
                               after={"kind": planned.kind, "year": planned.year, "unit_set": planned.unit_set,
                                      "file": planned.file_name, "sha256": planned.sha256, "counts": counts,
                                      "registered": registered})
    except Exception:
        again = await HistoryImport.objects().where(HistoryImport.key == planned.key).first().run()
        if again is None:
            raise
        return Outcome(again, False, await import_counts(again.id))
    return Outcome(record, True, counts)


def _history_row(import_id: int, row: PlannedRow) -> dict[str, Any]:
    """The values of a HistoryRow (for `insert_many`)."""
    source = dict(row.source)
    if row.problems:
        source["problems"] = row.problems
    return {"history_import": import_id, "row_number": row.row_number, "status": row.status,
            "commune": row.unit.id if row.unit and row.status in COUNTED else None, "source": source,
            "total": row.total, "recognised": row.recognised, "decision_number": row.decision_number,
            "decision_date": row.decision_date, "registered_on": row.registered_on,
            "candidates": [c.code for c in row.candidates] if row.status != "matched" else [], "note": row.note}


async def _register(year: int, communes: list[tuple[int, str | None]], *, source: str, user: User | None) -> int:
    """Register these communes for the year unless they already are (inside the caller's transaction)."""
    keys = {f"{unit_id}:{year}": (unit_id, day) for unit_id, day in communes}
    if not keys:
        return 0
    known = {row["key"] for row in await Registration.select(Registration.key)
             .where(Registration.key.is_in(list(keys))).run()}
    return await insert_many(Registration, [
        {"key": key, "commune": unit_id, "year": year, "registered_on": day, "source": source,
         "recorded_by": user.id if user else None}
        for key, (unit_id, day) in keys.items() if key not in known])


async def import_file(data: bytes, file_name: str, kind: str, year: Any, unit_set: str, *,
                      user: User | None = None, by: str | None = None, province: str | None = None,
                      rule_set: str | None = None) -> tuple[Plan, Outcome]:
    planned = await plan(data, file_name, kind, year, unit_set, province=province, rule_set=rule_set)
    return planned, await store(planned, user=user, by=by)


# ---------------------------------------------------------------- reading imports back

async def import_counts(import_id: int) -> dict[str, int]:
    rows = await HistoryRow.select(HistoryRow.status).where(HistoryRow.history_import == import_id).run()
    found = dict.fromkeys(STATUS_LABELS, 0)
    for row in rows:
        found[row["status"]] += 1
    return found


async def imports(kind: str | None = None) -> list[dict[str, Any]]:
    """Every import, newest first, with its counts of rows per status."""
    query = HistoryImport.select().order_by(HistoryImport.id, ascending=False)
    if kind:
        query = query.where(HistoryImport.kind == kind)
    found = await query.run()
    statuses = await HistoryRow.select(HistoryRow.history_import, HistoryRow.status).run()
    counts: dict[int, dict[str, int]] = {row["id"]: dict.fromkeys(STATUS_LABELS, 0) for row in found}
    for row in statuses:
        if row["history_import"] in counts:
            counts[row["history_import"]][row["status"]] += 1
    for row in found:
        row["counts"] = counts[row["id"]]
        row["held"] = sum(counts[row["id"]][status] for status in HELD)
    return found


async def get_import(import_id: int) -> HistoryImport | None:
    return await HistoryImport.objects().where(HistoryImport.id == import_id).first().run()


async def rows_of(import_id: int, statuses: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """The rows of an import, with the commune each counts for and the candidates of held ones."""
    query = HistoryRow.select(HistoryRow.all_columns(), HistoryRow.commune.code, HistoryRow.commune.name,
                              HistoryRow.resolved_by.username) \
        .where(HistoryRow.history_import == import_id).order_by(HistoryRow.row_number)
    if statuses:
        query = query.where(HistoryRow.status.is_in(list(statuses)))
    return await query.output(load_json=True).run()


async def held_rows(import_id: int | None = None) -> list[dict[str, Any]]:
    """Rows waiting for a person, oldest import first, with the candidates named."""
    query = HistoryRow.select(HistoryRow.all_columns(), HistoryRow.history_import.file_name,
                              HistoryRow.history_import.unit_set, HistoryRow.history_import.year,
                              HistoryRow.history_import.kind) \
        .where(HistoryRow.status.is_in(list(HELD))).order_by(HistoryRow.history_import).order_by(HistoryRow.row_number)
    if import_id is not None:
        query = query.where(HistoryRow.history_import == import_id)
    rows = await query.output(load_json=True).run()
    codes = {(row["history_import.unit_set"], code) for row in rows for code in row["candidates"] or []}
    named = await _named_units(codes)
    for row in rows:
        row["candidate_units"] = [named[(row["history_import.unit_set"], code)]
                                  for code in row["candidates"] or [] if (row["history_import.unit_set"], code) in named]
    return rows


async def _named_units(codes: set[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    if not codes:
        return {}
    rows = await Unit.select(Unit.id, Unit.unit_set, Unit.code, Unit.name, Unit.parent.name) \
        .where(Unit.key.is_in([f"{unit_set}:{code}" for unit_set, code in codes])).run()
    return {(row["unit_set"], row["code"]): row for row in rows}


# ---------------------------------------------------------------- resolving held rows

async def resolve(row_id: int, *, commune_code: str | None, user: User | None = None, by: str | None = None,
                  reason: str = "") -> HistoryRow:
    """A person decides a held row: the commune it names (`commune_code`), or none (`None`: skipped).

    Only held rows change; an invalid row can only be skipped (its values cannot be read). A commune
    already counted on another row of the same import is refused. Audited with the reason.
    """
    async with write_transaction():
        row = await HistoryRow.objects().where(HistoryRow.id == row_id).first().output(load_json=True).run()
        if row is None:
            raise InputError([FieldError("row", "not_found", N_("There is no such row."))], status_code=404)
        if row.status not in HELD:
            raise InputError([FieldError("row", "conflict", N_("This row was already decided."))], status_code=409)
        record = await HistoryImport.objects().where(HistoryImport.id == row.history_import).first().run()
        change: dict[Any, Any] = {HistoryRow.resolved_by: user.id if user else None,
                                  HistoryRow.resolved_at: dt.datetime.now(dt.timezone.utc)}
        after: dict[str, Any] = {"row": row.row_number}
        if commune_code is None:
            change[HistoryRow.status] = "skipped"
            after["status"] = "skipped"
        else:
            if row.status == "invalid":
                raise InputError([FieldError("commune", "invalid", N_("A row with a value that cannot be read can "
                                                                      "only be skipped: correct the file and "
                                                                      "import it again."))])
            unit = await Unit.objects().where((Unit.key == f"{record.unit_set}:{commune_code.strip()}")
                                              & (Unit.kind == "commune")).first().run()
            if unit is None:
                raise InputError([FieldError("commune", "not_found", N_("There is no commune with this code."))])
            taken = await HistoryRow.select(HistoryRow.row_number).where(
                (HistoryRow.history_import == record.id) & (HistoryRow.commune == unit.id)).first().run()
            if taken is not None:
                raise InputError([FieldError("commune", "duplicate", N_("This commune is already on row %(row)s of "
                                                                        "the file."), {"row": taken["row_number"]})],
                                 status_code=409)
            change.update({HistoryRow.status: "resolved", HistoryRow.commune: unit.id})
            after.update({"status": "resolved", "commune": unit.code})
            if record.kind == "registrations":
                await _register(record.year, [(unit.id, row.registered_on)], source=f"import:{record.id}", user=user)
        await HistoryRow.update(change).where((HistoryRow.id == row.id) & HistoryRow.status.is_in(list(HELD))).run()
        await audit.record("history_row_resolved", "history_row", row.id, user=user,
                           username=None if user else (by or "system"), reason=reason or None,
                           before={"status": row.status, "source": row.source}, after=after)
    return await HistoryRow.objects().where(HistoryRow.id == row_id).first().run()
