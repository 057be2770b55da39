"""Imports in words, in the reader's language: the command line's report and the admin page's notes."""

from __future__ import annotations

from typing import Any

from server.core.i18n import N_, format_datetime, format_number, gettext
from server.history.imports import COLUMN_LABELS, HELD, KIND_LABELS, NOTE_LABELS, STATUS_LABELS, Outcome, Plan


def note_text(note: str, source: dict[str, Any]) -> str:
    """Why a row is held, or how it was matched."""
    if not note:
        return ""
    params = {"district": source.get("district", ""), "province": source.get("province", ""),
              "row": source.get("duplicate_of", "")}
    text = gettext(NOTE_LABELS[note], **params) if note in NOTE_LABELS else note
    if note == "invalid":
        details = "; ".join(gettext(N_("%(column)s: %(value)s"), column=gettext(COLUMN_LABELS[p["field"]]),
                                    value=p["value"] or "–") for p in source.get("problems", []))
        text = f"{text} ({details})" if details else text
    return text


def said(source: dict[str, Any]) -> str:
    """What the row said: "Xã Đồng Tiến, Yên Thế, Bắc Giang"."""
    return ", ".join(source[name] for name in ("code", "commune", "district", "province") if source.get(name))


def counts_line(counts: dict[str, int]) -> str:
    parts = [f"{gettext(STATUS_LABELS[status])}: {format_number(count)}" for status, count in counts.items() if count]
    return " · ".join(parts) or "–"


def plan_lines(planned: Plan) -> list[str]:
    columns = ", ".join(f"{gettext(COLUMN_LABELS[name])} ← “{header}”" for name, header in planned.columns.items())
    lines = [
        gettext(N_("%(file)s – %(kind)s, %(year)s, %(registry)s registry"), file=planned.file_name,
                kind=gettext(KIND_LABELS[planned.kind]), year=planned.year, registry=planned.unit_set),
        gettext(N_("Header on row %(row)s%(sheet)s; columns: %(columns)s"), row=planned.header_row,
                sheet=f" ({planned.sheet})" if planned.sheet else "", columns=columns),
        gettext(N_("%(rows)s rows: %(counts)s"), rows=format_number(len(planned.rows)),
                counts=counts_line(planned.counts())),
    ]
    for row in planned.rows:
        if row.status in HELD or row.note:
            choices = "; ".join(f"{c.code} {c.name}" + (f" ({c.district})" if c.district else "")
                                for c in row.candidates) if row.status in ("ambiguous", "unmatched") else ""
            target = f"{row.unit.code} {row.unit.name}" if row.unit else ""
            note = note_text(row.note, {**row.source, "problems": row.problems})
            lines.append(f"  {gettext(N_('row %(row)s'), row=row.row_number)}: {said(row.source)} – "
                         f"{gettext(STATUS_LABELS[row.status])}: {note}"
                         + (f" → {target}" if target else "") + (f" [{choices}]" if choices else ""))
    if planned.existing is not None:
        lines.append(gettext(N_("This file was already imported (import %(id)s): nothing changes."),
                             id=planned.existing.id))
    return lines


def outcome_line(outcome: Outcome) -> str:
    record = outcome.history_import
    if not outcome.created:
        return gettext(N_("Already imported as import %(id)s by %(who)s on %(when)s: nothing changed."),
                       id=record.id, who=record.imported_by_name, when=format_datetime(record.imported_at))
    held = sum(outcome.counts.get(status, 0) for status in HELD)
    text = gettext(N_("Stored as import %(id)s."), id=record.id)
    if held:
        text += " " + gettext(N_("%(count)s rows wait for a person: `phuhop history held --import %(id)s`."),
                              count=format_number(held), id=record.id)
    return text


def import_line(row: dict[str, Any]) -> str:
    return "\t".join([str(row["id"]), row["kind"], str(row["year"]), row["unit_set"], row["file_name"],
                      row["imported_by_name"], format_datetime(row["imported_at"]), counts_line(row["counts"])])


def row_line(row: dict[str, Any]) -> str:
    """A held row for the command line: id, file, row number, what it said, why, candidates."""
    candidates = "; ".join(f"{c['code']} {c['name']}" + (f" ({c['parent.name']})" if c.get("parent.name") else "")
                           for c in row.get("candidate_units", []))
    return "\t".join([str(row["id"]), f"{row['history_import.file_name']}#{row['row_number']}",
                      gettext(STATUS_LABELS[row["status"]]), said(row["source"]), note_text(row["note"], row["source"]),
                      candidates or "–"])
