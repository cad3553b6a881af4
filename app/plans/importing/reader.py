"""Reading a plan file into rows: the file checked (size, zip bomb), the header row found,
the data rows read as {column key: raw value}."""

import json
import logging
import re
import warnings
import zipfile
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO

import docx
import xlrd
from docx.oxml.ns import qn
from openpyxl import load_workbook
from openpyxl.reader import excel as excel_reader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from app.domain.text import normalize_space
from app.plans.importing.cells import _blank, numbering_only
from app.plans.importing.columns import (
    _BY_KEY,
    HEADER_SCAN_ROWS,
    LABEL,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_UNZIPPED_BYTES,
    MAX_ZIP_MEMBERS,
    Issue,
    _key,
    file_issue,
)
from app.tasks.evidence import MAX_ZIP_DIRECTORY, zip_directory

log = logging.getLogger(__name__)

# The first bytes of an OLE2 compound file: an Excel 97-2003 workbook (.xls).
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_COLUMN_NUMBER = re.compile(r"^\(?\d{1,2}\)?$")
# What is read of a file at most, whatever it declares (an outside probe's hostile files:
# 200 ranges merged down to row 1,048,576; a sheet of 16 M empty cells).
MAX_COLUMNS = 60
MAX_MERGES = 2000
MAX_BLANK_RUN = 1000
MAX_DOCUMENT_BYTES = 60 * 1024 * 1024
# Cells a workbook's sheets may hold, empty ones included: a 78 KB sheet of 16 M empty cells
# took 81 s to walk. 5,000 rows of 60 columns, with room for formatted empty cells.
MAX_CELLS = 2_000_000
# A Word document is parsed whole (python-docx): its table cells are counted first. 5,000 rows
# of 60 columns.
MAX_WORD_CELLS = 300_000
_CELL = re.compile(rb"<(?:\w+:)?c[\s/>]")
_WORD_CELL = re.compile(rb"<w:tc[\s/>]")
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*\bref=\"([A-Z]+)(\d+):([A-Z]+)(\d+)\"")


# ------------------------------------------------------------------ reading the file

@dataclass
class Sheet:
    """The data rows of the sheet holding the header, as {column key: raw value}."""

    name: str = ""
    header_row: int = 0
    present: set = field(default_factory=set)
    rows: list[tuple[int, dict]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    # How each column was understood: (its header as written, the column key).
    mapping: list[tuple[str, str]] = field(default_factory=list)
    kind: str = ""
    # Every column with a header: (0-based index, its header as written, the column key or
    # "" when not understood), and the cells read by column index, before any mapping.
    columns: list[tuple[int, str, str]] = field(default_factory=list)
    raw: list[tuple[int, dict]] = field(default_factory=list)


def _encode(value):
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _decode(value):
    if isinstance(value, dict):
        if "dt" in value:
            return datetime.fromisoformat(value["dt"])
        return date.fromisoformat(value["d"])
    return value


def sheet_to_json(sheet: Sheet) -> str:
    """The rows read from a file, kept between the preview and the confirmation so that the
    workbook is parsed once (cell types kept: dates stay dates, numbers numbers)."""
    return json.dumps({"name": sheet.name, "header_row": sheet.header_row, "kind": sheet.kind,
                       "columns": [list(c) for c in sheet.columns],
                       "raw": [[n, {str(i): _encode(v) for i, v in cells.items()}]
                               for n, cells in sheet.raw]},
                      ensure_ascii=False)


def sheet_from_json(text: str) -> Sheet:
    data = json.loads(text)
    sheet = Sheet(name=data["name"], header_row=data["header_row"], kind=data.get("kind", ""),
                  columns=[(int(i), str(w), str(k)) for i, w, k in data["columns"]],
                  raw=[(int(n), {int(i): _decode(v) for i, v in cells.items()})
                       for n, cells in data["raw"]])
    _apply_columns(sheet)
    return sheet


def remap(sheet: Sheet, choices: dict[int, str]) -> tuple[Sheet, list[Issue]]:
    """The same cells read with the columns the user chose in the preview (issue 14): only
    the choice of a known column key (or none) for each column of the file is taken from the
    browser; the cells are those stored on the server. Each column key once; STT and the
    task are required, as for a file."""
    allowed = set(_BY_KEY.values())
    columns = []
    errors: list[Issue] = []
    used: dict[str, str] = {}
    for i, written, key in sheet.columns:
        chosen = choices.get(i, key)
        if chosen and chosen not in allowed:
            chosen = key
        if chosen and chosen in used:
            errors.append(_("Two columns (“%(a)s” and “%(b)s”) cannot both be %(column)s.",
                            a=used[chosen], b=written or "?", column=LABEL.get(chosen, chosen)))
        used.setdefault(chosen, written or "?")
        columns.append((i, written, chosen))
    missing = [LABEL[k] for k in ("stt", "title") if k not in used]
    if missing:
        errors.append(_("Choose the column of %(columns)s.", columns=", ".join(missing)))
    out = Sheet(name=sheet.name, header_row=sheet.header_row, kind=sheet.kind, columns=columns,
                raw=sheet.raw)
    _apply_columns(out)
    return out, errors


def _(msgid: str, **params) -> Issue:
    """An issue of the whole file (pybabel extracts the message as a gettext call); it is
    translated again in the user's language when read in the parsing process."""
    return file_issue(msgid, **params)


def _mb(n: int) -> int:
    return n // (1024 * 1024)


def _unreadable() -> Issue:
    return _("The file is not an Excel workbook (.xlsx, .xls) or a Word document (.docx) "
             "that can be read.")


def _check_zip(data: bytes) -> tuple[str | None, Issue | None]:
    """The kind of an Office zip ("xlsx" or "docx"); refuse what is not one, and a zip that
    would expand beyond the limit (zip bomb). zipfile never inflates a member past its
    declared size, so the declared sizes bound it. The entry count is read from the end
    record first: parsing the central directory of 120,000 empty entries took 3 s."""
    declared = zip_directory(data)
    if declared is None:
        return None, _unreadable()
    too_big = _("The file expands to more than %(mb)s MB when opened: it cannot be read.",
                mb=_mb(MAX_UNZIPPED_BYTES))
    if declared[0] > MAX_ZIP_MEMBERS or declared[1] > MAX_ZIP_DIRECTORY:
        return None, too_big
    try:
        with zipfile.ZipFile(BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None, _unreadable()
    if len(infos) > MAX_ZIP_MEMBERS or sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
        return None, too_big
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names:
        return None, _unreadable()
    if any(n.startswith("xl/") for n in names):
        if _cells(data, [i for i in infos if i.filename.startswith("xl/worksheets/")]) > MAX_CELLS:
            return None, _("The workbook has more than %(n)s cells (empty ones included): it "
                           "cannot be read. Copy the plan's rows into a new workbook.", n=MAX_CELLS)
        return "xlsx", None
    if "word/document.xml" in names:
        document = [i for i in infos if i.filename == "word/document.xml"]
        if _cells(data, document, _WORD_CELL, MAX_WORD_CELLS) > MAX_WORD_CELLS:
            return None, _("The document's tables have more than %(n)s cells: it cannot be "
                           "read. Copy the plan's table into a new document.", n=MAX_WORD_CELLS)
        return "docx", None
    return None, _unreadable()


def _cells(data: bytes, sheets: list, pattern: re.Pattern | None = None, limit: int = MAX_CELLS) -> int:
    """The cells the sheets declare (`<c` elements), counted in the XML as it is inflated,
    a megabyte at a time, without parsing it; stops once over the limit."""
    total = 0
    with zipfile.ZipFile(BytesIO(data)) as z:
        for info in sheets:
            tail = b""
            with z.open(info) as f:
                while chunk := f.read(1 << 20):
                    text = tail + chunk
                    total += len((pattern or _CELL).findall(text))
                    if total > limit:
                        return total
                    # A tag cut by the chunk's end is counted with the next chunk.
                    cut = text.rfind(b"<", max(0, len(text) - 3))
                    tail = text[cut:] if cut >= 0 else b""
                    if tail and (pattern or _CELL).match(tail):
                        tail = b""
    return total


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _merges(data: bytes, path: str | None) -> list[tuple[int, int, int, int]]:
    """Merged ranges of a sheet as (min_col, min_row, max_col, max_row): read-only mode
    does not parse them, so they are read from the sheet's XML (at most MAX_MERGES)."""
    if not path:
        return []
    try:
        with zipfile.ZipFile(BytesIO(data)) as z:
            xml = z.read(path.lstrip("/"))
    except (KeyError, zipfile.BadZipFile, OSError):
        return []
    out = []
    for m in _MERGE.finditer(xml):
        c1, r1, c2, r2 = m.groups()
        out.append((_col_index(c1.decode()), int(r1), _col_index(c2.decode()), int(r2)))
        if len(out) >= MAX_MERGES:
            break
    return out


def _header_map(values) -> dict[int, str]:
    """{0-based column index: column key} when `values` is the header row, else {}."""
    found: dict[int, str] = {}
    for i, v in enumerate(values):
        if isinstance(v, str):
            k = _BY_KEY.get(_key(v))
            if k and k not in found.values():
                found[i] = k
    keys = set(found.values())
    return found if {"stt", "title"} <= keys else {}


@dataclass
class _Table:
    """One sheet of a workbook or one table of a document: its rows (lists of raw values,
    numbered from 1) and its merged ranges (min_col, min_row, max_col, max_row)."""

    name: str
    rows: Iterable[list]
    merges: list = field(default_factory=list)


def read_sheet(data: bytes) -> Sheet:
    """The header and data rows of the first sheet (or Word table) with a header row among
    its first 20 rows. The kind of file is told by its content, not its name: .xlsx, .xls,
    .docx. Formulas come as their cached values: nothing is ever evaluated."""
    sheet = Sheet()
    if len(data) > MAX_FILE_BYTES:
        sheet.issues.append(_("The file is larger than %(mb)s MB.", mb=_mb(MAX_FILE_BYTES)))
        return sheet
    if data[:8] == _OLE2:
        kind = "xls"
    else:
        kind, bad = _check_zip(data)
        if bad:
            sheet.issues.append(bad)
            return sheet
    opener = {"xlsx": _xlsx_tables, "xls": _xls_tables, "docx": _docx_tables}[kind]
    # openpyxl warns about parts it does not keep (conditional formatting, extensions):
    # they carry no values, so they are not the user's concern.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with opener(data) as tables:
                for table in tables:
                    found = _read(table, sheet)
                    if found is not None:
                        found.kind = kind
                        return found
        except Exception:
            log.warning("unreadable plan file (%s)", kind, exc_info=True)
            return Sheet(issues=[_unreadable()])
    sheet.issues.append(_("No header row (STT, Nhiệm vụ, …) in the first %(n)s rows of any sheet.",
                          n=HEADER_SCAN_ROWS))
    return sheet


class _UnsizedSheet(ReadOnlyWorksheet):
    """A read-only sheet that does not look for its recorded size: openpyxl parses the whole
    sheet when it records none (seconds for a sheet of empty cells), and the reader resets it
    anyway (writers record wrong ones)."""

    def _get_size(self):
        pass


@contextmanager
def _xlsx_tables(data: bytes) -> Iterator[Iterator[_Table]]:
    # Swapped for the load only; files are read in a process of their own (isolation.py).
    saved = excel_reader.ReadOnlyWorksheet
    excel_reader.ReadOnlyWorksheet = _UnsizedSheet
    try:
        wb = load_workbook(BytesIO(data), read_only=True, data_only=True)
    finally:
        excel_reader.ReadOnlyWorksheet = saved
    try:
        yield _xlsx_iter(wb, data)
    finally:
        wb.close()


def _xlsx_iter(wb, data: bytes) -> Iterator[_Table]:
    for ws in wb.worksheets:
        if not hasattr(ws, "iter_rows"):
            continue  # a chart sheet
        ws.reset_dimensions()  # some writers record a wrong size; read what is there
        yield _Table(ws.title, (list(v) for v in ws.iter_rows(values_only=True, max_col=MAX_COLUMNS)),
                     _merges(data, getattr(ws, "_worksheet_path", None)))


@contextmanager
def _xls_tables(data: bytes) -> Iterator[Iterator[_Table]]:
    """An Excel 97-2003 workbook (xlrd): dates as dates, merged ranges as in a .xlsx."""
    book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    try:
        yield _xls_iter(book)
    finally:
        book.release_resources()


def _xls_iter(book) -> Iterator[_Table]:
    for i in range(book.nsheets):
        ws = book.sheet_by_index(i)
        # Clamped to the rows and columns the sheet has and reads.
        merges = [(c1 + 1, r1 + 1, min(c2, MAX_COLUMNS), min(r2, ws.nrows))
                  for r1, r2, c1, c2 in ws.merged_cells[:MAX_MERGES] if c1 < MAX_COLUMNS]
        yield _Table(ws.name, _xls_rows(book, ws), merges)


def _xls_rows(book, ws) -> Iterator[list]:
    for r in range(ws.nrows):
        out = []
        for cell in ws.row_slice(r, 0, min(ws.ncols, MAX_COLUMNS)):
            if cell.ctype == xlrd.XL_CELL_DATE:
                try:
                    out.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
                except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                    out.append(cell.value)
            elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                out.append(None)
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                out.append(bool(cell.value))
            else:
                out.append(cell.value)
        yield out


@contextmanager
def _docx_tables(data: bytes) -> Iterator[Iterator[_Table]]:
    """Every table of a Word document, in order (an appendix table is found by its header
    row like a sheet). A cell spanning columns (gridSpan) holds its text in its first
    column; a cell merged down (vMerge) holds it in its top row; both become merged ranges
    like a workbook's, so merged cells are read the same whatever the file."""
    with zipfile.ZipFile(BytesIO(data)) as z:
        if z.getinfo("word/document.xml").file_size > MAX_DOCUMENT_BYTES:
            raise ValueError("document.xml too large")
    document = docx.Document(BytesIO(data))
    tables = list(document.element.body.iter(qn("w:tbl")))
    yield (_docx_table(n, t) for n, t in enumerate(tables, start=1))


_W_TR, _W_TC, _W_P, _W_T = qn("w:tr"), qn("w:tc"), qn("w:p"), qn("w:t")
_W_TAB, _W_BR, _W_CR = qn("w:tab"), qn("w:br"), qn("w:cr")
_W_VAL = qn("w:val")
_W_NS = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}


def _prop(element, path: str):
    """The w:val of a property (`w:tcPr/w:gridSpan`), "" when present without one, else None."""
    found = element.find(path, _W_NS)
    return None if found is None else found.get(_W_VAL, "")


def _int(text, default: int) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


def _cell_text(tc) -> str:
    """A cell's text, its paragraphs one per line (what python-docx's Paragraph.text gives,
    read straight from the XML: five times faster over a 5,000-row table)."""
    paragraphs = []
    for p in tc.iterchildren(_W_P):
        parts = [(el.text or "") if el.tag == _W_T else ("\t" if el.tag == _W_TAB else "\n")
                 for el in p.iter(_W_T, _W_TAB, _W_BR, _W_CR)]
        paragraphs.append("".join(parts))
    return "\n".join(paragraphs)


def _docx_table(number: int, tbl) -> _Table:
    rows: list[list] = []
    merges: list[tuple[int, int, int, int]] = []
    open_down: dict[int, list] = {}  # grid column -> [c1, r1, c2, r2] of a vertical merge
    for r, tr in enumerate(tbl.iterchildren(_W_TR), start=1):
        if r > MAX_ROWS + HEADER_SCAN_ROWS + 10:
            break
        values: list = []
        values.extend([None] * max(0, min(_int(_prop(tr, "w:trPr/w:gridBefore"), 0), MAX_COLUMNS)))
        for tc in tr.iterchildren(_W_TC):
            c = len(values) + 1
            span = max(1, min(_int(_prop(tc, "w:tcPr/w:gridSpan"), 1), MAX_COLUMNS))
            vmerge = _prop(tc, "w:tcPr/w:vMerge")
            if vmerge == "":
                vmerge = "continue"  # <w:vMerge/> without a value continues the merge above
            if vmerge == "continue" and c in open_down:
                open_down[c][3] = r
                values.extend([None] * span)
            else:
                _close(open_down, c, merges)
                values.append(_cell_text(tc))
                values.extend([None] * (span - 1))
                if span > 1:
                    merges.append((c, r, c + span - 1, r))
                if vmerge == "restart":
                    open_down[c] = [c, r, c + span - 1, r]
            if len(values) >= MAX_COLUMNS:
                break
        rows.append(values[:MAX_COLUMNS])
    for c in list(open_down):
        _close(open_down, c, merges)
    return _Table(f"Bảng {number}", rows, merges[:MAX_MERGES])


def _close(open_down: dict, c: int, merges: list) -> None:
    m = open_down.pop(c, None)
    if m is not None and m[3] > m[1]:
        merges.append(tuple(m))


def _numbering_row(values) -> bool:
    """The row of column numbers officials put under a header: (1), (2), (3) …"""
    cells = [v for v in values if not _blank(v)]
    return len(cells) >= 3 and all(_COLUMN_NUMBER.match(str(v).strip()) for v in cells)


def _spread(values: list, merges: list, row: int) -> list:
    """A header row with a group header merged across several columns written in each."""
    out = list(values)
    for c1, r1, c2, r2 in merges:
        if r1 <= row <= r2 and c2 > c1 and c1 - 1 < len(out) and not _blank(out[c1 - 1]):
            for i in range(c1, min(c2, MAX_COLUMNS)):
                if i < len(out) and _blank(out[i]):
                    out[i] = out[c1 - 1]
    return out


def _sub_headers(header: dict, top: list, sub: list) -> dict[int, str]:
    """Columns a second header row names (alone, or with the group header above it:
    "Thời gian" over "Hoàn thành"), for the columns the first row left unnamed."""
    found: dict[int, str] = {}
    taken = set(header.values())
    for i, v in enumerate(sub):
        if i in header or not isinstance(v, str) or _blank(v):
            continue
        group = top[i] if i < len(top) and isinstance(top[i], str) else ""
        for text in (v, f"{group} {v}"):
            k = _BY_KEY.get(_key(text))
            if k and k not in taken:
                found[i] = k
                taken.add(k)
                break
    return found


def _read(table: _Table, sheet: Sheet) -> Sheet | None:
    rows = iter(table.rows)
    header: dict[int, str] = {}
    top: list = []
    line = 0
    for line, values in enumerate(rows, start=1):
        header = _header_map(values)
        if header:
            top = _spread(values, table.merges, line)
            break
        if line >= HEADER_SCAN_ROWS:
            return None
    if not header:
        return None
    stt_col = next(i for i, k in header.items() if k == "stt")
    last_header = line
    pending: list[tuple[int, list]] = []
    nxt, n = next(rows, None), line + 1
    # A header over two rows: the group header above, the columns' own names below.
    sub = _sub_headers(header, top, nxt) if nxt is not None else {}
    if sub and (stt_col >= len(nxt) or _blank(nxt[stt_col])):
        header.update(sub)
        top = [_joined(top, nxt, i) if i in sub else (top[i] if i < len(top) else None)
               for i in range(max(len(top), len(nxt)))]
        last_header = n
        nxt, n = next(rows, None), n + 1
    if nxt is not None and _numbering_row(nxt):
        last_header = n
        nxt, n = next(rows, None), n + 1
    if nxt is not None:
        pending.append((n, nxt))
    sheet.name, sheet.header_row = table.name, line
    # Every column with a header is kept, understood or not, so that the preview can let the
    # user say what a column is (issue 14); a row counts by the columns understood.
    names = {i: normalize_space(str(top[i] or "")) for i in range(min(len(top), MAX_COLUMNS))
             if isinstance(top[i], str) and not _blank(top[i])}
    keys = {i: header.get(i, "") for i in sorted(set(names) | set(header))}
    grid: dict[int, dict[int, object]] = {}
    count = 0
    blank_run = 0
    start = pending[0][0] if pending else last_header + 1
    for n, values in _chain(pending, rows, start):
        cells = {i: values[i] for i in keys if i < len(values) and not _blank(values[i])}
        known = {i for i in cells if i in header}
        # A number with nothing else is a row prepared in advance and left empty.
        if not known or (known == {stt_col} and numbering_only(cells[stt_col])):
            blank_run += 1
            if blank_run > MAX_BLANK_RUN:
                break  # formatted but empty rows to the end of the sheet (or from the header)
            continue
        blank_run = 0
        count += 1
        if count > MAX_ROWS:
            sheet.issues.append(_("The file has more than %(n)s rows.", n=MAX_ROWS))
            return sheet
        grid[n] = cells
    _fill_merged(grid, keys, table.merges, last_header)
    sheet.raw = sorted(grid.items())
    sheet.columns = [(i, names.get(i, ""), k) for i, k in keys.items()]
    _apply_columns(sheet)
    if not sheet.rows:
        sheet.issues.append(_("The file has no task rows below the header."))
    return sheet


def _apply_columns(sheet: Sheet) -> None:
    """The rows as {column key: value}, from the cells read and what each column is."""
    key = {i: k for i, _w, k in sheet.columns if k}
    sheet.present = set(key.values())
    sheet.mapping = [(w, k) for _i, w, k in sheet.columns if k]
    sheet.rows = [(n, {key[i]: v for i, v in cells.items() if i in key}) for n, cells in sheet.raw]


def _joined(top: list, sub: list, i: int) -> str:
    group = top[i] if i < len(top) and isinstance(top[i], str) else ""
    return normalize_space(f"{group} {sub[i]}") if group and group != sub[i] else str(sub[i])


def _chain(pending: list, rows: Iterator, start: int) -> Iterator[tuple[int, list]]:
    yield from pending
    yield from enumerate(rows, start=start + len(pending))


def _fill_merged(grid: dict, header: dict, merges: list, header_row: int) -> None:
    """A cell merged down over several task rows (a lead unit for a group) belongs to each
    of them; the STT never does (each row keeps its own number). Only the rows that exist
    are visited: a range merged down to row 1,048,576 costs no more than the file's rows."""
    lines = sorted(grid)
    for c1, r1, _c2, r2 in merges:
        i = c1 - 1
        if r2 <= r1 or r1 <= header_row or i not in header or header[i] == "stt":
            continue
        top = grid.get(r1, {}).get(i)
        if top is None:
            continue
        for r in lines[bisect_right(lines, r1):bisect_right(lines, r2)]:
            grid[r].setdefault(i, top)
