"""An official document as Word (.docx, python-docx) in the layout of the print pages
(Decree 30/2020, appendix I), for units that edit before signing (issue 17): the header (the
issuing body and number on the left, the national title, motto and date line on the right),
the kind and title, the tables, then "Nơi nhận" and who signs. Times New Roman, A4 landscape."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from io import BytesIO

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from app.reports.document import MOTTO, NATION, OfficialDocument

FONT = "Times New Roman"
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class WordTable:
    caption: str
    headers: Sequence[str]
    rows: Iterable[Sequence]


def _text(value) -> str:
    """A cell as an official writes it: dates dd/mm/yyyy, numbers with a decimal comma."""
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, Decimal | float):
        text = format(Decimal(str(value)).normalize(), "f")
        return text.replace(".", ",")
    return str(value)


def _para(cell_or_doc, text: str = "", *, bold=False, italic=False, size=13,
          align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0):
    p = cell_or_doc.add_paragraph()
    p.alignment = align
    p.paragraph_format.space_after = Pt(space_after)
    p.paragraph_format.space_before = Pt(0)
    if text:
        run = p.add_run(text)
        run.bold, run.italic, run.font.size, run.font.name = bold, italic, Pt(size), FONT
    return p


def _no_borders(table) -> None:
    borders = table._tbl.tblPr.first_child_found_in("w:tblBorders")
    if borders is not None:
        table._tbl.tblPr.remove(borders)


def document_bytes(doc: OfficialDocument, tables: Sequence[WordTable], subtitle: str = "") -> bytes:
    """The .docx of `doc` around `tables`."""
    d = Document()
    style = d.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(13)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    section = d.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.top_margin = section.bottom_margin = Cm(2)

    head = d.add_table(rows=1, cols=2)
    _no_borders(head)
    left, right = head.rows[0].cells
    left._element.remove(left.paragraphs[0]._element)
    right._element.remove(right.paragraphs[0]._element)
    for i, line in enumerate(doc.issuer):
        _para(left, line, bold=i == len(doc.issuer) - 1, size=13)
    _para(left, "―――――", size=10)
    _para(left, doc.number_line, size=13)
    _para(right, NATION, bold=True, size=12)
    _para(right, MOTTO, bold=True, size=13)
    _para(right, "―――――――――――", size=10)
    _para(right, doc.date_line, italic=True, size=13)

    _para(d, "", space_after=6)
    _para(d, doc.kind, bold=True, size=14)
    _para(d, doc.title, bold=True, size=14, space_after=4 if subtitle else 12)
    if subtitle:
        _para(d, subtitle, italic=True, size=12, space_after=12)

    for t in tables:
        _para(d, t.caption, bold=True, size=12, align=WD_ALIGN_PARAGRAPH.LEFT, space_after=4)
        table = d.add_table(rows=1, cols=len(t.headers))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for c, h in zip(table.rows[0].cells, t.headers, strict=True):
            c.text = ""
            run = c.paragraphs[0].add_run(str(h))
            run.bold, run.font.size = True, Pt(11)
            c.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        for row in t.rows:
            cells = table.add_row().cells
            for c, v in zip(cells, row, strict=True):
                c.text = ""
                run = c.paragraphs[0].add_run(_text(v))
                run.font.size = Pt(11)
        _para(d, "", space_after=8)

    closing = d.add_table(rows=1, cols=2)
    _no_borders(closing)
    left, right = closing.rows[0].cells
    left._element.remove(left.paragraphs[0]._element)
    right._element.remove(right.paragraphs[0]._element)
    _para(left, "Nơi nhận:", bold=True, italic=True, size=12, align=WD_ALIGN_PARAGRAPH.LEFT)
    for r in doc.recipients:
        _para(left, f"- {r}", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    for line in doc.signer_title:
        _para(right, line, bold=True, size=13)
    for _ in range(4):
        _para(right, "")
    _para(right, doc.signer_name, bold=True, size=13)
    out = BytesIO()
    d.save(out)
    return out.getvalue()
