"""A certification list as CSV, XLSX and the rows of a printable A4 page.

Exports are annexes to a Vietnamese administrative decision, so they are always in Vietnamese
(whatever the page language). A list that is not final yet is not public: exporting it is
audited, and every export marks PROVISIONAL figures, as the pages do.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from scoring import COMMUNE_TYPE_LABELS
from server.core import audit
from server.core.db import write_transaction
from server.core.i18n import N_, format_number, gettext, use_language
from server.review.lists import EntryRow
from server.core.tables import User

EXPORT_LANGUAGE = "vi"
HEADERS = (N_("No."), N_("Commune code"), N_("Commune, ward or township"), N_("Belongs to"), N_("Commune type"),
           N_("Total points"), N_("Threshold"), N_("Result"), N_("Provisional figures"))
PROVISIONAL_NOTE = N_("PROVISIONAL: some points or thresholds used are placeholders until the official scoring "
                      "annex is transcribed; they are not official figures.")


@dataclass(frozen=True)
class Document:
    """What heads an export: title lines and whether any figure is provisional."""

    title: str
    subtitle: str
    public: bool  # a final list; anything else is internal


def headers() -> list[str]:
    with use_language(EXPORT_LANGUAGE):
        return [gettext(h) for h in HEADERS]


def _cells(entry: EntryRow) -> list[object]:
    return [entry.number, entry.code, entry.name, entry.parent, gettext(COMMUNE_TYPE_LABELS.get(entry.commune_type,
                                                                                               entry.commune_type)),
            entry.total, entry.threshold, gettext(N_("Meets the standard") if entry.certified else
                                                  N_("Does not meet the standard")),
            gettext(N_("PROVISIONAL")) if entry.provisional else ""]


def print_texts(document: Document, entries: list[EntryRow]) -> dict[str, object]:
    """The printable page's texts and cells, already in Vietnamese (the page template holds no text)."""
    with use_language(EXPORT_LANGUAGE):
        return {
            "lang": EXPORT_LANGUAGE, "title": document.title, "subtitle": document.subtitle,
            "headers": [gettext(h) for h in HEADERS], "rows": [_cells(entry) for entry in entries],
            "provisional": [i for i, entry in enumerate(entries) if entry.provisional],
            "provisional_note": gettext(PROVISIONAL_NOTE) if any(e.provisional for e in entries) else "",
            "count": gettext(N_("%(count)s communes, of which %(certified)s meet the standard."),
                             count=format_number(len(entries)),
                             certified=format_number(sum(1 for e in entries if e.certified))),
            "draft": "" if document.public else gettext(N_("NOT FINAL — for internal review and public comment only")),
        }


def to_csv(document: Document, entries: list[EntryRow]) -> bytes:
    """UTF-8 with a byte-order mark so that Excel opens Vietnamese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    with use_language(EXPORT_LANGUAGE):
        writer.writerow([gettext(h) for h in HEADERS])
        for entry in entries:
            writer.writerow(_cells(entry))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(document: Document, entries: list[EntryRow]) -> bytes:
    book = Workbook()
    sheet = book.active
    with use_language(EXPORT_LANGUAGE):
        sheet.title = gettext(N_("List"))[:31]
        sheet.append([document.title])
        sheet.append([document.subtitle])
        sheet["A1"].font = Font(bold=True, size=13)
        first = 3
        if any(entry.provisional for entry in entries):
            sheet.append([gettext(PROVISIONAL_NOTE)])
            sheet.cell(row=3, column=1).font = Font(bold=True, color="9A5B00")
            first = 4
        sheet.append([gettext(h) for h in HEADERS])
        for cell in sheet[first]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="E8EBF0")
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for entry in entries:
            sheet.append(_cells(entry))
    for row in sheet.iter_rows(min_row=first + 1, min_col=6, max_col=7):
        for cell in row:
            cell.number_format = "#,##0"
    for index, width in enumerate((6, 10, 32, 28, 30, 11, 10, 22, 14), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = sheet.cell(row=first + 1, column=1)
    sheet.print_options.gridLines = True
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def record_export(document: Document, user: User, entity: str, entity_id: object, export_format: str,
                        rows: int, ip: str | None) -> None:
    """Exporting data that is not public yet (a draft or posted list, the audit log) is logged."""
    if document.public:
        return
    async with write_transaction():
        await audit.record("exported", entity, entity_id, user=user, ip=ip,
                           after={"format": export_format, "rows": rows})
