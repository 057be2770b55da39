"""Writes `documents.Paper`s as one editable Word file with python-docx (Decree 30/2020/NĐ-CP layout).

A4 portrait, margins 20/20/30/15 mm (top, bottom, left, right), Times New Roman 13–14 pt: the
heading is a borderless two-column table (issuing body, number | national title, motto, place and
date), then the kind of document and its subject, the body, and a borderless two-column table of
recipients and signature. Annexes and further papers start on a new page.
"""

from __future__ import annotations

import io
import re
from copy import deepcopy

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import _Cell
from docx.text.run import Run

from server.core.i18n import N_, gettext, use_language
from server.review.documents import LANGUAGE, Grid, Para, Paper

FONT = "Times New Roman"
ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT,
         "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}
PROVISIONAL_COLOUR = RGBColor(0x9A, 0x5B, 0x00)
SIZES = (11, 12, 13, 14)


def write(papers: list[Paper]) -> bytes:
    document = Document()
    _page_setup(document)
    for index, paper in enumerate(papers):
        if index:
            _page_break(document)
        _paper(document, paper)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _page_setup(document: DocxDocument) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15
    for size in SIZES:
        for align in ("left", "center"):
            style = document.styles.add_style(_style(size, align), WD_STYLE_TYPE.PARAGRAPH)
            style.base_style = normal
            style.font.size = Pt(size)
            style.paragraph_format.alignment = ALIGN[align]
            style.paragraph_format.space_after = Pt(0)
            style.paragraph_format.line_spacing = 1.0


def _style(size: int, align: str) -> str:
    """The paragraph style of table text: one style per size and alignment (thousands of cells share them).
    The name has no space, so it is also the style's id."""
    return f"phuhop{size}{align}"


def _page_break(document: DocxDocument) -> None:
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """Text a DOCX can hold: XML 1.0 has no place for NUL and most control characters (a typed or
    pasted one made python-docx raise, and the document answer a 500)."""
    return _NOT_XML.sub("", text)


def _text(container, text: str, *, size: int = 14, bold: bool = False, italic: bool = False,
          align: str = "left", indent: bool = False, space_after: int = 6, colour: RGBColor | None = None):
    paragraph = container.add_paragraph()
    paragraph.alignment = ALIGN[align]
    paragraph.paragraph_format.space_after = Pt(space_after)
    if indent:
        paragraph.paragraph_format.first_line_indent = Cm(1)
    run = paragraph.add_run(_xml_text(text))
    run.font.name, run.font.size, run.bold, run.italic = FONT, Pt(size), bold, italic
    if colour is not None:
        run.font.color.rgb = colour
    return paragraph


def _cell(cell: _Cell, lines: list[tuple[str, dict]]) -> None:
    """Fill a table cell with lines of text (the cell's own empty first paragraph is reused); font, size and
    alignment come from a shared paragraph style, so a run carries only its bold or italic."""
    first = cell.paragraphs[0]
    for index, (text, style) in enumerate(lines):
        paragraph = first if index == 0 else cell.add_paragraph()
        # By id: assigning by name looks the name up among every style of the document, per paragraph.
        paragraph._p.style = _style(style.get("size", 13), style.get("align", "center"))
        run = paragraph.add_run(_xml_text(text))
        if style.get("bold"):
            run.bold = True
        if style.get("italic"):
            run.italic = True


def _two_columns(document: DocxDocument, left: float, right: float):
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for cell, width in zip(table.rows[0].cells, (left, right)):
        cell.width = Cm(width)
    return table.rows[0].cells


def _heading(document: DocxDocument, paper: Paper) -> None:
    with use_language(LANGUAGE):
        nation, motto = gettext(N_("SOCIALIST REPUBLIC OF VIET NAM")), gettext(N_("Independence - Freedom - Happiness"))
    left, right = _two_columns(document, 6.5, 10)
    lines = []
    if paper.authority:
        lines.append((paper.authority, {"size": 13}))
    lines.append((paper.issuer, {"size": 13, "bold": True}))
    lines.append(("―――――", {"size": 13}))
    if paper.number:
        lines.append((paper.number, {"size": 13}))
    _cell(left, lines)
    _cell(right, [(nation, {"size": 13, "bold": True}), (motto, {"size": 14, "bold": True}),
                  ("――――――――――――", {"size": 13}), (paper.place_date, {"size": 14, "italic": True})])


def _grid(document: DocxDocument, grid: Grid) -> None:
    table = document.add_table(rows=1, cols=len(grid.header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for cell, text, width in zip(table.rows[0].cells, grid.header, grid.widths):
        cell.width = Cm(width)
        _cell(cell, [(text, {"size": grid.size, "bold": True})])
    for column, width in zip(table.columns, grid.widths):
        column.width = Cm(width)
    # Rows are copies of one prototype row (a styled paragraph and a run per cell) with their texts set:
    # building every cell through python-docx's objects costs ~30 ms per row, a copy a fraction of it.
    prototype = table.add_row()
    for cell in prototype.cells:
        _cell(cell, [("", {"size": grid.size})])
    prototype_tr = prototype._tr
    table._tbl.remove(prototype_tr)
    for index, row in enumerate(grid.rows):
        tr = deepcopy(prototype_tr)
        table._tbl.append(tr)
        for column, (tc, text) in enumerate(zip(tr.tc_lst, row)):
            p = tc.p_lst[0]
            if column in (1, 2, 3) or len(text) > 12:
                p.style = _style(grid.size, "left")
            run = Run(p.r_lst[0], table)
            run.text = text
            if index in grid.strong:
                run.bold = True
            if index in grid.marked and column == len(row) - 1 and text:
                run.font.color.rgb = PROVISIONAL_COLOUR
    document.add_paragraph().paragraph_format.space_after = Pt(0)


def _blocks(document: DocxDocument, blocks: list) -> None:
    for block in blocks:
        if isinstance(block, Grid):
            _grid(document, block)
        elif isinstance(block, Para):
            _text(document, block.text, size=block.size, bold=block.bold, italic=block.italic, align=block.align,
                  indent=block.indent)


def _signature(document: DocxDocument, paper: Paper) -> None:
    with use_language(LANGUAGE):
        to = gettext(N_("Recipients:"))
    left, right = _two_columns(document, 7, 9.5)
    _cell(left, [(to, {"size": 12, "bold": True, "italic": True, "align": "left"}),
                 *[(f"- {line}", {"size": 11, "align": "left"}) for line in paper.recipients]])
    lines = [(title, {"size": 14, "bold": True}) for title in paper.sign_title]
    lines += [("", {"size": 14})] * 4
    lines.append((paper.signer, {"size": 14, "bold": True}))
    _cell(right, lines)


def _paper(document: DocxDocument, paper: Paper) -> None:
    if paper.draft:
        _text(document, paper.draft, size=13, bold=True, align="right", space_after=0)
    _heading(document, paper)
    _text(document, "", space_after=0)
    _text(document, paper.kind, size=14, bold=True, align="center", space_after=0)
    _text(document, paper.subject, size=14, bold=True, align="center", space_after=12)
    _blocks(document, paper.body)
    _signature(document, paper)
    for annex in paper.annexes:
        _page_break(document)
        if paper.draft:
            _text(document, paper.draft, size=13, bold=True, align="right", space_after=0)
        _blocks(document, annex)
