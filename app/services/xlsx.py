"""Excel exports that open cleanly and cannot run anything: typed cells in the house
font, dates as real dates (dd/mm/yyyy), and text neutralised against formula injection."""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

FONT_NAME = "Times New Roman"  # the font of Vietnamese administrative documents (Decree 30/2020)
DATE_FORMAT = "dd/mm/yyyy"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A cell starting with one of these is read by Excel (or LibreOffice) as a formula
# (OWASP "CSV injection"); tab and carriage return can hide one behind whitespace.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_FONT = Font(name=FONT_NAME, size=12)
_BOLD = Font(name=FONT_NAME, size=12, bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")
_HEADER = Alignment(wrap_text=True, vertical="center", horizontal="center")


def safe_text(value: str) -> str:
    """Text as Excel must show it: never a formula, never a character the file format
    forbids. A leading apostrophe keeps a would-be formula visible as typed."""
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return text


def cell(ws, value, *, bold: bool = False, wrap: bool = False) -> WriteOnlyCell:
    """One write-only cell typed by its value: text (neutralised, data type 's'),
    date (a real date, dd/mm/yyyy), number (numeric), or empty."""
    c = WriteOnlyCell(ws)
    c.font = _BOLD if bold else _FONT
    c.alignment = _WRAP if wrap else _TOP
    if value is None:
        return c
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        c.value = value
        c.number_format = DATE_FORMAT
    elif isinstance(value, (int, float, Decimal)):  # bool too: a subclass of int
        c.value = value
    else:
        c.value = safe_text(str(value))
        # Set after the value: openpyxl would otherwise guess 'f' for "=...".
        c.data_type = "s"
    return c


def table_workbook(sheet_title: str, headers: Sequence[str], rows: Iterable[Sequence],
                   widths: Sequence[float] = (), wrap_columns: Sequence[int] = ()) -> bytes:
    """A one-sheet workbook: a bold header row, then one row per item, built in
    write-only mode so memory stays flat whatever the number of rows."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(safe_text(sheet_title)[:31] or "Sheet1")
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    header_cells = []
    for h in headers:
        c = cell(ws, h, bold=True)
        c.alignment = _HEADER
        header_cells.append(c)
    ws.append(header_cells)
    wrap = set(wrap_columns)
    for row in rows:
        ws.append([cell(ws, v, wrap=i in wrap) for i, v in enumerate(row)])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
