"""Reading a plan file into rows: the file checked (size, zip bomb), the header row found,
the data rows read as {column key: raw value}."""

import json
import logging
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO

from flask_babel import format_decimal
from flask_babel import gettext as _
from openpyxl import load_workbook

from app.plans.importing.cells import _STT, _blank, _stt
from app.plans.importing.columns import (
    _BY_KEY,
    COLUMNS,
    HEADER_SCAN_ROWS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_UNZIPPED_BYTES,
    MAX_ZIP_MEMBERS,
    Issue,
    _key,
)
from app.tasks.evidence import MAX_ZIP_DIRECTORY, zip_directory

log = logging.getLogger(__name__)

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
    return json.dumps({"name": sheet.name, "header_row": sheet.header_row,
                       "present": sorted(sheet.present),
                       "rows": [[n, {k: _encode(v) for k, v in cells.items()}] for n, cells in sheet.rows]},
                      ensure_ascii=False)


def sheet_from_json(text: str) -> Sheet:
    raw = json.loads(text)
    return Sheet(name=raw["name"], header_row=raw["header_row"], present=set(raw["present"]),
                 rows=[(n, {k: _decode(v) for k, v in cells.items()}) for n, cells in raw["rows"]])


def _mb(n: int) -> int:
    return n // (1024 * 1024)


def _check_zip(data: bytes) -> Issue | None:
    """Refuse what is not a zip, and a zip that would expand beyond the limit (zip bomb).
    zipfile never inflates a member past its declared size, so the declared sizes bound it.
    The entry count is read from the end record first: parsing the central directory of
    120,000 empty entries took 3 s."""
    declared = zip_directory(data)
    if declared is None:
        return Issue(_("The file is not an Excel workbook (.xlsx) that can be read."))
    if declared[0] > MAX_ZIP_MEMBERS or declared[1] > MAX_ZIP_DIRECTORY:
        return Issue(_("The file expands to more than %(mb)s MB when opened: it cannot be read.",
                       mb=_mb(MAX_UNZIPPED_BYTES)))
    try:
        with zipfile.ZipFile(BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return Issue(_("The file is not an Excel workbook (.xlsx) that can be read."))
    if len(infos) > MAX_ZIP_MEMBERS or sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
        return Issue(_("The file expands to more than %(mb)s MB when opened: it cannot be read.",
                       mb=_mb(MAX_UNZIPPED_BYTES)))
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        return Issue(_("The file is not an Excel workbook (.xlsx) that can be read."))
    return None


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _merges(data: bytes, path: str | None) -> list[tuple[int, int, int, int]]:
    """Merged ranges of a sheet as (min_col, min_row, max_col, max_row): read-only mode
    does not parse them, so they are read from the sheet's XML."""
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


def read_sheet(data: bytes) -> Sheet:
    """The header and data rows of the first sheet with a header row among its first 20
    rows. Formulas come as their cached values (data_only): nothing is ever evaluated."""
    sheet = Sheet()
    if len(data) > MAX_FILE_BYTES:
        sheet.issues.append(Issue(_("The file is larger than %(mb)s MB.", mb=_mb(MAX_FILE_BYTES))))
        return sheet
    bad = _check_zip(data)
    if bad:
        sheet.issues.append(bad)
        return sheet
    # openpyxl warns about parts it does not keep (conditional formatting, extensions):
    # they carry no values, so they are not the user's concern.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            wb = load_workbook(BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - any failure to open is the same answer to the user
            sheet.issues.append(Issue(_("The file is not an Excel workbook (.xlsx) that can be read.")))
            return sheet
        try:
            return _read(wb, data, sheet)
        except Exception:
            log.warning("unreadable plan workbook", exc_info=True)
            return Sheet(issues=[Issue(_("The file is not an Excel workbook (.xlsx) that can be read."))])
        finally:
            wb.close()


def _read(wb, data: bytes, sheet: Sheet) -> Sheet:
    for ws in wb.worksheets:
        if not hasattr(ws, "iter_rows"):
            continue  # a chart sheet
        ws.reset_dimensions()  # some writers record a wrong size; read what is there
        rows = ws.iter_rows(values_only=True)
        header: dict[int, str] = {}
        line = 0
        for line, values in enumerate(rows, start=1):
            header = _header_map(values)
            if header or line >= HEADER_SCAN_ROWS:
                break
        if not header:
            continue
        sheet.name, sheet.header_row = ws.title, line
        sheet.present = set(header.values())
        missing = [c.header for c in COLUMNS if not c.optional and c.key not in sheet.present]
        if missing:
            sheet.issues.append(Issue(_("Columns missing from the header row (row %(row)s): %(columns)s.",
                                        row=line, columns=", ".join(missing))))
            return sheet
        grid: dict[int, dict[int, object]] = {}
        stt_col = next(i for i, k in header.items() if k == "stt")
        count = 0
        for n, values in enumerate(rows, start=line + 1):
            cells = {i: values[i] for i in header if i < len(values) and not _blank(values[i])}
            # A number with nothing else is a row prepared in advance and left empty.
            if not cells or (set(cells) == {stt_col} and _STT.match(_stt(cells[stt_col]))):
                continue
            count += 1
            if count > MAX_ROWS:
                sheet.issues.append(Issue(_("The file has more than %(n)s rows.",
                                            n=format_decimal(MAX_ROWS))))
                return sheet
            grid[n] = cells
        _fill_merged(grid, header, _merges(data, getattr(ws, "_worksheet_path", None)), line)
        sheet.rows = [(n, {header[i]: v for i, v in cells.items()}) for n, cells in sorted(grid.items())]
        if not sheet.rows:
            sheet.issues.append(Issue(_("The file has no task rows below the header.")))
        return sheet
    sheet.issues.append(Issue(_("No header row (STT, Nhiệm vụ, …) in the first %(n)s rows of any sheet.",
                                n=HEADER_SCAN_ROWS)))
    return sheet


def _fill_merged(grid: dict, header: dict, merges: list, header_row: int) -> None:
    """A cell merged down over several task rows (a lead unit for a group) belongs to each
    of them; the STT never does (each row keeps its own number)."""
    for c1, r1, _c2, r2 in merges:
        i = c1 - 1
        if r2 <= r1 or r1 <= header_row or i not in header or header[i] == "stt":
            continue
        top = grid.get(r1, {}).get(i)
        if top is None:
            continue
        for r in range(r1 + 1, r2 + 1):
            if r in grid:
                grid[r].setdefault(i, top)


# ------------------------------------------------------------------ cell values
