"""Excel exports that open cleanly and cannot run anything: typed cells in the house
font, dates as real dates (dd/mm/yyyy), and text neutralised against formula injection.

Neutralising: in XLSX a string cell (inline or shared) is never evaluated, whatever it
starts with; what can still turn "=1+1" into a formula is a user editing the cell and
pressing Enter. Text starting with = + - @ tab or CR is therefore written exactly as
typed, as a string cell whose style has Excel's quote prefix (`quotePrefix="1"` on its
xf, what Excel itself stores for text typed as '=1+1): the cell shows "- Rà soát", and
editing it keeps it text. CSV has no cell styles, so there (`safe_text`) the text gets
a leading apostrophe instead (OWASP "CSV injection").

A formula can also hide after a separator: "Tổng hợp số liệu;=1+1;@SUM(2+2)" is one field,
but a spreadsheet reading the CSV with ";" as its list separator (Vietnamese Excel does),
or a "text to columns" split, makes "=1+1" a cell of its own. Every CSV field is therefore
quoted, and any segment after ; , tab CR or LF (spaces allowed before it) that starts with
= + - or @ gets the apostrophe as well; in XLSX such text keeps its exact value and takes
the quote-prefix style like trigger-initial text (`needs_quote_prefix`).

Two writers: `cell` (openpyxl, write-only mode) for the plan workbooks, and `XlsxStream`
for the assessment export and the one-sheet tables (`write_table`, the overdue list): it writes
the sheet XML itself, one string per row, straight into the zip (bench: openpyxl spent
about 40 microseconds per cell on objects, style look-ups and its XML serialiser, 16-20x
the time of the csv module writing the same rows; docs/performance.md)."""

import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO
from typing import BinaryIO, Self
from xml.sax.saxutils import quoteattr

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.writer.theme import theme_xml

from app.reports.local import local_date

FONT_NAME = "Times New Roman"  # the font of Vietnamese administrative documents (Decree 30/2020)
DATE_FORMAT = "dd/mm/yyyy"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Text starting with one of these is read by Excel (or LibreOffice) as a formula when
# typed or opened as CSV (OWASP "CSV injection"); tab and carriage return can hide one
# behind whitespace.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A segment after a list separator (; , tab CR LF), spaces allowed, that starts a formula.
_SEGMENT_FORMULA = re.compile(r"([;,\t\r\n] *)([=+\-@])")

_FONT = Font(name=FONT_NAME, size=12)
_BOLD = Font(name=FONT_NAME, size=12, bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")


def clean_text(value: str) -> str:
    """Text without the control characters the XML of an XLSX cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def needs_quote_prefix(text: str) -> bool:
    """Whether a text cell must carry the quote-prefix style: it looks like a formula, or
    a segment of it after a list separator does."""
    return text.startswith(FORMULA_STARTS) or _SEGMENT_FORMULA.search(text) is not None


def safe_text(value: str) -> str:
    """Text for CSV and other plain text, where no cell style can protect it: never a
    formula, whole or after a separator (an apostrophe before each would-be formula keeps
    it visible as typed), never a character an XLSX cell forbids. XLSX cells use
    `clean_text` and the quote prefix."""
    text = clean_text(value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return _SEGMENT_FORMULA.sub(r"\1'\2", text)


def cell(ws, value, *, bold: bool = False, wrap: bool = False) -> WriteOnlyCell:
    """One write-only cell typed by its value: text (exactly as typed, data type 's',
    quote-prefixed when it looks like a formula), date (a real date, dd/mm/yyyy), number
    (numeric), or empty."""
    c = WriteOnlyCell(ws)
    c.font = _BOLD if bold else _FONT
    c.alignment = _WRAP if wrap else _TOP
    if value is None:
        return c
    if isinstance(value, datetime):
        value = local_date(value)  # an instant: its date in the province
    if isinstance(value, date):
        c.value = value
        c.number_format = DATE_FORMAT
    elif isinstance(value, (int, float, Decimal)):  # bool too: a subclass of int
        c.value = value
    else:
        text = clean_text(str(value))
        c.value = text
        # Set after the value: openpyxl would otherwise guess 'f' for "=...".
        c.data_type = "s"
        if needs_quote_prefix(text):
            c.quotePrefix = True
    return c


def write_table(out: BinaryIO, sheet_title: str, headers: Sequence[str], rows: Iterable[Sequence],
                widths: Sequence[float] = (), wrap_columns: Sequence[int] = (),
                title_rows: Sequence[str] = ()) -> None:
    """A one-sheet workbook written into `out` as the rows come: the title rows (bold, then a
    blank row), a bold header row (frozen with what is above it), then one row per item,
    cells typed as `cell` types them (XlsxStream: a few microseconds a row where openpyxl's
    write-only mode took about 1.5 ms; issue 16)."""
    with XlsxStream(out) as book:
        header = book.style(bold=True, horizontal="center", vertical="center", wrap=True)
        title = book.style(bold=True)
        wrap = set(wrap_columns)
        columns = [book.column(wrap=i in wrap) for i in range(len(headers))]
        above = len(title_rows) + 1 if title_rows else 0
        ws = book.sheet(sheet_title, widths=widths, freeze_rows=above + 1)
        for text in title_rows:
            ws.row([text], title)
        if title_rows:
            ws.blank()
        ws.row(list(headers), header)
        ws.rows(rows, columns)


def table_workbook(sheet_title: str, headers: Sequence[str], rows: Iterable[Sequence],
                   widths: Sequence[float] = (), wrap_columns: Sequence[int] = (),
                   title_rows: Sequence[str] = ()) -> bytes:
    """`write_table` into bytes (for a small table)."""
    out = BytesIO()
    write_table(out, sheet_title, headers, rows, widths, wrap_columns, title_rows)
    return out.getvalue()


# ------------------------------------------------------------ streaming writer

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2}
_EXCEL_EPOCH = date(1899, 12, 30).toordinal()  # serial 0 (Excel's 1900 date system)
_ROWS_PER_WRITE = 500


_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")


def _esc(text: str) -> str:
    """XML character data: & < > escaped (quotes need no escaping in text)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _column_letter(i: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(frozen=True)
class CellStyles:
    """The style ids a column's cells take: text and empty cells, numbers, dates, and
    text that looks like a formula (`plain` with the quote prefix)."""

    plain: int
    number: int
    date: int
    quoted: int


class XlsxStream:
    """A workbook written as it goes: each sheet's rows are turned into XML strings and
    compressed into the zip immediately, so memory stays flat whatever the row count.

    Cells are typed as `cell` types them (the same rules, the same neutralised text):
    text is an inline string after `clean_text` (quote-prefixed when it looks like a
    formula), a date a date serial with the date format, int/float/Decimal a number, a
    bool a boolean, None an empty styled cell.
    The file holds what openpyxl's write-only mode writes (workbook, styles, theme,
    inline strings), so it opens in Excel and LibreOffice as the openpyxl files did.
    One sheet is open at a time; `close()` writes the workbook parts. Deflate level 1 by
    default: at level 6 compression was a fifth of the export's time, for a file 25%
    smaller (33,275 task rows: 1.3 MB instead of 1.7 MB)."""

    def __init__(self, out: BinaryIO, *, title: str = "", creator: str = "",
                 font_name: str = FONT_NAME, font_size: int = 12, compresslevel: int = 1):
        self._zip = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self.title, self.creator = title, creator
        self.font_name, self.font_size = font_name, font_size
        # The default font (id 0, style 0) is the house font: an unwritten cell uses it too.
        self._fonts: list[tuple] = [(font_size, False, False)]
        self._formats: dict[str, int] = {}
        self._xfs: list[tuple] = [(0, 0, None, False)]
        self._sheets: list[dict] = []
        self._open: SheetStream | None = None

    # ---- styles

    def style(self, *, bold: bool = False, italic: bool = False, size: int | None = None,
              horizontal: str | None = None, vertical: str | None = None, wrap: bool = False,
              number_format: str = "General", quote_prefix: bool = False) -> int:
        """The id of a cell style (registered on first use)."""
        font = (size or self.font_size, bold, italic)
        if font not in self._fonts:
            self._fonts.append(font)
        fmt = _BUILTIN_FORMATS.get(number_format)
        if fmt is None:
            fmt = self._formats.setdefault(number_format, 164 + len(self._formats))
        align = (horizontal, vertical, wrap) if (horizontal or vertical or wrap) else None
        return self._xf((self._fonts.index(font), fmt, align, quote_prefix))

    def _xf(self, xf: tuple) -> int:
        if xf not in self._xfs:
            self._xfs.append(xf)
        return self._xfs.index(xf)

    def quoted(self, style: int) -> int:
        """The id of `style` with Excel's quote prefix, for text that looks like a formula."""
        font, fmt, align, _quote = self._xfs[style]
        return self._xf((font, fmt, align, True))

    def cell_styles(self, style: "CellStyles | int") -> CellStyles:
        """A CellStyles as it is, or one style id for every kind of cell."""
        if isinstance(style, CellStyles):
            return style
        return CellStyles(style, style, style, self.quoted(style))

    def column(self, *, wrap: bool = False, number_format: str = "General", **font) -> CellStyles:
        """The styles of a data column: `cell`'s alignment (top, wrapped or not), the
        column's number format for numbers, dd/mm/yyyy for dates."""
        kw = {"vertical": "top", "wrap": wrap, **font}
        plain = self.style(**kw)
        return CellStyles(plain, self.style(number_format=number_format, **kw),
                          self.style(number_format=DATE_FORMAT, **kw), self.quoted(plain))

    # ---- sheets

    def sheet(self, name: str, *, widths: Sequence[float] = (), freeze_rows: int = 0,
              print_title_row: int | None = None, landscape: bool = False, a4: bool = True,
              fit_to_width: bool = False, margins: tuple[float, float, float, float] | None = None,
              center_horizontally: bool = False, footer: str = "") -> "SheetStream":
        """Start a sheet (closing the previous one). The sheet's settings come first
        because they precede the rows in the file."""
        if self._open is not None:
            self._open.close()
        index = len(self._sheets) + 1
        name = clean_text(name)[:31] or f"Sheet{index}"
        self._sheets.append({"name": name, "print_title_row": print_title_row})
        head = [_XML_HEAD, f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">']
        head.append("<sheetPr><outlinePr summaryBelow=\"1\" summaryRight=\"1\"/>"
                    + ('<pageSetUpPr fitToPage="1"/>' if fit_to_width else "") + "</sheetPr>")
        view = '<sheetView workbookViewId="0"' + (' tabSelected="1"' if index == 1 else "") + ">"
        if freeze_rows:
            top = f"A{freeze_rows + 1}"
            view += (f'<pane ySplit="{freeze_rows}" topLeftCell="{top}" activePane="bottomLeft" '
                     f'state="frozen"/><selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/>')
        head.append(f"<sheetViews>{view}</sheetView></sheetViews>")
        head.append('<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>')
        if widths:
            head.append("<cols>" + "".join(
                f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>'
                for i, w in enumerate(widths, start=1)) + "</cols>")
        head.append("<sheetData>")
        tail = ["</sheetData>"]
        if center_horizontally:
            tail.append('<printOptions horizontalCentered="1"/>')
        left, right, top_m, bottom = margins or (0.7, 0.7, 0.75, 0.75)
        tail.append(f'<pageMargins left="{left:g}" right="{right:g}" top="{top_m:g}" '
                    f'bottom="{bottom:g}" header="0.3" footer="0.3"/>')
        setup = []
        if a4:
            setup.append('paperSize="9"')
        if landscape:
            setup.append('orientation="landscape"')
        if fit_to_width:
            setup.append('fitToWidth="1" fitToHeight="0"')
        if setup:
            tail.append(f"<pageSetup {' '.join(setup)}/>")
        if footer:
            tail.append(f"<headerFooter><oddFooter>{_esc(footer)}</oddFooter></headerFooter>")
        tail.append("</worksheet>")
        # A plain zip entry, as openpyxl writes (no Zip64): a sheet of XML past 2 GiB would
        # hold more rows than Excel's 1,048,576 anyway.
        stream = self._zip.open(f"xl/worksheets/sheet{index}.xml", "w")
        self._open = SheetStream(self, stream, "".join(head), "".join(tail))
        return self._open

    # ---- the package

    def close(self) -> None:
        """Finish the open sheet and write the workbook's other parts."""
        if self._open is not None:
            self._open.close()
        if not self._sheets:
            self.sheet("Sheet1")
            self._open.close()
        z = self._zip
        n = len(self._sheets)
        z.writestr("[Content_Types].xml", _XML_HEAD + (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.spreadsheetml.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                      f'ContentType="{_CT}.spreadsheetml.worksheet+xml"/>' for i in range(1, n + 1))
            + f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.spreadsheetml.styles+xml"/>'
            f'<Override PartName="/xl/theme/theme1.xml" ContentType="{_CT}.theme+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            f'<Override PartName="/docProps/app.xml" ContentType="{_CT}.extended-properties+xml"/>'
            "</Types>"))
        z.writestr("_rels/.rels", _XML_HEAD + (
            f'<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
            'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
            "</Relationships>"))
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        z.writestr("docProps/core.xml", _XML_HEAD + (
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
            'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:creator>{_esc(self.creator)}</dc:creator><dc:title>{_esc(self.title)}</dc:title>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified>'
            "</cp:coreProperties>"))
        z.writestr("docProps/app.xml", _XML_HEAD + (
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            "<Application>Microsoft Excel</Application></Properties>"))
        names = []
        for i, s in enumerate(self._sheets):
            if s["print_title_row"]:
                quoted = "'" + s["name"].replace("'", "''") + "'"
                r = s["print_title_row"]
                names.append(f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
                             f"{_esc(quoted)}!${r}:${r}</definedName>")
        z.writestr("xl/workbook.xml", _XML_HEAD + (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><workbookPr/>'
            '<bookViews><workbookView activeTab="0"/></bookViews><sheets>'
            + "".join(f'<sheet name={quoteattr(s["name"])} sheetId="{i}" r:id="rId{i}"/>'
                      for i, s in enumerate(self._sheets, start=1))
            + "</sheets>" + (f"<definedNames>{''.join(names)}</definedNames>" if names else "")
            + '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'))
        z.writestr("xl/_rels/workbook.xml.rels", _XML_HEAD + (
            f'<Relationships xmlns="{_PKG_REL}">'
            + "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" '
                      f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, n + 1))
            + f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId{n + 2}" Type="{_REL}/theme" Target="theme/theme1.xml"/>'
            "</Relationships>"))
        z.writestr("xl/styles.xml", _XML_HEAD + self._styles_xml())
        z.writestr("xl/theme/theme1.xml", theme_xml)
        z.close()

    def _styles_xml(self) -> str:
        fonts = "".join(
            "<font>" + ("<b/>" if bold else "") + ("<i/>" if italic else "")
            + f'<sz val="{size}"/><name val={quoteattr(self.font_name)}/><family val="1"/></font>'
            for size, bold, italic in self._fonts)
        numfmts = "".join(f'<numFmt numFmtId="{i}" formatCode={quoteattr(code)}/>'
                          for code, i in self._formats.items())
        xfs = []
        for font, fmt, align, quote in self._xfs:
            attrs = f'numFmtId="{fmt}" fontId="{font}" fillId="0" borderId="0" xfId="0"'
            if quote:
                attrs += ' quotePrefix="1"'
            if fmt:
                attrs += ' applyNumberFormat="1"'
            if font:
                attrs += ' applyFont="1"'
            if align is None:
                xfs.append(f"<xf {attrs}/>")
                continue
            horizontal, vertical, wrap = align
            a = ((f' horizontal="{horizontal}"' if horizontal else "")
                 + (f' vertical="{vertical}"' if vertical else "") + (' wrapText="1"' if wrap else ""))
            xfs.append(f'<xf {attrs} applyAlignment="1"><alignment{a}/></xf>')
        return (f'<styleSheet xmlns="{_MAIN}">'
                + (f'<numFmts count="{len(self._formats)}">{numfmts}</numFmts>' if numfmts else "")
                + f'<fonts count="{len(self._fonts)}">{fonts}</fonts>'
                '<fills count="2"><fill><patternFill patternType="none"/></fill>'
                '<fill><patternFill patternType="gray125"/></fill></fills>'
                '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                "</styleSheet>")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind, *_) -> None:
        if kind is None:
            self.close()
        else:
            self._zip.close()


class SheetStream:
    """The rows of one sheet, numbered from 1 in the order they are written."""

    def __init__(self, book: XlsxStream, stream, head: str, tail: str):
        self._book, self._stream, self._tail = book, stream, tail
        self._buffer: list[str] = [head]
        self._letters: list[str] = []
        self.rows_written = 0
        self.closed = False

    def _refs(self, n: int) -> list[str]:
        while len(self._letters) < n:
            self._letters.append(_column_letter(len(self._letters)))
        return self._letters

    def row(self, values: Sequence, styles: "Sequence[CellStyles | int] | CellStyles | int" = 0) -> None:
        """One row; `styles` per column or one for every cell (a CellStyles picks by the
        value's type; an int serves every type, with its quote-prefixed twin for text
        that looks like a formula)."""
        if not isinstance(styles, Sequence):
            styles = [styles] * len(values)
        self.rows(iter([values]), [self._book.cell_styles(s) for s in styles])

    def blank(self) -> None:
        """An empty row."""
        self.rows_written += 1
        self._buffer.append(f'<row r="{self.rows_written}"/>')

    def rows(self, values: Iterable[Sequence], styles: Sequence[CellStyles]) -> None:
        """Many rows with one style per column: the fast path. Each cell is one f-string
        of pieces prepared per column; text needing no escaping (most) is searched once,
        and text that looks like a formula takes the column's quote-prefixed style."""
        cols = [(f'<c r="{letter}', f'" s="{st.plain}" t="inlineStr"><is><t>',
                 f'" s="{st.plain}" t="inlineStr"><is><t xml:space="preserve">',
                 f'" s="{st.plain}"/>', f'" s="{st.number}"><v>', f'" s="{st.date}"><v>', letter, st)
                for letter, st in zip(self._refs(len(styles)), styles, strict=False)]
        search, starts, segment = _SPECIAL.search, FORMULA_STARTS, _SEGMENT_FORMULA.search
        buffer, r = self._buffer, self.rows_written
        for row in values:
            r += 1
            ref = str(r)
            parts = [f'<row r="{ref}">']
            for (pre, text, spaced, empty, number, day, letter, st), v in zip(cols, row, strict=True):
                t = type(v)
                if t is str:
                    if search(v) is not None:
                        # judged before XML escaping: "&amp;" holds a separator
                        v = ILLEGAL_CHARACTERS_RE.sub("", v)
                        quoted = v.startswith(starts) or segment(v) is not None
                        v = _esc(v)
                    else:
                        quoted = v.startswith(starts) or segment(v) is not None
                    if quoted:
                        parts.append(_text_cell(letter, ref, st.quoted, v))
                    else:
                        # Spaces at either end are kept only when the XML says so.
                        parts.append(f"{pre}{ref}{text if len(v.strip()) == len(v) else spaced}"
                                     f"{v}</t></is></c>")
                elif v is None:
                    parts.append(f"{pre}{ref}{empty}")
                elif t is int:
                    parts.append(f"{pre}{ref}{number}{v}</v></c>")
                elif t is date:
                    parts.append(f"{pre}{ref}{day}{v.toordinal() - _EXCEL_EPOCH}</v></c>")
                elif t is Decimal and v.is_finite():
                    parts.append(f"{pre}{ref}{number}{v:f}</v></c>")
                else:
                    parts.append(_other_cell(letter, r, st, v))
            parts.append("</row>")
            buffer.append("".join(parts))
            if len(buffer) >= _ROWS_PER_WRITE:
                self._flush()
        self.rows_written = r

    def _flush(self) -> None:
        self._stream.write("".join(self._buffer).encode("utf-8"))
        self._buffer.clear()

    def close(self) -> None:
        if self.closed:
            return
        self._buffer.append(self._tail)
        self._flush()
        self._stream.close()
        self.closed = True
        self._book._open = None


def _number_cell(letter: str, r: int, st: CellStyles, v) -> str:
    text = format(v, "f") if isinstance(v, Decimal) else repr(float(v))
    return f'<c r="{letter}{r}" s="{st.number}"><v>{text}</v></c>'


def _other_cell(letter: str, r: int, st: CellStyles, v) -> str:
    """The cells of less common types, typed as `cell` types them."""
    if isinstance(v, bool):
        return f'<c r="{letter}{r}" s="{st.plain}" t="b"><v>{int(v)}</v></c>'
    if isinstance(v, datetime):
        v = local_date(v)
    if isinstance(v, date):
        return f'<c r="{letter}{r}" s="{st.date}"><v>{v.toordinal() - _EXCEL_EPOCH}</v></c>'
    if isinstance(v, int):
        return f'<c r="{letter}{r}" s="{st.number}"><v>{int(v)}</v></c>'
    if isinstance(v, float | Decimal):
        if not math.isfinite(v):
            return f'<c r="{letter}{r}" s="{st.plain}"/>'
        return _number_cell(letter, r, st, v)
    text = clean_text(str(v))
    return _text_cell(letter, str(r), st.quoted if needs_quote_prefix(text) else st.plain, _esc(text))


def _text_cell(letter: str, ref: str, style: int, text: str) -> str:
    """An inline-string cell of text already cleaned and escaped."""
    space = "" if len(text.strip()) == len(text) else ' xml:space="preserve"'
    return f'<c r="{letter}{ref}" s="{style}" t="inlineStr"><is><t{space}>{text}</t></is></c>'

