"""A certification list as CSV, XLSX and the rows of a printable A4 page.

Exports are annexes to a Vietnamese administrative decision, so they are always in Vietnamese
(whatever the page language). A list that is not final yet is not public: exporting it is
audited, and every export marks PROVISIONAL figures, as the pages do.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from scoring import COMMUNE_TYPE_LABELS
from server.core import audit
from server.core.db import write_transaction
from server.core.i18n import N_, format_number, gettext, use_language
from server.core.export_cells import csv_bytes, xlsx_bytes
from server.review.lists import EntryRow
from server.core.tables import User

EXPORT_LANGUAGE = "vi"
HEADERS = (N_("No."), N_("Commune code"), N_("Commune, ward or township"), N_("Belongs to"), N_("Commune type"),
           N_("Total points"), N_("Threshold"), N_("Result"), N_("Provisional figures"))
PROVISIONAL_NOTE = N_("PROVISIONAL: some points or thresholds used are placeholders until the official scoring "
                      "annex is transcribed; they are not official figures.")


RECOGNISED_TITLE = N_("List of communes, wards and townships recognised as fit for children — %(area)s")
PROPOSED_TITLE = N_("List of communes, wards and townships proposed for recognition as fit for children — %(area)s")
OTHERS_TITLE = N_("List of communes, wards and townships that do not yet meet the standard of a commune fit for "
                  "children — %(area)s")


@dataclass(frozen=True)
class Document:
    """What heads an export: whose list it is, a line under the title, and whether it is final (public)."""

    scope: str  # the area's name, or "the whole country"
    subtitle: str
    public: bool  # a final list; anything else is internal


@dataclass(frozen=True)
class Section:
    """The communes that meet the standard and the others are separate lists, each with a true title."""

    title: str
    entries: list[EntryRow]


def sections(document: Document, entries: list[EntryRow]) -> list[Section]:
    """Recognised (final) or proposed (not final yet) communes first, then those that do not meet the standard."""
    title = RECOGNISED_TITLE if document.public else PROPOSED_TITLE
    with use_language(EXPORT_LANGUAGE):
        return [Section(gettext(title, area=document.scope), _numbered([e for e in entries if e.certified])),
                Section(gettext(OTHERS_TITLE, area=document.scope), _numbered([e for e in entries if not e.certified]))]


def _numbered(entries: list[EntryRow]) -> list[EntryRow]:
    """Each list is numbered from 1."""
    return [replace(entry, number=number) for number, entry in enumerate(entries, start=1)]


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
    parts = sections(document, entries)
    with use_language(EXPORT_LANGUAGE):
        return {
            "lang": EXPORT_LANGUAGE, "title": parts[0].title, "subtitle": document.subtitle,
            "headers": [gettext(h) for h in HEADERS],
            "sections": [{"title": part.title,
                          "rows": [[format_number(cell) if isinstance(cell, int) else cell for cell in _cells(entry)]
                                   for entry in part.entries],
                          "provisional": [i for i, entry in enumerate(part.entries) if entry.provisional],
                          "count": gettext(N_("%(count)s communes."), count=format_number(len(part.entries)))}
                         for part in parts],
            "provisional_note": gettext(PROVISIONAL_NOTE) if any(e.provisional for e in entries) else "",
            "draft": "" if document.public else gettext(N_("NOT FINAL — for internal review and public comment only")),
        }


def to_csv(document: Document, entries: list[EntryRow]) -> bytes:
    """UTF-8 with a byte-order mark so that Excel opens Vietnamese text correctly; formula-like cells made safe."""
    with use_language(EXPORT_LANGUAGE):
        return csv_bytes([[gettext(h) for h in HEADERS], *(_cells(entry) for entry in entries)])


SHEET_NAMES = (N_("Meets the standard"), N_("Does not meet the standard"))


def to_xlsx(document: Document, entries: list[EntryRow]) -> bytes:
    """One sheet per section (those that meet the standard, the others), each under its own true title."""
    book = Workbook()
    book.remove(book.active)
    for part, name in zip(sections(document, entries), SHEET_NAMES):
        with use_language(EXPORT_LANGUAGE):
            sheet = book.create_sheet(gettext(name)[:31])
            _sheet(sheet, part, document.subtitle)
    return xlsx_bytes(book)


def _sheet(sheet, part: Section, subtitle: str) -> None:
    sheet.append([part.title])
    sheet.append([subtitle])
    sheet["A1"].font = Font(bold=True, size=13)
    first = 3
    if any(entry.provisional for entry in part.entries):
        sheet.append([gettext(PROVISIONAL_NOTE)])
        sheet.cell(row=3, column=1).font = Font(bold=True, color="9A5B00")
        first = 4
    sheet.append([gettext(h) for h in HEADERS])
    for cell in sheet[first]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8EBF0")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for entry in part.entries:
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


async def record_export(document: Document, user: User, entity: str, entity_id: object, export_format: str,
                        rows: int, ip: str | None) -> None:
    """Exporting data that is not public yet (a draft or posted list, the audit log) is logged."""
    if document.public:
        return
    async with write_transaction():
        await audit.record("exported", entity, entity_id, user=user, ip=ip,
                           after={"format": export_format, "rows": rows})
