"""Commune types in bulk, from the lists a decision publishes (mountain, island, especially difficult
communes): read the list (CSV or XLSX, the office's own column names), match each row to the
registry (by code, else by name with district and province: `server.history.matching`), preview
what would change, then apply every change in one transaction, each audited with the decision it
rests on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from scoring import COMMUNE_TYPE_LABELS, COMMUNE_TYPES
from server.core import audit
from server.core.db import write_transaction
from server.core.errors import FieldError, InputError
from server.core.i18n import N_, gettext
from server.core.spreadsheets import SpreadsheetError, read_table
from server.core.tables import AuditLog, Unit, User
from server.history import imports as history_imports
from server.history.matching import Matcher
from server.registry.units import UNIT_SETS, fold

MAX_REASON = 500
COLUMN_LABELS = {"commune": N_("commune"), "code": N_("commune code"), "type": N_("type")}
# The words lists use for each type (folded: lower case, no diacritics).
TYPE_WORDS = {
    "mountain_island_difficult": ("mountain_island_difficult", "mien nui", "vung cao", "hai dao", "dao",
                                  "dac biet kho khan", "dbkk", "khu vuc iii", "kv iii", "mountain", "island",
                                  "difficult"),
    "urban_ward": ("urban_ward", "phuong noi thanh", "noi thanh", "urban"),
    "other": ("other", "khac", "con lai", "binh thuong"),
}


def classify(header: str) -> str | None:
    """A list's column: the type ("Loại", "Phân loại", "Khu vực"), else what a history import reads."""
    words = set(re.sub(r"[^0-9a-z]+", " ", fold(header)).split())
    if words & {"loai", "type"} or {"khu", "vuc"} <= words:
        return "type"
    found = history_imports.classify(header)
    return found if found in ("commune", "code", "district", "province") else None


def parse_type(value: Any) -> str | None:
    """A type as a list writes it ("Xã miền núi", "ĐBKK", "hải đảo", "other"…), or None."""
    text = re.sub(r"[^0-9a-z_]+", " ", fold(str(value or ""))).strip()
    if not text:
        return None
    for commune_type, words in TYPE_WORDS.items():
        if any(word == text or f" {word} " in f" {text} " for word in words):
            return commune_type
    return None


@dataclass
class Row:
    number: int  # as the spreadsheet numbers it
    named: str  # what the row says (code, commune, district)
    status: str  # change | same | unmatched | ambiguous | invalid
    code: str = ""
    name: str = ""
    before: str | None = None
    after: str | None = None
    note: str = ""  # why it is not applied, in the page's language


@dataclass
class Preview:
    unit_set: str
    file_name: str
    reason: str
    rows: list[Row] = field(default_factory=list)

    @property
    def changes(self) -> list[Row]:
        return [row for row in self.rows if row.status == "change"]

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)


def check_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not 5 <= len(reason) <= MAX_REASON:
        raise InputError([FieldError("reason", "required", N_(
            "Name the decision this list comes from (5 to 500 characters), e.g. Quyết định 861/QĐ-TTg ngày 04/6/2021."))])
    return reason


def check_unit_set(unit_set: str) -> str:
    if unit_set not in UNIT_SETS:
        raise InputError([FieldError("unit_set", "invalid", N_("Choose the registry of administrative units."))])
    return unit_set


async def preview(data: bytes, file_name: str, unit_set: str, default_type: str, reason: str) -> Preview:
    """Every row of the list matched and compared with the registry; nothing is stored."""
    unit_set, reason = check_unit_set(unit_set), check_reason(reason)
    if default_type and default_type not in COMMUNE_TYPES:
        raise InputError([FieldError("default_type", "invalid", N_("Choose a commune type."))])
    try:
        table = read_table(data, file_name, classify, ("commune|code",),
                           describe=lambda need: " / ".join(gettext(COLUMN_LABELS[n]) for n in need.split("|")))
    except SpreadsheetError as error:
        raise InputError([FieldError("file", "invalid", error.message, error.params)]) from error
    if "type" not in table.columns and not default_type:
        raise InputError([FieldError("default_type", "required", N_(
            "The list has no column for the type: choose the type of every commune it lists."))])
    matcher = await Matcher.load(unit_set)
    types = {row["code"]: row["commune_type"] for row in await Unit.select(Unit.code, Unit.commune_type).where(
        (Unit.unit_set == unit_set) & (Unit.kind == "commune")).run()}
    result = Preview(unit_set, file_name, reason)
    seen: dict[str, int] = {}
    for number, cells in table.rows:
        source = {name: history_imports._text(table.value(cells, name))
                  for name in ("code", "commune", "district", "province")}
        named = " · ".join(value for value in (source["code"], source["commune"], source["district"]) if value)
        row = Row(number, named or "–", "invalid")
        written = table.value(cells, "type") if "type" in table.columns else None
        row.after = parse_type(written) if written not in (None, "") else default_type or None
        match = matcher.match(source["commune"], source["district"], source["province"], source["code"])
        if match.unit is None:
            row.status = "ambiguous" if match.status == "ambiguous" else "unmatched"
            row.note = gettext(N_("Several communes have this name: give the district or the code.")
                               if row.status == "ambiguous" else N_("No commune of this name or code in the registry."))
        elif row.after is None:
            row.note = gettext(N_("The type %(value)s cannot be read: write mountain, island, especially difficult, "
                                  "urban ward or other."), value=written)
        elif match.unit.code in seen:
            row.note = gettext(N_("The same commune as row %(row)s."), row=seen[match.unit.code])
        else:
            seen[match.unit.code] = number
            row.code, row.name, row.before = match.unit.code, match.unit.name, types.get(match.unit.code)
            row.status = "same" if row.before == row.after else "change"
        result.rows.append(row)
    return result


async def apply(unit_set: str, changes: list[tuple[str, str]], reason: str, user: User,
                file_name: str = "", ip: str | None = None) -> int:
    """Set the types (code, type) in one transaction, each change audited with the decision; returns how many changed."""
    unit_set, reason = check_unit_set(unit_set), check_reason(reason)
    problems = [FieldError("changes", "invalid", N_("The list to apply is not valid: preview the file again."))
                for code, commune_type in changes if commune_type not in COMMUNE_TYPES or not code.isdigit()]
    if problems or not changes:
        raise InputError(problems[:1] or [FieldError("changes", "required", N_("Nothing to change."))])
    units = {unit.code: unit for unit in await Unit.objects().where(
        (Unit.unit_set == unit_set) & (Unit.kind == "commune") & Unit.code.is_in([code for code, _ in changes])).run()}
    if len(units) != len({code for code, _ in changes}):
        raise InputError([FieldError("changes", "invalid", N_("The list to apply is not valid: preview the file again."))])
    changed = 0
    async with write_transaction():
        for code, commune_type in changes:
            unit = units[code]
            if unit.commune_type == commune_type:
                continue
            await Unit.update({Unit.commune_type: commune_type}).where(Unit.id == unit.id).run()
            await audit.record("commune_type_set", "unit", unit.id, user=user, ip=ip, reason=reason,
                               before={"key": unit.key, "commune_type": unit.commune_type},
                               after={"key": unit.key, "commune_type": commune_type})
            changed += 1
        await audit.record("commune_types_imported", "unit_set", unit_set, user=user, ip=ip, reason=reason,
                           after={"file": file_name, "changed": changed})
    return changed


async def recent_changes(unit_set: str, limit: int = 50) -> list[dict[str, Any]]:
    """The latest type changes of the registry set, newest first: who, when, which commune, before → after, why."""
    rows = await AuditLog.select(AuditLog.at, AuditLog.username, AuditLog.entity_id, AuditLog.before, AuditLog.after,
                                 AuditLog.reason).where(AuditLog.action == "commune_type_set").order_by(
        AuditLog.id, ascending=False).limit(limit * 4).output(load_json=True).run()
    ids = [int(row["entity_id"]) for row in rows if (row["entity_id"] or "").isdigit()]
    units = {row["id"]: row for row in await Unit.select(Unit.id, Unit.name, Unit.code, Unit.unit_set).where(
        Unit.id.is_in(ids or [-1])).run()}
    out = []
    for row in rows:
        unit = units.get(int(row["entity_id"])) if (row["entity_id"] or "").isdigit() else None
        if unit is None or unit["unit_set"] != unit_set:
            continue
        out.append({"at": row["at"], "who": row["username"] or "", "name": unit["name"], "code": unit["code"],
                    "before": (row["before"] or {}).get("commune_type"), "after": (row["after"] or {}).get("commune_type"),
                    "reason": row["reason"] or ""})
        if len(out) >= limit:
            break
    return out


def type_label(commune_type: str | None) -> str:
    return gettext(COMMUNE_TYPE_LABELS[commune_type]) if commune_type in COMMUNE_TYPE_LABELS else gettext(N_("not set"))
